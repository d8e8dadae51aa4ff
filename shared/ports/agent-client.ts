import type { CoreV1Event, V1Pod, V1Secret } from '@kubernetes/client-node';

/** What `createPod` answers: the pod the API server holds, and whether it existed already. */
export interface CreatedPod {
  pod: V1Pod;
  adopted: boolean;
}

/** What `findAgent` answers: the pod of that name (absent if none) and whether its Secret exists. */
export interface FoundAgent {
  pod?: V1Pod;
  hasSecret: boolean;
}

/** What `describeAgent` answers: the pod (absent if gone) and the events about it. */
export interface AgentDescription {
  pod?: V1Pod;
  events: CoreV1Event[];
}

/**
 * Agent pods and their credential Secrets in the agents' namespace: what provision, reap and ops ask
 * of the cluster. Adapters: the Kubernetes API (shared/cluster/agents.ts), in memory
 * (shared/cluster/memory/); both are held to test/contracts/agent-client.ts.
 *
 * Errors: every method throws a `ClusterError` (shared/cluster/errors.ts) when the API server fails.
 * `ClusterUnavailableError` (`retryable`) for a network failure, 401, 408, 429, 5xx and a full
 * ResourceQuota; `ClusterRejectedError` (not retryable) for 400, 403, 404 and 422 it does not handle
 * itself, with the API server's message, which names the field. `status` holds the HTTP status when
 * there was one. The 409s and 404s each method handles itself are listed below.
 */
export interface AgentClient {
  /**
   * Creates the pod in `pod.metadata.namespace` (`adopted: false`, the pod as created: uid, labels).
   * A 409 (a pod of that name exists, a retry's) adopts the existing pod: `adopted: true` and the
   * existing pod as read, with its own labels and uid, never the ones asked for (the caller judges
   * with `isPodMadeFor` whether it may use it). An existing pod that is being deleted (a
   * `deletionTimestamp`) is not adopted: throws `ClusterUnavailableError` with status 409, so the
   * caller retries once it is gone.
   */
  createPod(pod: V1Pod): Promise<CreatedPod>;

  /**
   * Creates the Secret; a 409 (it exists) deletes it and creates it again, once, because a retry may
   * carry new credentials (the Role has no patch on secrets). Its owner references are kept as given:
   * an owner reference to the agent pod's uid lets Kubernetes delete it with the pod.
   */
  putSecret(secret: V1Secret): Promise<void>;

  /**
   * Asks for the pod's deletion. A 404 (already gone) is fine. The pod may stay a while, terminating
   * (`deletionTimestamp` set, still read and listed), before it is gone; its owned Secret goes after.
   * With `uid`, only the pod of that uid (the API server's precondition): false, nothing deleted, when
   * the pod of that name is another, made since the caller read it (an attempt resumed remakes its
   * pod under the same name).
   */
  deletePod(namespace: string, name: string, uid?: string): Promise<boolean>;

  /**
   * The pod of that name, absent on a 404, and whether a Secret of that name exists (found without
   * reading it: the Role cannot read secrets). A terminating pod is answered as it is.
   */
  findAgent(namespace: string, podName: string): Promise<FoundAgent>;

  /**
   * Every pod in `namespace` matching `labelSelector` (Kubernetes label-selector syntax), read in
   * pages of `pageSize` (default 500), following the continue token to the last page. Terminating
   * pods are included. A failure on any page throws; no partial list is answered.
   */
  listPods(namespace: string, labelSelector: string, pageSize?: number): Promise<V1Pod[]>;

  /**
   * The pod (absent on a 404) and the events whose involved object is a pod of that name, for an
   * operator asking why.
   */
  describeAgent(namespace: string, podName: string): Promise<AgentDescription>;
}
