import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { createSqsProvisionQueue } from '../../../shared/queue';
import { describeProvisionQueueContract } from '../../contracts/provision-queue';
import { testSqsClient } from '../../support/aws';

const sqs: SQSClient = testSqsClient();
afterAll(() => sqs.destroy());

describeProvisionQueueContract('SQS on ElasticMQ', async () => {
  // A queue of its own per test: empty, so its depth is the test's alone.
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `contract-${randomUUID().slice(0, 8)}` }),
  );
  return {
    queue: createSqsProvisionQueue(sqs, QueueUrl),
    unavailable: createSqsProvisionQueue(sqs, `${QueueUrl}-never-created`),
    bodies: async (expected) => {
      const bodies: string[] = [];
      while (bodies.length < expected) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          bodies.push(message.Body ?? '');
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      }
      return bodies;
    },
    dispose: async () => {
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    },
  };
});
