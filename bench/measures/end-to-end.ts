import type { V1Pod } from '@kubernetes/client-node';
import { renderAgentPod } from '../../shared/templates';
import { benchConfig, cancelAll, pitcrewAgentClient } from '../lib/builds';
import type { BenchSystem } from '../lib/system';
import { benchNamespace } from '../lib/system';
import { quantile, round } from '../lib/stats';
import type { Row } from '../lib/report';

const builds = 40;

/**
 * Webhook → pod created, one build at a time through the whole local system (HTTP, the webhook
 * function, SQS, the provision function, the API server), timed from the POST to the moment the
 * API server's watch reports the pod; against the bare pod-create call in the same run.
 */
export async function measureEndToEnd(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  const endToEndMs: number[] = [];
  const requestIds: string[] = [];
  const invocationsBefore = system.invocations.length;
  for (let index = 0; index < builds; index++) {
    const started = performance.now();
    const { status, requestId } = await system.sendGeneric(`e2e-${index}`, ['bench']);
    if (status !== 202 || !requestId) throw new Error(`webhook answered ${status}`);
    requestIds.push(requestId);
    await system.pods.until(() => system.pods.byRequest.has(requestId), 30_000, `the pod of ${requestId}`);
    const pod = system.pods.byRequest.get(requestId);
    endToEndMs.push((pod?.seenAt ?? performance.now()) - started);
  }

  // Where the time goes: the two functions' own time; the rest is SQS delivery and the watch.
  const functionMs = (fn: string): number =>
    quantile(
      system.invocations.slice(invocationsBefore).flatMap((call) => (call.fn === fn ? [call.ms] : [])),
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
  const p50 = quantile(endToEndMs, 0.5);
  const bareP50 = quantile(bareMs, 0.5);
  return {
    rows: [
      {
        measure: 'webhook -> pod',
        metric: 'p50',
        value: round(p50),
        unit: 'ms',
        note: `${builds} builds one at a time, POST to the pod in the API server's watch`,
      },
      { measure: 'webhook -> pod', metric: 'p99', value: round(quantile(endToEndMs, 0.99)), unit: 'ms' },
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
        metric: 'ratio (p50)',
        value: round(p50 / bareP50),
        unit: 'x',
        note: 'end to end / bare pod create',
      },
    ],
    details: { endToEndMs, bareMs, newConnectionMs, webhookMs, provisionMs },
  };
}
