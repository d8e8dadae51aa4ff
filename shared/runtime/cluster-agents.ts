import { createAgentClient, type AgentClient } from '../cluster/agents';
import { connectCluster, type ClusterAccessDeps } from '../cluster/connect';
import type { ClusterConfig } from '../config/file-schema';

/**
 * The agent client over the configured cluster. runtime.ts imports this module on demand, so the
 * webhook's bundle (scripts/build.ts splits dynamic imports into chunks) never loads the Kubernetes
 * client.
 */
export async function connectAgents(cluster: ClusterConfig, deps: ClusterAccessDeps): Promise<AgentClient> {
  return createAgentClient(await connectCluster(cluster, deps));
}
