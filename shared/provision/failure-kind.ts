import { ClusterError } from '../cluster/errors';
import { CiError, CiUnavailableError } from '../sources/errors';
import { StateUnavailableError } from '../state/errors';

/** How an attempt's failure is met: whether it may heal, and how long its CI asked to be left alone. */
export interface FailureKind {
  readonly retryable: boolean;
  /** The CI's Retry-After, when it gave one (a rate limit). */
  readonly retryAfterSeconds?: number;
}

/**
 * The kind of an attempt's failure, told where the attempt runs (provision-request.ts) rather than in
 * the failure step, which loads on first use: a lazily loaded module is not promised the error
 * classes of the code that threw in every loader (a test's fresh module registry gives it copies;
 * ../error-brand.ts). Anything but a CI's, the cluster's or the table's error (a ForeignPodError, a
 * bug) is permanent.
 */
export function failureKindOf(error: unknown): FailureKind {
  const retryable =
    error instanceof CiError || error instanceof ClusterError
      ? error.retryable
      : error instanceof StateUnavailableError;
  return error instanceof CiUnavailableError && error.retryAfterSeconds !== undefined
    ? { retryable, retryAfterSeconds: error.retryAfterSeconds }
    : { retryable };
}
