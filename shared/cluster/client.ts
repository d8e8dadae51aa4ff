import {
  CoreV1Api,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  createConfiguration,
  ServerConfiguration,
  wrapHttpLibrary,
  type RequestContext,
  type ResponseContext,
  type User,
} from '@kubernetes/client-node';
import { Agent, type AgentOptions, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { ClusterConfig } from '../config/file-schema';
import type { TokenSource } from './token-source';

/**
 * Builds the Kubernetes client from a kubeconfig file (local, tests), or from a server URL with a
 * static bearer token and CA. Deployed functions use `createBearerKubeConfig` with a token source.
 */
export function createKubeConfig(cluster: ClusterConfig, resolvedToken?: string): KubeConfig {
  const credentials = cluster.credentials;
  if (credentials.kind === 'kubeconfig') return kubeConfigFile(credentials.path, credentials.context);
  const kubeConfig = new KubeConfig();
  if (
    credentials.kind !== 'token' ||
    (credentials.caData !== undefined && typeof credentials.caData !== 'string')
  )
    throw new Error(`cluster credentials of kind '${credentials.kind}' need createBearerKubeConfig`);
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'pitcrew',
        server: credentials.server,
        caData: caDataBase64(credentials.caData),
        skipTLSVerify: credentials.skipTlsVerify,
      },
    ],
    users: [{ name: 'pitcrew', token: resolvedToken }],
    contexts: [{ name: 'pitcrew', cluster: 'pitcrew', user: 'pitcrew', namespace: cluster.namespace }],
    currentContext: 'pitcrew',
  });
  return kubeConfig;
}

/**
 * A kubeconfig setting that cannot be used, named: connect.ts makes it the ConfigError a cold start
 * stops with (here, that module would split into a file of its own at every cold start).
 */
export class KubeConfigProblem extends Error {
  constructor(
    readonly setting: 'cluster.credentials.path' | 'cluster.credentials.context',
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/**
 * A kubeconfig file as it is, at `context` if the config names one. A file that cannot be read, or a
 * context it lacks, is a mistake in the config: a problem naming the setting, rather than a bare
 * ENOENT or "no current cluster" that names neither. The client's own message is kept to its first
 * line: a YAML error goes on to quote the file, credentials and all.
 */
function kubeConfigFile(path: string, context: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new KubeConfigProblem('cluster.credentials.path', `cannot be loaded as a kubeconfig: ${reason}`);
  }
  if (context !== undefined) kubeConfig.setCurrentContext(context);
  if (kubeConfig.getCurrentCluster()) return kubeConfig;
  const contexts = kubeConfig.getContexts().map(({ name }) => name);
  const known = `its contexts: ${contexts.join(', ') || 'none'}`;
  const problem =
    context === undefined
      ? `is not set, and '${path}' has no current-context with a cluster: name one (${known})`
      : kubeConfig.getContextObject(context)
        ? `'${context}' names a cluster '${path}' does not have`
        : `'${context}' is not a context of '${path}' (${known})`;
  throw new KubeConfigProblem('cluster.credentials.context', problem);
}

/** The client library wants base64 PEM; configs may hold the PEM itself. */
export const caDataBase64 = (caData: string | undefined): string | undefined =>
  caData?.includes('BEGIN CERTIFICATE') ? Buffer.from(caData).toString('base64') : caData;

export interface BearerConnection {
  readonly server: string;
  /** PEM or base64 PEM; absent: the system's CAs. */
  readonly caData?: string;
  readonly skipTlsVerify?: boolean;
  readonly namespace: string;
  readonly tokenSource: TokenSource;
}

const tokenSourceProvider = 'pitcrew-token-source';

/**
 * A kubeconfig whose user asks `tokenSource` for the bearer token on every call, through the client's
 * own Authenticator hook, so a token that expires (EKS, 14 minutes) or is rotated (Secrets Manager)
 * is picked up without rebuilding the client.
 */
export function createBearerKubeConfig(connection: BearerConnection): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'pitcrew',
        server: connection.server,
        caData: caDataBase64(connection.caData),
        skipTLSVerify: connection.skipTlsVerify ?? false,
      },
    ],
    users: [{ name: 'pitcrew', authProvider: { name: tokenSourceProvider, config: {} } }],
    contexts: [{ name: 'pitcrew', cluster: 'pitcrew', user: 'pitcrew', namespace: connection.namespace }],
    currentContext: 'pitcrew',
  });
  kubeConfig.addAuthenticator({
    isAuthProvider: (user: User) => user.authProvider?.name === tokenSourceProvider,
    async applyAuthentication(_user: User, options: RequestOptions) {
      options.headers = {
        ...options.headers,
        Authorization: `Bearer ${await connection.tokenSource.token()}`,
      };
    },
  });
  return kubeConfig;
}

export interface ClusterTimeouts {
  /** TCP connect plus TLS handshake. */
  readonly connectTimeoutMs: number;
  /** The whole call, answer included. */
  readonly requestTimeoutMs: number;
}

const wrappedAgents = new WeakSet<Agent>();

/**
 * Ends a connection that has not finished its TLS handshake within `connectTimeoutMs`: node-fetch,
 * which the client uses, has no connect timeout of its own, and a blackholed API server would
 * otherwise hold a provision attempt for the whole request timeout.
 */
function limitConnectTime(agent: Agent, connectTimeoutMs: number): void {
  if (wrappedAgents.has(agent)) return;
  wrappedAgents.add(agent);
  const original = agent.createConnection.bind(agent) as (...args: unknown[]) => Socket;
  agent.createConnection = ((...args: unknown[]) => {
    const socket = original(...args);
    const timer = setTimeout(
      () => socket.destroy(new Error(`no TLS connection to the API server within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    timer.unref();
    socket.once('secureConnect', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
    return socket;
  }) as Agent['createConnection'];
}

/** The TLS options that make a connection who it is: a change (a rotated client certificate) needs new ones. */
const tlsIdentityKeys = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'servername',
  'rejectUnauthorized',
] as const;

const normalise = (value: unknown): unknown =>
  Buffer.isBuffer(value) ? value.toString('base64') : Array.isArray(value) ? value.map(normalise) : value;

const tlsIdentity = (options: AgentOptions): string =>
  JSON.stringify(tlsIdentityKeys.map((key) => normalise(options[key])));

/**
 * A pooled connection unused for this long is not trusted again: a load balancer in front of the API
 * server (EKS's drops idle flows after 350 s) or a frozen Lambda may have lost it silently, and a
 * call on it would fail with a reset. Checked on the wall clock at each call, since a frozen
 * container runs no timers; the agent's socket timeout closes idle ones while it is thawed.
 */
export const maxIdleConnectionMs = 30_000;

/** Closes an agent's idle connections; connections still in use close once idle (its socket timeout). */
function retire(agent: Agent): void {
  for (const sockets of Object.values(agent.freeSockets))
    for (const socket of sockets ?? []) socket.destroy();
}

/**
 * @kubernetes/client-node 1.x gives every call a new https.Agent (KubeConfig.applySecurityAuthentication),
 * so every call opened a new TCP and TLS connection: most of a pod create's CPU on both ends, and a
 * handshake's latency on every call to EKS. This swaps in one keep-alive agent, made with the TLS
 * options client-node built for the call (CA, server name, and a client certificate if the
 * kubeconfig has one), for the calls of this client. It is replaced when those options change (a
 * rotated certificate) or after `maxIdleConnectionMs` without a call. Bearer tokens ride in headers,
 * so they never pin a connection.
 */
export function reuseConnections(now: () => number = Date.now): (context: RequestContext) => void {
  let shared: { agent: Agent; identity: string; lastUsedMs: number } | undefined;
  return (context) => {
    const agent = context.getAgent();
    if (!(agent instanceof Agent)) return;
    // `options` is what the agent was made with; Node's typings leave it out.
    const options = (agent as Agent & { options: AgentOptions }).options;
    const identity = tlsIdentity(options);
    const at = now();
    if (shared && (shared.identity !== identity || at - shared.lastUsedMs > maxIdleConnectionMs)) {
      retire(shared.agent);
      shared = undefined;
    }
    shared ??= {
      agent: new Agent({ ...options, keepAlive: true, timeout: maxIdleConnectionMs }),
      identity,
      lastUsedMs: at,
    };
    shared.lastUsedMs = at;
    context.setAgent(shared.agent);
  };
}

/**
 * Sends a call, and when the API server answers 401 asks the token source for a fresh token and
 * sends it once more: a rotated ServiceAccount token or a stale EKS token heals within the call
 * instead of failing a provision attempt.
 */
function retryOnceWithFreshToken(tokenSource: TokenSource) {
  const fetchLibrary = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const response = await fetchLibrary.send(request).toPromise();
      if (response.httpStatusCode !== 401) return response;
      await response.body.text().catch(() => undefined); // frees the connection
      request.setHeaderParam('Authorization', `Bearer ${await tokenSource.refresh()}`);
      return fetchLibrary.send(request).toPromise();
    },
  });
}

/**
 * A CoreV1 client whose every call carries the configured timeouts (a middleware sets an abort
 * signal and bounds the connection of the agent the kubeconfig's TLS settings made). With a token
 * source, a 401 is retried once with a fresh token.
 */
export function createCoreApi(
  kubeConfig: KubeConfig,
  timeouts?: ClusterTimeouts,
  tokenSource?: TokenSource,
): CoreV1Api {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const connections = reuseConnections();
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    ...(tokenSource ? { httpApi: retryOnceWithFreshToken(tokenSource) } : {}),
    promiseMiddleware: [
      {
        async pre(context: RequestContext) {
          connections(context);
          if (timeouts) {
            context.setSignal(AbortSignal.timeout(timeouts.requestTimeoutMs));
            const agent = context.getAgent();
            if (agent && 'createConnection' in agent)
              limitConnectTime(agent as Agent, timeouts.connectTimeoutMs);
          }
          return context;
        },
        async post(context) {
          return context;
        },
      },
    ],
  });
  return new CoreV1Api(configuration);
}
