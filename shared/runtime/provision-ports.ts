import { createBatchReader } from '../state/batch-read';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionPorts } from '../provision/types';
import { createSqsProvisionQueue } from '../queue/provision-queue';
import { createCapacityStore } from '../state/capacity-store';
import { createRequestStore } from '../state/request-store';
import { createOperatorSettingsStore } from '../state/settings-store';
import type { Runtime } from './runtime';

/** The provision function's ports over a runtime: its handler's, and the extra "containers" the storm and crash tests run. */
export function createProvisionPorts(runtime: Runtime, logger: LoggerPort): ProvisionPorts {
  const table = runtime.settings.tableName;
  return {
    config: { ...runtime.config, namespace: runtime.config.cluster.namespace },
    sources: runtime.sources,
    requests: createRequestStore(runtime.db, table),
    capacity: createCapacityStore(runtime.db, table),
    settings: createOperatorSettingsStore(runtime.db, table),
    readBatch: createBatchReader(runtime.db, table),
    agents: runtime.agents(),
    logger,
    queue: createSqsProvisionQueue(runtime.sqs, runtime.settings.queueUrl),
  };
}
