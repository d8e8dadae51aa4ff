import type { Clock } from '../../ports/clock';
import {
  ApiException,
  type CoreV1Event,
  type V1Pod,
  type V1PodStatus,
  type V1Secret,
} from '@kubernetes/client-node';
import type { AgentClient } from '../../ports/agent-client';
import { ClusterUnavailableError } from '../errors';
import { translateClusterError } from '../translate';
import { matchesLabelSelector, parseLabelSelector, type LabelRequirement } from './label-selector';
import { messageOf } from '../../message-of';

/** The failures `failNext` makes the API calls answer, as an overloaded or failing API server does. */
export type MemoryClusterFailure = 429 | 500 | 503;

export interface MemoryAgentClientOptions {
  /** The clock deletion reads (`deletionTimestamp`, how long a pod stays terminating). */
  readonly now?: Clock;
  /**
   * How long a deleted pod stays terminating (read and listed with its `deletionTimestamp`) before it
   * is gone, as the kubelet takes a while to confirm. 0 (the default): gone at once.
   */
  readonly terminatingMs?: number;
}

/**
 * The in-memory twin of the agent cluster (`AgentClient`, shared/ports/agent-client.ts), for the
 * flows' unit tests: pods and Secrets per namespace, held to test/contracts/agent-client.ts as the
 * Kubernetes adapter is. It makes the same API calls the adapter makes (a 409 on create reads the
 * pod, a 409 on a Secret deletes and creates it again) so `failNext` counts calls as a failing API
 * server would, and it throws what the adapter throws (through `translateClusterError`).
 */
export interface MemoryAgentClient extends AgentClient {
  /** A copy of the pod as stored (terminating ones too), or undefined. */
  pod(namespace: string, name: string): V1Pod | undefined;
  /** A copy of the Secret as stored (`stringData` folded into base64 `data`), or undefined. */
  secret(namespace: string, name: string): V1Secret | undefined;
  /** Copies of the namespace's pods, by name. */
  pods(namespace: string): V1Pod[];
  /** Copies of the namespace's Secrets, by name. */
  secrets(namespace: string): V1Secret[];
  /**
   * Sets a pod's finalizers, as a patch would: a deleted pod keeps terminating while it has any, and
   * is gone once they are cleared (and its terminating time is past).
   */
  setFinalizers(namespace: string, name: string, finalizers: readonly string[]): void;
  /**
   * Sets a pod's status, as the kubelet would (the twin runs nothing: a created pod stays `Pending`
   * until told), for the reaper's and ops' views of phases and containers.
   */
  setStatus(namespace: string, name: string, status: V1PodStatus): void;
  /** Records an event (its `involvedObject` names the pod) for `describeAgent`. */
  addEvent(event: CoreV1Event): void;
  /**
   * Makes the next `calls` API calls (each method makes one or more, as the adapter does) fail with
   * `status` before reading or writing anything: 429 and 5xx, as `translateClusterError` sorts them.
   */
  failNext(calls?: number, status?: MemoryClusterFailure): void;
  /** Ends `failNext`. */
  recover(): void;
  /** How many API calls were made (failed ones too). */
  readonly apiCalls: () => number;
}

const statusBodies: Record<number, { reason: string; message: string }> = {
  429: { reason: 'TooManyRequests', message: 'Too many requests, please try again later.' },
  500: { reason: 'InternalError', message: 'the server is unavailable' },
  503: { reason: 'ServiceUnavailable', message: 'the server is unavailable' },
};

/** An ApiException as the client library throws it for a Kubernetes Status answer. */
function apiError(code: number, reason: string, message: string): ApiException<string> {
  const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  return new ApiException(code, `HTTP-Code: ${code}`, JSON.stringify(body), {});
}

// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function invalidName(kind: string, name: string): ApiException<string> | undefined {
  if (name === '')
    return apiError(
      422,
      'Invalid',
      `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
    );
  if (name.length > 253 || !dnsSubdomain.test(name))
    return apiError(
      422,
      'Invalid',
      `${kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  return undefined;
}

const byName = <T extends { metadata?: { name?: string } }>(a: T, b: T): number =>
  (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;

/** Folds `stringData` into base64 `data`, as the API server stores a Secret. */
function storedSecret(secret: V1Secret): V1Secret {
  const { stringData, ...rest } = structuredClone(secret);
  const data = { ...(rest.data ?? {}) };
  for (const [key, value] of Object.entries(stringData ?? {}))
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  return { ...rest, apiVersion: 'v1', kind: 'Secret', type: rest.type ?? 'Opaque', data };
}

export function createMemoryAgentClient(options: MemoryAgentClientOptions = {}): MemoryAgentClient {
  const now = options.now ?? (() => new Date());
  const terminatingMs = options.terminatingMs ?? 0;
  const pods = new Map<string, Map<string, V1Pod>>();
  const secrets = new Map<string, Map<string, V1Secret>>();
  const events: CoreV1Event[] = [];
  let failing = 0;
  let failStatus: MemoryClusterFailure = 503;
  let calls = 0;
  let serial = 0;

  const inNamespace = <T>(store: Map<string, Map<string, T>>, namespace: string): Map<string, T> => {
    let objects = store.get(namespace);
    if (!objects) store.set(namespace, (objects = new Map()));
    return objects;
  };

  /** Deterministic uids, shaped like the API server's (UUIDs). */
  function nextUid(): string {
    serial += 1;
    return `00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`;
  }
  const nextVersion = (): string => String(serial + 1000);

  /**
   * What the kubelet and the garbage collector do in the background, done before every call: a
   * terminating pod whose time is past and that has no finalizers is gone; a Secret none of whose
   * owners (by uid) exists any more goes too. (The real garbage collector does this some seconds
   * later; a Secret created with an owner uid that never existed goes at the next call here.)
   */
  function settle(): void {
    const at = now().getTime();
    for (const objects of pods.values())
      for (const [name, pod] of objects) {
        const deletion = pod.metadata?.deletionTimestamp;
        if (deletion && deletion.getTime() <= at && !(pod.metadata?.finalizers ?? []).length)
          objects.delete(name);
      }
    for (const [namespace, objects] of secrets) {
      const uids = new Set([...inNamespace(pods, namespace).values()].map((pod) => pod.metadata?.uid));
      for (const [name, secret] of objects) {
        const owners = secret.metadata?.ownerReferences ?? [];
        if (owners.length > 0 && !owners.some((owner) => uids.has(owner.uid))) objects.delete(name);
      }
    }
  }

  /** One API call: fails while `failNext` says so, as the adapter would report it. */
  function call(action: string): void {
    calls += 1;
    settle();
    if (failing <= 0) return;
    failing -= 1;
    const body = statusBodies[failStatus] ?? { reason: 'InternalError', message: 'failing' };
    throw translateClusterError(apiError(failStatus, body.reason, body.message), action);
  }

  const refuse = (error: ApiException<string>, action: string) => translateClusterError(error, action);

  async function createPod(input: V1Pod): Promise<{ pod: V1Pod; adopted: boolean }> {
    const namespace = input.metadata?.namespace ?? '';
    const name = input.metadata?.name ?? '';
    call(`creating pod ${namespace}/${name}`);
    const objects = inNamespace(pods, namespace);
    const invalid = invalidName('Pod', name);
    if (invalid) throw refuse(invalid, `creating pod ${namespace}/${name}`);
    if (!objects.has(name)) {
      const pod = structuredClone(input);
      pod.apiVersion = 'v1';
      pod.kind = 'Pod';
      pod.metadata = {
        ...pod.metadata,
        name,
        namespace,
        uid: nextUid(),
        resourceVersion: nextVersion(),
        creationTimestamp: now(),
      };
      delete pod.metadata.deletionTimestamp;
      pod.status = { phase: 'Pending' };
      objects.set(name, pod);
      return { pod: structuredClone(pod), adopted: false };
    }
    call(`reading existing pod ${namespace}/${name}`);
    const existing = objects.get(name);
    // Gone between the two calls (a delete's time passed): the adapter reads a 404.
    if (!existing)
      throw refuse(
        apiError(404, 'NotFound', `pods "${name}" not found`),
        `reading existing pod ${namespace}/${name}`,
      );
    if (existing.metadata?.deletionTimestamp)
      throw new ClusterUnavailableError(
        `pod ${namespace}/${name} is still being deleted; retrying later`,
        409,
      );
    return { pod: structuredClone(existing), adopted: true };
  }

  async function putSecret(secret: V1Secret): Promise<void> {
    const namespace = secret.metadata?.namespace ?? '';
    const name = secret.metadata?.name ?? '';
    const action = `creating secret ${namespace}/${name}`;
    call(action);
    const invalid = invalidName('Secret', name);
    if (invalid) throw refuse(invalid, action);
    const objects = inNamespace(secrets, namespace);
    if (objects.has(name)) {
      call(`replacing secret ${namespace}/${name}`);
      objects.delete(name);
      call(action);
    }
    const stored = storedSecret(secret);
    stored.metadata = {
      ...stored.metadata,
      name,
      namespace,
      uid: nextUid(),
      resourceVersion: nextVersion(),
      creationTimestamp: now(),
    };
    objects.set(name, stored);
  }

  async function deletePod(namespace: string, name: string, uid?: string): Promise<boolean> {
    call(`deleting pod ${namespace}/${name}`);
    const pod = inNamespace(pods, namespace).get(name);
    if (pod && uid !== undefined && pod.metadata?.uid !== uid) return false;
    if (!pod?.metadata || pod.metadata.deletionTimestamp) return true;
    pod.metadata.deletionTimestamp = new Date(now().getTime() + terminatingMs);
    pod.metadata.resourceVersion = nextVersion();
    settle();
    return true;
  }

  function secretExists(namespace: string, name: string): boolean {
    call(`checking for secret ${namespace}/${name}`);
    return inNamespace(secrets, namespace).has(name);
  }

  async function findAgent(namespace: string, podName: string): Promise<{ pod?: V1Pod; hasSecret: boolean }> {
    call(`reading pod ${namespace}/${podName}`);
    const pod = inNamespace(pods, namespace).get(podName);
    if (!pod) return { hasSecret: false };
    const found = structuredClone(pod);
    return { pod: found, hasSecret: secretExists(namespace, podName) };
  }

  /** One page of a list: the pods after the continue token (the last name given), by name. */
  function listPage(
    namespace: string,
    selector: LabelRequirement[],
    limit: number,
    after: string | undefined,
  ): { items: V1Pod[]; next?: string } {
    call(`listing pods in ${namespace}`);
    const matching = [...inNamespace(pods, namespace).values()]
      .filter((pod) => matchesLabelSelector(selector, pod.metadata?.labels ?? {}))
      .filter((pod) => after === undefined || (pod.metadata?.name ?? '') > after)
      .sort(byName);
    const items = limit > 0 ? matching.slice(0, limit) : matching;
    const last = items.at(-1)?.metadata?.name;
    const next =
      matching.length > items.length && last !== undefined
        ? Buffer.from(JSON.stringify({ after: last })).toString('base64url')
        : undefined;
    return { items: items.map((pod) => structuredClone(pod)), ...(next ? { next } : {}) };
  }

  async function listPods(namespace: string, labelSelector: string, pageSize = 500): Promise<V1Pod[]> {
    let selector: LabelRequirement[];
    try {
      selector = parseLabelSelector(labelSelector);
    } catch (error) {
      call(`listing pods in ${namespace}`);
      const message = messageOf(error);
      throw refuse(
        apiError(400, 'BadRequest', `unable to parse requirement: ${message}`),
        `listing pods in ${namespace}`,
      );
    }
    const all: V1Pod[] = [];
    let token: string | undefined;
    do {
      const after = token
        ? (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: string }).after
        : undefined;
      const page = listPage(namespace, selector, pageSize, after);
      all.push(...page.items);
      token = page.next;
    } while (token);
    return all;
  }

  async function describeAgent(
    namespace: string,
    podName: string,
  ): Promise<{ pod?: V1Pod; events: CoreV1Event[] }> {
    call(`reading pod ${namespace}/${podName}`);
    const pod = inNamespace(pods, namespace).get(podName);
    call(`listing events of pod ${namespace}/${podName}`);
    const about = events.filter(
      (event) =>
        (event.metadata?.namespace ?? event.involvedObject.namespace) === namespace &&
        event.involvedObject.kind === 'Pod' &&
        event.involvedObject.name === podName,
    );
    return {
      ...(pod ? { pod: structuredClone(pod) } : {}),
      events: about.map((event) => structuredClone(event)),
    };
  }

  return {
    createPod,
    putSecret,
    deletePod,
    findAgent,
    listPods,
    describeAgent,
    pod: (namespace, name) => {
      settle();
      const pod = inNamespace(pods, namespace).get(name);
      return pod ? structuredClone(pod) : undefined;
    },
    secret: (namespace, name) => {
      settle();
      const secret = inNamespace(secrets, namespace).get(name);
      return secret ? structuredClone(secret) : undefined;
    },
    pods: (namespace) => {
      settle();
      return [...inNamespace(pods, namespace).values()].sort(byName).map((pod) => structuredClone(pod));
    },
    secrets: (namespace) => {
      settle();
      return [...inNamespace(secrets, namespace).values()]
        .sort(byName)
        .map((secret) => structuredClone(secret));
    },
    setFinalizers: (namespace, name, finalizers) => {
      const pod = inNamespace(pods, namespace).get(name);
      if (!pod?.metadata) throw new Error(`no pod ${namespace}/${name} to set finalizers on`);
      pod.metadata.finalizers = [...finalizers];
      if (finalizers.length === 0) delete pod.metadata.finalizers;
      settle();
    },
    setStatus: (namespace, name, status) => {
      settle();
      const pod = inNamespace(pods, namespace).get(name);
      if (!pod?.metadata) throw new Error(`no pod ${namespace}/${name} to set the status of`);
      pod.status = structuredClone(status);
      pod.metadata.resourceVersion = nextVersion();
    },
    addEvent: (event) => {
      events.push(structuredClone(event));
    },
    failNext: (count = Infinity, status = 503) => {
      failing = count;
      failStatus = status;
    },
    recover: () => {
      failing = 0;
    },
    apiCalls: () => calls,
  };
}
