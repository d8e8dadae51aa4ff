/**
 * What the functions that reach the cluster and call a CI (provision, reap, ops) load at cold start,
 * and the webhook never does: the agent client and the CI API adapters. One module, so one chunk:
 * runtime.ts imports it on demand, and each module file a cold start loads costs about a millisecond
 * on its own (docs/performance.md), more than these bytes.
 */
export { connectAgents } from './cluster-agents';
export { createSourceRegistry } from './api-sources';
