import { readFileSync } from 'node:fs';
import { createServer, request as httpsRequest } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/**
 * What the proxy does with a request to the API server:
 * - `refuse`: drops the connection, as a crashed API server or a cut network would;
 * - `status`: answers with that HTTP status (429 or 503, with `Retry-After`) and a Kubernetes Status
 *   body, as an overloaded API server (API Priority and Fairness) or a failing one does;
 * - `delay`: passes the request on after `delayMs` (longer than the client's timeout = a slow server
 *   whose work still happens after the caller gave up).
 */
export type KubeFault =
  | { readonly kind: 'refuse' }
  | { readonly kind: 'status'; readonly status: 429 | 500 | 503; readonly retryAfterSeconds?: number }
  | { readonly kind: 'delay'; readonly delayMs: number };

export interface KubeFaultRule {
  readonly fault: KubeFault;
  readonly method?: string;
  /** Matched against the path and query. */
  readonly path?: RegExp;
  /** This many matching requests (default: all until cleared). */
  readonly times?: number;
  /** Fault a matching request with this probability (default 1). */
  readonly probability?: number;
}

export interface KubeFaultProxyOptions {
  /** The admin kubeconfig of the cluster to stand in front of. */
  readonly kubeconfigPath: string;
  /** Decides every probability: a seeded generator makes a run's sequence of decisions reproducible. */
  readonly random?: () => number;
}

export interface KubeCall {
  readonly method: string;
  readonly path: string;
  readonly fault?: KubeFault['kind'];
  /** The status answered instead, for a `status` fault. */
  readonly status?: number;
}

export interface KubeFaultProxy {
  /** https://127.0.0.1:PORT: the API server's certificate is valid for it (it names 127.0.0.1). */
  readonly server: string;
  /** Cluster credentials for the Pitcrew config that go through the proxy. */
  readonly credentials: Record<string, unknown>;
  readonly calls: KubeCall[];
  addRule(rule: KubeFaultRule): void;
  /** Takes one rule out (added with addRule), leaving the others. */
  removeRule(rule: KubeFaultRule): void;
  /** Drops every open connection now, idle or with a request in flight, as a restarting server does. */
  dropConnections(): void;
  clearRules(): void;
  /** How many requests got each fault: `refuse`, `delay`, or the status answered (`429`, `503`...). */
  faultCounts(): Record<string, number>;
  close(): Promise<void>;
}

interface AdminKubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

const reasons = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' } as const;

function answerStatus(response: ServerResponse, fault: Extract<KubeFault, { kind: 'status' }>): void {
  // https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
  const body = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      fault.status === 429 ? 'Too many requests, please try again later.' : 'the server is unavailable',
    reason: reasons[fault.status],
    details: { retryAfterSeconds: fault.retryAfterSeconds ?? 1 },
    code: fault.status,
  };
  response.writeHead(fault.status, {
    'content-type': 'application/json',
    ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }),
  });
  response.end(JSON.stringify(body));
}

/**
 * A TLS-terminating proxy in front of the test cluster's real API server that can refuse, throttle,
 * fail or slow chosen requests. It serves the API server's own certificate (from the cluster's work
 * folder, next to the admin kubeconfig), so clients trust it exactly as they trust the server.
 */
export async function startKubeFaultProxy(options: KubeFaultProxyOptions): Promise<KubeFaultProxy> {
  const { kubeconfigPath } = options;
  const random = options.random ?? Math.random;
  const workDir = dirname(kubeconfigPath);
  const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8')) as AdminKubeconfig;
  const cluster = kubeconfig.clusters[0]!.cluster;
  const target = new URL(cluster.server);
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const rules: { rule: KubeFaultRule; remaining: number }[] = [];
  const calls: KubeCall[] = [];

  function pickFault(method: string, path: string): KubeFault | undefined {
    for (const entry of rules) {
      if (entry.remaining <= 0) continue;
      if (entry.rule.method !== undefined && entry.rule.method !== method) continue;
      if (entry.rule.path && !entry.rule.path.test(path)) continue;
      if (entry.rule.probability !== undefined && random() >= entry.rule.probability) continue;
      entry.remaining -= 1;
      return entry.rule.fault;
    }
    return undefined;
  }

  function forward(request: IncomingMessage, body: Buffer, response: ServerResponse): void {
    const outgoing = httpsRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: target.host },
        ca,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.socket?.destroy());
    outgoing.end(body);
  }

  const server = createServer(
    {
      cert: readFileSync(join(workDir, 'apiserver.crt')),
      key: readFileSync(join(workDir, 'apiserver.key')),
    },
    (request, response) => {
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      const fault = pickFault(method, path);
      calls.push({
        method,
        path,
        ...(fault ? { fault: fault.kind } : {}),
        ...(fault?.kind === 'status' ? { status: fault.status } : {}),
      });
      if (fault?.kind === 'refuse') return void request.socket.destroy();
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        if (fault?.kind === 'status') return answerStatus(response, fault);
        // A delayed request is sent on whole after the delay even if the client has given up: the
        // server still does the work, as a slow server would.
        if (fault?.kind === 'delay')
          return void setTimeout(() => forward(request, body, response), fault.delayMs);
        forward(request, body, response);
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  return {
    server: url,
    credentials: {
      kind: 'token',
      server: url,
      token: { value: kubeconfig.users[0]!.user.token },
      caData: cluster['certificate-authority-data'],
    },
    calls,
    addRule(rule) {
      rules.push({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY });
    },
    dropConnections() {
      server.closeAllConnections();
    },
    removeRule(rule) {
      const index = rules.findIndex((entry) => entry.rule === rule);
      if (index >= 0) rules.splice(index, 1);
    },
    clearRules() {
      rules.length = 0;
    },
    faultCounts() {
      const counts: Record<string, number> = {};
      for (const call of calls) {
        if (!call.fault) continue;
        const kind = call.status === undefined ? call.fault : String(call.status);
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      return counts;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
