import type { CapacityStore } from '../../ports/capacity-store';
import type { DeliveryStore } from '../../ports/delivery-store';
import type { LeaseStore } from '../../ports/lease-store';
import type { RequestQueries } from '../../ports/request-queries';
import type { RequestStore } from '../../ports/request-store';
import type { OperatorSettingsStore } from '../../ports/settings-store';
import { createMemoryCapacityStore } from './capacity-store';
import { createMemoryDeliveryStore } from './delivery-store';
import { createMemoryLeaseStore } from './lease-store';
import { createMemoryRequestQueries } from './request-queries';
import { createMemoryRequestStore } from './request-store';
import { createMemoryOperatorSettingsStore } from './settings-store';
import { createMemoryTable, type MemoryTable, type MemoryTableOptions } from './table';

export { createMemoryCapacityStore } from './capacity-store';
export { createMemoryDeliveryStore } from './delivery-store';
export { createMemoryLeaseStore } from './lease-store';
export { createMemoryRequestQueries } from './request-queries';
export { createMemoryRequestStore } from './request-store';
export { createMemoryOperatorSettingsStore } from './settings-store';
export { createMemoryTable } from './table';
export type { MemoryItem, MemoryTable, MemoryTableOptions } from './table';

/** Every store on one in-memory table, as the DynamoDB ones share one table. */
export interface MemoryState {
  readonly table: MemoryTable;
  readonly requests: RequestStore;
  /** The read side over the same table (the byStatus index). */
  readonly queries: RequestQueries;
  readonly capacity: CapacityStore;
  readonly leases: LeaseStore;
  readonly settings: OperatorSettingsStore;
  readonly deliveries: DeliveryStore;
}

/** The in-memory twins of the state stores (`pitcrew dev`, the flows' unit tests), on a fresh table. */
export function createMemoryState(options: MemoryTableOptions = {}): MemoryState {
  const table = createMemoryTable(options);
  return {
    table,
    requests: createMemoryRequestStore(table),
    queries: createMemoryRequestQueries(table),
    capacity: createMemoryCapacityStore(table),
    leases: createMemoryLeaseStore(table),
    settings: createMemoryOperatorSettingsStore(table),
    deliveries: createMemoryDeliveryStore(table),
  };
}
