import {
  CoreV1Api,
  KubeConfig,
  createConfiguration,
  ServerConfiguration,
  type RequestContext,
} from '@kubernetes/client-node';
import type { Agent } from 'node:https';
import type { Socket } from 'node:net';
import type { ClusterConfig } from '../config/file-schema';

/**
 * Builds the Kubernetes client from the config's credentials: a kubeconfig file (local, tests), or
 * a server URL with a bearer token and CA (any cluster; the token comes from a secret reference,
 * already resolved by the caller). EKS tokens come with the deploy issue.
 */
export function createKubeConfig(cluster: ClusterConfig, resolvedToken?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  const credentials = cluster.credentials;
  if (credentials.kind === 'kubeconfig') {
    kubeConfig.loadFromFile(credentials.path);
    if (credentials.context) kubeConfig.setCurrentContext(credentials.context);
    return kubeConfig;
  }
  const caData = credentials.caData?.includes('BEGIN CERTIFICATE')
    ? Buffer.from(credentials.caData).toString('base64')
    : credentials.caData;
  kubeConfig.loadFromOptions({
    clusters: [
      { name: 'pitcrew', server: credentials.server, caData, skipTLSVerify: credentials.skipTlsVerify },
    ],
    users: [{ name: 'pitcrew', token: resolvedToken }],
    contexts: [{ name: 'pitcrew', cluster: 'pitcrew', user: 'pitcrew', namespace: cluster.namespace }],
    currentContext: 'pitcrew',
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

/**
 * A CoreV1 client whose every call carries the configured timeouts (a middleware sets an abort
 * signal and bounds the connection of the agent the kubeconfig's TLS settings made).
 */
export function createCoreApi(kubeConfig: KubeConfig, timeouts?: ClusterTimeouts): CoreV1Api {
  if (!timeouts) return kubeConfig.makeApiClient(CoreV1Api);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        async pre(context: RequestContext) {
          context.setSignal(AbortSignal.timeout(timeouts.requestTimeoutMs));
          const agent = context.getAgent();
          if (agent && 'createConnection' in agent)
            limitConnectTime(agent as Agent, timeouts.connectTimeoutMs);
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
