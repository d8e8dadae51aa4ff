export { createAgentClient } from './agents';
export type { AgentClient } from './agents';
export { createCoreApi, createKubeConfig } from './client';
export { ClusterError, ClusterRejectedError, ClusterUnavailableError } from './errors';
export { isAlreadyExists, isNotFound, translateClusterError } from './translate';
