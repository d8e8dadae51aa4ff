/**
 * The provision function's baseline (bench/measures/cold-start.ts): exactly the AWS SDK clients,
 * Powertools utilities (logger, metrics, batch) and middy it uses, and nothing of its own.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const logger = new Logger({ serviceName: 'baseline-provision' });
const metrics = new Metrics({ namespace: 'Baseline', serviceName: 'baseline-provision' });
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});
const processor = new BatchProcessor(EventType.SQS);

async function record(item: SQSRecord): Promise<void> {
  await db.send(new TransactWriteCommand({ TransactItems: [] }));
  await db.send(new UpdateCommand({ TableName: 't', Key: { pk: item.messageId } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: 'q', MessageBody: item.body }));
  metrics.addMetric('Provisioned', MetricUnit.Count, 1);
}

export const handler = middy(async (event: SQSEvent, context: Context) => {
  await db.send(new BatchGetCommand({ RequestItems: {} }));
  return processPartialResponse(event, record, processor, { context });
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
