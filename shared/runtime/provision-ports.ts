import * as agents from '../cluster/agents';
import { createBatchReader } from '../state/batch-read';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionPorts, VersionedSettings } from '../provision/types';
import { createSqsProvisionSender } from '../queue/provision-queue';
import * as capacity from '../state/capacity-store';
import * as requests from '../state/request-store';
import { createOperatorSettingsReader } from '../state/settings-store';
import { on } from '../ports/operation';
import { tableAccess } from '../state/table-access';
import type { Runtime } from './runtime';

/**
 * The provision function's ports over a runtime: its handler's, and the extra "containers" the storm
 * and crash tests run. Its stores and agent client hold only the operations the provision flow calls,
 * bound one by one, so its bundle holds no others (shared/ports/operation.ts).
 */
export function createProvisionPorts(runtime: Runtime, logger: LoggerPort): ProvisionPorts {
  const table = tableAccess(runtime.db, runtime.settings.tableName);
  const cluster = runtime.cluster();
  const readBatch = createBatchReader(runtime.db, table.tableName);
  // The settings each read found, for a new request's reservation on its snapshot (steps/snapshot-start.ts).
  let latest: VersionedSettings | undefined;
  return {
    config: { ...runtime.config, namespace: runtime.config.cluster.namespace },
    sources: runtime.sources,
    loadSources: runtime.loadSources,
    requests: {
      get: on(table, requests.getRequest),
      getMany: on(table, requests.getRequests),
      transition: on(table, requests.transitionRequest),
      transitionAll: on(table, requests.transitionRequests),
      listByStatus: on(table, requests.listRequestsByStatus),
      claimAttempt: on(table, requests.claimAttempt),
      endAttempt: on(table, requests.endAttempt),
    },
    capacity: {
      reserve: on(table, capacity.reserveSlot),
      reserveMany: on(table, capacity.reserveSlots),
      reserveFresh: on(table, capacity.reserveFreshSlot),
      release: on(table, capacity.releaseSlot),
      readCounters: on(table, capacity.readCounters),
    },
    settings: createOperatorSettingsReader(runtime.db, table.tableName),
    readBatch: async (requestIds) => {
      const reads = await readBatch(requestIds);
      latest =
        reads.settingsVersion === undefined
          ? undefined
          : { settings: reads.settings, version: reads.settingsVersion };
      return reads;
    },
    latestSettings: () => latest,
    agents: {
      createPod: on(cluster, agents.createAgentPod),
      putSecret: on(cluster, agents.putAgentSecret),
      deletePod: on(cluster, agents.deleteAgentPod),
      findAgent: on(cluster, agents.findAgent),
    },
    logger,
    queue: createSqsProvisionSender(runtime.sqs, runtime.settings.queueUrl),
  };
}
