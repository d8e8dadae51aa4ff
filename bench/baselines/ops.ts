/**
 * The ops function's baseline (bench/measures/cold-start.ts): exactly the AWS SDK clients, Powertools
 * logger and middy it uses, and nothing of its own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'baseline-ops' });
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});

export const handler = middy(async (event: { action?: string }) => {
  await db.send(new GetCommand({ TableName: 't', Key: { pk: event.action } }));
  await db.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :p' }));
  await db.send(new UpdateCommand({ TableName: 't', Key: { pk: event.action } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: 'q', MessageBody: '{}' }));
  return { ok: true };
}).use(injectLambdaContext(logger));
