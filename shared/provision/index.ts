export { decideProvision } from './decide';
export type { ProvisionDecision } from './decide';
export { RetryLaterError } from './errors';
export { provisionRequest } from './provision-request';
export type { ProvisionOutcome, ProvisionPorts } from './provision-request';
