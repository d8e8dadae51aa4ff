import type { ParsedWebhook } from './types';

/** A signed job from an origin the operator did not allow: what a receiver's trust policy answers. */
export type Refusal = Extract<ParsedWebhook, { kind: 'refused' }>;

/**
 * The refusal constructor of one CI's trust policy, typed to its module's `refusalReasons` (the
 * RefusedJobs metric's `reason`), so that a policy cannot refuse with a reason it does not declare.
 */
export const refusalOf =
  <Reason extends string>() =>
  (reason: Reason, subject: string, problem: string): Refusal => ({
    kind: 'refused',
    reason,
    subject,
    problem,
  });

/** How old a queued job may be: older is a replay, or hopelessly stale. */
export interface JobAgePolicy {
  readonly maxJobAgeHours: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** The job's age in whole hours when it is older than `maxJobAgeHours`; undefined when it is not. */
export function hoursPastMaxAge(dateMs: number, policy: JobAgePolicy): number | undefined {
  const ageHours = (policy.now() - dateMs) / 3_600_000;
  return ageHours > policy.maxJobAgeHours ? Math.floor(ageHours) : undefined;
}
