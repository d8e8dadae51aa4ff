import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createMemoryAgentClient, type MemoryAgentClient } from '../../../shared/cluster/memory';
import { parseConfig, type PitcrewConfig, type SecretRef } from '../../../shared/config';
import type { OpsPorts } from '../../../shared/ops';
import { createManualClock, type ManualClock } from '../../../shared/ports/clock';
import { silentLogger, type LoggerPort } from '../../../shared/ports/logger';
import { provisionRequest, type ProvisionPorts } from '../../../shared/provision';
import { createMemoryProvisionQueue, type MemoryProvisionQueue } from '../../../shared/queue/memory';
import { reap, type ReapPorts } from '../../../shared/reap';
import { requestIdFor } from '../../../shared/requests/identity';
import type { RequestRecord } from '../../../shared/requests/record';
import { createWebhookRegistry } from '../../../shared/runtime/sources';
import { createSourceRegistry } from '../../support/api-modules';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { CiSource } from '../../../shared/sources/names';
import type {
  AgentRequest,
  CiSourceAdapter,
  ConfiguredSource,
  SourceRegistry,
} from '../../../shared/sources/types';
import { CiUnavailableError } from '../../../shared/sources/errors';
import { ClusterUnavailableError } from '../../../shared/cluster/errors';
import { createMemoryState, type MemoryState } from '../../../shared/state/memory';
import {
  createBacklogGate,
  receiveWebhook,
  type WebhookPorts,
  type WebhookRequest,
} from '../../../shared/webhook';
import { newRecord } from '../../../shared/webhook/enqueue-build';
import type { RequestStore } from '../../../shared/state/request-store';
import { queuedRecord } from '../../support/records';

/**
 * Every flow's ports over the in-memory twins, built as the handlers build theirs
 * (functions/{webhook,provision}/handler.ts, shared/runtime/reap-ports.ts, functions/ops/handler.ts),
 * on one fake clock the stores, the cluster and the flows all read.
 */
/**
 * A flows' config: the generic CI (and `sources`, more sections under `sources:`), a global cap,
 * `templates` (YAML list lines, each ending in a newline), and the reaper's short test timings.
 */
export const genericFlowYaml = (
  templates: string,
  { globalCap = 5, sources = '' }: { globalCap?: number; sources?: string } = {},
): string => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: ${globalCap} }
sources:
  generic:
    webhookSecret: { value: generic-secret }
${sources}templates:
${templates}reaper:
  orphanGraceSeconds: 120
  lostGraceSeconds: 60
  staleQueuedSeconds: 900
`;

/** The flows' template `gen` (capped at 1, one retry) and template `big`'s line without its closing brace. */
const flowGen =
  '  - { name: gen, source: generic, labels: [linux], image: busybox, instanceCap: 1, retries: 1 }\n';
export const flowBig =
  '  - { name: big, source: generic, labels: [big], image: busybox, instanceCap: 3, retries: 0';

export const flowConfigYaml = genericFlowYaml(`${flowGen}${flowBig} }\n`);

export const webhookSecret = 'generic-secret';
/** How long one provision attempt holds its request (ProvisionPorts.attemptSeconds) in these tests. */
export const attemptSeconds = 30;
export const startMs = Date.parse('2026-03-01T12:00:00.000Z');

/** The config's secrets, all written inline. */
const inline = (ref: SecretRef): string => ('value' in ref ? ref.value : '');

export interface Twins {
  readonly config: PitcrewConfig;
  readonly namespace: string;
  readonly clock: ManualClock;
  readonly state: MemoryState;
  readonly agents: MemoryAgentClient;
  readonly queue: MemoryProvisionQueue;
  readonly webhook: WebhookPorts;
  readonly provision: ProvisionPorts;
  readonly reap: ReapPorts;
  readonly ops: OpsPorts;
}

export function createTwins(yaml: string = flowConfigYaml, options: { terminatingMs?: number } = {}): Twins {
  const clock = createManualClock(startMs);
  return twinsOver(yaml, {
    clock,
    state: createMemoryState({ now: clock.now }),
    agents: createMemoryAgentClient({ now: clock.now, terminatingMs: options.terminatingMs ?? 0 }),
    queue: createMemoryProvisionQueue(),
  });
}

/**
 * The same state, cluster, queue and clock as `twins`, with every function's ports built from another
 * config, as after `npm run package` and a deploy of an edited config (each bundle's config is
 * compiled in). `sources` overrides the API adapters (a named CI that keeps its agents, as `namedCi`
 * gives), and `logger` hears provision's and the reaper's logs.
 */
export const reconfigure = (
  twins: Twins,
  yaml: string,
  options: { sources?: SourceRegistry; logger?: LoggerPort } = {},
): Twins => twinsOver(yaml, twins, options);

/** Every function's ports from the config in `yaml`, over the given twins, as the handlers build theirs. */
function twinsOver(
  yaml: string,
  { clock, state, agents, queue }: Pick<Twins, 'clock' | 'state' | 'agents' | 'queue'>,
  options: { sources?: SourceRegistry; logger?: LoggerPort } = {},
): Twins {
  const config = parseConfig(yaml);
  const namespace = config.cluster.namespace;
  const logger = options.logger ?? silentLogger;
  const queries = state.queries;
  const sources = options.sources ?? createSourceRegistry(config.sources, inline);

  const webhook: WebhookPorts = {
    webhooks: createWebhookRegistry(config.sources, inline, clock.ms),
    backlog: createBacklogGate({ count: queries.countBacklog, now: clock.ms }),
    templates: config.templates,
    requests: state.requests,
    deliveries: state.deliveries,
    queue,
    logger: silentLogger,
    now: clock.now,
  };
  const provision: ProvisionPorts = {
    config: { ...config, namespace },
    sources,
    requests: state.requests,
    capacity: state.capacity,
    settings: state.settings,
    agents,
    logger,
    queue,
    attemptSeconds,
    now: clock.now,
  };
  const reap: ReapPorts = {
    config: { ...config, namespace },
    sources,
    requests: state.requests,
    capacity: state.capacity,
    settings: state.settings,
    leases: state.leases,
    agents,
    queue,
    logger,
    now: clock.now,
  };
  // The dead-letter queue is read through a raw SQS client (ops status, redrive): no twin either.
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  mockClient(sqs)
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
  // The twins' adapters are built up front, so there is nothing to load.
  const ops: OpsPorts = {
    ...reap,
    settings: state.settings,
    agents,
    queue,
    queries,
    sqs,
    dlqUrl: 'https://sqs.invalid/dlq',
    loadSources: () => Promise.resolve(),
  };
  return { config, namespace, clock, state, agents, queue, webhook, provision, reap, ops };
}

/** A generic delivery, signed at the twins' clock. */
export function genericDelivery(
  twins: Twins,
  action: 'queued' | 'started' | 'completed' | 'cancelled',
  jobId: string,
  options: { labels?: string[]; delivery?: string; secret?: string } = {},
): WebhookRequest {
  const body = JSON.stringify({ action, job: { id: jobId, labels: options.labels ?? ['linux'] } });
  return {
    source: 'generic',
    rawBody: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      'x-pitcrew-delivery': options.delivery ?? `${action}-${jobId}`,
      ...signedHeadersFor('generic', body, options.secret ?? webhookSecret, twins.clock.ms()),
    },
  };
}

export const genericRequestId = (jobId: string): string => requestIdFor('generic', jobId);

/** A generic build queued through the webhook (accepted), its message cleared from the queue: its request id. */
export async function queuedBuild(twins: Twins, jobId: string): Promise<string> {
  expect(await receiveWebhook(genericDelivery(twins, 'queued', jobId), twins.webhook)).toMatchObject({
    kind: 'accepted',
  });
  twins.queue.clear();
  return genericRequestId(jobId);
}

/**
 * The webhook's ports, whose `requests.end` runs `meanwhile` once, right after the read that finds
 * the request holding a slot: what moves it between the webhook's read and its write.
 */
export function webhookRacing(twins: Twins, meanwhile: () => Promise<void>): WebhookPorts {
  const requests = twins.webhook.requests;
  let raced = false;
  return {
    ...twins.webhook,
    requests: {
      ...requests,
      end: async (...args: Parameters<RequestStore['end']>) => {
        const ended = await requests.end(...args);
        if (ended.kind === 'holds-slot' && !raced) {
          raced = true;
          await meanwhile();
        }
        return ended;
      },
    },
  };
}

/**
 * Ops ports whose first read of `requestId` is followed by `meanwhile` (given what was read), before
 * the action goes on: what moves the request between an operator action's read and its write.
 */
export function opsAfterRead(
  twins: Twins,
  requestId: string,
  meanwhile: (read: RequestRecord | undefined) => Promise<void>,
): OpsPorts {
  let raced = false;
  return {
    ...twins.ops,
    requests: {
      ...twins.ops.requests,
      get: async (id: string) => {
        const record = await twins.ops.requests.get(id);
        if (!raced && id === requestId) {
          raced = true;
          await meanwhile(record);
        }
        return record;
      },
    },
  };
}

/**
 * Counts the most live pods seen right after each pod a provision function made: `watching(ports)`
 * gives the ports that count, `mostLive()` the count (a cap held shows as at most the cap).
 */
export function livePodWatch(twins: Twins) {
  let mostLive = 0;
  const watching = (ports: ProvisionPorts): ProvisionPorts => ({
    ...ports,
    agents: {
      ...ports.agents,
      createPod: async (pod) => {
        const created = await ports.agents.createPod(pod);
        mostLive = Math.max(mostLive, livePods(twins).length);
        return created;
      },
    },
  });
  return { watching, mostLive: () => mostLive };
}

/** build-2, queued a second later, waiting at gen's cap (1), its message done with. */
export async function waitingBuild2(twins: Twins): Promise<string> {
  twins.clock.advance(1);
  expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-2'), twins.webhook)).toMatchObject({
    kind: 'accepted',
  });
  const second = genericRequestId('build-2');
  expect(await provisionRequest(second, twins.provision)).toMatchObject({ kind: 'waiting' });
  twins.queue.clear();
  return second;
}

/** Records and provisions the generic builds `jobs` in turn, a second apart; their request ids. */
export async function provisionInTurn(twins: Twins, jobs: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const job of jobs) {
    const requestId = await recordQueued(twins, job);
    await provisionRequest(requestId, twins.provision);
    ids.push(requestId);
    twins.clock.advance(1);
  }
  return ids;
}

/** A queued request recorded straight in the store (as the webhook records it), its message not sent. */
export async function recordQueued(
  twins: Twins,
  jobId: string,
  template = 'gen',
  labels: string[] = ['linux'],
): Promise<string> {
  const requestId = genericRequestId(jobId);
  const at = twins.clock.now().toISOString();
  const record: RequestRecord = {
    requestId,
    source: 'generic',
    jobKey: jobId,
    status: 'queued',
    statusSince: at,
    createdAt: at,
    labels,
    details: { source: 'generic' },
    template,
    holdsSlot: false,
    attempts: 0,
    retriesUsed: 0,
  };
  const created = await twins.state.requests.createIfAbsent(record);
  if (!created.created) throw new Error(`request ${requestId} exists already`);
  return requestId;
}

/** A queued request recorded as `recordQueued` does, then provisioned: its request id. */
export async function provisionedBuild(
  twins: Twins,
  jobId: string,
  template = 'gen',
  labels: string[] = ['linux'],
): Promise<string> {
  const requestId = await recordQueued(twins, jobId, template, labels);
  const outcome = await provisionRequest(requestId, twins.provision);
  if (outcome.kind !== 'provisioned')
    throw new Error(`${jobId} was not provisioned: ${JSON.stringify(outcome)}`);
  return requestId;
}

/**
 * `ports` whose first release into `failed` meets the CI's `completed` of `jobId` just before it: the
 * webhook marks the request `ending` between a failing attempt's read and its release. `raced` says
 * whether that came.
 */
export function ciEndsBeforeFailedRelease(
  twins: Twins,
  ports: ProvisionPorts,
  jobId: string,
): { ports: ProvisionPorts; raced: () => boolean } {
  let raced = false;
  return {
    raced: () => raced,
    ports: {
      ...ports,
      capacity: {
        ...ports.capacity,
        release: async (...args: Parameters<ProvisionPorts['capacity']['release']>) => {
          if (args[2] === 'failed' && !raced) {
            raced = true;
            expect(
              await receiveWebhook(genericDelivery(twins, 'completed', jobId), twins.webhook),
            ).toMatchObject({
              kind: 'recorded',
              status: 'ending',
            });
          }
          return ports.capacity.release(...args);
        },
      },
    },
  };
}

/** The counters as a plain object: `global` and every template that ever moved. */
export async function slots(twins: Twins): Promise<{ global: number; templates: Record<string, number> }> {
  const { global, templates } = await twins.state.capacity.readCounters();
  return { global, templates: { ...templates } };
}

/** The names of the pods in the agents' namespace that are not being deleted. */
export const livePods = (twins: Twins): string[] =>
  twins.agents
    .pods(twins.namespace)
    .filter((pod) => !pod.metadata?.deletionTimestamp)
    .map((pod) => pod.metadata?.name ?? '');

/** Provision ports whose generic CI stops inside its agent-making call until `release` is called. */
export interface SlowCi {
  readonly ports: ProvisionPorts;
  /** Resolves once an attempt is inside the CI call. */
  readonly atCi: Promise<void>;
  readonly release: () => void;
  /** The agent ids the CI was asked to deregister. */
  readonly deregistered: (string | undefined)[];
}

/**
 * Template gen (cap 1) leaks its one slot (the counters say used, no request holds it), and a build of
 * it then waits: the reaper's counter repair, two runs a minute apart, frees the slot and wakes it.
 * Answers whether `runs` runs later the build got its agent.
 */
export async function leakedSlotServed(twins: Twins, runs = 3): Promise<boolean> {
  const { changes } = await twins.state.capacity.readCounters();
  await twins.state.capacity.repairCounter('global', 0, 1, changes?.global);
  await twins.state.capacity.repairCounter({ template: 'gen' }, 0, 1, changes?.templates.gen);
  const build = await recordQueued(twins, 'build-leaked-slot');
  const first = await provisionRequest(build, twins.provision);
  if (first.kind !== 'waiting')
    throw new Error(`the build behind the leaked slot did not wait: ${first.kind}`);
  for (let run = 0; run < runs; run += 1) {
    twins.clock.advance(60);
    await reap(twins.reap);
    for (const id of twins.queue.sentIds()) await provisionRequest(id, twins.provision);
    twins.queue.clear();
  }
  return (await twins.state.requests.get(build))?.status === 'provisioned';
}

/**
 * The agent of pod `podName` runs since now, the pod in `phase` (a sidecar still starting keeps it
 * Pending): the kubelet's part, which the twin leaves to us.
 */
export function runPod(twins: Twins, podName: string, phase: 'Running' | 'Pending' = 'Running'): void {
  twins.agents.setStatus(twins.namespace, podName, {
    phase,
    startTime: twins.clock.now(),
    containerStatuses: [
      {
        name: 'agent',
        image: 'busybox',
        imageID: '',
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: twins.clock.now() } },
      },
    ],
  });
}

/** The agent of pod `podName` ended, `phase`, with `exitCode` (the kubelet's part, which the twin leaves to us). */
export function finishPod(
  twins: Twins,
  podName: string,
  phase: 'Succeeded' | 'Failed',
  exitCode: number,
): void {
  twins.agents.setStatus(twins.namespace, podName, {
    phase,
    containerStatuses: [
      {
        name: 'agent',
        image: 'busybox',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode,
            reason: phase === 'Failed' ? 'Error' : 'Completed',
            finishedAt: twins.clock.now(),
          },
        },
      },
    ],
  });
}

/** Provision ports whose CI `source`'s adapter has `calls` (made from the real adapter) instead. */
export const withCiAdapter = (
  twins: Twins,
  calls: (real: CiSourceAdapter) => Partial<CiSourceAdapter>,
  source: CiSource = 'generic',
): ProvisionPorts => withAdapterCalls(twins.provision, calls, source);

/** Any function's ports (provision, reap, ops) whose CI `source`'s adapter has `calls` instead. */
export function withAdapterCalls<P extends { readonly sources: Partial<Record<CiSource, ConfiguredSource>> }>(
  ports: P,
  calls: (real: CiSourceAdapter) => Partial<CiSourceAdapter>,
  source: CiSource = 'generic',
): P {
  const configured = ports.sources[source];
  if (!configured) throw new Error(`the twins configure no ${source} CI`);
  return {
    ...ports,
    sources: {
      ...ports.sources,
      [source]: { ...configured, adapter: { ...configured.adapter, ...calls(configured.adapter) } },
    },
  };
}

/** A slow generic CI (answering with agent id `externalId`, when given), for an attempt caught mid-way. */
export function slowCi(twins: Twins, externalId?: string): SlowCi {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reachedCi: () => void = () => undefined;
  const atCi = new Promise<void>((resolve) => (reachedCi = resolve));
  const deregistered: (string | undefined)[] = [];
  const ports = withCiAdapter(twins, (real) => ({
    async createAgentCredentials(request) {
      reachedCi();
      await gate;
      const credentials = await real.createAgentCredentials(request);
      return externalId === undefined ? credentials : { ...credentials, externalId };
    },
    async deregisterAgent(agent) {
      deregistered.push(agent.externalId);
      return real.deregisterAgent(agent);
    },
  }));
  return { ports, atCi, release: () => release(), deregistered };
}

/** The token the GitHub flows' stand-in (infra/local/stand-ins/github-api.ts) accepts. */
export const githubToken = 'ghp_PitcrewTestToken0123456789abcdefABCD';

/** The GitHub flows' config: one template `gh` (one retry) against the GitHub stand-in at `apiUrl`. */
export const githubFlowYaml = (apiUrl: string): string => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  github:
    webhookSecret: { value: gh-secret }
    apiUrl: ${apiUrl}
    auth: { token: { value: ${githubToken} } }
    repositories: [acme/*]
templates:
  - { name: gh, source: github, labels: [self-hosted, linux], instanceCap: 2, retries: 1 }
reaper:
  orphanGraceSeconds: 120
  lostGraceSeconds: 60
  staleQueuedSeconds: 900
`;

/** A GitHub build of acme/app (`jobKey`) recorded as the webhook records it, for `template`: its request id. */
export async function recordGithubBuild(twins: Twins, jobKey: string, template: string): Promise<string> {
  const requestId = requestIdFor('github', jobKey);
  const event = {
    source: 'github',
    jobKey,
    action: 'queued',
    deliveryId: `d-${jobKey}`,
    labels: ['self-hosted', 'linux'],
    details: { source: 'github', owner: 'acme', repo: 'app' },
  } as const;
  const record: RequestRecord = { ...newRecord(event as never, requestId, twins.clock.now()), template };
  const created = await twins.state.requests.createIfAbsent(record);
  if (!created.created) throw new Error(`request ${requestId} exists already`);
  return requestId;
}

/** Jenkins build `job/app#7`, queued for `template` with one `label`, as the webhook records it: its request id. */
export async function recordJenkinsBuild(
  twins: Twins,
  { controllerUrl, label, template }: { controllerUrl: string; label: string; template: string },
): Promise<string> {
  const requestId = requestIdFor('jenkins', 'job/app#7');
  const at = twins.clock.now().toISOString();
  const record = queuedRecord(requestId, {
    source: 'jenkins',
    jobKey: 'job/app#7',
    statusSince: at,
    createdAt: at,
    labels: [label],
    details: { source: 'jenkins', controllerUrl, queueItemId: 7, label },
    template,
  });
  const created = await twins.state.requests.createIfAbsent(record);
  if (!created.created) throw new Error(`request ${requestId} exists already`);
  return requestId;
}

/**
 * A generic CI that keeps its agents by name (as Jenkins keeps nodes, GitHub JIT runners, GitLab
 * runners) and counts its removal calls. With `failOnce`, its agent call registers the agent, then
 * fails for now once (as Jenkins answering 503 to the secret's read after making the node, or an
 * answer timing out after the CI did the work); while `down`, it cannot remove one either.
 * `onDeregister` runs inside its removal call, before it answers.
 */
export function namedCi(
  twins: Twins,
  options: { failOnce?: boolean; onDeregister?: () => Promise<void> } = {},
) {
  const registered = new Set<string>();
  const removals: string[] = [];
  const state = { failOnce: options.failOnce ?? false, down: false };
  const generic = twins.provision.sources.generic!;
  const sources = {
    generic: {
      ...generic,
      adapter: {
        ...generic.adapter,
        async createAgentCredentials(request: AgentRequest) {
          registered.add(request.agentName);
          if (state.failOnce) {
            state.failOnce = false;
            throw new CiUnavailableError('timed out reading the agent secret (the node was made)');
          }
          return generic.adapter.createAgentCredentials(request);
        },
        async deregisterAgent(agent: AgentRequest) {
          removals.push(agent.agentName);
          if (options.onDeregister) await options.onDeregister();
          if (state.down) throw new CiUnavailableError('the CI is down');
          registered.delete(agent.agentName);
        },
      },
    },
  };
  const provision: ProvisionPorts = { ...twins.provision, sources };
  const reapPorts: ReapPorts = { ...twins.reap, sources };
  return { registered, removals, state, provision, reapPorts };
}

/**
 * `ci`'s provision ports whose pod create times out though the API server makes the pod, and the CI
 * goes down at that moment: a late pod, whose agent a failing attempt cannot remove.
 */
export const lateCreate = (twins: Twins, ci: ReturnType<typeof namedCi>): ProvisionPorts => ({
  ...ci.provision,
  agents: {
    ...ci.provision.agents,
    createPod: async (pod) => {
      await twins.agents.createPod(pod);
      ci.state.down = true;
      throw new ClusterUnavailableError('the API server timed out', 504);
    },
  },
});
