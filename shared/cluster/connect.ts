import type { Clock } from '../ports/clock';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/file-schema';
import type { SecretResolver } from '../config/secrets';
import { createBearerKubeConfig, createCoreApi, createKubeConfig } from './client';
import { createDescribeClusterClient, describeEksEndpoint, type DescribeClusterClient } from './eks-cluster';
import { createEksToken, type AwsCredentials } from './eks-token';
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
 * A CoreV1 client for the configured cluster: a kubeconfig file as it is; a ServiceAccount token
 * read through the secret resolver (SSM, Secrets Manager, a file ...) and read again on 401; or an
 * EKS token signed with the function's own AWS credentials. Async because the CA may be a secret
 * and the EKS endpoint may come from DescribeCluster.
 */
export async function connectCluster(cluster: ClusterConfig, deps: ClusterAccessDeps): Promise<CoreV1Api> {
  const credentials = cluster.credentials;
  if (credentials.kind === 'kubeconfig') return createCoreApi(createKubeConfig(cluster), cluster);

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
    return bearerCoreApi(
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
  return bearerCoreApi(cluster, endpoint, tokenSource);
}

function bearerCoreApi(
  cluster: ClusterConfig,
  endpoint: { server: string; caData?: string; skipTlsVerify?: boolean },
  tokenSource: TokenSource,
): CoreV1Api {
  const kubeConfig = createBearerKubeConfig({ ...endpoint, namespace: cluster.namespace, tokenSource });
  return createCoreApi(kubeConfig, cluster, tokenSource);
}

/** The same chain the SDK clients use (environment on Lambda), memoised and refreshed by the SDK. */
async function defaultCredentials(): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain();
}
