import { CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDev, type DevSystem } from '../../infra/local/dev/run-dev';
import type { LocalConfig } from '../../infra/local/dev/local-config';
import { bearerCredentialsOf } from './deployed-cluster';
import { startLocalServers, type LocalServers } from '../../infra/local/servers';
import { signedHeadersFor } from '../../shared/sources/signing';
import { pitcrewLabels } from '../../shared/templates/labels';
import { startCountingProxy, type CountingProxy } from './counting-proxy';

export const benchNamespace = 'pitcrew-bench';

/** Templates the measures use, on top of the local ones: kwok holds, runs or finishes their pods. */
const benchTemplates = [
  // Stays Pending (scheduled, never started): pods that cost kwok nothing while the burst runs.
  {
    name: 'bench-hold',
    source: 'generic',
    labels: ['bench'],
    image: 'busybox:1.36',
    instanceCap: 2000,
    podYaml: 'metadata:\n  annotations:\n    kwok.pitcrew.dev/hold: "true"\n',
  },
  // Runs one second and succeeds: the cap measure's builds.
  {
    name: 'bench-capped',
    source: 'generic',
    labels: ['capped'],
    image: 'busybox:1.36',
    instanceCap: 20,
    podYaml:
      'metadata:\n  annotations:\n    kwok.pitcrew.dev/outcome: succeeded\n    kwok.pitcrew.dev/run-for: 1s\n',
  },
];

export interface Invocation {
  readonly fn: string;
  readonly ms: number;
}

export interface BenchSystem {
  readonly servers: LocalServers;
  readonly dev: DevSystem;
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  /** Every DynamoDB and SQS request the functions made, through counting pass-through proxies. */
  readonly dynamo: CountingProxy;
  readonly sqs: CountingProxy;
  readonly invocations: Invocation[];
  readonly pods: PodWatch;
  sendGeneric(id: string, labels: string[], action?: string): Promise<{ status: number; requestId?: string }>;
  close(): Promise<void>;
}

/**
 * The whole local system as `pitcrew dev` runs it (HTTP gateway, SQS pollers, the four handlers),
 * on servers of its own, with DynamoDB and SQS reached through counting proxies (so the cost model
 * counts real requests) and a watch on the agents' namespace (so pod times are the API server's).
 */
export async function startBenchSystem(options: { provisioners: number }): Promise<BenchSystem> {
  // Expected refusals and operator actions log warnings; the bench prints only its table.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const servers = await startLocalServers({ workDir: mkdtempSync(join(tmpdir(), 'pitcrew-bench-')) });
  // Each in a process of its own: their CPU is the bench's, not Pitcrew's (bench/lib/counting-proxy.ts).
  const dynamo = await startCountingProxy(servers.dynamoDbEndpoint ?? '');
  const sqs = await startCountingProxy(servers.sqsEndpoint ?? '');
  const invocations: Invocation[] = [];
  const kubeconfig = servers.cluster?.kubeconfigPath ?? '';
  const dev = await runDev({
    stateDir: join(servers.workDir, '.pitcrew'),
    kubeconfig,
    sqsEndpoint: sqs.endpoint,
    dynamoDbEndpoint: dynamo.endpoint,
    namespace: benchNamespace,
    resourcePrefix: 'bench',
    liveView: false,
    provisioners: options.provisioners,
    // The measures run the reaper themselves when they need it.
    reapIntervalMs: 3_600_000,
    print: () => undefined,
    onInvocation: (fn, ms) => invocations.push({ fn, ms }),
    // As deployed: the config as `npm run package` bundles it.
    packagedConfig: true,
    configure: (config: LocalConfig) => ({
      ...config,
      // As deployed: a bearer token, not the kubeconfig file `pitcrew dev` uses.
      cluster: { ...config.cluster, credentials: bearerCredentialsOf(kubeconfig) },
      capacity: { globalCap: 5000 },
      // The burst and cap measures queue 500 generic builds at once: load to serve, not a flood for
      // the backlog cap (default 500) to refuse with 429.
      sources: { ...config.sources, generic: { ...config.sources.generic, maxBacklog: 5000 } },
      reaper: {
        orphanGraceSeconds: 0,
        stuckGraceSeconds: 60,
        lostGraceSeconds: 60,
        staleQueuedSeconds: 3600,
      },
      templates: [...config.templates, ...benchTemplates],
    }),
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: benchNamespace } } }).catch(() => undefined);
  const pods = await watchPods(kubeConfig, benchNamespace);

  async function sendGeneric(id: string, labels: string[], action = 'queued') {
    const body = JSON.stringify({ action, job: { id, labels } });
    const response = await fetch(dev.info.webhookUrls.generic ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pitcrew-delivery': `${action}-${id}`,
        ...signedHeadersFor('generic', body, dev.info.secrets.generic ?? ''),
      },
      body,
    });
    const answer = (await response.json()) as { requestId?: string };
    return { status: response.status, requestId: answer.requestId };
  }

  return {
    servers,
    dev,
    kubeConfig,
    core,
    dynamo,
    sqs,
    invocations,
    pods,
    sendGeneric,
    async close() {
      pods.stop();
      await dev.stop();
      await Promise.all([dynamo.close(), sqs.close()]);
      await servers.stop();
      rmSync(servers.workDir, { recursive: true, force: true });
    },
  };
}

export interface PodState {
  readonly template?: string;
  readonly requestId?: string;
  /** performance.now() when the watch first saw the pod. */
  readonly seenAt: number;
  deleting: boolean;
  gone: boolean;
}

export interface PodWatch {
  readonly pods: Map<string, PodState>;
  /** The newest pod of each request (Pitcrew's request-id label). */
  readonly byRequest: Map<string, PodState>;
  /** Pods of `template` that exist and are not being deleted: what holds a slot. */
  live(template: string): number;
  /** The largest `live(template)` seen after any event since the last reset. */
  maxLive(template: string): number;
  resetMax(): void;
  /** Resolves when `predicate` holds (checked after every event), or rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): void;
}

/**
 * Every pod change in a namespace, from a Kubernetes watch: the API server tells each event in
 * order, so the maximum of live pods is exact, not sampled.
 */
async function watchPods(kubeConfig: KubeConfig, namespace: string): Promise<PodWatch> {
  const pods = new Map<string, PodState>();
  const maxima = new Map<string, number>();
  const waiters = new Set<() => void>();
  const live = (template: string): number => liveCounts.get(template) ?? 0;

  // Kept up to date per event (not recounted), so the bench's own CPU stays flat as pods pile up.
  const liveCounts = new Map<string, number>();
  const byRequest = new Map<string, PodState>();
  const isLive = (state: PodState): boolean => !state.deleting && !state.gone;
  const onEvent = (type: string, pod: V1Pod): void => {
    const name = pod.metadata?.name ?? '';
    const labels = pod.metadata?.labels ?? {};
    const known = pods.get(name);
    const state: PodState = known ?? {
      template: labels[pitcrewLabels.template],
      requestId: labels[pitcrewLabels.requestId],
      seenAt: performance.now(),
      deleting: false,
      gone: false,
    };
    const wasLive = known !== undefined && isLive(known);
    state.deleting = pod.metadata?.deletionTimestamp !== undefined;
    state.gone = type === 'DELETED';
    pods.set(name, state);
    if (state.requestId) byRequest.set(state.requestId, state);
    if (state.template) {
      const count = (liveCounts.get(state.template) ?? 0) + (isLive(state) ? 1 : 0) - (wasLive ? 1 : 0);
      liveCounts.set(state.template, count);
      maxima.set(state.template, Math.max(maxima.get(state.template) ?? 0, count));
    }
    for (const waiter of waiters) waiter();
  };

  // The API server ends a watch now and then (a timeout, or load): list again to catch up on what
  // happened meanwhile, then watch from there. A pod the list no longer has was deleted.
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const watch = new Watch(kubeConfig);
  let stopped = false;
  let current: { abort(): void } | undefined;
  async function follow(): Promise<void> {
    const listed = await core.listNamespacedPod({ namespace });
    const names = new Set(listed.items.map((pod) => pod.metadata?.name ?? ''));
    for (const [name, state] of pods)
      if (!state.gone && !names.has(name)) onEvent('DELETED', { metadata: { name, labels: {} } });
    for (const pod of listed.items) onEvent('MODIFIED', pod);
    current = await watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { resourceVersion: listed.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type: string, pod: V1Pod) => {
        if (type !== 'BOOKMARK') onEvent(type, pod);
      },
      () => {
        if (!stopped) setTimeout(() => void follow().catch(() => setTimeout(() => void follow(), 1000)), 100);
      },
    );
  }
  await follow();
  return {
    pods,
    byRequest,
    live,
    maxLive: (template) => maxima.get(template) ?? 0,
    resetMax: () => maxima.clear(),
    until(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    stop: () => {
      stopped = true;
      current?.abort();
    },
  };
}
