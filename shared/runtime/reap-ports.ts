import * as agents from '../cluster/agents';
import type { LoggerPort } from '../ports/logger';
import { createSqsProvisionSender } from '../queue/provision-queue';
import type { ReapPorts } from '../reap/reap';
import * as capacity from '../state/capacity-store';
import { createLeaseStore } from '../state/lease-store';
import * as requests from '../state/request-store';
import { createOperatorSettingsReader } from '../state/settings-store';
import { on } from '../ports/operation';
import { tableAccess } from '../state/table-access';
import type { Runtime } from './runtime';

/**
 * The reaper's ports over a runtime: the reap function's, and ops `reconcile`'s (the same reaper).
 * Its stores and agent client hold only the operations the reaper calls, bound one by one, so its
 * bundle holds no others (shared/ports/operation.ts).
 */
export function createReapPorts(runtime: Runtime, logger: LoggerPort): ReapPorts {
  const table = tableAccess(runtime.db, runtime.settings.tableName);
  const cluster = runtime.cluster();
  return {
    config: { ...runtime.config, namespace: runtime.config.cluster.namespace },
    sources: runtime.sources,
    loadSources: runtime.loadSources,
    requests: {
      get: on(table, requests.getRequest),
      transition: on(table, requests.transitionRequest),
      listByStatus: on(table, requests.listRequestsByStatus),
      createIfAbsent: on(table, requests.createRequestIfAbsent),
    },
    capacity: {
      release: on(table, capacity.releaseSlot),
      readCounters: on(table, capacity.readCounters),
      repairCounter: on(table, capacity.repairCounter),
      noteCounterDrift: on(table, capacity.noteCounterDrift),
    },
    settings: createOperatorSettingsReader(runtime.db, table.tableName),
    leases: createLeaseStore(runtime.db, table.tableName),
    agents: {
      deletePod: on(cluster, agents.deleteAgentPod),
      listPods: on(cluster, agents.listAgentPods),
    },
    queue: createSqsProvisionSender(runtime.sqs, runtime.settings.queueUrl),
    logger,
    now: () => new Date(),
  };
}
