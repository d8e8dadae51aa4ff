import * as v from '../../schema/valibot';
import { type CiError, CiRejectedError, CiUnavailableError } from '../errors';
import { callJson } from '../json-call';
import { unexpectedBodyOf } from '../unexpected-body';
import { retryAfterSeconds } from '../retry-after';

export interface GitlabCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path below `<apiUrl>/api/v4`, segments already encoded, e.g. `/projects/42/jobs/7`. */
  readonly path: string;
  readonly body?: unknown;
  /** What the call does, for messages: "create a runner for acme/app". */
  readonly purpose: string;
}

export interface GitlabResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  readonly body: unknown;
}

export type GitlabFetch = (call: GitlabCall) => Promise<GitlabResponse>;

export interface GitlabFetchSettings {
  /** The instance URL without a trailing slash (https://gitlab.com); the REST API is at /api/v4 below it. */
  readonly apiUrl: string;
  /** Sent only in the PRIVATE-TOKEN header, never put in a message. */
  readonly token: string;
  readonly requestTimeoutMs: number;
}

/**
 * One call to the REST API v4, authenticated with an access token in the `PRIVATE-TOKEN` header, as
 * every example of https://docs.gitlab.com/api/jobs/ sends it. Redirects are not followed: the API
 * answers JSON, and a redirect means apiUrl points at a login page or a proxy. A network failure or
 * timeout becomes `CiUnavailableError`; any HTTP status is returned for the caller to judge.
 */
export function createGitlabFetch(settings: GitlabFetchSettings): GitlabFetch {
  return (call) =>
    callJson({
      ci: 'GitLab',
      apiUrl: settings.apiUrl,
      url: `${settings.apiUrl}/api/v4${call.path}`,
      method: call.method,
      headers: { accept: 'application/json', 'private-token': settings.token, 'user-agent': 'pitcrew' },
      body: call.body,
      redirect: 'manual',
      requestTimeoutMs: settings.requestTimeoutMs,
      purpose: call.purpose,
    });
}

/** What to tell a user for the statuses whose cause depends on the call. */
export interface FailureHints {
  readonly forbidden: string;
  readonly notFound: string;
}

/**
 * GitLab's error bodies: `{"message": "..."}` (a string, or an object of field errors) or, for token
 * problems, `{"error": "...", "error_description": "..."}`; anything else is not quoted.
 */
const errorBodySchema = v.union([
  v.object({ message: v.union([v.string(), v.record(v.string(), v.unknown())]) }),
  v.object({ error: v.string(), error_description: v.optional(v.string()) }),
]);

/** GitLab's own message, shortened; never the whole body, which could hold a runner token. */
function gitlabMessage(body: unknown): string | undefined {
  const parsed = v.safeParse(errorBodySchema, body);
  if (!parsed.success) return undefined;
  const data = parsed.output;
  const text =
    'message' in data
      ? typeof data.message === 'string'
        ? data.message
        : JSON.stringify(data.message)
      : [data.error, data.error_description].filter(Boolean).join(': ');
  return text.slice(0, 200);
}

/**
 * Translates a failed answer into a `CiError`: rate limits, 5xx and 408 are worth retrying, the rest
 * are not. The message names the call and what to fix, never a credential.
 */
export function failureFor(
  response: GitlabResponse,
  purpose: string,
  nowMs: number,
  hints: FailureHints,
): CiError {
  const { status } = response;
  if (status === 429) {
    const wait = rateLimitWaitSeconds(response.headers, nowMs);
    return new CiUnavailableError(
      `GitLab rate-limited the request to ${purpose} (429); retry in ${wait} s`,
      wait,
    );
  }
  if (status >= 500 || status === 408) {
    const wait = retryAfterSeconds(response.headers.get('retry-after'), nowMs);
    const later = wait === undefined ? '' : `; retry in ${wait} s`;
    return new CiUnavailableError(`GitLab answered ${status} when asked to ${purpose}${later}`, wait);
  }
  const detail = gitlabMessage(response.body);
  const reason = rejectionReason(status, hints) ?? detail ?? 'unexpected answer';
  const suffix = detail !== undefined && detail !== reason ? ` (GitLab said: ${detail})` : '';
  return new CiRejectedError(`GitLab refused to ${purpose} (${status}): ${reason}${suffix}`, status);
}

function rejectionReason(status: number, hints: FailureHints): string | undefined {
  if (status === 401)
    return 'the access token was not accepted: check sources.gitlab.apiToken and its expiry';
  if (status === 403) return hints.forbidden;
  if (status === 404) return hints.notFound;
  if (status >= 300 && status < 400)
    return 'it redirected the call, which usually means apiUrl is not the instance URL (https://gitlab.example.com)';
  return undefined;
}

/**
 * How long to wait after a 429. GitLab documents `Retry-After` and `RateLimit-Reset` (Unix seconds)
 * on rate-limited answers (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/,
 * "Response headers"), but not every limit sends them
 * (https://gitlab.com/gitlab-org/gitlab/-/issues/365728): then a minute.
 */
export function rateLimitWaitSeconds(headers: Headers, nowMs: number): number {
  const retryAfter = retryAfterSeconds(headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return Math.max(1, retryAfter);
  const reset = headers.get('ratelimit-reset');
  if (reset !== null && /^\d{1,11}$/.test(reset.trim()))
    return Math.max(1, Number(reset.trim()) - Math.floor(nowMs / 1000));
  return 60;
}

/** A success whose body is not what GitLab's docs describe (../unexpected-body.ts). */
export const unexpectedBody = unexpectedBodyOf('GitLab', 'check that apiUrl is the instance URL');

/** A project's id or URL-encoded full path, as every project endpoint takes it (https://docs.gitlab.com/api/jobs/). */
export const projectRef = (project: number | string): string => encodeURIComponent(String(project));
