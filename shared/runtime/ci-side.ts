import { connectCluster } from '../cluster/connect';
import type { CiSide } from './runtime';
import { createSourceRegistry } from './api-sources';

/**
 * What provision and reap build at cold start, and the webhook never does: the cluster's API (over
 * which each binds the agent calls it makes, ./provision-ports.ts and ./reap-ports.ts) and the CI
 * API adapters. Their handlers import it and pass it to createRuntime; the webhook's bundle does not
 * hold it. The ops function builds the adapters later (./ops-side.ts).
 */
export const ciSide: CiSide = { connectCluster, createSourceRegistry };
