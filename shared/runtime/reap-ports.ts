import type { LoggerPort } from '../ports/logger';
import { createSqsProvisionQueue } from '../queue/provision-queue';
import type { ReapPorts } from '../reap/reap';
import { createCapacityStore } from '../state/capacity-store';
import { createLeaseStore } from '../state/lease-store';
import { createRequestStore } from '../state/request-store';
import { createOperatorSettingsStore } from '../state/settings-store';
import type { Runtime } from './runtime';

/** The reaper's ports over a runtime: the reap function's, and ops `reconcile`'s (the same reaper). */
export function createReapPorts(runtime: Runtime, logger: LoggerPort): ReapPorts {
  const table = runtime.settings.tableName;
  return {
    config: { ...runtime.config, namespace: runtime.config.cluster.namespace },
    sources: runtime.sources,
    requests: createRequestStore(runtime.db, table),
    capacity: createCapacityStore(runtime.db, table),
    settings: createOperatorSettingsStore(runtime.db, table),
    leases: createLeaseStore(runtime.db, table),
    agents: runtime.agents(),
    queue: createSqsProvisionQueue(runtime.sqs, runtime.settings.queueUrl),
    logger,
    now: () => new Date(),
  };
}
