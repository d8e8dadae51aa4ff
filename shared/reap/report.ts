import type { DeleteReason } from './decide';

/** What one reaper run saw and did: returned to ops `reconcile`, logged, and published as metrics. */
export interface ReapReport {
  /** Set when another run held the lease, and this one did nothing. */
  skipped?: 'another run holds the lease';
  /**
   * Set when the run stopped acting with too little of its lease left for another action (calls
   * that hung for a long time): what it did not get to, the next run does.
   */
  stopped?: 'its lease ran short';
  podsByPhase: Record<string, number>;
  podsByTemplate: Record<string, number>;
  deleted: Partial<Record<DeleteReason, number>>;
  /**
   * Deletions skipped: the Jenkins agent was busy or its state could not be read, or the CI could not
   * deregister a finished pod's agent yet (the pod stays until it has).
   */
  keptBusy: number;
  lost: number;
  resent: number;
  retried: number;
  /** Requests failed because they were queued or waiting longer than `reaper.maxWaitHours`. */
  expired: number;
  /** Requests failed because their template is no longer configured (removed or renamed since). */
  unserved: number;
  woken: number;
  /** Builds found queued at a CI that Pitcrew had never heard of (lost webhooks), now enqueued. */
  recovered: number;
  counterRepairs: number;
  waiting: number;
  oldestWaitingSeconds: number;
  /** Actions that failed; the next run tries them again. */
  errors: number;
}

export const emptyReport = (): ReapReport => ({
  podsByPhase: {},
  podsByTemplate: {},
  deleted: {},
  keptBusy: 0,
  lost: 0,
  resent: 0,
  retried: 0,
  expired: 0,
  unserved: 0,
  woken: 0,
  recovered: 0,
  counterRepairs: 0,
  waiting: 0,
  oldestWaitingSeconds: 0,
  errors: 0,
});
