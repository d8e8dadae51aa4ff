export { createRuntime } from './runtime';
export type { CiSide, Runtime, RuntimeOptions, SideOf, WebhookSide } from './runtime';
// ciSide (./ci-side) and webhookSide (./sources) are left out on purpose: each handler imports its
// own from its module, so no bundle holds the other.
export type { SecretLookup } from './sources';
export { createProvisionPorts } from './provision-ports';
export { createReapPorts } from './reap-ports';
