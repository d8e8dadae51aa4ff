import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { BenchSystem } from '../lib/system';
import { round } from '../lib/stats';
import type { Row } from '../lib/report';
import { queueBurst } from '../lib/builds';
import type { AwsCall } from '../../infra/local/stand-ins/aws-fault-proxy';

/**
 * Public list prices, us-east-1, on-demand, as published on the AWS pricing pages in 2026
 * (https://aws.amazon.com/lambda/pricing/, /sqs/pricing/, /dynamodb/pricing/on-demand/,
 * /api-gateway/pricing/). Free tiers are left out: the figure is what a busy account pays.
 */
export const prices = {
  lambdaRequest: 0.2 / 1e6,
  /** arm64 (serverless.yml sets arm64). */
  lambdaGbSecond: 0.0000133334,
  httpApiRequest: 1.0 / 1e6,
  sqsRequest: 0.4 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
} as const;

/**
 * Request units of one call, for items under 1 KB (Pitcrew's are): a write is 1 WRU, a transactional
 * write 2 per item, a strongly consistent read 1 RRU per item, a query 1 RRU per call for the few
 * items it returns here. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html
 */
function dynamoUnits(call: AwsCall): { write: number; read: number } {
  const items = call.items ?? 1;
  switch (call.operation) {
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return { write: 1, read: 0 };
    case 'TransactWriteItems':
      return { write: 2 * items, read: 0 };
    case 'BatchGetItem':
      return { write: 0, read: items };
    default:
      return { write: 0, read: 1 };
  }
}

const sumUnits = (calls: readonly AwsCall[]): { write: number; read: number } =>
  calls.reduce(
    (sum, call) => {
      const units = dynamoUnits(call);
      return { write: sum.write + units.write, read: sum.read + units.read };
    },
    { write: 0, read: 0 },
  );

const builds = 50;

function memoryGb(): number {
  // CloudFormation tags (!Ref ...) are not YAML the parser knows; only provider.memorySize is read.
  const config = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'silent' }) as {
    provider?: { memorySize?: number };
  };
  return (config.provider?.memorySize ?? 512) / 1024;
}

const countBy = <T>(items: readonly T[], key: (item: T) => string): Record<string, number> =>
  items.reduce<Record<string, number>>(
    (counts, item) => ({ ...counts, [key(item)]: (counts[key(item)] ?? 0) + 1 }),
    {},
  );

/**
 * Cost model: 50 builds through their whole life on the local system (queued webhook, provision,
 * the pod runs, completed webhook, the reaper deletes the pod), counting every AWS request the
 * functions made and every invocation with its duration; priced per 1,000 builds. The reaper's
 * schedule is a fixed cost per month, priced from the duration of an idle run.
 */
export async function measureCost(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  await system.dev.handlers.ops({ action: 'caps', template: 'bench-capped', cap: builds }, {});
  const start = {
    dynamo: (await system.dynamo.calls()).length,
    sqs: (await system.sqs.calls()).length,
    invocations: system.invocations.length,
  };
  const requestIds = await queueBurst(system, 'cost', ['capped'], builds);
  const wanted = new Set(requestIds);
  system.dev.provisioning.resume();
  const reapUntil = async (done: () => boolean, what: string) => {
    for (let attempt = 0; attempt < 300 && !done(); attempt++) {
      await system.dev.handlers.reap({ source: 'bench' }, {});
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (!done()) throw new Error(`cost run: ${what} did not happen`);
  };
  const podsOf = () =>
    [...system.pods.pods.values()].filter((pod) => pod.requestId && wanted.has(pod.requestId));
  await system.pods
    .until(() => podsOf().length === builds, 120_000, 'the cost run pods')
    .catch(async (error) => {
      // What held them back (slots, waiting requests, the queue) is what whoever reads this needs.
      const status = await system.dev.handlers.ops({ action: 'status' }, {}).catch(() => undefined);
      throw new Error(`${(error as Error).message}; ops status: ${JSON.stringify(status)}`);
    });
  // The CI reports each build completed, as GitHub's workflow_job.completed would.
  for (let index = 0; index < builds; index++)
    await system.sendGeneric(`cost-${index}`, ['capped'], 'completed');
  await reapUntil(() => podsOf().every((pod) => pod.gone), 'the cleanup');

  const windowDynamo = (await system.dynamo.calls()).slice(start.dynamo);
  const windowSqs = (await system.sqs.calls()).slice(start.sqs);
  const invocations = system.invocations.slice(start.invocations).filter((call) => call.fn !== 'ops');
  const gb = memoryGb();

  // The schedule: one reaper run a minute, 43,200 a month, whatever the load. An idle run's calls
  // are the schedule's; the cost window ran the reaper every second, so those are taken out.
  const idleStart = { dynamo: (await system.dynamo.calls()).length, sqs: (await system.sqs.calls()).length };
  const idleRuns: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    await system.dev.handlers.reap({ source: 'bench' }, {});
    idleRuns.push(performance.now() - started);
  }
  const idleReapMs = idleRuns.sort((a, b) => a - b)[2] ?? 0;
  const idleCalls = (await system.dynamo.calls()).slice(idleStart.dynamo);
  const idleDynamoPerRun = idleCalls.length / idleRuns.length;
  const idlePerRun = countBy(idleCalls, (call) => call.operation);
  const reapRuns = invocations.filter((call) => call.fn === 'reap').length;
  const dynamoByOperation = Object.fromEntries(
    Object.entries(countBy(windowDynamo, (call) => call.operation)).map(([operation, count]) => [
      operation,
      Math.max(0, count - Math.round((reapRuns * (idlePerRun[operation] ?? 0)) / idleRuns.length)),
    ]),
  );
  const dynamoTotal = Object.values(dynamoByOperation).reduce((sum, count) => sum + count, 0);
  // SQS: what a build sends and deletes, and one receive per delivered batch. The local pollers
  // long-poll for 1 s; Lambda's own pollers wait 20 s, so their empty receives are an idle cost.
  const provisionBatches = invocations.filter((call) => call.fn === 'provision').length;
  const sqsCalls = [
    ...windowSqs.filter((call) => call.operation !== 'ReceiveMessage'),
    ...Array.from({ length: provisionBatches }, () => ({ operation: 'ReceiveMessage' })),
  ];
  const totals = {
    dynamo: dynamoByOperation,
    sqs: countBy(sqsCalls, (call) => call.operation),
    invocations: countBy(invocations, (call) => call.fn),
  };
  // The window's units, less those of the reaper runs the schedule pays for anyway.
  const windowUnits = sumUnits(windowDynamo);
  const idleUnits = sumUnits(idleCalls);
  const units = {
    write: Math.max(0, windowUnits.write - (reapRuns * idleUnits.write) / idleRuns.length),
    read: Math.max(0, windowUnits.read - (reapRuns * idleUnits.read) / idleRuns.length),
  };
  // Lambda bills each invocation rounded up to the millisecond, at the configured memory.
  const gbSeconds = invocations
    .filter((call) => call.fn !== 'reap')
    .reduce((sum, call) => sum + (Math.ceil(call.ms) / 1000) * gb, 0);
  const lambdaRequests = invocations.filter((call) => call.fn !== 'reap').length;
  const webhookRequests = invocations.filter((call) => call.fn === 'webhook').length;
  const perThousand = (total: number): number => (total / builds) * 1000;
  const cost = {
    lambda: perThousand(lambdaRequests * prices.lambdaRequest + gbSeconds * prices.lambdaGbSecond),
    httpApi: perThousand(webhookRequests * prices.httpApiRequest),
    sqs: perThousand(sqsCalls.length * prices.sqsRequest),
    dynamo: perThousand(units.write * prices.dynamoWriteUnit + units.read * prices.dynamoReadUnit),
  };
  const total = cost.lambda + cost.httpApi + cost.sqs + cost.dynamo;
  const perMonth =
    43_200 *
    (prices.lambdaRequest +
      (Math.ceil(idleReapMs) / 1000) * gb * prices.lambdaGbSecond +
      idleDynamoPerRun * prices.dynamoReadUnit);

  return {
    rows: [
      {
        measure: 'cost model',
        metric: 'per 1,000 builds',
        value: round(total, 4),
        unit: 'USD',
        note: `Lambda ${round(cost.lambda, 4)}, HTTP API ${round(cost.httpApi, 4)}, SQS ${round(cost.sqs, 4)}, DynamoDB ${round(cost.dynamo, 4)}`,
      },
      {
        measure: 'cost model',
        metric: 'AWS requests per build',
        value: round((dynamoTotal + sqsCalls.length + lambdaRequests) / builds, 1),
        unit: 'requests',
        note: `DynamoDB ${round(dynamoTotal / builds, 1)}, SQS ${round(sqsCalls.length / builds, 1)}, Lambda ${round(lambdaRequests / builds, 1)}`,
      },
      {
        measure: 'cost model',
        metric: 'reaper schedule per month',
        value: round(perMonth, 4),
        unit: 'USD',
        note: `43,200 runs of ${round(idleReapMs)} ms idle at ${gb * 1024} MB, ${round(idleDynamoPerRun, 1)} DynamoDB calls each`,
      },
    ],
    details: {
      builds,
      totals,
      units,
      gbSeconds,
      memoryGb: gb,
      prices,
      cost,
      totalPerThousand: total,
      idleReapMs,
      idleDynamoPerRun,
      reapRunsInWindow: reapRuns,
      reaperPerMonth: perMonth,
    },
  };
}
