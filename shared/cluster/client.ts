import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
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

export const createCoreApi = (kubeConfig: KubeConfig): CoreV1Api => kubeConfig.makeApiClient(CoreV1Api);
