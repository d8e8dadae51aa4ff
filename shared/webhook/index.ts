export type { WebhookOutcome } from './outcome';
export { maxTokenWebhookBytes, maxWebhookBytes, receiveWebhook } from './receive-webhook';
export type { ConfiguredWebhook, WebhookPorts, WebhookRegistry, WebhookRequest } from './receive-webhook';
export { backlogGateDefaults, backlogRetryAfterSeconds, createBacklogGate } from './backlog';
export type { BacklogGate, CountBacklog } from './backlog';
export { enqueueBuild, newRecord } from './enqueue-build';
export type { EnqueuePorts } from './enqueue-build';
