import type { CiSource } from '../sources/names';
import { registeredModules } from '../sources/registry';
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
  for (const module of registeredModules) {
    const configured = sources[module.name];
    if (configured) entries.push(...webhookSecretEntries(module.name, configured.webhookSecret));
  }
  if (scope === 'webhook') return entries;
  for (const module of registeredModules) {
    const configured = sources[module.name];
    if (configured) entries.push(...module.apiSecretEntries(configured));
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
