import { CiUnavailableError } from './errors';

/**
 * Reads an error's fields without `instanceof`: fetch's errors (TypeError, DOMException) may come from
 * another realm (a VM context, as under jest) where `instanceof Error` is false.
 */
function fieldsOf(error: unknown): { name?: unknown; message?: unknown; cause?: unknown; code?: unknown } {
  return typeof error === 'object' && error !== null ? error : {};
}

/** undici puts the system error (ECONNREFUSED, ECONNRESET, ENOTFOUND) on `cause`. */
function networkCode(error: unknown): string {
  const { message, cause } = fieldsOf(error);
  const { code } = fieldsOf(cause);
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : 'unknown error';
}

/**
 * What a CI's API client throws when fetch itself failed (no HTTP answer): retryable, naming the CI,
 * where it was sought, and whether it timed out or could not be reached at all. Shared by every CI's
 * client (shared/sources/<ci>/api.ts).
 */
export function unreachableCi(
  error: unknown,
  call: {
    readonly ci: string;
    readonly url: string;
    readonly requestTimeoutMs: number;
    readonly purpose: string;
  },
): CiUnavailableError {
  const { name } = fieldsOf(error);
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const what = timedOut
    ? `${call.ci} did not answer within ${call.requestTimeoutMs} ms`
    : `could not reach ${call.ci} at ${call.url} (${networkCode(error)})`;
  return new CiUnavailableError(`${what} when asked to ${call.purpose}`, undefined, { cause: error });
}
