export { createMemoryAgentClient } from './agent-client';
export type { MemoryAgentClient, MemoryAgentClientOptions, MemoryClusterFailure } from './agent-client';
export { matchesLabelSelector, parseLabelSelector } from './label-selector';
export type { LabelRequirement } from './label-selector';
