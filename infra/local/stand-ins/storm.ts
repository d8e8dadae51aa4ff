import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Watch, type CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollOnce, type SqsHandler } from '../dev/sqs-poller';
import { silentLogger } from '../../../shared/ports/logger';
import { readProvisionMessage } from '../../../shared/queue';
import { reap, type ReapReport } from '../../../shared/reap';
import { isTerminal, podNameFor, requestIdFor, type RequestRecord } from '../../../shared/requests';
import { createReapPorts, createRuntime, type Runtime } from '../../../shared/runtime';
import { ciSide } from '../../../shared/runtime/ci-side';
import { keys, type CapacityStore, type RequestStore } from '../../../shared/state';
import { managedSelector, pitcrewLabels } from '../../../shared/templates';
import type { LocalCi, LocalCiFailure, RunningLocalCi } from './local-ci';
import { startAwsFaultProxy, type AwsFaultProxy } from './aws-fault-proxy';
import { deliveryFor, type Build, type BuildAction, type Delivery } from './builds';
import { crashPoints, freezingReapPorts, provisionPortsOver, runDyingContainer } from './crash-ports';
import { steerPod } from '../kube/steer';
import { startKubeFaultProxy, type KubeFaultProxy, type KubeFaultRule } from './kube-fault-proxy';
import { stepSeries } from '../../../bench/lib/charts';
import { seededRandom } from './seeded-random';

/**
 * A storm of CI traffic against the real handlers and servers: many queued builds, some delivered
 * twice, some out of order (completed before queued), some cancelled at random; several provisioners
 * and reapers at once; a CI simulator that starts each build on its agent once the pod runs and has
 * kwok end the pod at random. A watch on the namespace sees every pod Pitcrew creates, so "ran
 * exactly once" and "never over the cap" are measured at every change, not guessed at the end.
 *
 * With faults (startStormFaults, `--faults`), the same storm runs with the infrastructure failing
 * under it for its whole length: fault proxies in front of the API server, DynamoDB and SQS, a
 * provision "container" that dies now and then, a reaper frozen past its lease, and the CI's API
 * failing for a while. Every fault decision comes from a generator seeded with the run's seed.
 */
export interface StormSystem {
  readonly namespace: string;
  /** Straight to the API server (never through a fault proxy): the CI simulator's and the watch's. */
  readonly core: CoreV1Api;
  readonly kubeConfig: KubeConfig;
  /** Straight to DynamoDB Local: what the checks read. */
  readonly requests: RequestStore;
  readonly capacity: CapacityStore;
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Straight to ElasticMQ. */
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  /**
   * The CIs whose builds make the storm's mix, in turn (infra/local/stand-ins/local-cis.ts), each
   * with its running stand-in: the agents still registered there at the end are counted, and a
   * faulted storm makes their APIs fail for a while.
   */
  readonly cis: readonly StormCi[];
  /** POSTs one delivery through the real webhook handler, signed. */
  sendWebhook(delivery: Delivery): Promise<{ statusCode: number }>;
  /** One provision handler per "container". */
  readonly provisioners: readonly SqsHandler[];
  /** One reap handler per "container". */
  readonly reapers: readonly (() => Promise<ReapReport>)[];
  readonly caps: { readonly global: number; readonly templates: Readonly<Record<string, number>> };
  /** A faulted storm: the proxies the functions reach the servers through (startStormFaults). */
  readonly faults?: StormFaults;
  /** The functions' environment, to start the extra "containers" of a faulted storm. */
  readonly functionEnv?: Readonly<Record<string, string | undefined>>;
}

/** One CI of the storm: its kit, and what the storm needs of its running stand-in. */
export interface StormCi {
  readonly kit: LocalCi;
  readonly running: Pick<RunningLocalCi, 'context' | 'agentNames' | 'failFor' | 'failuresServed'>;
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

/** One kind of fault: how many the storm injected, and how many Pitcrew's calls ran into. */
export interface FaultCount {
  readonly injected: number;
  readonly met: number;
  /** What else the report should say about it. */
  readonly note?: string;
}

/** A CI agent still registered at a stand-in when the storm ended. */
export interface StrayAgent {
  readonly source: string;
  readonly name: string;
  readonly requestId?: string;
  readonly status?: string;
  readonly reason?: string;
}

/** A message in the dead-letter queue when the storm ended, with its request. */
export interface DeadLetter {
  readonly messageId: string;
  readonly requestId?: string;
  readonly status?: string;
  readonly reason?: string;
  /** Its request failed saying it gave up on the last delivery (an operator's redrive starts it again). */
  readonly saysWhy: boolean;
}

export interface StormReport {
  readonly builds: number;
  readonly seed: number;
  readonly plans: Record<Plan, number>;
  readonly duplicatesSent: number;
  readonly webhooks: number;
  readonly webhookErrors: number;
  /** Deliveries the CI gave up on after 5 tries, each answered 5xx. */
  readonly webhooksGivenUp: number;
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
  /** Builds whose agent pod was deleted while the build ran on it, before it ended: none allowed. */
  readonly agentsLostMidBuild: string[];
  readonly podsCreated: number;
  readonly podsLeft: number;
  readonly activeRequestsLeft: number;
  /** Requests that ended failed although their agent did not fail: none allowed. */
  readonly failedRequests: number;
  /** Their ids and reasons. */
  readonly failures: string[];
  /**
   * Requests that ended failed because the reaper found their agent exited with an error before the
   * CI's last word came: allowed, that is what happened to the build.
   */
  readonly failedWithFailedAgent: number;
  readonly countersAtEnd: { readonly global: number; readonly templates: Readonly<Record<string, number>> };
  /** Live agent pods (Pending or Running, not being deleted) at the end: the slots should equal them. */
  readonly liveAgentsAtEnd: number;
  /** Agents still registered at the CI stand-ins at the end (the target is none). */
  readonly strayAgents: StrayAgent[];
  /** Messages in the dead-letter queue at the end. */
  readonly deadLetters: DeadLetter[];
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
  /** Counters the reapers set right (each one a drift they found). */
  readonly counterRepairs: number;
  /** By kind; empty for a storm without faults. */
  readonly faults: Readonly<Record<string, FaultCount>>;
  /** The live pods and slots over the storm, for its chart (bench/lib/charts.ts). */
  readonly timeline: StormTimeline;
}

/**
 * Each a step function over the storm, as [ms since it began, value], at most about 200 points:
 * the highest value in each slice of the run (bench/lib/charts.ts stepSeries), so no peak is lost.
 */
export interface StormTimeline {
  /** Live agents of builds the CI still wants (what the caps bound), at every change the watch saw. */
  readonly livePods: [number, number][];
  /** Every live pod, also agents of builds that just ended, not yet deleted. */
  readonly livePodsWithEnded: [number, number][];
  /** Live agents of builds still wanted, by template. */
  readonly livePodsByTemplate: Readonly<Record<string, [number, number][]>>;
  /** Slots held by the global counter, read every 200 ms. */
  readonly slots: [number, number][];
  readonly caps: { readonly global: number; readonly templates: Readonly<Record<string, number>> };
}

const between = (rand: () => number, [low, high]: readonly [number, number]): number =>
  low + Math.floor(rand() * (high - low));

/** API calls a CI's stand-in has answered with an injected failure so far, of every kind. */
const servedCount = (running: StormCi['running']): number =>
  Object.values(running.failuresServed?.() ?? {}).reduce((sum, count) => sum + count, 0);

// ---- faults ----------------------------------------------------------------------------------------

/**
 * How often each fault comes. Probabilities are per call through a proxy (an SDK's own retries are
 * calls too), per message received for SQS, per batch for the dying container; `[low, high]` pairs
 * are milliseconds drawn between the two. Time is compressed as in the plain storm: SQS's visibility
 * timeout is 3 s (180 s on AWS), so a message's 5 receives span seconds, not 15 minutes, and outages
 * last a second or two; the dying container's timeout (the function's: 30 s on AWS) stays below the
 * visibility timeout, as on AWS.
 */
export interface StormFaultRates {
  /** API server: 429 with Retry-After, 503; connections dropped for a short burst now and then. */
  readonly apiServer: {
    readonly throttled: number;
    readonly unavailable: number;
    readonly burstEveryMs: readonly [number, number];
    readonly burstForMs: readonly [number, number];
  };
  /** DynamoDB: throttling and 500s on any call, lost answers on writes (applied, answered 500). */
  readonly dynamoDb: { readonly throttled: number; readonly internal: number; readonly lostAnswer: number };
  /**
   * SQS: a received message made visible again within `withinMs`, so a second container gets it.
   * The queue's visibility timeout: longer than the dying container's `timeoutMs`, as on AWS.
   */
  readonly sqs: {
    readonly redeliverEarly: number;
    readonly withinMs: number;
    readonly visibilityTimeoutSeconds: number;
  };
  /**
   * A fourth provision container that dies now and then: every `everyMs` its next batch with a
   * request still to be provisioned gets a crash point; a batch running longer than `timeoutMs` dies.
   */
  readonly crash: { readonly everyMs: readonly [number, number]; readonly timeoutMs: number };
  /** One reaper run frozen at its first action, `afterMs` into the storm, for `forMs` past its lease. */
  readonly freeze: { readonly afterMs: readonly [number, number]; readonly forMs: number };
  /** A CI's API answering 503, 500 or 429 for a while. */
  readonly ciApi: {
    readonly everyMs: readonly [number, number];
    readonly forMs: readonly [number, number];
    /** How much longer a window no call has met yet stays open, at most. */
    readonly untilMetMs: number;
  };
}

export const stormFaultRates: StormFaultRates = {
  apiServer: { throttled: 0.015, unavailable: 0.015, burstEveryMs: [8000, 16000], burstForMs: [200, 600] },
  dynamoDb: { throttled: 0.03, internal: 0.015, lostAnswer: 0.015 },
  sqs: { redeliverEarly: 0.03, withinMs: 400, visibilityTimeoutSeconds: 3 },
  crash: { everyMs: [3000, 8000], timeoutMs: 2000 },
  freeze: { afterMs: [4000, 10000], forMs: 4000 },
  ciApi: { everyMs: [10000, 20000], forMs: [1000, 2000], untilMetMs: 4000 },
};

/**
 * The CI-size storm (90 builds) lasts about 40 s, against the full size's 4 minutes: the faults that
 * come on a timer come more often, so that each kind is met in it, at about the same share of the
 * builds' time; the per-call rates are the same.
 */
export const ciSizeStormFaultRates: StormFaultRates = {
  ...stormFaultRates,
  crash: { ...stormFaultRates.crash, everyMs: [1500, 4000] },
  // And a window no call has met is held open longer: the storm's few windows must each meet a call
  // even on a loaded machine (reliability/storm-faults counts them).
  ciApi: { ...stormFaultRates.ciApi, everyMs: [6000, 12000], untilMetMs: 10000 },
};

/** The proxies a faulted storm's functions reach the servers through, made before the functions. */
export interface StormFaults {
  readonly seed: number;
  readonly rates: StormFaultRates;
  /** For the functions' PITCREW_DYNAMODB_ENDPOINT, PITCREW_SQS_ENDPOINT and the config's cluster. */
  readonly dynamoDbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly clusterCredentials: Record<string, unknown>;
  readonly apiServer: KubeFaultProxy;
  readonly dynamoDb: AwsFaultProxy;
  readonly queue: AwsFaultProxy;
  close(): Promise<void>;
}

export async function startStormFaults(
  targets: {
    readonly dynamoDbEndpoint: string;
    readonly sqsEndpoint: string;
    readonly kubeconfigPath: string;
  },
  seed: number,
  rates: StormFaultRates = stormFaultRates,
): Promise<StormFaults> {
  const apiServer = await startKubeFaultProxy({
    kubeconfigPath: targets.kubeconfigPath,
    random: seededRandom(seed, 'api-server'),
  });
  const dynamoDb = await startAwsFaultProxy(targets.dynamoDbEndpoint, {
    random: seededRandom(seed, 'dynamodb'),
  });
  const queue = await startAwsFaultProxy(targets.sqsEndpoint, {
    random: seededRandom(seed, 'sqs'),
    redeliverWithinMs: rates.sqs.withinMs,
  });
  return {
    seed,
    rates,
    dynamoDbEndpoint: dynamoDb.endpoint,
    sqsEndpoint: queue.endpoint,
    clusterCredentials: apiServer.credentials,
    apiServer,
    dynamoDb,
    queue,
    async close() {
      await Promise.all([apiServer.close(), dynamoDb.close(), queue.close()]);
    },
  };
}

/**
 * A function's runtime, as its handler builds it at cold start: the CI side (the cluster client, and
 * the loader that builds each CI's adapter when first needed) imported statically, by this module as
 * by the handler. The adapters load through dynamic imports; their error classes are still the ones
 * the provision and reap code recognise, as a CI's error classes answer `instanceof` by a brand
 * (shared/error-brand.ts).
 */
const runtimeOf = (
  fn: 'provision' | 'reap',
  env: Readonly<Record<string, string | undefined>>,
): Promise<Runtime> => createRuntime(fn, env, ciSide);

/**
 * The faults of one storm while it runs: the per-call rules in the proxies, and the ones that come
 * on a timer (API server bursts, CI outages, the reaper's freeze), plus the dying provision
 * container and the freezable reaper, which run as extra "containers".
 */
async function startInjection(
  system: StormSystem,
  faults: StormFaults,
  isRunning: () => boolean,
  log: (line: string) => void,
) {
  const { rates, seed } = faults;
  const env = system.functionEnv ?? {};
  const counts = {
    bursts: 0,
    ci: {} as Record<string, number>,
    crashes: Object.fromEntries(crashPoints.map((point) => [point, { injected: 0, met: 0 }])) as Record<
      string,
      { injected: number; met: number }
    >,
    timeouts: 0,
    crashBatches: 0,
    crashBatchFailures: 0,
    freeze: { injected: 0, duringFreeze: 0, staleActions: 0 },
  };

  faults.dynamoDb.addRule({ fault: 'throttle', probability: rates.dynamoDb.throttled });
  faults.dynamoDb.addRule({ fault: 'internal', probability: rates.dynamoDb.internal });
  faults.dynamoDb.addRule({
    operation: /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems)$/,
    fault: 'lost-answer',
    probability: rates.dynamoDb.lostAnswer,
  });
  faults.queue.addRule({
    operation: 'ReceiveMessage',
    fault: 'redeliver-early',
    probability: rates.sqs.redeliverEarly,
  });
  faults.apiServer.addRule({
    fault: { kind: 'status', status: 429, retryAfterSeconds: 1 },
    probability: rates.apiServer.throttled,
  });
  faults.apiServer.addRule({
    fault: { kind: 'status', status: 503, retryAfterSeconds: 1 },
    probability: rates.apiServer.unavailable,
  });

  /** The API server drops every connection and refuses new ones for a moment. */
  async function apiServerBursts(): Promise<void> {
    const rand = seededRandom(seed, 'api-server-bursts');
    while (isRunning()) {
      await sleep(between(rand, rates.apiServer.burstEveryMs));
      if (!isRunning()) return;
      const refuse: KubeFaultRule = { fault: { kind: 'refuse' } };
      counts.bursts += 1;
      faults.apiServer.addRule(refuse);
      faults.apiServer.dropConnections();
      await sleep(between(rand, rates.apiServer.burstForMs));
      faults.apiServer.removeRule(refuse);
    }
  }

  /**
   * Each CI with an API (in turn) answers 503, 429 (with Retry-After) or 500 (in turn) to every call
   * for a while; when and how long are drawn. A window no call has met yet is held open a little
   * longer (holdUntilMet): on a loaded machine the calls come sparser and a storm's few windows could
   * all fall in quiet spells, testing nothing.
   */
  async function ciOutages(): Promise<void> {
    const rand = seededRandom(seed, 'ci-api');
    const withApis = system.cis.filter((ci) => ci.running.failFor);
    const statuses = [503, 429, 500] as const;
    for (let window = 0; isRunning(); window++) {
      // The first a few seconds in, while the storm is busiest; then every `everyMs`.
      await sleep(between(rand, window === 0 ? [4000, 8000] : rates.ciApi.everyMs));
      if (!isRunning()) return;
      const failing = withApis[window % withApis.length];
      if (!failing?.running.failFor) return;
      const source = failing.kit.name;
      const status = statuses[Math.floor(window / withApis.length) % statuses.length]!;
      const forMs = between(rand, rates.ciApi.forMs);
      const headers: Record<string, string> = status === 429 ? { 'retry-after': '1' } : {};
      const message = status === 429 ? 'API rate limit exceeded' : 'Service Unavailable';
      const failure = { status, headers, body: JSON.stringify({ message }) };
      const servedBefore = servedCount(failing.running);
      failing.running.failFor(forMs, failure);
      counts.ci[source] = (counts.ci[source] ?? 0) + 1;
      log(`storm: ${source} answers ${status} for ${forMs} ms`);
      // Not awaited: the windows keep their cadence however long one is held.
      void holdUntilMet(failing, failure, servedBefore, forMs);
    }
  }

  /**
   * Keeps a CI's outage window open past its `forMs`, up to `untilMetMs` more, while no call has met
   * it: each step is armed before the last one lapses, so no call slips through between two.
   */
  async function holdUntilMet(
    failing: StormCi,
    failure: LocalCiFailure,
    servedBefore: number,
    forMs: number,
  ): Promise<void> {
    const stepMs = 250;
    await sleep(Math.max(0, forMs - stepMs));
    let heldMs = 0;
    while (isRunning() && heldMs < rates.ciApi.untilMetMs && servedCount(failing.running) === servedBefore) {
      failing.running.failFor?.(2 * stepMs, failure);
      await sleep(stepMs);
      heldMs += stepMs;
    }
    if (heldMs > 0) {
      const met = servedCount(failing.running) > servedBefore;
      log(
        `storm: ${failing.kit.name}'s outage held ${heldMs} ms longer (${met ? 'a call met it' : 'no call came'})`,
      );
    }
  }

  // A fourth provision "container" that dies now and then (crash-ports.ts runDyingContainer).
  const provisionRuntime = await runtimeOf('provision', env);
  const queueClient = new SQSClient({ region: 'us-east-1', endpoint: faults.sqsEndpoint });
  const crashRandom = seededRandom(seed, 'crash');
  // The points in turn (the next once an attempt died at this one): even a short storm kills
  // attempts at each of them.
  let nextPoint = 0;
  let nextCrashAtMs = Date.now() + between(crashRandom, rates.crash.everyMs);
  const dyingContainer = (): Promise<void> =>
    runDyingContainer({
      sqs: queueClient,
      queueUrl: system.queueUrl,
      ports: {
        killable: provisionPortsOver(provisionRuntime, silentLogger, Math.ceil(rates.crash.timeoutMs / 1000)),
        lastDelivery: provisionPortsOver(provisionRuntime, silentLogger),
      },
      timeoutMs: rates.crash.timeoutMs,
      isRunning,
      // Only batches with a request still to be provisioned: the others (ended builds, duplicates)
      // never reach a crash point.
      async crashPointFor(requestIds) {
        const records = await system.requests
          .getMany(requestIds)
          .catch(() => new Map<string, RequestRecord>());
        const toProvision = [...records.values()].some((record) =>
          ['queued', 'waiting', 'provisioning'].includes(record.status),
        );
        if (!toProvision || Date.now() < nextCrashAtMs) return undefined;
        nextCrashAtMs = Date.now() + between(crashRandom, rates.crash.everyMs);
        const point = crashPoints[nextPoint]!;
        counts.crashes[point]!.injected += 1;
        return point;
      },
      onBatch(batch) {
        counts.crashBatches += 1;
        counts.crashBatchFailures += batch.failed;
        if (batch.point)
          log(`storm: dying container: batch of ${batch.size} to die ${batch.point}: ${batch.outcome}`);
        if (batch.outcome === 'timeout') counts.timeouts += 1;
        if (batch.outcome === 'crashed' && batch.point) {
          counts.crashes[batch.point]!.met += 1;
          nextPoint = (nextPoint + 1) % crashPoints.length;
        }
      },
    });

  // A third reaper "container" whose one run freezes before its first action, past its lease.
  const reapRuntime = await runtimeOf('reap', env);
  const freezer = freezingReapPorts(createReapPorts(reapRuntime, silentLogger));
  let frozenRun = false;
  const freezableReaper = async (): Promise<ReapReport> => {
    const report = await reap(freezer.ports);
    if (frozenRun) {
      frozenRun = false;
      counts.freeze.staleActions = freezer.actionsAfterThaw();
      log(`storm: the thawed reaper run took ${counts.freeze.staleActions} actions on what it read before`);
    }
    return report;
  };

  /** While a run is frozen past its lease: when its lease ran out, and when it was thawed. */
  const freezeWindow = { fromMs: Number.POSITIVE_INFINITY, toMs: Number.POSITIVE_INFINITY };

  /** Every reaper run of the other "containers": those that started in the window took over. */
  function noteReapRun(startedAtMs: number, skipped: boolean): void {
    if (!skipped && startedAtMs >= freezeWindow.fromMs && startedAtMs < freezeWindow.toMs)
      counts.freeze.duringFreeze += 1;
  }

  /**
   * Arms the freezable reaper; when its run freezes (it has read and decided), its lease runs out in
   * the table, as if `leaseSeconds` (110 s) had passed, and the other reapers take over; after
   * `forMs` it thaws and acts on what it read before.
   */
  async function freezeOnce(): Promise<void> {
    const rand = seededRandom(seed, 'freeze');
    await sleep(between(rand, rates.freeze.afterMs));
    if (!isRunning()) return;
    freezer.arm();
    const froze = await Promise.race([
      freezer.frozen.then(() => true),
      (async () => {
        while (isRunning()) await sleep(200);
        return false;
      })(),
    ]);
    if (!froze) return;
    frozenRun = true;
    counts.freeze.injected += 1;
    log('storm: a reaper run froze before its first action; its lease runs out');
    await system.db
      .send(
        new UpdateCommand({
          TableName: system.tableName,
          Key: keys.lease('reaper'),
          UpdateExpression: 'SET expiresAt = :past',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
        }),
      )
      .catch(() => undefined);
    freezeWindow.fromMs = Date.now();
    await sleep(rates.freeze.forMs);
    freezeWindow.toMs = Date.now();
    freezer.thaw();
  }

  function report(): Record<string, FaultCount> {
    const rows: Record<string, FaultCount> = {};
    const apiServer = faults.apiServer.faultCounts();
    rows['API server: 429 with Retry-After'] = {
      injected: apiServer['429'] ?? 0,
      met: apiServer['429'] ?? 0,
    };
    rows['API server: 503'] = { injected: apiServer['503'] ?? 0, met: apiServer['503'] ?? 0 };
    rows['API server: connections dropped (bursts / calls refused)'] = {
      injected: counts.bursts,
      met: apiServer.refuse ?? 0,
    };
    const dynamoDb = faults.dynamoDb.faultCounts();
    rows['DynamoDB: throttled'] = { injected: dynamoDb.throttle, met: dynamoDb.throttle };
    rows['DynamoDB: 500'] = { injected: dynamoDb.internal, met: dynamoDb.internal };
    rows['DynamoDB: write applied, answer lost'] = {
      injected: dynamoDb['lost-answer'],
      met: dynamoDb['lost-answer'],
    };
    rows['SQS: message delivered again early (received again)'] = {
      injected: faults.queue.faultCounts()['redeliver-early'],
      met: faults.queue.redeliveredEarly(),
    };
    for (const point of crashPoints)
      rows[`provision attempt killed ${point}`] = { ...counts.crashes[point]! };
    rows['provision container killed at its timeout'] = { injected: counts.timeouts, met: counts.timeouts };
    rows['reaper run frozen past its lease, thawed (runs / actions it then took on stale reads)'] = {
      injected: counts.freeze.injected,
      met: counts.freeze.staleActions,
      note: `the other reapers took the lease ${counts.freeze.duringFreeze === 1 ? 'once' : `${counts.freeze.duringFreeze} times`} while it was frozen`,
    };
    for (const { kit, running } of system.cis) {
      if (!running.failuresServed) continue;
      rows[`${kit.name} API: 503, 429, 500 for a while (windows / calls)`] = {
        injected: counts.ci[kit.name] ?? 0,
        met: servedCount(running),
      };
    }
    return rows;
  }

  return {
    queueClient,
    dyingContainer,
    freezableReaper,
    apiServerBursts,
    ciOutages,
    freezeOnce,
    noteReapRun,
    counts,
    report,
    stop() {
      // A run frozen when the storm ends must not hold its reaper's loop forever.
      freezer.thaw();
      faults.dynamoDb.clearRules();
      faults.queue.clearRules();
      faults.apiServer.clearRules();
    },
    close() {
      queueClient.destroy();
      provisionRuntime.db.destroy();
      provisionRuntime.sqs.destroy();
      reapRuntime.db.destroy();
      reapRuntime.sqs.destroy();
    },
  };
}

// ---- the storm ----------------------------------------------------------------------------------------

/**
 * Failed because the reaper found the build's agent exited with an error before the CI's last word
 * came: the reaper's own reason, for a build whose agent the storm made fail. Any other failure is a bug.
 */
const failedByItsAgent = (record: { reason?: string } | undefined, state: BuildState | undefined): boolean =>
  state?.agentFailed === true && (record?.reason ?? '').startsWith('finished: the agent exited with code');

const live = (pod: V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp && (pod.status?.phase ?? 'Pending') in { Pending: 1, Running: 1 };

export async function runStorm(system: StormSystem, options: StormOptions): Promise<StormReport> {
  const seed = options.seed ?? 1;
  const rand = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const builds: BuildState[] = Array.from({ length: options.builds }, (_, index) => {
    const ci = system.cis[index % system.cis.length]!;
    const build: Build = { source: ci.kit.name, id: 1_000_000 + index };
    const roll = rand();
    const outOfOrder = options.outOfOrderRate ?? 0.05;
    const plan: Plan =
      roll < outOfOrder ? 'out-of-order' : roll < outOfOrder + (options.cancelRate ?? 0.1) ? 'cancel' : 'run';
    return {
      build,
      requestId: requestIdFor(build.source, ci.kit.jobKeyOf(build.id, ci.running.context)),
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
    givenUp: 0,
    duplicates: 0,
    batches: 0,
    batchFailures: 0,
    reaps: 0,
    skipped: 0,
    repairs: 0,
  };
  const lostMidBuild: string[] = [];
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
    const delivery = deliveryFor(state.build, action, { failed: extra.agentFailed ?? false });
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
        counts.givenUp += 1;
      }),
    );
  }

  // ---- the cluster, seen through one watch -------------------------------------------------------
  const pods = new Map<string, V1Pod>();
  // Every change of the live pods and every read of the slots, over time, for the report's timeline.
  const samples = {
    live: [] as [number, number][],
    liveAll: [] as [number, number][],
    byTemplate: Object.fromEntries(
      Object.keys(system.caps.templates).map((template): [string, [number, number][]] => [template, []]),
    ),
    slots: [] as [number, number][],
  };
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
    const at = Date.now() - started;
    samples.live.push([at, wanted.length]);
    samples.liveAll.push([at, all.length]);
    for (const template of new Set([...Object.keys(samples.byTemplate), ...Object.keys(checked.byTemplate)]))
      (samples.byTemplate[template] ??= []).push([at, checked.byTemplate[template] ?? 0]);
  }

  const startedPods = new Set<string>();
  const endedPods = new Set<string>();
  function onPod(type: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (type === 'DELETED') pods.delete(uid);
    else pods.set(uid, pod);
    sampleCaps();
    const state = byRequest.get(pod.metadata?.labels?.[pitcrewLabels.requestId] ?? '');
    if (!state) return;
    if (type === 'DELETED') {
      // The agent vanished under a build that was running on it: the CI fails the build.
      if (startedPods.has(uid) && !endedPods.has(uid) && !state.ended) {
        endedPods.add(uid);
        lostMidBuild.push(`${state.requestId}: pod ${pod.metadata?.name ?? ''} deleted while its build ran`);
        track(finishBuild(state, true));
      }
      return;
    }
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
        samples.slots.push([Date.now() - started, counters.global]);
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

  // ---- faults ------------------------------------------------------------------------------------
  const injection = system.faults
    ? await startInjection(system, system.faults, () => running, log)
    : undefined;
  if (system.faults) log(`storm: faults on, seed ${seed}`);

  // ---- provisioners and reapers -----------------------------------------------------------------
  const pollOptions = {
    // With faults, the "event source mapping" receives through the SQS proxy (early redeliveries).
    sqs: injection?.queueClient ?? system.sqs,
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
  const reapers = [...system.reapers, ...(injection ? [injection.freezableReaper] : [])];
  const reapLoops = reapers.map(async (reapOnce, index) => {
    await sleep(index * ((options.reapEveryMs ?? 1000) / reapers.length));
    while (running) {
      const startedAtMs = Date.now();
      const report = await reapOnce().catch(() => undefined);
      counts.reaps += 1;
      if (report?.skipped) counts.skipped += 1;
      counts.repairs += report?.counterRepairs ?? 0;
      injection?.noteReapRun(startedAtMs, report?.skipped !== undefined);
      await sleep(options.reapEveryMs ?? 1000);
    }
  });
  const injectors = injection
    ? [injection.dyingContainer(), injection.apiServerBursts(), injection.ciOutages(), injection.freezeOnce()]
    : [];

  // ---- the CI's traffic ----------------------------------------------------------------------------
  log(`storm: ${builds.length} builds, seed ${seed}`);
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
  let lastCheck = 0;
  while (Date.now() < deadline) {
    await sleep(500);
    if (inFlight.size > 0 || builds.some((state) => !state.ended)) {
      // A build whose request failed never gets an agent: its CI would wait for one until it gave up.
      // The storm does not wait for it (the verdicts count it), so that a broken run ends.
      const left = builds.filter((state) => !state.ended);
      if (left.length <= 20 && Date.now() - lastCheck > 5_000) {
        lastCheck = Date.now();
        const records = await Promise.all(
          left.map((state) => system.requests.get(state.requestId).catch(() => undefined)),
        );
        left.forEach((state, index) => {
          if (records[index]?.status === 'failed' && state.podUids.size === 0) state.ended = true;
        });
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        const waiting = builds.filter((state) => !state.ended);
        log(`storm: ${builds.length - waiting.length}/${builds.length} builds ended, ${pods.size} pods`);
        // The last few: where their requests are, to see what a storm that does not settle waits for.
        if (waiting.length <= 3)
          for (const state of waiting) {
            const record = await system.requests.get(state.requestId).catch(() => undefined);
            log(
              `storm:   ${state.requestId} (${state.plan}, ${state.podUids.size} pods, started ${state.starts}): ${record?.status ?? '?'} since ${record?.statusSince ?? '?'}, ${record?.reason ?? ''}`,
            );
          }
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
  injection?.stop();
  await Promise.all([...provisionLoops, ...reapLoops, slotSampler, ...injectors]);
  watching = false;
  abort?.abort();
  const faultCounts = injection?.report() ?? {};
  injection?.close();

  const records = await Promise.all(builds.map((state) => system.requests.get(state.requestId)));
  const counters = await system.capacity.readCounters();
  const podsAtEnd = (
    await system.core.listNamespacedPod({ namespace: system.namespace, labelSelector: managedSelector })
  ).items;
  const should = builds.filter((state) => state.plan === 'run');
  const failed = records.filter(
    (record, index) => record?.status === 'failed' && !failedByItsAgent(record, builds[index]),
  );
  const deadLetters = await readDeadLetters(system);
  const durationMs = Date.now() - started;
  const report: StormReport = {
    builds: builds.length,
    seed,
    plans: {
      run: should.length,
      cancel: builds.filter((state) => state.plan === 'cancel').length,
      'out-of-order': builds.filter((state) => state.plan === 'out-of-order').length,
    },
    duplicatesSent: counts.duplicates,
    webhooks: counts.webhooks,
    webhookErrors: counts.webhookErrors,
    webhooksGivenUp: counts.givenUp,
    durationMs,
    settled,
    ranOnce: should.filter((state) => state.starts === 1).length,
    neverRan: should.filter((state) => state.starts === 0).map((state) => state.requestId),
    ranTwice: builds.filter((state) => state.starts > 1).map((state) => state.requestId),
    cancelledButRan: builds.filter((state) => state.plan === 'cancel' && state.starts > 0).length,
    extraPods: builds
      .filter((state) => (state.plan === 'out-of-order' ? state.podUids.size > 0 : state.podUids.size > 1))
      .map((state) => `${state.requestId}: ${state.podUids.size} pods (${state.plan})`),
    agentsLostMidBuild: lostMidBuild,
    podsCreated: builds.reduce((sum, state) => sum + state.podUids.size, 0),
    podsLeft: podsAtEnd.length,
    activeRequestsLeft: records.filter((record) => record && !isTerminal(record.status)).length,
    failedRequests: failed.length,
    failures: failed.map((record) => `${record?.requestId ?? '?'}: ${record?.reason ?? 'no reason'}`),
    failedWithFailedAgent: records.filter(
      (record, index) => record?.status === 'failed' && failedByItsAgent(record, builds[index]),
    ).length,
    countersAtEnd: counters,
    liveAgentsAtEnd: podsAtEnd.filter(live).length,
    strayAgents: strayAgentsOf(system, records),
    deadLetters,
    maxLivePods: caps.maxLive,
    maxLivePodsByTemplate: caps.maxByTemplate,
    maxLivePodsWithEnded: caps.maxLiveAll,
    overCapWithEnded: caps.overAll,
    maxSlots: slots.max,
    capSamples: caps.samples,
    overCap: caps.over,
    slotSamples: slots.samples,
    slotsOverCap: slots.over,
    provisionBatches: counts.batches + (injection?.counts.crashBatches ?? 0),
    provisionFailures: counts.batchFailures + (injection?.counts.crashBatchFailures ?? 0),
    reapRuns: counts.reaps,
    reapSkipped: counts.skipped,
    counterRepairs: counts.repairs,
    faults: faultCounts,
    timeline: {
      livePods: stepSeries(samples.live, durationMs),
      livePodsWithEnded: stepSeries(samples.liveAll, durationMs),
      livePodsByTemplate: Object.fromEntries(
        Object.entries(samples.byTemplate).map(([template, points]) => [
          template,
          stepSeries(points, durationMs),
        ]),
      ),
      slots: stepSeries(samples.slots, durationMs),
      caps: system.caps,
    },
  };
  return report;
}

const activeStatuses = ['queued', 'waiting', 'provisioning', 'provisioned', 'started', 'ending'] as const;

async function activeRequests(requests: RequestStore): Promise<number> {
  const lists = await Promise.all(activeStatuses.map((status) => requests.listByStatus(status)));
  return lists.reduce((sum, list) => sum + list.length, 0);
}

/**
 * The agents still registered at the CI stand-ins, each with the request it was made for. (The one
 * open corner that leaves an agent, docs/reliability.md "Open", needs an attempt to die on its
 * message's last delivery, which the storm's dying container never does: it expects none.)
 */
function strayAgentsOf(system: StormSystem, records: readonly (RequestRecord | undefined)[]): StrayAgent[] {
  // Every name a request's agents had (bug 57: one per generation, up to its next reserve's), so an
  // earlier agent left behind is told apart from the current one.
  const byPodName = new Map<string, { record: RequestRecord; generation: number }>();
  for (const record of records) {
    if (!record?.template) continue;
    for (let generation = 1; generation <= record.attempts + 1; generation++)
      byPodName.set(podNameFor(record.template, record.requestId, generation), { record, generation });
  }
  const describe = (source: string, name: string): StrayAgent => {
    const found = byPodName.get(name);
    if (!found) return { source, name };
    const { record, generation } = found;
    const which = record.podName === name ? 'current' : `earlier (generation ${generation})`;
    return {
      source,
      name,
      requestId: record.requestId,
      status: `${record.status}, ${which} agent, ${record.attempts} attempts, holds slot ${record.holdsSlot}`,
      ...(record.reason ? { reason: record.reason } : {}),
    };
  };
  return system.cis.flatMap(({ kit, running }) =>
    running.agentNames().map((name) => describe(kit.name, name)),
  );
}

/**
 * The dead-letter queue's messages, each with its request: a message there should belong to a request
 * that failed saying it gave up on the last delivery (provision-request.ts), so that an operator
 * knows to redrive it.
 */
async function readDeadLetters(system: StormSystem): Promise<DeadLetter[]> {
  const seen = new Map<string, string | undefined>();
  for (let empty = 0; empty < 2;) {
    const { Messages = [] } = await system.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: system.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) empty += 1;
    for (const message of Messages)
      seen.set(message.MessageId ?? '', readProvisionMessage(message.Body)?.requestId);
  }
  const letters: DeadLetter[] = [];
  for (const [messageId, requestId] of seen) {
    const record = requestId ? await system.requests.get(requestId) : undefined;
    letters.push({
      messageId,
      ...(requestId ? { requestId } : {}),
      ...(record ? { status: record.status, ...(record.reason ? { reason: record.reason } : {}) } : {}),
      saysWhy: record?.status === 'failed' && (record.reason ?? '').includes('dead-letter queue'),
    });
  }
  return letters;
}

/**
 * Pitcrew's promises, checked on a storm's report: what each broken one is, none when all held. The
 * tests expect none; bench/storm.ts exits 1 on any.
 */
export function brokenPromises(report: StormReport): string[] {
  const broken: string[] = [];
  const check = (held: boolean, what: string): void => {
    if (!held) broken.push(what);
  };
  check(report.settled, 'the storm did not settle before its deadline');
  check(report.neverRan.length === 0, `${report.neverRan.length} builds that should have run never ran`);
  check(report.ranTwice.length === 0, `${report.ranTwice.length} builds ran twice`);
  check(report.extraPods.length === 0, `${report.extraPods.length} builds got an extra pod`);
  check(
    report.agentsLostMidBuild.length === 0,
    `${report.agentsLostMidBuild.length} agents deleted mid-build`,
  );
  check(report.podsLeft === 0, `${report.podsLeft} pods left`);
  check(report.activeRequestsLeft === 0, `${report.activeRequestsLeft} requests still active`);
  const counters = [report.countersAtEnd.global, ...Object.values(report.countersAtEnd.templates)];
  check(
    counters.every((used) => used === 0),
    `counters not back at 0: ${JSON.stringify(report.countersAtEnd)}`,
  );
  check(
    report.countersAtEnd.global === report.liveAgentsAtEnd,
    `${report.countersAtEnd.global} slots held for ${report.liveAgentsAtEnd} live agents at the end`,
  );
  check(report.overCap === 0, `${report.overCap} pod samples over a cap`);
  check(report.slotsOverCap === 0, `${report.slotsOverCap} slot samples over a cap`);
  check(
    report.failedRequests === 0,
    `${report.failedRequests} requests failed: ${report.failures.join('; ')}`,
  );
  check(report.strayAgents.length === 0, `${report.strayAgents.length} agents left registered at the CIs`);
  const unexplained = report.deadLetters.filter((letter) => !letter.saysWhy);
  check(unexplained.length === 0, `${unexplained.length} dead letters whose request does not say why`);
  return broken;
}
