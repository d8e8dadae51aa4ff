import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLogger } from '../../shared/lambda';
import { createRuntime } from '../../shared/runtime';
import {
  createCapacityStore,
  createDeliveryStore,
  createRequestStore,
  createSettingsStore,
} from '../../shared/state';
import { receiveWebhook, type WebhookPorts } from '../../shared/webhook';
import { toHttpResponse } from './http-response';

// Cold start: a bad setting or config key stops the function here with a ConfigError naming it.
const runtime = createRuntime('webhook', process.env);
const logger = createLogger('webhook');
const ports: WebhookPorts = {
  sources: runtime.sources,
  templates: runtime.config.templates,
  globalCap: runtime.config.capacity.globalCap,
  capacity: createCapacityStore(runtime.db, runtime.settings.tableName),
  settings: createSettingsStore(runtime.db, runtime.settings.tableName),
  requests: createRequestStore(runtime.db, runtime.settings.tableName),
  deliveries: createDeliveryStore(runtime.db, runtime.settings.tableName),
  sqs: runtime.sqs,
  queueUrl: runtime.settings.queueUrl,
  logger,
  now: () => new Date(),
};

/** Transport only: API Gateway event in, HTTP answer out; receiveWebhook decides. */
async function handleWebhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  return toHttpResponse(
    await receiveWebhook({ source: event.pathParameters?.source, headers, rawBody }, ports),
  );
}

export const handler = middy(handleWebhook).use(injectLambdaContext(logger));
