import { connectCluster } from '../cluster/connect';
import type { CiSide } from './runtime';

/**
 * The ops function's CI side: the cluster's API at cold start (`status` and `describe` read pods),
 * the CI API adapters only when `cancel` or `reconcile` first needs them (`Runtime.loadSources`), so
 * the other operator actions never load the five CIs' adapters.
 */
export const opsCiSide: CiSide = {
  connectCluster,
  loadSourceRegistry: async () => (await import('./api-sources')).createSourceRegistry,
};
