export { createGenericSource } from './adapter';
export { createGenericWebhookReceiver, parseGenericWebhook } from './webhook';
export type { GenericSourceOptions } from './adapter';
export { deliveryHeader, genericWebhookSchema } from './contract';
export type { GenericWebhook } from './contract';
