import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProvisionQueue } from '../ports/provision-queue';
import { readQueueDepth } from './depth';
import { QueueUnavailableError } from './errors';
import type { ProvisionMessage } from './messages';

/**
 * A message as SQS takes it. SQS refuses a body holding a character outside XML's
 * (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF: InvalidMessageContents), and a
 * message's snapshot holds text a build wrote (a Jenkins label, a generic job id). JSON.stringify
 * escapes the controls and unpaired surrogates but writes U+FFFE and U+FFFF as they are; escaped
 * too, the body is the same JSON. Without it, such a build's webhook answered 503 at every retry, and
 * the reaper's recovery of lost builds stopped at it.
 */
export const messageBody = (message: ProvisionMessage): string =>
  JSON.stringify(message).replace(/[\ufffe\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);

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
        MessageBody: messageBody(message),
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
