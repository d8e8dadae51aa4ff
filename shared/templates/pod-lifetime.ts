import type { V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';

// Apart from lifetime-checks.ts: the functions render with these, only the config checks use those.

/**
 * The longest an agent's containers get between SIGTERM and SIGKILL, in seconds: Kubernetes' own
 * default. A build that traps SIGTERM runs on for the whole grace period after the reaper deletes its
 * pod, or after `activeDeadlineSeconds` ends it, so this is what a pod's maximum lifetime overruns by
 * at most. 30 s lets an agent say goodbye to its CI (a runner's or agent's shutdown takes seconds); a
 * build's own cleanup that needs longer belongs inside the build, within `maxLifetimeSeconds`.
 */
export const maxTerminationGraceSeconds = 30;

/**
 * Metadata that would hand an agent pod's end to someone other than Pitcrew: a finalizer keeps a
 * deleted pod Terminating (and the reaper waiting on it, and its credential Secret, which the pod
 * owns, undeleted) until something removes it; an owner reference lets another object's garbage
 * collection delete the pod mid-build, or wait on it. Pitcrew sets neither on its pods.
 */
export const lifetimeMetadataFields = ['finalizers', 'ownerReferences'] as const;

/** `metadata` without the fields above, whatever a podYaml put there. */
export function withoutLifetimeMetadata(metadata: V1ObjectMeta): V1ObjectMeta {
  const dropped: readonly string[] = lifetimeMetadataFields;
  return Object.fromEntries(
    Object.entries(metadata).filter(([key]) => !dropped.includes(key)),
  ) as V1ObjectMeta;
}

/**
 * The pod's bounds on its own life. podYaml may shorten the deadline and the grace period (the API
 * server judges the values), never lengthen them; one that is not a number gets the bound.
 */
export function lifetimeBounds(
  spec: Pick<V1PodSpec, 'activeDeadlineSeconds' | 'terminationGracePeriodSeconds'>,
  maxLifetimeSeconds: number,
): Required<Pick<V1PodSpec, 'activeDeadlineSeconds' | 'terminationGracePeriodSeconds'>> {
  const deadline: unknown = spec.activeDeadlineSeconds;
  const grace: unknown = spec.terminationGracePeriodSeconds;
  return {
    activeDeadlineSeconds:
      typeof deadline === 'number' && deadline < maxLifetimeSeconds ? deadline : maxLifetimeSeconds,
    terminationGracePeriodSeconds:
      typeof grace === 'number' && grace <= maxTerminationGraceSeconds ? grace : maxTerminationGraceSeconds,
  };
}
