import type { RequestRecord } from '../requests/record';
import { removeAgent, type AgentRemoval, type AgentToRemove } from '../sources/deregister';
import type { ProvisionPorts } from './types';

/**
 * `removeAgent` for an agent of `record`, as every provision step removes one: at the CI of the
 * request's source, with its details. `agent` names it (its pod's name, its template's labels, the
 * id its CI gave it, where known); `target` says what becomes of its pod.
 */
export const removeAgentOf = (
  ports: ProvisionPorts,
  record: RequestRecord,
  agent: { readonly agentName: string; readonly labels: readonly string[]; readonly externalId?: string },
  target: Pick<AgentToRemove, 'pod' | 'evenIfBusy'> = {},
): Promise<AgentRemoval> =>
  removeAgent(
    { namespace: ports.config.namespace, agents: ports.agents, logger: ports.logger },
    {
      ...target,
      adapter: ports.sources[record.source]?.adapter,
      agent: { requestId: record.requestId, details: record.details, ...agent },
    },
  );
