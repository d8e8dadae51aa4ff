import type { CoreV1EventList, V1Pod, V1PodList, V1Secret } from '@kubernetes/client-node';

/**
 * The seven calls of the Kubernetes core API the agent client makes (agents.ts), in the shape of
 * @kubernetes/client-node's CoreV1Api, which satisfies it. Two clients implement it: CoreV1Api (a
 * kubeconfig file: any auth a kubeconfig can hold), and bearer-api.ts (a bearer token: what a deployed
 * function uses with EKS or a ServiceAccount token), which sends these seven requests itself and so
 * leaves client-node and its generated models out of the functions' cold start.
 *
 * A failed call rejects with an error carrying the HTTP status as `code` and the answer as `body`, as
 * client-node's ApiException does (translate.ts reads either).
 */
export interface PodApi {
  /** `fieldValidation: 'Strict'`: a field the API server does not know is refused, not dropped. */
  createNamespacedPod(param: { namespace: string; body: V1Pod; fieldValidation?: 'Strict' }): Promise<V1Pod>;
  readNamespacedPod(param: { namespace: string; name: string }): Promise<V1Pod>;
  deleteNamespacedPod(param: {
    namespace: string;
    name: string;
    body?: { preconditions?: { uid?: string } };
  }): Promise<unknown>;
  listNamespacedPod(param: {
    namespace: string;
    labelSelector?: string;
    limit?: number;
    _continue?: string;
  }): Promise<V1PodList>;
  createNamespacedSecret(param: { namespace: string; body: V1Secret; dryRun?: string }): Promise<V1Secret>;
  deleteNamespacedSecret(param: { namespace: string; name: string }): Promise<unknown>;
  listNamespacedEvent(param: { namespace: string; fieldSelector?: string }): Promise<CoreV1EventList>;
}
