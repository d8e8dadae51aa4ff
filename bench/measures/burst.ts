import { queueLimits } from '../../shared/queue';
import { renderAgentPod, renderAgentSecret } from '../../shared/templates';
import type { BenchSystem } from '../lib/system';
import { benchNamespace } from '../lib/system';
import { inParallel, round } from '../lib/stats';
import { benchConfig, cancelAll, pitcrewAgentClient, queueBurst } from '../lib/builds';
import type { Row } from '../lib/report';

const builds = 500;

/**
 * Burst: 500 builds queued at once with the caps high; the time until every pod exists, as pods per
 * second, against the raw throughput of the calls Pitcrew makes per build (Pod create, then Secret
 * create) with the same client at the same concurrency (provisioners x SQS batch size).
 */
export async function measureBurst(
  system: BenchSystem,
  provisioners: number,
): Promise<{ rows: Row[]; details: object }> {
  const requestIds = await queueBurst(system, 'burst', ['bench'], builds);
  const wanted = new Set(requestIds);
  const dynamoBefore = system.dynamo.calls.length;
  const started = performance.now();
  system.dev.provisioning.resume();
  await system.pods.until(
    () =>
      [...system.pods.pods.values()].filter((pod) => pod.requestId && wanted.has(pod.requestId)).length ===
      builds,
    600_000,
    `${builds} burst pods`,
  );
  const pitcrewSeconds = (performance.now() - started) / 1000;
  const dynamoCalls = system.dynamo.calls
    .slice(dynamoBefore)
    .reduce<Record<string, number>>(
      (counts, call) => ({ ...counts, [call.operation]: (counts[call.operation] ?? 0) + 1 }),
      {},
    );

  const concurrency = provisioners * queueLimits.provisionBatchSize;
  const config = benchConfig(system);
  const template = config.templates.find((candidate) => candidate.name === 'bench-hold');
  if (!template) throw new Error('the bench-hold template is missing');
  const agents = pitcrewAgentClient(system);
  const rawStarted = performance.now();
  await inParallel(
    Array.from({ length: builds }, (_, index) => index),
    concurrency,
    async (index) => {
      const podName = `raw-burst-${index}`;
      const created = await agents.createPod(
        renderAgentPod({
          template,
          defaults: config.defaults,
          namespace: benchNamespace,
          podName,
          requestId: `raw-${index}`,
          agentEnv: {},
        }),
      );
      await agents.putSecret(
        renderAgentSecret({
          namespace: benchNamespace,
          podName,
          podUid: created.pod.metadata?.uid ?? '',
          requestId: `raw-${index}`,
          secretEnv: { TOKEN: 'x' },
        }),
      );
    },
  );
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  await cancelAll(system, requestIds);
  await system.core
    .deleteCollectionNamespacedPod({ namespace: benchNamespace, labelSelector: 'pitcrew.dev/request-id' })
    .catch(() => undefined);

  const pitcrewRate = builds / pitcrewSeconds;
  const rawRate = builds / rawSeconds;
  return {
    rows: [
      {
        measure: 'burst',
        metric: 'time to all pods',
        value: round(pitcrewSeconds),
        unit: 's',
        note: `${builds} builds, ${provisioners} provisioners x batch ${queueLimits.provisionBatchSize}`,
      },
      { measure: 'burst', metric: 'Pitcrew throughput', value: round(pitcrewRate), unit: 'pods/s' },
      {
        measure: 'burst',
        metric: 'raw Pod+Secret throughput',
        value: round(rawRate),
        unit: 'pods/s',
        note: `same client, concurrency ${concurrency}`,
      },
      {
        measure: 'burst',
        metric: 'ratio Pitcrew / raw',
        value: round(pitcrewRate / rawRate),
        unit: 'x',
        note: 'target >= 0.8',
      },
    ],
    details: { builds, provisioners, concurrency, pitcrewSeconds, rawSeconds, dynamoCalls },
  };
}
