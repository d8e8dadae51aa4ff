/**
 * The webhook function's baseline (bench/measures/cold-start.ts): a handler that imports and sets up
 * exactly the AWS SDK clients, Powertools utilities and middy the webhook uses, and nothing of its
 * own. What a bundle of Pitcrew's webhook costs beyond this is Pitcrew's code and other libraries.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'baseline-webhook' });
const metrics = new Metrics({ namespace: 'Baseline', serviceName: 'baseline-webhook' });
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});

export const handler = middy(async (event: { body?: string }) => {
  await db.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :p' }));
  await db.send(new GetCommand({ TableName: 't', Key: { pk: event.body } }));
  await db.send(new PutCommand({ TableName: 't', Item: { pk: event.body } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: 'q', MessageBody: event.body ?? '' }));
  metrics.addMetric('Webhooks', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { statusCode: 202 };
}).use(injectLambdaContext(logger));
