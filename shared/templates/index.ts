export { managedByValue, managedSelector, pitcrewLabels } from './labels';
export { matchTemplate } from './match';
export type { TemplateMatch } from './match';
export { mergePodOverlay } from './merge';
export { agentContainerName, agentSecretNameFor, renderAgentPod, renderAgentSecret } from './pod';
export type { AgentPodInput } from './pod';
