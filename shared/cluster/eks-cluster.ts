import { ConfigError } from '../config/errors';
import { ClusterUnavailableError } from './errors';
import { messageOf } from '../message-of';

export interface EksEndpoint {
  readonly server: string;
  /** Base64 PEM, as DescribeCluster gives it and a kubeconfig's certificate-authority-data holds it. */
  readonly caData: string;
}

/** The part of the EKS client this module uses, so tests can hand in a fake. */
export interface DescribeClusterClient {
  describeCluster(name: string): Promise<{ endpoint?: string; certificateAuthority?: { data?: string } }>;
}

/** The real client, imported on first use: only the functions that reach the cluster load it. */
export async function createDescribeClusterClient(region: string): Promise<DescribeClusterClient> {
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const client = new EKSClient({ region });
  return {
    async describeCluster(name) {
      const { cluster } = await client.send(new DescribeClusterCommand({ name }));
      return cluster ?? {};
    },
  };
}

/**
 * The API endpoint and CA of an EKS cluster, from DescribeCluster (one call per cold start; set
 * `server` and `caData` in the config to save it). A missing cluster or a missing permission is a
 * ConfigError that says what to fix; anything else may heal on retry.
 */
export async function describeEksEndpoint(
  client: DescribeClusterClient,
  clusterName: string,
  region: string,
): Promise<EksEndpoint> {
  const where = 'cluster.credentials.clusterName';
  let cluster: Awaited<ReturnType<DescribeClusterClient['describeCluster']>>;
  try {
    cluster = await client.describeCluster(clusterName);
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ResourceNotFoundException')
      throw new ConfigError([
        { setting: where, problem: `EKS cluster '${clusterName}' does not exist in ${region}` },
      ]);
    if (name === 'AccessDeniedException')
      throw new ConfigError([
        {
          setting: where,
          problem: `this function's role may not call eks:DescribeCluster on '${clusterName}' (build with this config and deploy again, or set server and caData)`,
        },
      ]);
    const message = messageOf(error);
    throw new ClusterUnavailableError(`DescribeCluster '${clusterName}' failed: ${message}`, undefined, {
      cause: error,
    });
  }
  if (!cluster.endpoint || !cluster.certificateAuthority?.data)
    throw new ClusterUnavailableError(
      `EKS cluster '${clusterName}' has no endpoint yet (is it still being created?)`,
    );
  return { server: cluster.endpoint, caData: cluster.certificateAuthority.data };
}
