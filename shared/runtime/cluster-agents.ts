import { connectCluster, type ClusterAccessDeps } from '../cluster/connect';
import type { PodApi } from '../cluster/pod-api';
import type { ClusterConfig } from '../config/file-schema';

/**
 * The configured cluster's API (ci-side.ts, ops-side.ts): the webhook's bundle never holds it. Each
 * function binds the agent client's operations it makes over it (shared/runtime/*-ports.ts).
 */
export const connectAgents = (cluster: ClusterConfig, deps: ClusterAccessDeps): Promise<PodApi> =>
  connectCluster(cluster, deps);
