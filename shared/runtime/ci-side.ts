import type { CiSide } from './runtime';
import { connectAgents } from './cluster-agents';
import { createSourceRegistry } from './api-sources';

/**
 * What provision and reap build at cold start, and the webhook never does: the agent client and the
 * CI API adapters. Their handlers import it and pass it to createRuntime; the webhook's bundle does
 * not hold it. The ops function builds the adapters later (./ops-side.ts).
 */
export const ciSide: CiSide = { connectAgents, createSourceRegistry };
