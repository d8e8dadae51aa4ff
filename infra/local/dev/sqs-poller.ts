import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { lambdaContext } from './lambda-context';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Plays the Lambda SQS event source mapping with ReportBatchItemFailures: long-polls a batch,
 * invokes the handler, deletes the messages that succeeded and leaves the reported failures to
 * come back after their visibility timeout. A thrown handler error fails the whole batch, as on AWS.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function startSqsPoller(handler: SqsHandler, options: PollerOptions): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        await pollOnce(handler, options, 1);
      } catch (error) {
        options.onError?.(error);
        await sleep(1000);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Receives one batch (waiting up to `waitSeconds`), invokes the handler, deletes the messages that
 * succeeded, and returns how many were received and how many failed.
 */
export async function pollOnce(
  handler: SqsHandler,
  options: Omit<PollerOptions, 'onError'>,
  waitSeconds: number,
): Promise<{ received: number; failed: number }> {
  const { Messages = [] } = await options.sqs.send(
    receiveBatch(options.queueUrl, options.batchSize, waitSeconds),
  );
  if (Messages.length === 0) return { received: 0, failed: 0 };
  const failed = await invoke(handler, Messages, options.queueArn);
  const done = Messages.filter((message) => !failed.has(message.MessageId ?? ''));
  if (done.length > 0) {
    await options.sqs.send(deleteBatch(options.queueUrl, done));
  }
  return { received: Messages.length, failed: failed.size };
}

/** The long poll of one batch, as Lambda's event source mapping makes it (the bench's warm-up makes it too). */
export const receiveBatch = (
  queueUrl: string,
  batchSize: number,
  waitSeconds: number,
): ReceiveMessageCommand =>
  new ReceiveMessageCommand({
    QueueUrl: queueUrl,
    MaxNumberOfMessages: batchSize,
    WaitTimeSeconds: waitSeconds,
    MessageSystemAttributeNames: ['All'],
  });

/** The delete of a batch's messages that succeeded, as the event source mapping makes it. */
export const deleteBatch = (queueUrl: string, messages: readonly Message[]): DeleteMessageBatchCommand =>
  new DeleteMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
  });

async function invoke(handler: SqsHandler, messages: Message[], queueArn: string): Promise<Set<string>> {
  const event: SQSEvent = {
    Records: messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: message.Attributes as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
  try {
    const response = await handler(event, lambdaContext('provision'));
    return new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  } catch {
    return new Set(messages.map((message) => message.MessageId ?? ''));
  }
}
