import { type CiError, CiRejectedError, CiUnavailableError } from '../errors';
import { retryAfterSeconds } from '../retry-after';
import { unreachableCi } from '../unreachable';

export interface JenkinsCall {
  readonly method: 'GET' | 'POST';
  /** Path below the controller URL, without a leading slash, segments already encoded: `computer/a1/doDelete`. */
  readonly path: string;
  /** Sent as application/x-www-form-urlencoded, as Stapler's form submissions expect. */
  readonly form?: Readonly<Record<string, string>>;
  /** What the call does, for messages: "create agent pitcrew-abc". */
  readonly purpose: string;
}

export interface JenkinsResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export type JenkinsFetch = (call: JenkinsCall) => Promise<JenkinsResponse>;

export interface JenkinsFetchSettings {
  /** The controller URL with a trailing slash; may carry a context path (https://ci.example.com/jenkins/). */
  readonly url: string;
  readonly user: string;
  /** Sent only in the Authorization header, never put in a message. */
  readonly apiToken: string;
  readonly requestTimeoutMs: number;
}

/**
 * One call to the Jenkins remote API (https://www.jenkins.io/doc/book/using/remote-access-api/) with
 * HTTP basic auth of a user and an API token. Requests authenticated by an API token need no CSRF
 * crumb (https://www.jenkins.io/doc/book/security/csrf-protection/). `Accept-Language: en` keeps
 * Jenkins' messages in English whatever the controller's locale. Redirects are not followed: Jenkins
 * answers a successful form POST with 302 to a page we do not need. A network failure or timeout
 * becomes `CiUnavailableError`; any HTTP status is returned for the caller to judge.
 */
export function createJenkinsFetch(settings: JenkinsFetchSettings): JenkinsFetch {
  const authorization = `Basic ${Buffer.from(`${settings.user}:${settings.apiToken}`).toString('base64')}`;
  return async (call) => {
    try {
      const response = await fetch(new URL(call.path, settings.url), {
        method: call.method,
        headers: {
          authorization,
          accept: 'application/json, application/x-java-jnlp-file, */*',
          'accept-language': 'en',
          'user-agent': 'pitcrew',
          ...(call.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body: call.form === undefined ? undefined : new URLSearchParams(call.form).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.requestTimeoutMs),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      throw unreachableCi(error, {
        ci: 'Jenkins',
        url: settings.url,
        requestTimeoutMs: settings.requestTimeoutMs,
        purpose: call.purpose,
      });
    }
  };
}

export const isOk = (response: JenkinsResponse): boolean => response.status >= 200 && response.status < 300;

/**
 * A form POST succeeded: Jenkins answers each of these with a redirect to the page whose path ends
 * with `landing` (`/computer/` after a node's create or delete, the node's own page after a change;
 * Computer#doDoDelete, ComputerSet#doDoCreateItem, Computer#doChangeOfflineCause). Only the path's
 * end is compared: the Location carries Jenkins' own root URL, which behind a proxy differs from
 * ours. Any other answer, another redirect or a page (even 200), came from a login page or proxy in
 * front of Jenkins, which never saw the call: taken for a delete, it would leave a node registered
 * that a build may hold the secret of.
 */
export const isPostDone = (response: JenkinsResponse, landing: string): boolean =>
  response.status >= 300 &&
  response.status < 400 &&
  new URL(response.headers.get('location') ?? '', 'http://jenkins/').pathname.endsWith(landing);

/** What to tell the user for the statuses whose cause depends on the call. */
export interface FailureHints {
  readonly forbidden: string;
  readonly notFound: string;
  readonly badRequest?: string;
}

/**
 * Translates a failed answer into a `CiError`: 5xx, 408 and 429 are worth retrying (after Retry-After
 * when Jenkins or its proxy sends one), the rest are not. The message names the call and what to fix;
 * it never quotes the body, which is an HTML page at best and could hold a secret at worst.
 */
export function failureFor(
  response: JenkinsResponse,
  purpose: string,
  nowMs: number,
  hints: FailureHints,
): CiError {
  const { status } = response;
  if (status >= 500 || status === 408 || status === 429) {
    const wait = retryAfterSeconds(response.headers.get('retry-after'), nowMs);
    const later = wait === undefined ? '' : `; retry in ${wait} s`;
    return new CiUnavailableError(`Jenkins answered ${status} when asked to ${purpose}${later}`, wait);
  }
  return new CiRejectedError(
    `Jenkins refused to ${purpose} (${status}): ${rejectionReason(status, hints)}`,
    status,
  );
}

function rejectionReason(status: number, hints: FailureHints): string {
  if (status === 401) {
    return "the user and API token were not accepted: check the user name and create a new token on the user's Security page";
  }
  if (status === 403) return hints.forbidden;
  if (status === 404) return hints.notFound;
  if (status === 400 && hints.badRequest !== undefined) return hints.badRequest;
  if (status >= 300 && status < 400)
    return 'it redirected the call, which usually means url points at a login page or a proxy';
  if (status < 300)
    return 'it answered with a page where Jenkins redirects, which usually means url points at a login page or a proxy';
  return 'unexpected answer';
}
