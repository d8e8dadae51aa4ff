import type { RequestRecord } from '../requests/record';
import { removeAgent, type AgentRemoval, type AgentToRemove } from '../sources/deregister';
import type { CiSourceAdapter } from '../sources/types';
import { adapterOf } from './adapter-of';
import type { ProvisionPorts } from './types';

/**
 * `removeAgent` for an agent of `record`, as every provision step removes one: at the CI of the
 * request's source, with its details. `agent` names it (its pod's name, its template's labels, the
 * id its CI gave it, where known); `target` says what becomes of its pod. An adapter that cannot be
 * built counts as its CI failing for now (`kept`), as its error says (adapter-of.ts).
 */
export const removeAgentOf = async (
  ports: ProvisionPorts,
  record: RequestRecord,
  agent: { readonly agentName: string; readonly labels: readonly string[]; readonly externalId?: string },
  target: Pick<AgentToRemove, 'pod' | 'evenIfBusy'> = {},
): Promise<AgentRemoval> =>
  removeAgent(
    { namespace: ports.config.namespace, agents: ports.agents, logger: ports.logger },
    {
      ...target,
      adapter: await adapterOf(ports, record.source).catch((error: unknown) => unbuilt(record, error)),
      agent: { requestId: record.requestId, details: record.details, ...agent },
    },
  );

/** An adapter whose every call fails with the error its build failed with. */
const unbuilt = (record: RequestRecord, error: unknown): CiSourceAdapter => ({
  name: record.source,
  createAgentCredentials: () => Promise.reject(error),
  deregisterAgent: () => Promise.reject(error),
});
