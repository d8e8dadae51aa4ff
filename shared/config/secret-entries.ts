import { ciSources, type CiSource } from '../sources/names';
import type { PitcrewConfig, SecretRef } from './file-schema';
import type { SecretEntry } from './secrets';

/**
 * A source's webhook secrets, in the order given: one entry `sources.<source>.webhookSecret`, or, for
 * a list (a rotation in progress), `sources.<source>.webhookSecret.<index>` each.
 */
export function webhookSecretEntries(
  source: CiSource,
  refs: SecretRef | readonly SecretRef[],
): SecretEntry[] {
  const where = `sources.${source}.webhookSecret`;
  if (!Array.isArray(refs)) return [{ where, ref: refs as SecretRef }];
  return refs.map((ref, index) => ({ where: `${where}.${index}`, ref }));
}

/**
 * The secrets the configured CI connections need, by config key (what the runtime resolves):
 * `all` of them for the functions that call the CIs, or only the webhook secrets for the webhook
 * function, which verifies signatures and never calls a CI (so its role cannot read API credentials).
 */
export function sourceSecretEntries(
  sources: PitcrewConfig['sources'],
  scope: 'all' | 'webhook' = 'all',
): SecretEntry[] {
  const entries: SecretEntry[] = [];
  const add = (where: string, ref: SecretRef | undefined): void => {
    if (ref && scope === 'all') entries.push({ where, ref });
  };
  for (const source of ciSources) {
    const configured = sources[source];
    if (configured) entries.push(...webhookSecretEntries(source, configured.webhookSecret));
  }
  if (sources.github) {
    const auth = sources.github.auth;
    if ('token' in auth) add('sources.github.auth.token', auth.token);
    else add('sources.github.auth.app.privateKey', auth.app.privateKey);
  }
  if (sources.jenkins) {
    add('sources.jenkins.apiToken', sources.jenkins.apiToken);
  }
  if (sources.generic) {
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
