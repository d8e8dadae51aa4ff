import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { V1Pod } from '@kubernetes/client-node';
import { createStateClient } from '../../shared/state';
import { renderAgentPod } from '../../shared/templates';
import { bareChainCalls } from '../lib/bare-chain';
import { benchConfig, cancelAll, pitcrewAgentClient } from '../lib/builds';
import type { BenchSystem } from '../lib/system';
import { benchNamespace } from '../lib/system';
import { quantile, round, roundRatio } from '../lib/stats';
import type { Row } from '../lib/report';
import { callsOnPath, describePath, type PathWindow } from '../lib/path-calls';

const builds = 40;
/** Untimed builds first, on each side: the functions, like a warm Lambda container, have run before. */
const warmup = 5;

/** The target: Pitcrew's webhook -> pod p50 against the bare chain's. */
export const endToEndTarget = 1.5;

/** Idle time after each build, on both sides, so that a build finds the system as a lone build would. */
const idleMs = 50;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** The proxies' clock (bench/lib/path-calls.ts): ms since the epoch, from this process's performance.now(). */
const clock = (now: number): number => performance.timeOrigin + now;

async function waitFor(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * The calls no design can skip between a CI's event and its pod, made bare, one build at a time: one
 * conditional write of the request, one SendMessage, the receive of a long poll already waiting on
 * its own queue, one conditional slot write, one pod create; timed, like Pitcrew's, to the moment
 * the API server's watch reports the pod. Same endpoints (the counting proxies), client and pod spec.
 */
async function timeBareChain(
  system: BenchSystem,
  create: (pod: V1Pod) => Promise<unknown>,
  render: (name: string) => V1Pod,
  reservation: 'update' | 'transaction' = 'update',
): Promise<{ times: number[]; windows: PathWindow[] }> {
  const prefix = reservation === 'update' ? 'bare-chain' : 'bare-chain-tx';
  const region = 'us-east-1';
  const db = createStateClient({ region, endpoint: system.dynamo.endpoint });
  const sqs = new SQSClient({ region, endpoint: system.sqs.endpoint });
  const table = system.dev.info.dynamodb.tableName;
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${prefix}` }));
  const calls = bareChainCalls(table);
  const templateCounter = `bench-${prefix}-counter`;
  const counters = [templateCounter, `bench-${prefix}-global`];
  for (const counter of counters) await db.send(calls.counter(counter));
  const times: number[] = [];
  const windows: PathWindow[] = [];
  try {
    for (let index = 0; index < warmup + builds; index++) {
      const id = `${prefix}-${index}`;
      const waiting = sqs.send(calls.waitingReceive(QueueUrl));
      // Let the long poll reach the queue before the clock starts, as Lambda's pollers always wait.
      await sleep(20);
      const started = performance.now();
      await db.send(calls.putRequest(id));
      await sqs.send(calls.message(QueueUrl, id));
      const { Messages = [] } = await waiting;
      if (Messages.length !== 1) throw new Error('the bare chain lost its message');
      if (reservation === 'update') await db.send(calls.takeSlot(templateCounter));
      // As Pitcrew reserves: the template's and the global counter and the request's move, together.
      else await db.send(calls.takeSlotAndMove(counters, id));
      await create(render(id));
      await system.pods.until(() => system.pods.byRequest.has(id), 30_000, `the bare chain's pod ${id}`);
      const seen = system.pods.byRequest.get(id)?.seenAt ?? performance.now();
      if (index >= warmup) {
        times.push(seen - started);
        windows.push({ start: clock(started), end: clock(seen) });
      }
      await sleep(idleMs);
    }
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    db.destroy();
    sqs.destroy();
  }
  return { times, windows };
}

/**
 * Webhook → pod created, one build at a time through the whole local system (HTTP, the webhook
 * function, SQS, the provision function, the API server), timed from the POST to the moment the
 * API server's watch reports the pod; against the bare pod-create call in the same run.
 */
export async function measureEndToEnd(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  const endToEndMs: number[] = [];
  const backToBackMs: number[] = [];
  const windows: PathWindow[] = [];
  const requestIds: string[] = [];
  const provisionCalls = (): number => system.invocations.filter((call) => call.fn === 'provision').length;
  /** One build through the whole system, timed; `settle` waits, after its pod, for the rest of its work. */
  const oneBuild = async (name: string, settle: boolean): Promise<{ ms: number; window: PathWindow }> => {
    const provisionsBefore = provisionCalls();
    const started = performance.now();
    const { status, requestId } = await system.sendGeneric(name, ['bench']);
    if (status !== 202 || !requestId) throw new Error(`webhook answered ${status}`);
    requestIds.push(requestId);
    await system.pods.until(() => system.pods.byRequest.has(requestId), 30_000, `the pod of ${requestId}`);
    const seen = system.pods.byRequest.get(requestId)?.seenAt ?? performance.now();
    if (settle) {
      await waitFor(() => provisionCalls() > provisionsBefore, `the provision call of ${requestId} to end`);
      // Then its message's delete, which the poller makes after the call (nothing else runs meanwhile).
      const deleted = async (): Promise<boolean> =>
        (await system.sqs.calls()).some(
          (call) => call.operation === 'DeleteMessageBatch' && (call.at ?? 0) >= clock(started),
        );
      await waitFor(deleted, `the delete of the message of ${requestId}`);
      // And the poller back on its long poll, as a Lambda poller would be.
      await sleep(idleMs);
    }
    return { ms: seen - started, window: { start: clock(started), end: clock(seen) } };
  };
  let invocationsBefore = system.invocations.length;
  for (let index = 0; index < warmup + builds; index++) {
    if (index === warmup) invocationsBefore = system.invocations.length;
    const { ms, window } = await oneBuild(`e2e-${index}`, true);
    if (index >= warmup) {
      endToEndMs.push(ms);
      windows.push(window);
    }
  }
  // The functions' own time, of the settled builds only.
  const invocationsAfter = system.invocations.length;
  // As the measure ran before it settled builds: each sent once the previous pod appeared, while
  // that build's provision call was still recording it (its Secret, its record, the message's delete).
  for (let index = 0; index < builds; index++)
    backToBackMs.push((await oneBuild(`e2e-b2b-${index}`, false)).ms);

  // Where the time goes: the two functions' own time; the rest is SQS delivery and the watch.
  const functionMs = (fn: string): number =>
    quantile(
      system.invocations
        .slice(invocationsBefore, invocationsAfter)
        .flatMap((call) => (call.fn === fn ? [call.ms] : [])),
      0.5,
    );
  const webhookMs = functionMs('webhook');
  const provisionMs = functionMs('provision');

  const config = benchConfig(system);
  const template = config.templates.find((candidate) => candidate.name === 'bench-hold');
  if (!template) throw new Error('the bench-hold template is missing');
  const agents = pitcrewAgentClient(system);
  /** Times `create` for `builds` pods of the bench template, one at a time. */
  const timeCreates = async (prefix: string, create: (pod: V1Pod) => Promise<unknown>): Promise<number[]> => {
    const times: number[] = [];
    for (let index = 0; index < builds; index++) {
      const pod = renderAgentPod({
        template,
        defaults: config.defaults,
        namespace: benchNamespace,
        podName: `${prefix}-${index}`,
        requestId: `${prefix}-${index}`,
        agentEnv: {},
      });
      const started = performance.now();
      await create(pod);
      times.push(performance.now() - started);
    }
    return times;
  };
  const bareMs = await timeCreates('bare-e2e', (pod) => agents.createPod(pod));
  const renderBare = (name: string): V1Pod =>
    renderAgentPod({
      template,
      defaults: config.defaults,
      namespace: benchNamespace,
      podName: name,
      requestId: name,
      agentEnv: {},
    });
  const { times: chainMs } = await timeBareChain(system, (pod) => agents.createPod(pod), renderBare);
  const { times: transactionalChainMs, windows: bareWindows } = await timeBareChain(
    system,
    (pod) => agents.createPod(pod),
    renderBare,
    'transaction',
  );
  // The same calls through client-node's own client, which opens a new connection for every call:
  // what Pitcrew's client did before it reused connections (shared/cluster/client.ts), same run.
  const newConnectionMs = await timeCreates('bare-fresh', (body) =>
    system.core.createNamespacedPod({ namespace: benchNamespace, body }),
  );

  // Leave nothing behind for the measures after this one (the reaper would find these pods stuck).
  await cancelAll(system, requestIds);
  await system.core
    .deleteCollectionNamespacedPod({ namespace: benchNamespace, labelSelector: 'pitcrew.dev/request-id' })
    .catch(() => undefined);
  // Every DynamoDB and SQS call on the two paths, as the proxies saw them: when, and the server's time.
  const awsCalls = [...(await system.dynamo.calls()), ...(await system.sqs.calls())];
  const pitcrewPath = callsOnPath(awsCalls, windows);
  const barePath = callsOnPath(awsCalls, bareWindows);
  const p50 = quantile(endToEndMs, 0.5);
  const bareP50 = quantile(bareMs, 0.5);
  const chainP50 = quantile(chainMs, 0.5);
  const transactionalP50 = quantile(transactionalChainMs, 0.5);
  return {
    rows: [
      {
        measure: 'webhook -> pod',
        metric: 'p50',
        value: round(p50),
        unit: 'ms',
        note: `${builds} builds one at a time after ${warmup} untimed, POST to the pod in the API server's watch; each sent once the previous one's provision call ended and its message was deleted`,
      },
      { measure: 'webhook -> pod', metric: 'p99', value: round(quantile(endToEndMs, 0.99)), unit: 'ms' },
      {
        measure: 'webhook -> pod',
        metric: 'p50 back to back',
        value: round(quantile(backToBackMs, 0.5)),
        unit: 'ms',
        note: "each build sent as the previous pod appears, that build's Secret, record and delete still running (the measure before 2026-12-03)",
      },
      {
        measure: 'webhook -> pod',
        metric: 'calls on the path (p50)',
        value: pitcrewPath.length,
        unit: 'calls',
        note: `ms from the POST to the server, (the proxy's round trip to the server): ${describePath(pitcrewPath)}`,
      },
      {
        measure: 'webhook -> pod',
        metric: 'webhook function p50',
        value: round(webhookMs),
        unit: 'ms',
        note: 'its answer is part of the time above',
      },
      {
        measure: 'webhook -> pod',
        metric: 'provision function p50',
        value: round(provisionMs),
        unit: 'ms',
        note: 'part runs after the pod exists (Secret, record, message delete)',
      },
      {
        measure: 'webhook -> pod',
        metric: 'bare pod create p50',
        value: round(bareP50),
        unit: 'ms',
        note: 'the same client and pod spec',
      },
      {
        measure: 'webhook -> pod',
        metric: 'bare pod create p99',
        value: round(quantile(bareMs, 0.99)),
        unit: 'ms',
      },
      {
        measure: 'webhook -> pod',
        metric: 'bare pod create p50, new connection per call',
        value: round(quantile(newConnectionMs, 0.5)),
        unit: 'ms',
        note: `client-node's default; ${round(quantile(newConnectionMs, 0.5) / bareP50)}x Pitcrew's reused connection`,
      },
      {
        measure: 'webhook -> pod',
        metric: 'bare chain p50',
        value: round(chainMs.length > 0 ? chainP50 : 0),
        unit: 'ms',
        note: 'conditional put, SendMessage, a waiting long poll, conditional slot update, pod create, to the watch',
      },
      {
        measure: 'webhook -> pod',
        metric: 'ratio to the bare chain (p50)',
        value: roundRatio(p50 / chainP50),
        unit: 'x',
        note: `target <= ${endToEndTarget}`,
      },
      {
        measure: 'webhook -> pod',
        metric: 'bare chain p50, slot taken as Pitcrew takes it',
        value: round(transactionalP50),
        unit: 'ms',
        note: 'the same chain with the slot write a transaction: two counters and the request, as the cap guarantee needs',
      },
      {
        measure: 'webhook -> pod',
        metric: 'calls on that chain (p50)',
        value: barePath.length,
        unit: 'calls',
        note: `ms from its start to the server, (the proxy's round trip to the server): ${describePath(barePath)}`,
      },
      {
        measure: 'webhook -> pod',
        metric: 'ratio to that chain (p50)',
        value: round(p50 / transactionalP50),
        unit: 'x',
        note: "what Pitcrew adds beyond its calls: the HTTP hop, the functions' framework, the webhook's delivery marker beside the path, the settings' check in the slot's transaction",
      },
      {
        measure: 'webhook -> pod',
        metric: 'ratio to a bare pod create (p50)',
        value: round(p50 / bareP50),
        unit: 'x',
        note: 'end to end / bare pod create',
      },
    ],
    details: {
      endToEndMs,
      backToBackMs,
      bareMs,
      chainMs,
      transactionalChainMs,
      newConnectionMs,
      webhookMs,
      provisionMs,
      pitcrewPath,
      barePath,
    },
  };
}
