import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLogger, createMetrics, createTracing, metricNames } from '../../shared/lambda';
import { refreshWebhookSecrets } from '../../shared/lambda/refresh-webhook-secrets';
import { createSqsProvisionQueue } from '../../shared/queue';
import { ciModuleOf, isCiSource } from '../../shared/sources';
import { createRuntime } from '../../shared/runtime';
import { webhookSide } from '../../shared/runtime/sources';
import { createDeliveryStore, createRequestQueries } from '../../shared/state';
import * as requests from '../../shared/state/request-store';
import { tableAccess } from '../../shared/state/table-access';
import { on } from '../../shared/ports/operation';
import { createBacklogGate, receiveWebhook, type WebhookPorts } from '../../shared/webhook';
import { isDropped, toHttpResponse } from './http-response';

// Cold start: a bad setting or config key stops the function here with a ConfigError naming it.
const runtime = await createRuntime('webhook', process.env, webhookSide);
const logger = createLogger('webhook', runtime.settings.stage);
const metrics = createMetrics('webhook', runtime.settings.stage, logger);
const tracing = await createTracing('webhook', [runtime.db, runtime.sqs], process.env);
const queries = createRequestQueries(runtime.db, runtime.settings.tableName);
// The request store's calls the webhook makes, bound one by one, so its bundle holds no others.
const table = tableAccess(runtime.db, runtime.settings.tableName);
const ports: WebhookPorts = {
  webhooks: runtime.webhooks,
  backlog: createBacklogGate({ count: queries.countBacklog, now: Date.now }),
  templates: runtime.config.templates,
  requests: {
    createIfAbsent: on(table, requests.createRequestIfAbsent),
    transition: on(table, requests.transitionRequest),
    end: on(table, requests.markRequestEnded),
  },
  deliveries: createDeliveryStore(runtime.db, runtime.settings.tableName),
  queue: createSqsProvisionQueue(runtime.sqs, runtime.settings.queueUrl),
  logger,
  now: () => new Date(),
};

/** Transport only: API Gateway event in, HTTP answer out; receiveWebhook decides. */
async function handleWebhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const outcome = await receiveWebhook({ source: event.pathParameters?.source, headers, rawBody }, ports);
  // A metric of its own, written now: its `outcome` dimension must not meet another call's.
  metrics
    .singleMetric()
    .addDimension('outcome', outcome.kind)
    .addMetric(metricNames.webhooks, MetricUnit.Count, 1);
  if (outcome.kind === 'refused')
    metrics
      .singleMetric()
      .addDimension('reason', outcome.reason)
      .addMetric(metricNames.refusedJobs, MetricUnit.Count, 1);
  const source = event.pathParameters?.source;
  const sender: { readonly disablesFailingWebhooks?: boolean } = isCiSource(source) ? ciModuleOf(source) : {};
  if (isDropped(outcome, sender))
    logger.warn(
      'delivery dropped, not failed: this CI switches a failing webhook off; the poll finds the build',
      {
        source,
        failure: outcome.kind,
      },
    );
  return toHttpResponse(outcome, sender);
}

export const handler = middy(handleWebhook)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(refreshWebhookSecrets(runtime, logger));
