import { queueLimits } from '../queue/limits';
import type { PitcrewConfig } from '../config/file-schema';

/**
 * The reaper's rules. The timings come from the config's `reaper` section (templates carry the
 * per-template ones: pendingTimeoutSeconds, idleMinutes, maxLifetimeSeconds, retention, retries);
 * every default is in docs/reaper.md.
 * - orphanGraceSeconds: a pod with no active request is deleted after this long (it may be seconds
 *   from being recorded);
 * - stuckGraceSeconds: a container waiting in one of `stuckReasons` this long is given up on;
 * - lostGraceSeconds: a provisioned request whose pod is missing this long is lost;
 * - staleQueuedSeconds: a queued request this old may have lost its message (a crash between record
 *   and send), so it is sent again; a `provisioning` one this old with no pod is lost;
 * - maxWaitHours: a request still `queued` or `waiting` this long after it was recorded (`createdAt`)
 *   is failed as expired: no agent is made for a build its CI has long stopped waiting for.
 */
export interface ReapRules extends Readonly<PitcrewConfig['reaper']> {
  readonly stuckReasons: readonly string[];
  /**
   * A run's lease lasts this long: longer than the function a run is in may (reap, or ops
   * `reconcile`), so a run is cut off before another can take the lease.
   */
  readonly leaseSeconds: number;
  /** A run starts no action with less of its lease left: an action's CI and cluster calls fit in it. */
  readonly actMarginSeconds: number;
}

export const stuckReasons = [
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
] as const;

export const reapRulesFrom = (reaper: PitcrewConfig['reaper']): ReapRules => ({
  ...reaper,
  stuckReasons,
  leaseSeconds: Math.max(queueLimits.reapTimeoutSeconds, queueLimits.opsTimeoutSeconds) + 30,
  actMarginSeconds: 40,
});
