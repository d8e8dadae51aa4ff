import type { CoreV1Event, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { AgentClient } from '../ports/agent-client';
import { on } from '../ports/operation';
import { ClusterUnavailableError } from './errors';
import type { PodApi } from './pod-api';
import { isAlreadyExists, isNotFound, translateClusterError } from './translate';

export async function createAgentPod(core: PodApi, pod: V1Pod): Promise<{ pod: V1Pod; adopted: boolean }> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  try {
    // Strict: a field this API server does not know (a podYaml's field newer than the cluster: the
    // config's check knows client-node's schema) fails the build, rather than a pod made without it.
    return {
      pod: await core.createNamespacedPod({ namespace, body: pod, fieldValidation: 'Strict' }),
      adopted: false,
    };
  } catch (error) {
    if (!isAlreadyExists(error)) throw translateClusterError(error, `creating pod ${namespace}/${name}`);
  }
  let existing: V1Pod | undefined;
  try {
    existing = await core.readNamespacedPod({ namespace, name });
  } catch (error) {
    if (!isNotFound(error)) throw translateClusterError(error, `reading existing pod ${namespace}/${name}`);
  }
  // Going, or gone since the 409 (a retry right after the reaper deleted this name's last pod):
  // adopting it would record an agent that is about to vanish. Try again once it is gone.
  if (!existing || existing.metadata?.deletionTimestamp)
    throw new ClusterUnavailableError(`pod ${namespace}/${name} is still being deleted; retrying later`, 409);
  return { pod: existing, adopted: true };
}

export async function putAgentSecret(core: PodApi, secret: V1Secret): Promise<void> {
  const namespace = secret.metadata?.namespace ?? '';
  const name = secret.metadata?.name ?? '';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await core.createNamespacedSecret({ namespace, body: secret });
      return;
    } catch (error) {
      if (!isAlreadyExists(error)) throw translateClusterError(error, `creating secret ${namespace}/${name}`);
      // There again right after its delete: a create of ours the API server took before the client
      // lost its answer and sent it again (bearer-api.ts). Not a refusal of the Secret: try later.
      if (attempt > 0)
        throw new ClusterUnavailableError(
          `secret ${namespace}/${name} exists again after its delete; retrying later`,
          409,
        );
    }
    try {
      await core.deleteNamespacedSecret({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw translateClusterError(error, `replacing secret ${namespace}/${name}`);
    }
  }
}

export async function deleteAgentPod(
  core: PodApi,
  namespace: string,
  name: string,
  uid?: string,
): Promise<boolean> {
  try {
    // Without a uid the precondition is empty, and holds for any pod.
    await core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid } } });
  } catch (error) {
    // A failed precondition answers 409 (as a name already taken does): the pod of that name is another.
    if (uid !== undefined && isAlreadyExists(error)) return false;
    if (!isNotFound(error)) throw translateClusterError(error, `deleting pod ${namespace}/${name}`);
  }
  return true;
}

/** Whether a previous attempt already made this agent's pod and Secret (what `resume` reuses). */
export async function findAgent(
  core: PodApi,
  namespace: string,
  podName: string,
): Promise<{ pod?: V1Pod; hasSecret: boolean }> {
  let pod: V1Pod;
  try {
    pod = await core.readNamespacedPod({ namespace, name: podName });
  } catch (error) {
    if (isNotFound(error)) return { hasSecret: false };
    throw translateClusterError(error, `reading pod ${namespace}/${podName}`);
  }
  return { pod, hasSecret: await secretExists(core, namespace, podName) };
}

/**
 * Whether a Secret of that name exists, without reading it: the Role has no `get` on secrets, so
 * agent credentials can be written but never read back. A dry-run create persists nothing and
 * answers 409 when the name is taken (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run).
 */
async function secretExists(core: PodApi, namespace: string, name: string): Promise<boolean> {
  try {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name } }, dryRun: 'All' });
    return false;
  } catch (error) {
    if (isAlreadyExists(error)) return true;
    throw translateClusterError(error, `checking for secret ${namespace}/${name}`);
  }
}

/**
 * Every pod matching `labelSelector`, in pages of `pageSize` (one API call per page): the reaper's
 * single read of the cluster per run.
 */
export async function listAgentPods(
  core: PodApi,
  namespace: string,
  labelSelector: string,
  pageSize = 500,
): Promise<V1Pod[]> {
  const pods: V1Pod[] = [];
  let next: string | undefined;
  do {
    try {
      const page = await core.listNamespacedPod({
        namespace,
        labelSelector,
        limit: pageSize,
        _continue: next,
      });
      pods.push(...page.items);
      next = page.metadata?._continue || undefined;
    } catch (error) {
      throw translateClusterError(error, `listing pods in ${namespace}`);
    }
  } while (next);
  return pods;
}

/** One agent pod (absent if gone) and the events about it, for an operator asking why. */
export async function describeAgent(
  core: PodApi,
  namespace: string,
  podName: string,
): Promise<{ pod?: V1Pod; events: CoreV1Event[] }> {
  let pod: V1Pod | undefined;
  try {
    pod = await core.readNamespacedPod({ namespace, name: podName });
  } catch (error) {
    if (!isNotFound(error)) throw translateClusterError(error, `reading pod ${namespace}/${podName}`);
  }
  try {
    const events = await core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${podName}`,
    });
    return { pod, events: events.items };
  } catch (error) {
    throw translateClusterError(error, `listing events of pod ${namespace}/${podName}`);
  }
}

/**
 * Agent pods and their credential Secrets. The pod is created first and the Secret second, owned by
 * the pod (so Kubernetes deletes it with the pod): the provisioner's Role has no patch on secrets,
 * so the owner must be known when the Secret is created. A pod that exists already (a retry) is
 * adopted; a Secret that exists already is replaced, because a retry may carry new credentials.
 * Each call is an operation on the API, so that a function binds only those it makes
 * (shared/ports/operation.ts); this client binds them all.
 */
export function createAgentClient(core: PodApi): AgentClient {
  return {
    createPod: on(core, createAgentPod),
    putSecret: on(core, putAgentSecret),
    deletePod: on(core, deleteAgentPod),
    findAgent: on(core, findAgent),
    listPods: on(core, listAgentPods),
    describeAgent: on(core, describeAgent),
  };
}

export type { AgentClient } from '../ports/agent-client';
