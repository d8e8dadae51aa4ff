export { createQueueClient } from './client';
export type { QueueClientOptions } from './client';
export { QueueUnavailableError } from './errors';
export { queueLimits } from './limits';
export { provisionMessageSchema } from './messages';
export type { ProvisionMessage } from './messages';
export { sendProvisionMessage } from './provision-queue';
