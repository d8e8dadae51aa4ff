export type { WebhookOutcome } from './outcome';
export { maxWebhookBytes, receiveWebhook } from './receive-webhook';
export type { ConfiguredSource, SourceRegistry, WebhookPorts, WebhookRequest } from './receive-webhook';
export { enqueueBuild, newRecord } from './enqueue-build';
export type { EnqueuePorts } from './enqueue-build';
