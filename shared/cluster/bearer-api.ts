import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { V1PodList } from '@kubernetes/client-node';
import type { ClusterTimeouts } from './client';
import type { PodApi } from './pod-api';
import type { TokenSource } from './token-source';

/**
 * The agent client's seven core API calls over a bearer token (pod-api.ts says why): each is one
 * REST request (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/,
 * .../config-and-storage-resources/secret-v1/, .../cluster-resources/event-v1/), so only Node's https
 * module is needed where @kubernetes/client-node loaded 1.5 MB with its generated models. What it keeps
 * of that client: timestamps as Date objects and `metadata._continue` (its ObjectSerializer's names),
 * one keep-alive connection reused across calls and retired after `maxIdleConnectionMs` idle (a frozen
 * Lambda's pooled socket may be dead), a bound on the TLS handshake and on the whole call, and a 401
 * answered by reading the token afresh and sending once more. Its own: a call the API server did not
 * take (throttled, unavailable, or a connection failed at once) is sent again within its deadline
 * (notTakenRetry).
 */
export interface BearerApiConnection {
  /** https://host[:port][/path]; http:// only for a local API server. */
  readonly server: string;
  /** PEM or base64 PEM; absent: the system's CAs. */
  readonly caData?: string;
  readonly skipTlsVerify?: boolean;
  readonly tokenSource: TokenSource;
  readonly timeouts?: ClusterTimeouts;
  readonly now?: () => number;
}

/** The error a failed call rejects with: client-node's ApiException's fields (translate.ts). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

/** A pooled connection unused for this long is not trusted again (client.ts, maxIdleConnectionMs). */
const maxIdleConnectionMs = 30_000;

/**
 * Answers that say the API server did not take the call, for now: throttled (429, API Priority and
 * Fairness, with a Retry-After) or unavailable (502 to 504: an API server restarting, a load balancer
 * with no backend for a moment).
 */
const notTakenStatuses = new Set([429, 502, 503, 504]);
/**
 * Connections that failed at once, before any answer: reset, refused, broken, a name not resolved
 * for now. Not a connection that was not made within `connectTimeoutMs`: an API server that does not
 * answer for that long is no passing moment, and waiting for it again would hold the call for its
 * whole deadline.
 */
const notAnsweredCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN']);

/**
 * How a call that was not taken is sent again within the same call: at most twice more, after the
 * Retry-After the API server asks for or a short doubling wait, each wait at most a second, and
 * never past the call's deadline. A build's provision attempt makes two or three calls; without this
 * a second's throttling or a dropped connection failed the whole attempt, and five attempts in a row
 * failed the build (docs/reliability.md, "A build given up"). Sending again is safe for all seven
 * calls: a pod create the server did take answers 409 the second time, which agents.ts reads as
 * "already there" (and a Secret's second create as "try again later"); a delete, 404.
 */
export const notTakenRetry = { retries: 2, firstWaitMs: 200, maxWaitMs: 1000 } as const;

/** The wait before send number `attempt` (1, 2) of a call: the server's Retry-After, else doubling. */
export function notTakenWaitMs(attempt: number, retryAfter: string | undefined): number {
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const wait = seconds !== undefined ? seconds * 1000 : notTakenRetry.firstWaitMs * 2 ** (attempt - 1);
  return Math.min(wait, notTakenRetry.maxWaitMs);
}

const isNotAnswered = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  notAnsweredCodes.has(String((error as { code?: unknown }).code));

const pem = (caData: string): string =>
  caData.includes('BEGIN CERTIFICATE') ? caData : Buffer.from(caData, 'base64').toString('utf8');

/**
 * The fields the API's OpenAPI schema marks `date-time` in pods, events and their metadata, which
 * client-node hands out as Date objects (the code reads them so: reap/pod-view.ts, ops/inspect.ts).
 */
const dateFields = new Set([
  'creationTimestamp',
  'deletionTimestamp',
  'startTime',
  'startedAt',
  'finishedAt',
  'lastTransitionTime',
  'lastProbeTime',
  'firstTimestamp',
  'lastTimestamp',
  'lastObservedTime',
  'eventTime',
]);
/** Maps whose keys are the user's, not the schema's: a label named `startTime` stays a string. */
const userMaps = new Set(['labels', 'annotations', 'data', 'stringData', 'binaryData', 'nodeSelector']);
const isoDateTime = /^\d{4}-\d{2}-\d{2}T/;

/** Turns the schema's date-time strings into Dates, in place, outside the user's own maps. */
function reviveDates(value: unknown): unknown {
  if (Array.isArray(value)) value.forEach(reviveDates);
  else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(record)) {
      if (typeof field === 'string' && dateFields.has(key) && isoDateTime.test(field)) {
        const date = new Date(field);
        if (!Number.isNaN(date.getTime())) record[key] = date;
      } else if (!userMaps.has(key)) reviveDates(field);
    }
  }
  return value;
}

/** An answer as `send` reads it: the status, the body's text, and the Retry-After the server asked for. */
interface Answer {
  readonly status: number;
  readonly text: string;
  readonly retryAfter?: string;
}

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

/**
 * Sends a call with `sendOnce`, and again while the API server did not take it (notTakenRetry), as
 * long as the wait ends before `deadlineMs`. The last failure, answer or error, is what it ends with.
 */
async function sendUntilTaken(
  sendOnce: () => Promise<Answer>,
  deadlineMs: number,
  now: () => number,
  aborted: () => boolean,
): Promise<Answer> {
  let last: { answer: Answer } | { error: unknown } | undefined;
  for (let attempt = 1; ; attempt++) {
    let outcome: { answer: Answer } | { error: unknown };
    try {
      outcome = { answer: await sendOnce() };
    } catch (error) {
      // The deadline ran out while sending again: what the server said before says more.
      outcome = last && aborted() ? last : { error };
    }
    const notTaken =
      'answer' in outcome ? notTakenStatuses.has(outcome.answer.status) : isNotAnswered(outcome.error);
    const wait = notTakenWaitMs(attempt, 'answer' in outcome ? outcome.answer.retryAfter : undefined);
    if (!notTaken || attempt > notTakenRetry.retries || aborted() || now() + wait >= deadlineMs) {
      if ('answer' in outcome) return outcome.answer;
      throw outcome.error;
    }
    last = outcome;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export function createBearerPodApi(connection: BearerApiConnection): PodApi {
  const base = new URL(connection.server);
  const secure = base.protocol === 'https:';
  const basePath = base.pathname.replace(/\/$/, '');
  const now = connection.now ?? Date.now;
  let pool: { agent: HttpsAgent | HttpAgent; lastUsedMs: number } | undefined;
  // One TLS context for every connection the client opens: given `ca`, Node's https agent builds a
  // context per connection and parses the CA again each time (a profile of the burst showed it at
  // every new connection). Built at the first call, not at cold start.
  let secureContext: SecureContext | undefined;

  /** The keep-alive agent, replaced after `maxIdleConnectionMs` without a call. */
  function agent(): HttpsAgent | HttpAgent {
    const at = now();
    if (pool && at - pool.lastUsedMs > maxIdleConnectionMs) {
      // Only the idle ones: a call still running on the old pool finishes, and its socket then closes
      // on the pool's idle timeout.
      for (const sockets of Object.values(pool.agent.freeSockets))
        for (const socket of sockets ?? []) socket.destroy();
      pool = undefined;
    }
    pool ??= {
      agent: secure
        ? new HttpsAgent({
            keepAlive: true,
            timeout: maxIdleConnectionMs,
            secureContext: (secureContext ??= createSecureContext(
              connection.caData ? { ca: pem(connection.caData) } : {},
            )),
            rejectUnauthorized: !(connection.skipTlsVerify ?? false),
          })
        : new HttpAgent({ keepAlive: true, timeout: maxIdleConnectionMs }),
      lastUsedMs: at,
    };
    pool.lastUsedMs = at;
    return pool.agent;
  }

  function send(call: Call, token: string, signal: AbortSignal | undefined): Promise<Answer> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {}))
      if (value !== undefined && value !== '') query.set(key, String(value));
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const timeouts = connection.timeouts;
    return new Promise((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(
        {
          protocol: base.protocol,
          // An IPv6 literal comes bracketed in a URL, never in a lookup.
          hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: base.port,
          method: call.method,
          path: `${basePath}${call.path}${search}`,
          agent: agent(),
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            'user-agent': 'pitcrew',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
          ...(signal ? { signal } : {}),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const retryAfter = response.headers['retry-after'];
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              ...(retryAfter === undefined ? {} : { retryAfter }),
            });
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      if (timeouts) {
        // A blackholed API server would otherwise hold the call for the whole request timeout.
        request.on('socket', (socket: Socket) => {
          if (!socket.connecting) return; // a pooled connection, already up
          const timer = setTimeout(
            () =>
              socket.destroy(
                new Error(`no connection to the API server within ${timeouts.connectTimeoutMs} ms`),
              ),
            timeouts.connectTimeoutMs,
          );
          timer.unref();
          socket
            .once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer))
            .once('close', () => clearTimeout(timer));
        });
      }
      request.end(payload);
    });
  }

  async function call<T>(what: Call): Promise<T> {
    // One deadline for the call, its retries included, as client-node's one signal per call.
    const timeouts = connection.timeouts;
    const signal = timeouts ? AbortSignal.timeout(timeouts.requestTimeoutMs) : undefined;
    const deadlineMs = timeouts ? now() + timeouts.requestTimeoutMs : Number.POSITIVE_INFINITY;
    const sendWith = (token: string): Promise<Answer> =>
      // The reaper's next run makes its calls again anyway (each of its actions is idempotent), so a
      // call it loses costs a run's delay, not one of a build's five deliveries: its bundle leaves
      // the retry out (sources/bundle.ts says why the test is written here).
      // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
      process.env.PITCREW_BUNDLE === 'reap'
        ? send(what, token, signal)
        : sendUntilTaken(
            () => send(what, token, signal),
            deadlineMs,
            now,
            () => signal?.aborted ?? false,
          );
    let answer = await sendWith(await connection.tokenSource.token());
    // A rotated ServiceAccount token or a stale EKS token heals within the call.
    if (answer.status === 401) answer = await sendWith(await connection.tokenSource.refresh());
    const body: unknown = answer.text === '' ? undefined : parse(answer.text);
    if (answer.status < 200 || answer.status > 299)
      throw new KubeApiError(answer.status, body ?? answer.text, `HTTP ${answer.status}`);
    return body as T;
  }

  const parse = (text: string): unknown => {
    try {
      return reviveDates(JSON.parse(text));
    } catch {
      return text;
    }
  };

  const namespaced = (namespace: string, kind: string, name?: string): string =>
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

  /** client-node's name for the list's `continue` token (a reserved word in its generator). */
  const withContinue = <L extends { metadata?: object }>(list: L): L => {
    const metadata = list.metadata as { continue?: string; _continue?: string } | undefined;
    if (metadata?.continue !== undefined) metadata._continue = metadata.continue;
    return list;
  };

  return {
    createNamespacedPod: ({ namespace, body, fieldValidation }) =>
      call({ method: 'POST', path: namespaced(namespace, 'pods'), query: { fieldValidation }, body }),
    readNamespacedPod: ({ namespace, name }) =>
      call({ method: 'GET', path: namespaced(namespace, 'pods', name) }),
    deleteNamespacedPod: ({ namespace, name, body }) =>
      call({ method: 'DELETE', path: namespaced(namespace, 'pods', name), body }),
    listNamespacedPod: async ({ namespace, labelSelector, limit, _continue }) =>
      withContinue(
        await call<V1PodList>({
          method: 'GET',
          path: namespaced(namespace, 'pods'),
          query: { labelSelector, limit, continue: _continue },
        }),
      ),
    createNamespacedSecret: ({ namespace, body, dryRun }) =>
      call({ method: 'POST', path: namespaced(namespace, 'secrets'), query: { dryRun }, body }),
    deleteNamespacedSecret: ({ namespace, name }) =>
      call({ method: 'DELETE', path: namespaced(namespace, 'secrets', name) }),
    listNamespacedEvent: ({ namespace, fieldSelector }) =>
      call({ method: 'GET', path: namespaced(namespace, 'events'), query: { fieldSelector } }),
  };
}
