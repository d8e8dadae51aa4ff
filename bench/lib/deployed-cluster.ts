import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The local API server reached as a deployed function reaches its cluster: with a bearer token (EKS
 * or a ServiceAccount's), not a kubeconfig file; here the local admin token and CA from the
 * harness's kubeconfig. The client differs by credentials (shared/cluster/connect.ts: a kubeconfig
 * loads @kubernetes/client-node, a token uses shared/cluster/bearer-api.ts), and the bench measures
 * what a deployment runs.
 */
export function bearerCredentialsOf(kubeconfigPath: string): Record<string, unknown> {
  const kubeconfig = parse(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters?: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users?: { user: { token?: string } }[];
  };
  const cluster = kubeconfig.clusters?.[0]?.cluster;
  const token = kubeconfig.users?.[0]?.user.token;
  if (!cluster || !token) throw new Error(`${kubeconfigPath} has no cluster or no token user`);
  return {
    kind: 'token',
    server: cluster.server,
    token: { value: token },
    ...(cluster['certificate-authority-data'] ? { caData: cluster['certificate-authority-data'] } : {}),
  };
}
