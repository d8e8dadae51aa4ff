import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import {
  createBearerPodApi,
  KubeApiError,
  notTakenRetry,
  notTakenWaitMs,
} from '../../../shared/cluster/bearer-api';
import { isNotFound, translateClusterError } from '../../../shared/cluster/translate';
import { ClusterRejectedError, ClusterUnavailableError } from '../../../shared/cluster/errors';

/**
 * The bearer-token client's own duties, against a plain local HTTP server playing the API server's
 * answers (the agent-client contract runs it against the real one: test/integration/kubernetes).
 */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
  readonly port: number;
  readonly body: string;
}

describe('the bearer-token client (shared/cluster/bearer-api.ts)', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];
  /** The server's answer to a call: a status, or (`drop`) the connection closed with no answer. */
  interface Reply {
    readonly status: number;
    readonly body?: unknown;
    readonly headers?: Record<string, string>;
    readonly drop?: boolean;
    /** Answer only after this long. */
    readonly slowMs?: number;
  }
  let answer: (request: Seen) => Reply = () => ({ status: 200, body: {} });

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const entry: Seen = {
          method: request.method ?? '',
          url: request.url ?? '',
          authorization: request.headers.authorization,
          port: request.socket.remotePort ?? 0,
          body,
        };
        seen.push(entry);
        const { status, body: reply, headers, drop, slowMs } = answer(entry);
        if (drop) {
          request.socket.destroy();
          return;
        }
        // Unref'd: a slow answer the client gave up on does not keep the test process alive.
        setTimeout(() => {
          if (response.destroyed) return;
          response.writeHead(status, { 'content-type': 'application/json', ...headers });
          response.end(reply === undefined ? '' : JSON.stringify(reply));
        }, slowMs ?? 0).unref();
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((closed) => server.close(() => closed())));
  beforeEach(() => {
    seen.length = 0;
    answer = () => ({ status: 200, body: {} });
  });

  const tokens = (first: string, fresh: string) => {
    const reads = { refreshed: 0 };
    return {
      reads,
      source: {
        token: async () => (reads.refreshed > 0 ? fresh : first),
        refresh: async () => {
          reads.refreshed += 1;
          return fresh;
        },
      },
    };
  };

  it('sends each call as its REST request, with the token, a JSON body and encoded query', async () => {
    const api = createBearerPodApi({ server: url, tokenSource: tokens('t1', 't2').source });
    await api.createNamespacedPod({ namespace: 'agents', body: { metadata: { name: 'p-1' } } });
    await api.listNamespacedPod({ namespace: 'agents', labelSelector: 'a in (b, c)', limit: 2 });
    await api.createNamespacedSecret({
      namespace: 'agents',
      body: { metadata: { name: 's' } },
      dryRun: 'All',
    });
    await api.listNamespacedEvent({ namespace: 'agents', fieldSelector: 'involvedObject.name=p-1' });
    await api.deleteNamespacedPod({ namespace: 'agents', name: 'p-1' });
    expect(seen.map((call) => `${call.method} ${decodeURIComponent(call.url).replace(/\+/g, ' ')}`)).toEqual([
      'POST /api/v1/namespaces/agents/pods',
      'GET /api/v1/namespaces/agents/pods?labelSelector=a in (b, c)&limit=2',
      'POST /api/v1/namespaces/agents/secrets?dryRun=All',
      'GET /api/v1/namespaces/agents/events?fieldSelector=involvedObject.name=p-1',
      'DELETE /api/v1/namespaces/agents/pods/p-1',
    ]);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer t1', body: '{"metadata":{"name":"p-1"}}' });
  });

  it('hands out timestamps as Dates and the list token as `_continue`, as client-node does', async () => {
    answer = () => ({
      status: 200,
      body: {
        metadata: { continue: 'next-page' },
        items: [
          {
            metadata: {
              name: 'p',
              creationTimestamp: '2026-03-01T12:00:00Z',
              // The user's own keys are left as they are, whatever their name.
              labels: { startTime: '2026-03-01T12:00:00Z' },
              annotations: { time: '5' },
            },
            status: {
              containerStatuses: [{ state: { terminated: { finishedAt: '2026-03-01T12:05:00Z' } } }],
            },
          },
        ],
      },
    });
    const api = createBearerPodApi({ server: url, tokenSource: tokens('t', 't').source });
    const page = await api.listNamespacedPod({ namespace: 'agents' });
    expect(page.metadata?._continue).toBe('next-page');
    const pod = page.items[0]!;
    expect(pod.metadata?.creationTimestamp?.getTime()).toBe(Date.parse('2026-03-01T12:00:00Z'));
    expect(pod.metadata?.labels).toEqual({ startTime: '2026-03-01T12:00:00Z' });
    expect(pod.metadata?.annotations).toEqual({ time: '5' });
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt).toEqual(
      new Date('2026-03-01T12:05:00Z'),
    );
    await api.listNamespacedPod({ namespace: 'agents', _continue: 'next-page' });
    expect(seen.at(-1)?.url).toContain('continue=next-page');
  });

  it('answers a 401 by reading the token afresh and sending once more', async () => {
    answer = (call) => (call.authorization === 'Bearer fresh' ? { status: 200, body: {} } : { status: 401 });
    const { source, reads } = tokens('stale', 'fresh');
    await createBearerPodApi({ server: url, tokenSource: source }).readNamespacedPod({
      namespace: 'agents',
      name: 'p',
    });
    expect(seen.map((call) => call.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(reads.refreshed).toBe(1);
  });

  it("rejects with the status and the API server's answer, which the translation reads", async () => {
    const status = { kind: 'Status', message: 'pods "p" not found', reason: 'NotFound', code: 404 };
    answer = (call) =>
      call.method === 'GET' ? { status: 404, body: status } : { status: 503, body: { message: 'busy' } };
    const api = createBearerPodApi({ server: url, tokenSource: tokens('t', 't').source });
    const missing = await api
      .readNamespacedPod({ namespace: 'agents', name: 'p' })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(KubeApiError);
    expect(isNotFound(missing)).toBe(true);
    expect(translateClusterError(missing, 'reading pod agents/p')).toBeInstanceOf(ClusterRejectedError);
    const busy = await api
      .deleteNamespacedPod({ namespace: 'agents', name: 'p' })
      .catch((error: unknown) => error);
    const translated = translateClusterError(busy, 'deleting pod agents/p');
    expect(translated).toBeInstanceOf(ClusterUnavailableError);
    expect(translated.message).toBe('deleting pod agents/p failed (503): busy');
  });

  describe('a call the API server did not take is sent again, within its deadline', () => {
    /** One pod read through a fresh client of `server`: 'read', or what it rejected with. */
    const read = (timeouts?: { connectTimeoutMs: number; requestTimeoutMs: number }, server = url) =>
      createBearerPodApi({ server, tokenSource: tokens('t', 't').source, ...(timeouts ? { timeouts } : {}) })
        .readNamespacedPod({ namespace: 'agents', name: 'p' })
        .then(
          () => 'read',
          (error: unknown) => error,
        );
    /** Answers the calls in turn with `replies`, then 200. */
    const inTurn = (...replies: Reply[]) => {
      let index = 0;
      answer = () => replies[index++] ?? { status: 200, body: {} };
    };

    it.each([
      ['throttled (429 with Retry-After)', { status: 429, headers: { 'retry-after': '0' } }],
      ['unavailable (503)', { status: 503, body: { message: 'busy' } }],
      ['a load balancer with no backend (502)', { status: 502 }],
      ['a connection closed with no answer', { status: 0, drop: true }],
    ])('%s, then answered: the call succeeds', async (_case, first: Reply) => {
      inTurn(first);
      expect(await read()).toBe('read');
      expect(seen).toHaveLength(2);
    });

    it('gives up after two more sends, with the last answer', async () => {
      answer = () => ({ status: 503, body: { message: 'still busy' } });
      const error = await read();
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({ code: 503 });
      expect(seen).toHaveLength(1 + notTakenRetry.retries);
    });

    it.each([500, 404, 409, 403])(
      'does not send again what the API server took and refused (%i)',
      async (status) => {
        answer = () => ({ status });
        expect(await read()).toMatchObject({ code: status });
        expect(seen).toHaveLength(1);
      },
    );

    it('does not wait past the call’s deadline: a Retry-After longer than what is left ends the call', async () => {
      inTurn({ status: 429, headers: { 'retry-after': '1' } });
      expect(await read({ connectTimeoutMs: 500, requestTimeoutMs: 800 })).toMatchObject({ code: 429 });
      expect(seen).toHaveLength(1);
    });

    it('ends with what the server said when the deadline runs out while it sends again', async () => {
      // A deadline of seconds: the first answer must be back with time left to send again, even on a
      // loaded machine.
      inTurn({ status: 503, body: { message: 'busy' } }, { status: 200, slowMs: 4000 });
      expect(await read({ connectTimeoutMs: 2000, requestTimeoutMs: 2500 })).toMatchObject({ code: 503 });
      expect(seen).toHaveLength(2);
    });

    it('does not wait again for an API server that took longer than the connect timeout to answer at all', async () => {
      // A TLS server that never finishes its handshake: the client's connect timeout ends the try.
      const silent = createNetServer(() => undefined);
      let connections = 0;
      silent.on('connection', () => (connections += 1));
      await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
      try {
        const silentUrl = `https://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        expect(String(await read({ connectTimeoutMs: 200, requestTimeoutMs: 5000 }, silentUrl))).toContain(
          'no connection to the API server within 200 ms',
        );
        expect(connections).toBe(1);
      } finally {
        silent.close();
      }
    });

    it('waits what the API server asks, else 200 ms then 400, never more than a second', () => {
      expect(notTakenWaitMs(1, undefined)).toBe(200);
      expect(notTakenWaitMs(2, undefined)).toBe(400);
      expect(notTakenWaitMs(1, '0')).toBe(0);
      expect(notTakenWaitMs(1, '1')).toBe(1000);
      expect(notTakenWaitMs(2, '30')).toBe(1000);
      expect(notTakenWaitMs(1, 'Wed, 21 Oct 2026 07:28:00 GMT')).toBe(200);
    });
  });

  it('reuses one connection, and opens a new one after a pause longer than the idle limit', async () => {
    let clock = 1_000_000;
    const api = createBearerPodApi({ server: url, tokenSource: tokens('t', 't').source, now: () => clock });
    await api.readNamespacedPod({ namespace: 'agents', name: 'a' });
    await api.readNamespacedPod({ namespace: 'agents', name: 'b' });
    clock += 30_001;
    await api.readNamespacedPod({ namespace: 'agents', name: 'c' });
    const [first, second, third] = seen.map((call) => call.port);
    expect(second).toBe(first);
    expect(third).not.toBe(first);
  });
});
