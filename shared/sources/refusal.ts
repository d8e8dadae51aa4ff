import type { ParsedWebhook } from './types';

/** A signed job from an origin the operator did not allow: what a receiver's trust policy answers. */
export type Refusal = Extract<ParsedWebhook, { kind: 'refused' }>;

/**
 * The refusal constructor of one CI's trust policy, typed to its receiver module's `refusalReasons` (the
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

/** What a CI's job-age check says in its refusals. */
export interface JobAgeWords {
  /** Why there is no date to judge the job by (its date missing or not a date). */
  readonly undated: string;
  /** How the date it is judged by reads: "was created", "became runnable". */
  readonly dated: string;
  /** What the message adds after the age, if anything. */
  readonly more?: string;
}

/**
 * The `job-too-old` refusal of a job dated `dateMs` (milliseconds since the epoch; NaN or infinite:
 * no usable date, refused as well), or undefined when it is young enough. `refuse` is the CI's own
 * typed constructor (`refusalOf`), so only a CI that declares `job-too-old` can pass it.
 */
export function judgeJobAge(
  dateMs: number,
  policy: JobAgePolicy,
  refuse: (reason: 'job-too-old', subject: string, problem: string) => Refusal,
  subject: string,
  words: JobAgeWords,
): Refusal | undefined {
  if (!Number.isFinite(dateMs)) return refuse('job-too-old', subject, words.undated);
  const ageHours = (policy.now() - dateMs) / 3_600_000;
  if (ageHours <= policy.maxJobAgeHours) return undefined;
  return refuse(
    'job-too-old',
    subject,
    `the job ${words.dated} ${Math.floor(ageHours)} h ago, more than maxJobAgeHours (${policy.maxJobAgeHours})${words.more ?? ''}`,
  );
}
