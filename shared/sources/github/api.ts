import * as v from '../../schema/valibot';
import { type CiError, CiRejectedError, CiUnavailableError } from '../errors';
import { callJson } from '../json-call';
import { unexpectedBodyOf } from '../unexpected-body';

/** The REST API version every call pins (https://docs.github.com/en/rest/about-the-rest-api/api-versions). */
export const githubApiVersion = '2022-11-28';

export interface GithubCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below the API root, segments already encoded, e.g. `/repos/acme/app/actions/runners`. */
  readonly path: string;
  /** A token or App JWT; sent only in the Authorization header, never put in a message. */
  readonly credential: string;
  readonly body?: unknown;
  /** What the call does, for messages: "create a JIT runner for acme/app". */
  readonly purpose: string;
}

export interface GithubResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  readonly body: unknown;
}

export type GithubFetch = (call: GithubCall) => Promise<GithubResponse>;

export interface GithubFetchSettings {
  /** Without a trailing slash; may carry a path (GHES: https://ghe.example.com/api/v3). */
  readonly apiUrl: string;
  readonly requestTimeoutMs: number;
}

/**
 * One HTTP call to the REST API with the headers GitHub asks for
 * (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api): a User-Agent
 * (requests without one are refused), the JSON media type and a pinned API version. A network failure
 * or timeout becomes `CiUnavailableError`; any HTTP status is returned for the caller to judge.
 */
export function createGithubFetch(settings: GithubFetchSettings): GithubFetch {
  return (call) =>
    callJson({
      ci: 'GitHub',
      apiUrl: settings.apiUrl,
      url: `${settings.apiUrl}${call.path}`,
      method: call.method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${call.credential}`,
        'user-agent': 'pitcrew',
        'x-github-api-version': githubApiVersion,
      },
      body: call.body,
      requestTimeoutMs: settings.requestTimeoutMs,
      purpose: call.purpose,
    });
}

/** What to tell a user for the statuses whose cause depends on the call. */
export interface FailureHints {
  readonly forbidden?: string;
  readonly notFound?: string;
}

const errorBodySchema = v.object({ message: v.string() });

/** GitHub's own error message (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api), shortened. */
function githubMessage(body: unknown): string | undefined {
  const parsed = v.safeParse(errorBodySchema, body);
  return parsed.success ? parsed.output.message.slice(0, 200) : undefined;
}

/**
 * Translates a failed answer into a `CiError`: rate limits, 5xx and 408 are worth retrying, the rest
 * are not. The message names the call and what to fix, never a credential.
 */
export function failureFor(
  response: GithubResponse,
  purpose: string,
  nowMs: number,
  hints: FailureHints = {},
): CiError {
  const { status } = response;
  const waitSeconds = rateLimitWaitSeconds(response, nowMs);
  if (waitSeconds !== undefined) {
    return new CiUnavailableError(
      `GitHub rate-limited the request to ${purpose} (${status}); retry in ${waitSeconds} s`,
      waitSeconds,
    );
  }
  if (status >= 500 || status === 408) {
    return new CiUnavailableError(`GitHub answered ${status} when asked to ${purpose}`);
  }
  const detail = githubMessage(response.body);
  const reason = rejectionReason(status, hints) ?? detail ?? 'unexpected answer';
  const suffix = detail !== undefined && detail !== reason ? ` (GitHub said: ${detail})` : '';
  return new CiRejectedError(`GitHub refused to ${purpose} (${status}): ${reason}${suffix}`, status);
}

function rejectionReason(status: number, hints: FailureHints): string | undefined {
  if (status === 401)
    return 'the credentials were not accepted: check the token, or the App id and private key';
  if (status === 403) return hints.forbidden;
  if (status === 404) return hints.notFound;
  return undefined;
}

const secondsPattern = /^\d+$/;

/**
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit:
 * a 403 or 429 is a rate limit when it carries `retry-after` (wait that long), or
 * `x-ratelimit-remaining: 0` (wait until `x-ratelimit-reset`, epoch seconds). A 429 without either,
 * or a 403 whose message says "secondary rate limit", means wait at least a minute.
 */
export function rateLimitWaitSeconds(response: GithubResponse, nowMs: number): number | undefined {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== null && secondsPattern.test(retryAfter)) return Number(retryAfter);
  const reset = response.headers.get('x-ratelimit-reset');
  const exhausted = response.headers.get('x-ratelimit-remaining') === '0';
  if (exhausted && reset !== null && secondsPattern.test(reset)) {
    return Math.max(1, Number(reset) - Math.floor(nowMs / 1000));
  }
  const secondary = /secondary rate limit/i.test(githubMessage(response.body) ?? '');
  return exhausted || secondary || retryAfter !== null || response.status === 429 ? 60 : undefined;
}

/** A success whose body is not what GitHub's docs describe (../unexpected-body.ts). */
export const unexpectedBody = unexpectedBodyOf('GitHub', 'check that apiUrl points at the REST API');
