import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProvisionQueue } from '../ports/provision-queue';
import { readQueueDepth } from './depth';
import { QueueUnavailableError } from './errors';
import type { ProvisionMessage } from './messages';

/** Enqueues one request for the provision function. `delaySeconds` spaces out re-enqueued waiting work. */
export async function sendProvisionMessage(
  sqs: SQSClient,
  queueUrl: string,
  message: ProvisionMessage,
  options: { delaySeconds?: number } = {},
): Promise<{ messageId: string }> {
  try {
    const result = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: options.delaySeconds,
      }),
    );
    return { messageId: result.MessageId ?? '' };
  } catch (error) {
    throw new QueueUnavailableError('SendMessage', { cause: error });
  }
}

/**
 * The provision queue's `send` alone, on SQS: what provision and the reaper call, without the depth
 * reading that only the webhook and ops load.
 */
export function createSqsProvisionSender(sqs: SQSClient, queueUrl: string): Pick<ProvisionQueue, 'send'> {
  return {
    send: async (message, options) => {
      await sendProvisionMessage(sqs, queueUrl, message, options);
    },
  };
}

/** The provision queue port (shared/ports/provision-queue.ts) on SQS: `queueUrl` on `sqs`. */
export function createSqsProvisionQueue(sqs: SQSClient, queueUrl: string): ProvisionQueue {
  return {
    ...createSqsProvisionSender(sqs, queueUrl),
    depth: () => readQueueDepth(sqs, queueUrl),
  };
}
