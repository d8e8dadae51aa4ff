import * as v from '../../schema/valibot';
import { type CiError, CiRejectedError, CiUnavailableError } from '../errors';
import { callJson } from '../json-call';
import { unexpectedBodyOf } from '../unexpected-body';

export interface BuildkiteCall {
  readonly method: 'GET' | 'PUT';
  /** Path below the API root, segments already encoded, e.g. `/v2/organizations/acme/agents`. */
  readonly path: string;
  readonly body?: unknown;
  /** What the call does, for messages: "stop agent pitcrew-0001". */
  readonly purpose: string;
}

export interface BuildkiteResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  readonly body: unknown;
}

export type BuildkiteFetch = (call: BuildkiteCall) => Promise<BuildkiteResponse>;

export interface BuildkiteFetchSettings {
  /** Without a trailing slash (https://api.buildkite.com). */
  readonly apiUrl: string;
  /** Sent only in the Authorization header, never put in a message. */
  readonly apiToken: string;
  readonly requestTimeoutMs: number;
}

/**
 * One call to the REST API with a bearer token (https://buildkite.com/docs/apis/rest-api#authentication).
 * A network failure or timeout becomes `CiUnavailableError`; any HTTP status is returned for the
 * caller to judge.
 */
export function createBuildkiteFetch(settings: BuildkiteFetchSettings): BuildkiteFetch {
  return (call) =>
    callJson({
      ci: 'Buildkite',
      apiUrl: settings.apiUrl,
      url: `${settings.apiUrl}${call.path}`,
      method: call.method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${settings.apiToken}`,
        'user-agent': 'pitcrew',
      },
      body: call.body,
      requestTimeoutMs: settings.requestTimeoutMs,
      purpose: call.purpose,
    });
}

const errorBodySchema = v.object({ message: v.string() });

/** Buildkite's own error message (`{ "message": ... }`), shortened. */
function buildkiteMessage(body: unknown): string | undefined {
  const parsed = v.safeParse(errorBodySchema, body);
  return parsed.success ? parsed.output.message.slice(0, 200) : undefined;
}

const secondsPattern = /^\d{1,6}$/;

/**
 * https://buildkite.com/docs/apis/rest-api#rate-limiting: an organization limit (`RateLimit-*`, 200 a
 * minute, https://buildkite.com/docs/apis/rest-api/limits) and a per-user one (`RateLimit-User-*`);
 * a request over either answers 429, and each `*-Reset` is the number of seconds until its window
 * resets (not a date). `Retry-After`, if a proxy sets one, is honoured first; otherwise the longer of
 * the two resets; a 429 with none of them means wait a whole window.
 */
export function rateLimitWaitSeconds(response: BuildkiteResponse): number | undefined {
  if (response.status !== 429) return undefined;
  const seconds = (name: string): number | undefined => {
    const value = response.headers.get(name);
    return value !== null && secondsPattern.test(value) ? Math.max(1, Number(value)) : undefined;
  };
  const retryAfter = seconds('retry-after');
  if (retryAfter !== undefined) return retryAfter;
  const resets = [seconds('ratelimit-reset'), seconds('ratelimit-user-reset')].filter((s) => s !== undefined);
  return resets.length > 0 ? Math.max(...resets) : 60;
}

/** What to tell a user for the statuses whose cause depends on the call. */
export interface FailureHints {
  readonly forbidden?: string;
  readonly notFound?: string;
}

/**
 * Translates a failed answer into a `CiError`: 429, 5xx and 408 are worth retrying, the rest are
 * not. The message names the call and what to fix, never a credential.
 */
export function failureFor(response: BuildkiteResponse, purpose: string, hints: FailureHints = {}): CiError {
  const { status } = response;
  const waitSeconds = rateLimitWaitSeconds(response);
  if (waitSeconds !== undefined)
    return new CiUnavailableError(
      `Buildkite rate-limited the request to ${purpose} (429); retry in ${waitSeconds} s`,
      waitSeconds,
    );
  if (status >= 500 || status === 408)
    return new CiUnavailableError(`Buildkite answered ${status} when asked to ${purpose}`);
  const detail = buildkiteMessage(response.body);
  const reason =
    (status === 401 ? 'the API token was not accepted: check sources.buildkite.apiToken' : undefined) ??
    (status === 403 ? hints.forbidden : undefined) ??
    (status === 404 ? hints.notFound : undefined) ??
    detail ??
    'unexpected answer';
  const suffix = detail !== undefined && detail !== reason ? ` (Buildkite said: ${detail})` : '';
  return new CiRejectedError(`Buildkite refused to ${purpose} (${status}): ${reason}${suffix}`, status);
}

/** A success whose body is not what Buildkite's docs describe (../unexpected-body.ts). */
export const unexpectedBody = unexpectedBodyOf('Buildkite', 'check that apiUrl points at the REST API');

/**
 * The next page's path from a `Link` header (https://buildkite.com/docs/apis/rest-api#pagination),
 * kept only when it stays on the same API root, so an answer cannot send the token elsewhere.
 */
export function nextPagePath(response: BuildkiteResponse, apiUrl: string): string | undefined {
  const link = response.headers.get('link');
  if (link === null) return undefined;
  const next = /<([^>]+)>\s*;\s*rel="next"/.exec(link)?.[1];
  if (next === undefined || !next.startsWith(`${apiUrl}/`)) return undefined;
  return next.slice(apiUrl.length);
}
