export { createQueueClient } from './client';
export type { QueueClientOptions } from './client';
export { readQueueDepth } from './depth';
export type { QueueDepth } from './depth';
export { QueueUnavailableError } from './errors';
export { queueLimits } from './limits';
export { provisionMessageSchema, readProvisionMessage } from './messages';
export type { ProvisionMessage } from './messages';
export { sendProvisionMessage } from './provision-queue';
