import type { PitcrewConfig } from './file-schema';
import type { SecretEntry } from './secrets';

/**
 * The secrets the cluster connection reads: a ServiceAccount token and perhaps its CA. Read at build
 * time (IAM, the deployed stage's checks, the config's), not at a cold start: a module of its own, so
 * no function's cold start carries it.
 */
export function clusterSecretEntries(cluster: PitcrewConfig['cluster']): SecretEntry[] {
  const credentials = cluster.credentials;
  if (credentials.kind !== 'token') return [];
  const entries: SecretEntry[] = [{ where: 'cluster.credentials.token', ref: credentials.token }];
  if (credentials.caData !== undefined && typeof credentials.caData !== 'string')
    entries.push({ where: 'cluster.credentials.caData', ref: credentials.caData });
  return entries;
}
