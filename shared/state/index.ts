export { createCapacityStore } from './capacity-store';
export type { CapacityStore, CounterSnapshot, Reservation, SlotRequest } from './capacity-store';
export { createStateClient } from './client';
export type { StateClientOptions } from './client';
export { createDeliveryStore, deliveryTtlSeconds } from './delivery-store';
export type { DeliveryStore } from './delivery-store';
export { StateUnavailableError } from './errors';
export { keys } from './keys';
export { createLeaseStore } from './lease-store';
export type { LeaseStore } from './lease-store';
export { createRequestQueries } from './request-queries';
export type { ListQuery, PagePosition, RequestQueries } from './request-queries';
export { createRequestStore } from './request-store';
export type { CreateResult, EndResult, RequestStore } from './request-store';
export { createOperatorSettingsStore } from './settings-store';
export type { OperatorSettings, OperatorSettingsStore } from './settings-store';
export { createTableInput, tableShape } from './table';
export type {
  MoveResult,
  ReleaseOptions,
  RequestFields,
  SlotBatch,
  TransitionMove,
  TransitionOptions,
} from '../ports';
