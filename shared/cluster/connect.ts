import type { Clock } from '../ports/clock';
import { ConfigError } from '../config/errors';
import type { ClusterConfig } from '../config/file-schema';
import type { SecretResolver } from '../config/secrets';
import { createBearerPodApi } from './bearer-api';
import { createDescribeClusterClient, describeEksEndpoint, type DescribeClusterClient } from './eks-cluster';
import { createEksToken, type AwsCredentials } from './eks-token';
import type { PodApi } from './pod-api';
import { createCachedTokenSource, type TokenSource } from './token-source';

export interface ClusterAccessDeps {
  readonly secrets: SecretResolver;
  /** The function's region: an EKS cluster's unless the config names another. */
  readonly region: string;
  /** Signs EKS tokens; default: the SDK's default chain, which on Lambda is the function's role. */
  readonly credentials?: () => Promise<AwsCredentials>;
  /** Default: the real EKS client. */
  readonly describeClusterClient?: (region: string) => Promise<DescribeClusterClient>;
  readonly now?: Clock;
}

/**
 * The core API calls of the agent client for the configured cluster: a kubeconfig file as it is,
 * through @kubernetes/client-node (loaded only then: a kubeconfig may hold any auth it knows); a
 * ServiceAccount token read through the secret resolver (SSM, Secrets Manager, a file ...) and read
 * again on 401; or an EKS token signed with the function's own AWS credentials. The last two, what a
 * deployed function uses, go through bearer-api.ts, which loads no client library. Async because the
 * CA may be a secret and the EKS endpoint may come from DescribeCluster.
 */
export async function connectCluster(cluster: ClusterConfig, deps: ClusterAccessDeps): Promise<PodApi> {
  const credentials = cluster.credentials;
  if (credentials.kind === 'kubeconfig') {
    const { createCoreApi, createKubeConfig, KubeConfigProblem } = await import('./client');
    try {
      return createCoreApi(createKubeConfig(cluster), cluster);
    } catch (error) {
      if (error instanceof KubeConfigProblem)
        throw new ConfigError([{ setting: error.setting, problem: error.problem }]);
      throw error;
    }
  }

  if (credentials.kind === 'token') {
    const caData =
      credentials.caData === undefined || typeof credentials.caData === 'string'
        ? credentials.caData
        : await deps.secrets.resolve(credentials.caData, 'cluster.credentials.caData');
    const tokenRef = credentials.token;
    const tokenSource = createCachedTokenSource({
      read: async (fresh) => ({
        token: await deps.secrets.resolve(tokenRef, 'cluster.credentials.token', { forceFetch: fresh }),
      }),
    });
    // Read now, so a missing or forbidden token stops the cold start with a ConfigError naming it.
    await tokenSource.token();
    return bearerPodApi(
      cluster,
      { server: credentials.server, caData, skipTlsVerify: credentials.skipTlsVerify },
      tokenSource,
    );
  }

  const region = credentials.region ?? deps.region;
  const endpoint =
    credentials.server && credentials.caData
      ? { server: credentials.server, caData: credentials.caData }
      : await describeEksEndpoint(
          await (deps.describeClusterClient ?? createDescribeClusterClient)(region),
          credentials.clusterName,
          region,
        );
  const signingCredentials = deps.credentials ?? (await defaultCredentials());
  const now = deps.now ?? (() => new Date());
  const tokenSource = createCachedTokenSource({
    read: async () =>
      createEksToken({
        clusterName: credentials.clusterName,
        region,
        credentials: await signingCredentials(),
        now: now(),
      }),
    now: () => now().getTime(),
  });
  return bearerPodApi(cluster, endpoint, tokenSource);
}

function bearerPodApi(
  cluster: ClusterConfig,
  endpoint: { server: string; caData?: string; skipTlsVerify?: boolean },
  tokenSource: TokenSource,
): PodApi {
  return createBearerPodApi({
    ...endpoint,
    tokenSource,
    timeouts: { connectTimeoutMs: cluster.connectTimeoutMs, requestTimeoutMs: cluster.requestTimeoutMs },
  });
}

/** The same chain the SDK clients use (environment on Lambda), memoised and refreshed by the SDK. */
async function defaultCredentials(): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain();
}
