import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  createLogger,
  createMetrics,
  createTracing,
  publishProvisionOutcome,
  publishProvisionRetry,
  refreshSecrets,
} from '../../shared/lambda';
import {
  createRecordBatch,
  batchMessageOf,
  prepareBatch,
  provisionRequest,
  type PodRecorder,
  retireOncePerBatch,
  type RetireOnce,
  RetryLaterError,
  type Prepared,
  type ProvisionPorts,
} from '../../shared/provision';
import {
  laterReleaseMessage,
  queueLimits,
  readProvisionMessage,
  type ProvisionMessage,
} from '../../shared/queue';
import { createProvisionPorts, createRuntime } from '../../shared/runtime';
import { ciSide } from '../../shared/runtime/ci-side';

const runtime = await createRuntime('provision', process.env, ciSide);
const logger = createLogger('provision', runtime.settings.stage);
const metrics = createMetrics('provision', runtime.settings.stage, logger);
const tracing = await createTracing('provision', [runtime.db, runtime.sqs], process.env);
const ports: ProvisionPorts = createProvisionPorts(runtime, logger);
const processor = new BatchProcessor(EventType.SQS);

/**
 * One SQS record, its body read once for the whole batch (`message`): a message that is not ours is
 * logged and dropped (retrying cannot fix it); a transient failure throws, and Powertools reports the
 * record in batchItemFailures.
 */
async function provisionRecord(
  record: SQSRecord,
  message: ProvisionMessage | undefined,
  prepared?: Prepared,
  recordPod?: PodRecorder,
  retireOnce?: RetireOnce,
): Promise<void> {
  if (!message) {
    const requestId = laterReleaseMessage(record.body);
    // Not acted on in part: SQS delivers it again, by then to the release that sent it.
    if (requestId)
      throw new RetryLaterError(
        `request ${requestId}: a later release's message, left for SQS to deliver again`,
      );
    logger.error('dropping a provision message that is not {"requestId": "...", "snapshot"?: {...}}', {
      messageId: record.messageId,
    });
    return;
  }
  const lastAttempt = Number(record.attributes.ApproximateReceiveCount) >= queueLimits.queueMaxReceiveCount;
  try {
    publishProvisionOutcome(
      metrics,
      await provisionRequest(message.requestId, ports, lastAttempt, {
        prepared,
        recordPod,
        snapshot: message.snapshot,
        retireAgentsOf: message.retireAgentsOf,
        retireOnce,
        agent: message.agent,
      }),
      new Date(),
    );
  } catch (error) {
    // Any error, not only a RetryLaterError: a DynamoDB error reading the request on its last
    // delivery sends the message to the dead-letter queue too, and must count as a failure.
    publishProvisionRetry(metrics, lastAttempt);
    throw error;
  }
}

/**
 * The batch reads its records and takes its slots together first (prepare-batch.ts), then each
 * message goes on, and their pods are recorded together at the end (record-batch.ts). Messages saying
 * builds started share one retire of their CI's busy agents (started-build.ts).
 */
async function provisionBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // Read once here: a message's snapshot is the largest part of its body.
  const messages = new Map(
    event.Records.map((record) => [record.messageId, readProvisionMessage(record.body)]),
  );
  const prepared = await prepareBatch(
    event.Records.map(({ messageId }) => batchMessageOf(messageId, messages.get(messageId))),
    ports,
  );
  const recording = createRecordBatch(ports.requests);
  const retireOnce = retireOncePerBatch();
  return processPartialResponse(
    event,
    // Records are processed in parallel (Powertools' default), so every flow joins before any records.
    async (record: SQSRecord) => {
      const flow = recording.join();
      try {
        await provisionRecord(
          record,
          messages.get(record.messageId),
          prepared.get(record.messageId),
          flow.record,
          retireOnce,
        );
      } finally {
        flow.leave();
      }
    },
    processor,
    { context, throwOnFullBatchFailure: false },
  );
}

export const handler = middy(provisionBatch)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(refreshSecrets(runtime, logger));
