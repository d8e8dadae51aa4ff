import { countByOperation } from '../../infra/local/stand-ins/aws-fault-proxy';
import { availableParallelism } from 'node:os';
import { queueLimits } from '../../shared/queue';
import { renderAgentPod, renderAgentSecret } from '../../shared/templates';
import type { BenchSystem } from '../lib/system';
import { benchNamespace } from '../lib/system';
import { inParallel, round, roundRatio } from '../lib/stats';
import { benchConfig, cancelAll, pitcrewAgentClient, queueBurst } from '../lib/builds';
import type { Row } from '../lib/report';
import { cpuSeconds, cpuSpent } from '../lib/cpu';
import { countOverTime, stepSeries } from '../lib/charts';

const builds = 500;
/** Builds each side runs first, untimed, to warm up (see measureBurst). */
const warmupBuilds = 100;

/**
 * Burst: 500 builds queued at once with the caps high; the time until every pod exists, as pods per
 * second, against the raw throughput of the calls Pitcrew makes per build (Pod create, then Secret
 * create) with the same client at the same concurrency (provisioners x SQS batch size). Each side runs
 * a smaller burst first, untimed, so both are measured warm.
 */
export async function measureBurst(
  system: BenchSystem,
  provisioners: number,
): Promise<{ rows: Row[]; details: object }> {
  const config = benchConfig(system);
  const template = config.templates.find((candidate) => candidate.name === 'bench-hold');
  if (!template) throw new Error('the bench-hold template is missing');
  const agents = pitcrewAgentClient(system);
  const concurrency = provisioners * queueLimits.provisionBatchSize;
  /** The raw calls Pitcrew makes per build, Pod create then Secret create, `count` builds at `concurrency`. */
  const rawBurst = async (prefix: string, count: number, onCreated: () => void): Promise<void> =>
    inParallel(
      Array.from({ length: count }, (_, index) => index),
      concurrency,
      async (index) => {
        const podName = `${prefix}-${index}`;
        const created = await agents.createPod(
          renderAgentPod({
            template,
            defaults: config.defaults,
            namespace: benchNamespace,
            podName,
            requestId: `${prefix}-${index}`,
            agentEnv: {},
          }),
        );
        onCreated();
        await agents.putSecret(
          renderAgentSecret({
            namespace: benchNamespace,
            podName,
            podUid: created.pod.metadata?.uid ?? '',
            requestId: `${prefix}-${index}`,
            secretEnv: { TOKEN: 'x' },
          }),
        );
      },
    ).then(() => undefined);

  // Both sides warmed up first, untimed: a provision container serves burst after burst, and the
  // first one in a process pays the JIT for code the raw side would then find warm.
  const warmIds = await queueBurst(system, 'burst-warmup', ['bench'], warmupBuilds);
  system.dev.provisioning.resume();
  await system.pods.until(
    () => warmIds.every((requestId) => system.pods.byRequest.has(requestId)),
    600_000,
    `${warmupBuilds} warm-up pods`,
  );
  await rawBurst('raw-warmup', warmupBuilds, () => undefined);
  await cancelAll(system, warmIds);
  await system.core
    .deleteCollectionNamespacedPod({ namespace: benchNamespace, labelSelector: 'pitcrew.dev/request-id' })
    .catch(() => undefined);

  const requestIds = await queueBurst(system, 'burst', ['bench'], builds);
  const wanted = new Set(requestIds);
  const dynamoBefore = (await system.dynamo.calls()).length;
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  system.dev.provisioning.resume();
  // Checked after every pod event: the requests still without a pod shrink as pods come. The check
  // stops at the first request still without one (the queue's order is roughly the pods'), so the
  // bench's own CPU, counted with Pitcrew's, stays flat rather than growing with the burst.
  const remaining = new Set(wanted);
  await system.pods.until(
    () => {
      for (const requestId of remaining) {
        if (!system.pods.byRequest.has(requestId)) return false;
        remaining.delete(requestId);
      }
      return true;
    },
    600_000,
    `${builds} burst pods`,
  );
  const pitcrewSeconds = (performance.now() - started) / 1000;
  const pitcrewCpu = cpuSpent(cpuBefore, cpuSeconds());
  // For the chart: when the watch first saw each build's pod.
  const pitcrewPods = countOverTime(
    requestIds.map((requestId) => (system.pods.byRequest.get(requestId)?.seenAt ?? started) - started),
  );
  const dynamoCalls = countByOperation((await system.dynamo.calls()).slice(dynamoBefore));

  const rawCpuBefore = cpuSeconds();
  const rawStarted = performance.now();
  // For the chart: when each Pod create was answered.
  const rawCreated: number[] = [];
  await rawBurst('raw-burst', builds, () => rawCreated.push(performance.now() - rawStarted));
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  const rawCpu = cpuSpent(rawCpuBefore, cpuSeconds());
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
        value: roundRatio(pitcrewRate / rawRate),
        unit: 'x',
        note: 'target >= 0.8',
      },
      {
        measure: 'burst',
        metric: 'CPU per pod, Pitcrew / raw',
        value: round(cpuTotal(pitcrewCpu) / cpuTotal(rawCpu)),
        unit: 'x',
        note: `all processes on this machine; Pitcrew's burst: ${describeCpu(pitcrewCpu)}`,
      },
      ...nodeCpuRows(pitcrewCpu, rawCpu),
      projectedRatio(pitcrewSeconds, pitcrewCpu, rawSeconds),
    ],
    details: {
      builds,
      provisioners,
      concurrency,
      pitcrewSeconds,
      rawSeconds,
      dynamoCalls,
      pitcrewCpu,
      rawCpu,
      // Pods created over time, [ms since the start, pods], for docs/images/bench-burst.svg.
      series: {
        pitcrew: stepSeries(pitcrewPods, pitcrewSeconds * 1000),
        raw: stepSeries(countOverTime(rawCreated), rawSeconds * 1000),
      },
    },
  };
}

/** The target: Pitcrew's own CPU per pod against the raw client's. */
export const nodeCpuTarget = 1.5;
const nodeProcess = 'Pitcrew (Node: functions, bench)';

/**
 * The CPU of this Node process alone, per pod (both bursts made 500): in Pitcrew's burst the
 * functions, their local SQS pollers and the bench's watch; in the raw one the client and the watch.
 * The emulators, the API server and the bench's counting proxies (processes of their own) are left out.
 */
function nodeCpuRows(pitcrewCpu: Record<string, number>, rawCpu: Record<string, number>): Row[] {
  const pitcrewMs = ((pitcrewCpu[nodeProcess] ?? 0) * 1000) / builds;
  const rawMs = ((rawCpu[nodeProcess] ?? 0) * 1000) / builds;
  return [
    {
      measure: 'burst',
      metric: "Pitcrew's Node CPU per pod",
      value: round(pitcrewMs),
      unit: 'ms',
      note: 'functions, local SQS pollers, watch; no emulator, API server or counting proxy; both sides warm',
    },
    { measure: 'burst', metric: "raw client's Node CPU per pod", value: round(rawMs), unit: 'ms' },
    {
      measure: 'burst',
      metric: 'Node CPU per pod, Pitcrew / raw',
      value: roundRatio(pitcrewMs / rawMs),
      unit: 'x',
      note: `target <= ${nodeCpuTarget}`,
    },
  ];
}

const cpuTotal = (spent: Record<string, number>): number =>
  Object.values(spent).reduce((sum, seconds) => sum + seconds, 0);

/** The biggest CPU users of a phase, as shares: where a burst's time goes on a shared machine. */
function describeCpu(spent: Record<string, number>): string {
  const total = cpuTotal(spent);
  return Object.entries(spent)
    .slice(0, 4)
    .map(([kind, seconds]) => `${kind} ${Math.round((100 * seconds) / total)}%`)
    .join(', ');
}

/** Stand-ins for services that AWS runs elsewhere: their CPU is not Pitcrew's on a deployment. */
const offBoxServers = ['DynamoDB Local', 'ElasticMQ'];

/**
 * What the ratio would be if DynamoDB and SQS did not share this machine's cores. A projection,
 * not a measurement: it assumes the burst was CPU-bound (the note prints how busy the cores were)
 * and that the time saved scales with the emulators' share of the CPU.
 */
function projectedRatio(pitcrewSeconds: number, pitcrewCpu: Record<string, number>, rawSeconds: number): Row {
  const total = cpuTotal(pitcrewCpu);
  const offBox = offBoxServers.reduce((sum, kind) => sum + (pitcrewCpu[kind] ?? 0), 0);
  const busy = total / (pitcrewSeconds * availableParallelism());
  const projectedSeconds = pitcrewSeconds * ((total - offBox) / total);
  return {
    measure: 'burst',
    metric: 'projected ratio, DynamoDB and SQS off this machine',
    value: round(rawSeconds / projectedSeconds),
    unit: 'x',
    note: `projection: cores ${Math.round(100 * busy)}% busy in the burst, emulators ${Math.round((100 * offBox) / total)}% of CPU`,
  };
}
