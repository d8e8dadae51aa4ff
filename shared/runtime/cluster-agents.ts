import { createAgentClient, type AgentClient } from '../cluster/agents';
import { connectCluster, type ClusterAccessDeps } from '../cluster/connect';
import type { ClusterConfig } from '../config/file-schema';

/** The agent client over the configured cluster (ci-side.ts): the webhook's bundle never holds it. */
export async function connectAgents(cluster: ClusterConfig, deps: ClusterAccessDeps): Promise<AgentClient> {
  return createAgentClient(await connectCluster(cluster, deps));
}
