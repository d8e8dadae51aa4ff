import type { PitcrewConfig, SecretRef } from './file-schema';
import type { SecretEntry } from './secrets';

/** Every secret the configured CI connections need, by config key (what the runtime resolves). */
export function sourceSecretEntries(sources: PitcrewConfig['sources']): SecretEntry[] {
  const entries: SecretEntry[] = [];
  const add = (where: string, ref: SecretRef | undefined): void => {
    if (ref) entries.push({ where, ref });
  };
  if (sources.github) {
    add('sources.github.webhookSecret', sources.github.webhookSecret);
    const auth = sources.github.auth;
    if ('token' in auth) add('sources.github.auth.token', auth.token);
    else add('sources.github.auth.app.privateKey', auth.app.privateKey);
  }
  if (sources.jenkins) {
    add('sources.jenkins.webhookSecret', sources.jenkins.webhookSecret);
    add('sources.jenkins.apiToken', sources.jenkins.apiToken);
  }
  if (sources.generic) {
    add('sources.generic.webhookSecret', sources.generic.webhookSecret);
    add('sources.generic.agentToken', sources.generic.agentToken);
  }
  return entries;
}

/** The secrets the cluster connection reads: a ServiceAccount token and perhaps its CA. */
export function clusterSecretEntries(cluster: PitcrewConfig['cluster']): SecretEntry[] {
  const credentials = cluster.credentials;
  if (credentials.kind !== 'token') return [];
  const entries: SecretEntry[] = [{ where: 'cluster.credentials.token', ref: credentials.token }];
  if (credentials.caData !== undefined && typeof credentials.caData !== 'string')
    entries.push({ where: 'cluster.credentials.caData', ref: credentials.caData });
  return entries;
}
