export { createGenericSource, createGenericWebhookReceiver, parseGenericWebhook } from './adapter';
export type { GenericSourceOptions } from './adapter';
export { deliveryHeader, genericWebhookSchema } from './contract';
export type { GenericWebhook } from './contract';
