import type { V1Pod } from '@kubernetes/client-node';

/** Labels and annotations that mark Pitcrew's objects; the reaper selects on `managedBy`. */
export const pitcrewLabels = {
  managedBy: 'app.kubernetes.io/managed-by',
  requestId: 'pitcrew.dev/request-id',
  template: 'pitcrew.dev/template',
  source: 'pitcrew.dev/source',
} as const;

export const managedByValue = 'pitcrew';
export const managedSelector = `${pitcrewLabels.managedBy}=${managedByValue}`;

/**
 * Whether `pod` is one Pitcrew made for this request: it carries Pitcrew's labels for that request id
 * and template. Pod names are deterministic, so a pod of another request, an agent of an earlier
 * Pitcrew, or anything else made in the namespace can hold a request's name first; such a pod is
 * never adopted, nor given the build's credentials. (Labels are not a signature: keeping others from
 * creating pods in the agents' namespace is its RBAC's job, infra/k8s.)
 */
export function isPodMadeFor(pod: V1Pod, request: { requestId: string; template: string }): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (
    labels[pitcrewLabels.managedBy] === managedByValue &&
    labels[pitcrewLabels.requestId] === request.requestId &&
    labels[pitcrewLabels.template] === request.template
  );
}
