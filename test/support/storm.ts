import type { SQSClient } from '@aws-sdk/client-sqs';
import { Watch, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollOnce, type SqsHandler } from '../../infra/local/dev/sqs-poller';
import type { ReapReport } from '../../shared/reap';
import { isTerminal } from '../../shared/requests';
import type { CapacityStore, RequestStore } from '../../shared/state';
import { managedSelector, pitcrewLabels } from '../../shared/templates';
import { deliveryFor, requestIdOf, type Build, type BuildAction, type Delivery } from './builds';
import { steerPod } from './kube';

/**
 * A storm of CI traffic against the real handlers and servers: many queued builds, some delivered
 * twice, some out of order (completed before queued), some cancelled at random; several provisioners
 * and reapers at once; a CI simulator that starts each build on its agent once the pod runs and has
 * kwok end the pod at random. A watch on the namespace sees every pod Pitcrew creates, so "ran
 * exactly once" and "never over the cap" are measured at every change, not guessed at the end.
 */
export interface StormSystem {
  readonly namespace: string;
  readonly core: CoreV1Api;
  readonly kubeConfig: KubeConfig;
  readonly requests: RequestStore;
  readonly capacity: CapacityStore;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly jenkinsUrl: string;
  /** POSTs one delivery through the real webhook handler, signed. */
  sendWebhook(delivery: Delivery): Promise<{ statusCode: number }>;
  /** One provision handler per "container". */
  readonly provisioners: readonly SqsHandler[];
  /** One reap handler per "container". */
  readonly reapers: readonly (() => Promise<ReapReport>)[];
  readonly caps: { readonly global: number; readonly templates: Readonly<Record<string, number>> };
}

export interface StormOptions {
  readonly builds: number;
  readonly duplicateRate?: number;
  readonly outOfOrderRate?: number;
  readonly cancelRate?: number;
  /** Share of builds whose agent exits with an error (the build still ran once). */
  readonly agentFailureRate?: number;
  /** Webhooks in flight at once while queueing. */
  readonly senders?: number;
  /** How long a started build runs before kwok ends its pod, at most. */
  readonly maxRunMs?: number;
  readonly reapEveryMs?: number;
  /** Give up waiting for the storm to settle after this long. */
  readonly deadlineMs?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

type Plan = 'run' | 'cancel' | 'out-of-order';

interface BuildState {
  readonly build: Build;
  readonly requestId: string;
  readonly plan: Plan;
  readonly duplicate: boolean;
  /** Pods created for it (distinct uids), and how often the CI started it on an agent. */
  readonly podUids: Set<string>;
  starts: number;
  cancelled: boolean;
  /** The CI sent its last word (completed or cancelled). */
  ended: boolean;
  /** Its agent exited with an error (the build failed on it, or was aborted there by a cancel). */
  agentFailed: boolean;
}

export interface StormReport {
  readonly builds: number;
  readonly plans: Record<Plan, number>;
  readonly duplicatesSent: number;
  readonly webhooks: number;
  readonly webhookErrors: number;
  readonly durationMs: number;
  readonly settled: boolean;
  /** Builds that should have run: how many ran once, never, or more than once. */
  readonly ranOnce: number;
  readonly neverRan: string[];
  readonly ranTwice: string[];
  /** Cancelled builds that still ran (cancelled after their agent took them): allowed. */
  readonly cancelledButRan: number;
  /** Out-of-order and cancelled builds with a second pod, or out-of-order builds with any: none allowed. */
  readonly extraPods: string[];
  readonly podsCreated: number;
  readonly podsLeft: number;
  readonly activeRequestsLeft: number;
  /** Requests that ended failed although their agent did not fail: none allowed. */
  readonly failedRequests: number;
  /**
   * Requests that ended failed because the reaper found their agent exited with an error before the
   * CI's last word came: allowed, that is what happened to the build.
   */
  readonly failedWithFailedAgent: number;
  readonly countersAtEnd: { readonly global: number; readonly templates: Readonly<Record<string, number>> };
  readonly maxLivePods: number;
  readonly maxLivePodsByTemplate: Readonly<Record<string, number>>;
  /** Samples of the live agent pods (Pending or Running, not being deleted), at every change the watch saw. */
  readonly capSamples: number;
  /** Samples with more live agents of builds the CI still wants than the global or a template's cap. */
  readonly overCap: number;
  /** The same counting every live pod, also agents of builds that just ended, not yet deleted. */
  readonly maxLivePodsWithEnded: number;
  readonly overCapWithEnded: number;
  /** The slot counters, read every 200 ms. */
  readonly maxSlots: number;
  readonly slotSamples: number;
  readonly slotsOverCap: number;
  readonly provisionBatches: number;
  readonly provisionFailures: number;
  readonly reapRuns: number;
  readonly reapSkipped: number;
}

/** A small seeded generator (mulberry32), so a storm can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Failed because the reaper found the build's agent exited with an error before the CI's last word
 * came: the reaper's own reason, for a build whose agent the storm made fail. Any other failure is a bug.
 */
const failedByItsAgent = (record: { reason?: string } | undefined, state: BuildState | undefined): boolean =>
  state?.agentFailed === true && (record?.reason ?? '').startsWith('finished: the agent exited with code');

const live = (pod: V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp && (pod.status?.phase ?? 'Pending') in { Pending: 1, Running: 1 };

export async function runStorm(system: StormSystem, options: StormOptions): Promise<StormReport> {
  const rand = random(options.seed ?? 1);
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const sources = ['generic', 'jenkins', 'github'] as const;
  const builds: BuildState[] = Array.from({ length: options.builds }, (_, index) => {
    const build: Build = { source: sources[index % 3]!, id: 1_000_000 + index };
    const roll = rand();
    const outOfOrder = options.outOfOrderRate ?? 0.05;
    const plan: Plan =
      roll < outOfOrder ? 'out-of-order' : roll < outOfOrder + (options.cancelRate ?? 0.1) ? 'cancel' : 'run';
    return {
      build,
      requestId: requestIdOf(build, system.jenkinsUrl),
      plan,
      duplicate: rand() < (options.duplicateRate ?? 0.1),
      podUids: new Set<string>(),
      starts: 0,
      cancelled: false,
      ended: plan === 'out-of-order',
      agentFailed: false,
    };
  });
  const byRequest = new Map(builds.map((state) => [state.requestId, state]));
  const counts = {
    webhooks: 0,
    webhookErrors: 0,
    duplicates: 0,
    batches: 0,
    batchFailures: 0,
    reaps: 0,
    skipped: 0,
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };

  async function send(
    state: BuildState,
    action: BuildAction,
    extra: { agentFailed?: boolean } = {},
  ): Promise<void> {
    const delivery = deliveryFor(state.build, action);
    if (state.build.source === 'github' && action === 'completed' && extra.agentFailed)
      (delivery.body.workflow_job as Record<string, unknown>).conclusion = 'failure';
    const copies = state.duplicate ? 2 : 1;
    await Promise.all(
      Array.from({ length: copies }, async (_, copy) => {
        if (copy > 0) {
          counts.duplicates += 1;
          await sleep(Math.floor(rand() * 300));
        }
        // A CI retries a delivery that got a 5xx, with the same delivery id.
        for (let attempt = 0; attempt < 5; attempt++) {
          counts.webhooks += 1;
          const answer = await system.sendWebhook(delivery).catch(() => ({ statusCode: 599 }));
          if (answer.statusCode < 500) return;
          counts.webhookErrors += 1;
          await sleep(200);
        }
      }),
    );
  }

  // ---- the cluster, seen through one watch -------------------------------------------------------
  const pods = new Map<string, V1Pod>();
  const caps = {
    samples: 0,
    over: 0,
    overAll: 0,
    maxLive: 0,
    maxLiveAll: 0,
    maxByTemplate: {} as Record<string, number>,
  };
  /** Whether these live pods are over a cap, and how many there are. */
  function overCaps(livePods: readonly V1Pod[]): { over: boolean; byTemplate: Record<string, number> } {
    const byTemplate: Record<string, number> = {};
    for (const pod of livePods) {
      const template = pod.metadata?.labels?.[pitcrewLabels.template] ?? '?';
      byTemplate[template] = (byTemplate[template] ?? 0) + 1;
    }
    const over =
      livePods.length > system.caps.global ||
      Object.entries(byTemplate).some(
        ([template, count]) => count > (system.caps.templates[template] ?? Number.POSITIVE_INFINITY),
      );
    return { over, byTemplate };
  }
  /**
   * At every change: the agents of builds the CI still wants (what the caps bound), and every live
   * pod, including agents of builds the CI just ended that the reaper has not deleted yet.
   */
  function sampleCaps(): void {
    const all = [...pods.values()].filter(live);
    const wanted = all.filter((pod) => {
      const state = byRequest.get(pod.metadata?.labels?.[pitcrewLabels.requestId] ?? '');
      return state !== undefined && !state.cancelled && !state.ended;
    });
    caps.samples += 1;
    caps.maxLive = Math.max(caps.maxLive, wanted.length);
    caps.maxLiveAll = Math.max(caps.maxLiveAll, all.length);
    const checked = overCaps(wanted);
    if (checked.over) caps.over += 1;
    if (overCaps(all).over) caps.overAll += 1;
    for (const [template, count] of Object.entries(checked.byTemplate))
      caps.maxByTemplate[template] = Math.max(caps.maxByTemplate[template] ?? 0, count);
  }

  const startedPods = new Set<string>();
  const endedPods = new Set<string>();
  function onPod(type: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (type === 'DELETED') pods.delete(uid);
    else pods.set(uid, pod);
    sampleCaps();
    const state = byRequest.get(pod.metadata?.labels?.[pitcrewLabels.requestId] ?? '');
    if (!state || type === 'DELETED') return;
    state.podUids.add(uid);
    const phase = pod.status?.phase;
    // The CI hands the build to the agent once it runs, unless the build ended or went elsewhere.
    if (phase === 'Running' && !startedPods.has(uid) && !state.cancelled && !state.ended) {
      startedPods.add(uid);
      track(startBuild(state, pod));
    }
    if ((phase === 'Succeeded' || phase === 'Failed') && startedPods.has(uid) && !endedPods.has(uid)) {
      endedPods.add(uid);
      track(finishBuild(state, phase === 'Failed'));
    }
  }

  async function startBuild(state: BuildState, pod: V1Pod): Promise<void> {
    // The agent connects and the CI hands it the build a moment later (a cancel may come between).
    await sleep(Math.floor(rand() * 400));
    if (state.cancelled || state.ended) return;
    state.starts += 1;
    await send(state, 'started');
    await sleep(Math.floor(rand() * (options.maxRunMs ?? 1500)));
    const failed = rand() < (options.agentFailureRate ?? 0.05);
    await steerPod(system.core, system.namespace, pod.metadata?.name ?? '', {
      outcome: failed ? 'failed' : 'succeeded',
    }).catch(() => undefined);
  }

  async function finishBuild(state: BuildState, agentFailed: boolean): Promise<void> {
    if (state.ended) return;
    state.ended = true;
    state.agentFailed = agentFailed;
    await send(state, state.cancelled ? 'cancelled' : 'completed', { agentFailed });
  }

  /**
   * Half the cancellations come while the build waits for its agent (queued, waiting, or while its
   * agent is made); the other half once its pod exists: before or after the CI started it there.
   */
  async function cancelLater(state: BuildState): Promise<void> {
    if (rand() < 0.5) await sleep(Math.floor(rand() * 1500));
    else {
      while (!state.ended && state.podUids.size === 0) await sleep(50);
      await sleep(Math.floor(rand() * 600));
    }
    if (state.ended) return;
    state.cancelled = true;
    // A build already on its agent is aborted there first; the agent exits and the CI then says so.
    const running = [...pods.values()].find(
      (pod) =>
        pod.metadata?.labels?.[pitcrewLabels.requestId] === state.requestId &&
        startedPods.has(pod.metadata?.uid ?? ''),
    );
    if (running) {
      await steerPod(system.core, system.namespace, running.metadata?.name ?? '', {
        outcome: 'failed',
      }).catch(() => undefined);
      return;
    }
    state.ended = true;
    await send(state, 'cancelled');
  }

  const watch = new Watch(system.kubeConfig);
  let watching = true;
  let abort: AbortController | undefined;
  const startWatch = async (): Promise<void> => {
    abort = await watch.watch(
      `/api/v1/namespaces/${system.namespace}/pods`,
      { labelSelector: managedSelector },
      (type, pod: V1Pod) => onPod(type, pod),
      () => {
        if (watching) void startWatch();
      },
    );
  };
  await startWatch();

  // ---- the slots, sampled from the counters ------------------------------------------------------
  let running = true;
  const slots = { samples: 0, over: 0, max: 0 };
  const slotSampler = (async () => {
    while (running) {
      const counters = await system.capacity.readCounters().catch(() => undefined);
      if (counters) {
        slots.samples += 1;
        slots.max = Math.max(slots.max, counters.global);
        const over =
          counters.global > system.caps.global ||
          Object.entries(counters.templates).some(
            ([template, used]) => used > (system.caps.templates[template] ?? Number.POSITIVE_INFINITY),
          );
        if (over) slots.over += 1;
      }
      await sleep(200);
    }
  })();

  // ---- provisioners and reapers -----------------------------------------------------------------
  const pollOptions = {
    sqs: system.sqs,
    queueUrl: system.queueUrl,
    queueArn: system.queueArn,
    batchSize: 10,
  };
  const provisionLoops = system.provisioners.map(async (handler) => {
    while (running) {
      const batch = await pollOnce(handler, pollOptions, 1).catch(() => ({ received: 0, failed: 0 }));
      if (batch.received > 0) counts.batches += 1;
      counts.batchFailures += batch.failed;
    }
  });
  const reapLoops = system.reapers.map(async (reap, index) => {
    await sleep(index * ((options.reapEveryMs ?? 1000) / 2));
    while (running) {
      const report = await reap().catch(() => undefined);
      counts.reaps += 1;
      if (report?.skipped) counts.skipped += 1;
      await sleep(options.reapEveryMs ?? 1000);
    }
  });

  // ---- the CI's traffic ----------------------------------------------------------------------------
  log(`storm: ${builds.length} builds`);
  const queue = [...builds];
  await Promise.all(
    Array.from({ length: options.senders ?? 8 }, async () => {
      for (let state = queue.shift(); state; state = queue.shift()) {
        if (state.plan === 'out-of-order') {
          await send(state, 'completed');
          await send(state, 'queued');
          continue;
        }
        await send(state, 'queued');
        if (state.plan === 'cancel') track(cancelLater(state));
      }
    }),
  );
  log(`storm: queued all after ${Date.now() - started} ms`);

  // ---- settle: every build ended at the CI, Pitcrew has nothing active and no pod left -----------
  const deadline = started + (options.deadlineMs ?? 600_000);
  let settled = false;
  let lastLog = 0;
  while (Date.now() < deadline) {
    await sleep(500);
    if (inFlight.size > 0 || builds.some((state) => !state.ended)) {
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(
          `storm: ${builds.filter((state) => state.ended).length}/${builds.length} builds ended, ${pods.size} pods`,
        );
      }
      continue;
    }
    if (pods.size > 0) continue;
    const active = await activeRequests(system.requests);
    const counters = await system.capacity.readCounters();
    if (active === 0 && counters.global === 0) {
      settled = true;
      break;
    }
  }
  running = false;
  await Promise.all([...provisionLoops, ...reapLoops, slotSampler]);
  watching = false;
  abort?.abort();

  const records = await Promise.all(builds.map((state) => system.requests.get(state.requestId)));
  const counters = await system.capacity.readCounters();
  const should = builds.filter((state) => state.plan === 'run');
  const report: StormReport = {
    builds: builds.length,
    plans: {
      run: should.length,
      cancel: builds.filter((state) => state.plan === 'cancel').length,
      'out-of-order': builds.filter((state) => state.plan === 'out-of-order').length,
    },
    duplicatesSent: counts.duplicates,
    webhooks: counts.webhooks,
    webhookErrors: counts.webhookErrors,
    durationMs: Date.now() - started,
    settled,
    ranOnce: should.filter((state) => state.starts === 1).length,
    neverRan: should.filter((state) => state.starts === 0).map((state) => state.requestId),
    ranTwice: builds.filter((state) => state.starts > 1).map((state) => state.requestId),
    cancelledButRan: builds.filter((state) => state.plan === 'cancel' && state.starts > 0).length,
    extraPods: builds
      .filter((state) => (state.plan === 'out-of-order' ? state.podUids.size > 0 : state.podUids.size > 1))
      .map((state) => `${state.requestId}: ${state.podUids.size} pods (${state.plan})`),
    podsCreated: builds.reduce((sum, state) => sum + state.podUids.size, 0),
    podsLeft: (
      await system.core.listNamespacedPod({ namespace: system.namespace, labelSelector: managedSelector })
    ).items.length,
    activeRequestsLeft: records.filter((record) => record && !isTerminal(record.status)).length,
    failedRequests: records.filter(
      (record, index) => record?.status === 'failed' && !failedByItsAgent(record, builds[index]),
    ).length,
    failedWithFailedAgent: records.filter(
      (record, index) => record?.status === 'failed' && failedByItsAgent(record, builds[index]),
    ).length,
    countersAtEnd: counters,
    maxLivePods: caps.maxLive,
    maxLivePodsByTemplate: caps.maxByTemplate,
    maxLivePodsWithEnded: caps.maxLiveAll,
    overCapWithEnded: caps.overAll,
    maxSlots: slots.max,
    capSamples: caps.samples,
    overCap: caps.over,
    slotSamples: slots.samples,
    slotsOverCap: slots.over,
    provisionBatches: counts.batches,
    provisionFailures: counts.batchFailures,
    reapRuns: counts.reaps,
    reapSkipped: counts.skipped,
  };
  return report;
}

const activeStatuses = ['queued', 'waiting', 'provisioning', 'provisioned', 'started'] as const;

async function activeRequests(requests: RequestStore): Promise<number> {
  const lists = await Promise.all(activeStatuses.map((status) => requests.listByStatus(status)));
  return lists.reduce((sum, list) => sum + list.length, 0);
}
