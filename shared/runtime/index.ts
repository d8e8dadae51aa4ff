export { createRuntime } from './runtime';
export type { Runtime, RuntimeOptions } from './runtime';
export { createWebhookRegistry } from './sources';
export type { SecretLookup } from './sources';
export { createProvisionPorts } from './provision-ports';
export { createReapPorts } from './reap-ports';
