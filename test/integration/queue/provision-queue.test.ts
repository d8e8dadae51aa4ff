import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalAwsResources } from '../../../infra/local/aws-resources';
import { createSqsProvisionQueue, queueLimits } from '../../../shared/queue';
import { createTestAwsResources, testSqsClient } from '../../support/aws';

describe('provision queue on ElasticMQ (real SQS JSON protocol)', () => {
  let sqs: SQSClient;
  let resources: LocalAwsResources;

  beforeAll(async () => {
    sqs = testSqsClient();
    resources = await createTestAwsResources();
  });
  afterAll(() => sqs.destroy());

  it('is created with the redrive policy and visibility timeout serverless.yml declares', async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['All'] }),
    );
    expect(Number(Attributes?.VisibilityTimeout)).toBe(queueLimits.queueVisibilityTimeoutSeconds);
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      maxReceiveCount: queueLimits.queueMaxReceiveCount,
    });
  });

  it('round-trips a provision message', async () => {
    await createSqsProvisionQueue(sqs, resources.queueUrl).send({ requestId: 'round-trip' });
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, WaitTimeSeconds: 2 }),
    );
    expect(Messages?.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ requestId: 'round-trip' }]);
  });

  it('round-trips a message whose text a build wrote holds U+FFFE and U+FFFF, which SQS refuses raw', async () => {
    // A Jenkinsfile's `label 'linux || \uFFFF'`, kept in the request's snapshot.
    const message = { requestId: 'build-text', agent: 'linux || \uffff \ufffe' };
    await createSqsProvisionQueue(sqs, resources.queueUrl).send(message);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, WaitTimeSeconds: 2 }),
    );
    expect(Messages?.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([message]);
  });

  it('moves a message that is received maxReceiveCount times without being deleted to the DLQ', async () => {
    const { queueUrl, dlqUrl } = resources;
    await createSqsProvisionQueue(sqs, queueUrl).send({ requestId: 'poison' });
    const receipts: number[] = [];
    for (let attempt = 1; attempt <= queueLimits.queueMaxReceiveCount; attempt++) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 2,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const message = Messages?.find((m) => m.Body?.includes('poison'));
      expect(message).toBeDefined();
      receipts.push(Number(message?.Attributes?.ApproximateReceiveCount));
      // What a failed batch item amounts to: not deleted, visible again (here at once, to keep the test short).
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    expect(receipts).toEqual([1, 2, 3, 4, 5].slice(0, queueLimits.queueMaxReceiveCount));

    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(again.Messages ?? []).toEqual([]);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 2 }));
    expect(dead.Messages?.map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ requestId: 'poison' }]);
  });
});
