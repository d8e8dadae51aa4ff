import { unreachableCi } from './unreachable';

/** One JSON call to a CI's REST API, as each CI's client (shared/sources/<ci>/api.ts) builds it. */
export interface JsonCall {
  /** The CI's name and API root, for the error when it cannot be reached. */
  readonly ci: string;
  readonly apiUrl: string;
  readonly url: string;
  readonly method: string;
  /** The CI's own headers (auth, accept, version); the JSON content type is added with a body. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly requestTimeoutMs: number;
  /** What the call is for, in the error's words ("create a runner for acme/app"). */
  readonly purpose: string;
  /** `manual`: a redirect is answered as it is (a moved API is a misconfiguration, never followed). */
  readonly redirect?: 'follow' | 'manual';
}

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body; undefined when empty or not JSON (the caller's schema says what it expected). */
  readonly body: unknown;
}

/**
 * Sends the call with the configured timeout. A network failure or timeout becomes
 * `CiUnavailableError` (unreachableCi); any HTTP status is returned for the caller to judge.
 */
export async function callJson(call: JsonCall): Promise<JsonAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: {
        ...call.headers,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      ...(call.redirect ? { redirect: call.redirect } : {}),
      signal: AbortSignal.timeout(call.requestTimeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw unreachableCi(error, {
      ci: call.ci,
      url: call.apiUrl,
      requestTimeoutMs: call.requestTimeoutMs,
      purpose: call.purpose,
    });
  }
  return { status: response.status, headers: response.headers, body: parseJsonOrUndefined(text) };
}

function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
