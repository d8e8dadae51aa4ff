import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { countByOperation } from '../../infra/local/stand-ins/aws-fault-proxy';
import { lambdaContext } from '../../infra/local/dev/lambda-context';
import { signedHeadersFor } from '../../shared/sources/signing';
import { createStateClient, keys } from '../../shared/state';
import type { BenchSystem } from '../lib/system';
import { quantile, round } from '../lib/stats';
import type { Row } from '../lib/report';

const warmup = 20;
/** What the bare sequence below makes per event. */
const bareCalls = { dynamo: 2, sqs: 1 };
/** The target: the webhook's DynamoDB calls for a new queued build. */
export const dynamoCallsTarget = 2;
const samples = 300;

function githubQueued(jobId: number, secret: string) {
  const body = JSON.stringify({
    action: 'queued',
    workflow_job: {
      id: jobId,
      run_id: jobId + 1,
      labels: ['self-hosted', 'linux', 'x64'],
      created_at: new Date().toISOString(),
    },
    // A private repository among those `pitcrew dev` allows (pitcrew/*): public ones are refused.
    repository: { name: 'bench', owner: { login: 'pitcrew' }, private: true, visibility: 'private' },
  });
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: '/webhooks/github',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': randomUUID(),
      ...signedHeadersFor('github', body, secret),
    },
    pathParameters: { source: 'github' },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/webhooks/github' } },
  };
}

/**
 * Webhook handler, warm: a signed GitHub `queued` event through the real handler in-process
 * (verify, parse, dedupe, record, enqueue), against the bare AWS calls it makes, in the same run
 * with the same endpoints: the ratio is what Pitcrew adds on top of the calls it cannot avoid.
 */
export async function measureWebhook(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  const { dev } = system;
  // Nothing provisions meanwhile: the measure is the webhook alone.
  await dev.provisioning.pause();
  const secret = dev.info.secrets.github ?? '';
  const handler = dev.handlers.webhook as unknown as (
    event: unknown,
    context: unknown,
  ) => Promise<{ statusCode?: number }>;
  const handlerMs: number[] = [];
  const callsBefore = {
    dynamo: (await system.dynamo.calls()).length,
    sqs: (await system.sqs.calls()).length,
  };
  for (let index = 0; index < warmup + samples; index++) {
    const event = githubQueued(1_000_000 + index, secret);
    const started = performance.now();
    const answer = await handler(event, lambdaContext('webhook'));
    const elapsed = performance.now() - started;
    if (answer.statusCode !== 202) throw new Error(`webhook answered ${answer.statusCode}`);
    if (index >= warmup) handlerMs.push(elapsed);
  }
  const events = warmup + samples;
  const dynamoCalls = (await system.dynamo.calls()).slice(callsBefore.dynamo);
  const perEvent = {
    dynamo: dynamoCalls.length / events,
    sqs: ((await system.sqs.calls()).length - callsBefore.sqs) / events,
  };
  // The backlog count is a Query a container makes once per 5 s (shared/webhook/backlog.ts), not one
  // a build needs: the target counts the calls each build makes.
  const backlogQueries = countByOperation(dynamoCalls).Query ?? 0;
  const dynamoPerBuild = (dynamoCalls.length - backlogQueries) / events;

  // The same calls, bare, in the handler's order (shared/webhook/receive-webhook.ts): put the request
  // record (conditional), send the message, put the delivery marker.
  // The backlog count (a Query, reused for 5 s: shared/webhook/backlog.ts) adds a fraction per event.
  if (Math.abs(perEvent.dynamo - bareCalls.dynamo) > 0.1 || perEvent.sqs !== bareCalls.sqs)
    throw new Error(
      `the webhook makes ${perEvent.dynamo} DynamoDB and ${perEvent.sqs} SQS calls per event, the bare sequence ${bareCalls.dynamo} and ${bareCalls.sqs}: update it`,
    );
  const region = 'us-east-1';
  const db = createStateClient({ region, endpoint: system.dynamo.endpoint });
  const sqs = new SQSClient({ region, endpoint: system.sqs.endpoint });
  const table = dev.info.dynamodb.tableName;
  const bareMs: number[] = [];
  for (let index = 0; index < warmup + samples; index++) {
    const id = `bare-${randomUUID()}`;
    const started = performance.now();
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.request(id), status: 'bench', statusSince: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dev.info.sqs.queueUrl,
        MessageBody: JSON.stringify({ requestId: id }),
      }),
    );
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...keys.delivery('github', id), expiresAt: 1 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (index >= warmup) bareMs.push(performance.now() - started);
  }
  // Leave nothing for the provisioners: the measures after this one start from an empty queue.
  await sqs.send(new PurgeQueueCommand({ QueueUrl: dev.info.sqs.queueUrl }));
  db.destroy();
  sqs.destroy();
  dev.provisioning.resume();

  const p50 = quantile(handlerMs, 0.5);
  const bareP50 = quantile(bareMs, 0.5);
  return {
    rows: [
      {
        measure: 'webhook handler',
        metric: 'p50',
        value: round(p50),
        unit: 'ms',
        note: `${samples} signed GitHub queued events, warm`,
      },
      { measure: 'webhook handler', metric: 'p99', value: round(quantile(handlerMs, 0.99)), unit: 'ms' },
      {
        measure: 'webhook handler',
        metric: 'bare AWS calls p50',
        value: round(bareP50),
        unit: 'ms',
        note: `${bareCalls.dynamo} DynamoDB + ${bareCalls.sqs} SQS calls per event, made bare (the handler: ${round(perEvent.dynamo, 2)} DynamoDB, with its backlog count every 5 s)`,
      },
      {
        measure: 'webhook handler',
        metric: 'bare AWS calls p99',
        value: round(quantile(bareMs, 0.99)),
        unit: 'ms',
      },
      {
        measure: 'webhook handler',
        metric: 'DynamoDB calls per new queued build',
        value: round(dynamoPerBuild, 2),
        unit: 'calls',
        note: `target <= ${dynamoCallsTarget}; and the backlog count: ${backlogQueries} Queries in ${events} events`,
      },
      {
        measure: 'webhook handler',
        metric: 'overhead ratio (p50)',
        value: round(p50 / bareP50),
        unit: 'x',
        note: 'handler / bare calls',
      },
    ],
    details: { handlerMs, bareMs, awsCallsPerEvent: perEvent },
  };
}
