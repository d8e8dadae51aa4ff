import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDepthReading } from '../ports/provision-queue';
import { QueueUnavailableError } from './errors';

/** How many messages a queue holds, by what SQS can tell (all approximate, as SQS says). */
export type QueueDepth = QueueDepthReading;

const depthAttributes = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

export async function readQueueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...depthAttributes] }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  } catch (error) {
    throw new QueueUnavailableError('GetQueueAttributes', { cause: error });
  }
}
