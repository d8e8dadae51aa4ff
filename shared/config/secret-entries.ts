import type { CiSource } from '../sources/names';
import { registeredModules } from '../sources/registry';
import type { PitcrewConfig, SecretRef } from './file-schema';
import type { SecretEntry } from './secrets';
import type { FunctionName } from './settings';

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
 * The secrets of the configured CIs that `reader` reads, by config key (what the runtime resolves and
 * a function's role may read), or `all` of them (to check them):
 * - the webhook: the webhook secrets only; it verifies deliveries and never calls a CI;
 * - provision: the CIs' API credentials and the tokens it hands its agents, never a webhook secret,
 *   so a leak of its role forges no delivery;
 * - reap and ops: the API credentials only; they make no agent, so they hold no agent token either.
 */
export function sourceSecretEntries(
  sources: PitcrewConfig['sources'],
  reader: FunctionName | 'all' = 'all',
): SecretEntry[] {
  const entries: SecretEntry[] = [];
  for (const module of registeredModules) {
    const configured = sources[module.name];
    if (!configured) continue;
    if (reader === 'all' || reader === 'webhook')
      entries.push(...webhookSecretEntries(module.name, configured.webhookSecret));
    if (reader === 'webhook') continue;
    const agentHeld = new Set(module.agentHeldSecretEntries?.(configured).map(({ where }) => where));
    entries.push(
      ...module
        .apiSecretEntries(configured)
        .filter(({ where }) => reader === 'all' || reader === 'provision' || !agentHeld.has(where)),
    );
  }
  return entries;
}
