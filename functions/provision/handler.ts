import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadSettings } from '../../shared/config';
import { createLogger } from '../../shared/lambda';
import { provisionMessageSchema } from '../../shared/queue';

loadSettings('provision', process.env);
const logger = createLogger('provision');

/**
 * Placeholder until the provisioning issue: every record is reported as failed, so SQS keeps it
 * (and, after maxReceiveCount, moves it to the DLQ) instead of it being dropped as if provisioned.
 */
async function provisionBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  for (const record of event.Records) {
    const parsed = provisionMessageSchema.safeParse(parseJson(record.body));
    logger.warn('provisioning is not implemented; message left on the queue', {
      messageId: record.messageId,
      valid: parsed.success,
    });
  }
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export const handler = middy(provisionBatch).use(injectLambdaContext(logger));
