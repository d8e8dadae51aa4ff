import type { CiSide } from './runtime';
import { connectAgents } from './cluster-agents';
import { createSourceRegistry } from './api-sources';

/**
 * What provision, reap and ops build at cold start, and the webhook never does: the agent client and
 * the CI API adapters. Their handlers import it and pass it to createRuntime; the webhook's bundle
 * does not hold it.
 */
export const ciSide: CiSide = { connectAgents, createSourceRegistry };
