export { createRuntime } from './runtime';
export type { Runtime, RuntimeOptions } from './runtime';
// createWebhookRegistry (./sources) is left out on purpose: the runtime loads it in the webhook only.
export type { SecretLookup } from './sources';
export { createProvisionPorts } from './provision-ports';
export { createReapPorts } from './reap-ports';
