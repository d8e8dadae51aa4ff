export { createManualClock, systemClock } from './clock';
export type { Clock, ManualClock } from './clock';
export { silentLogger } from './logger';
export type { LoggerPort } from './logger';
export type { AgentClient, AgentDescription, CreatedPod, FoundAgent } from './agent-client';
export type {
  CapacityStore,
  CounterMarks,
  CounterName,
  CounterSnapshot,
  ReleaseOptions,
  Reservation,
  SlotBatch,
  SlotRequest,
} from './capacity-store';
export { deliveryTtlSeconds } from './delivery-store';
export type { DeliveryStore } from './delivery-store';
export type { LeaseStore } from './lease-store';
export type {
  CreateResult,
  EndResult,
  MoveResult,
  RequestFields,
  RequestStore,
  TransitionMove,
  TransitionOptions,
} from './request-store';
export type { OperatorSettings, OperatorSettingsStore } from './settings-store';
export type { ProvisionQueue, QueueDepthReading } from './provision-queue';
export type { ListQuery, PagePosition, RequestQueries } from './request-queries';
