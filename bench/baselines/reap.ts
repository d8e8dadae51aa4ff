/**
 * The reap function's baseline (bench/measures/cold-start.ts): exactly the AWS SDK clients,
 * Powertools utilities and middy it uses, and nothing of its own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'baseline-reap' });
const metrics = new Metrics({ namespace: 'Baseline', serviceName: 'baseline-reap' });
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});

export const handler = middy(async () => {
  await db.send(new UpdateCommand({ TableName: 't', Key: { pk: 'lease' } }));
  await db.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :p' }));
  await sqs.send(new SendMessageCommand({ QueueUrl: 'q', MessageBody: '{}' }));
  metrics.addMetric('ReaperRuns', MetricUnit.Count, 1);
  return {};
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
