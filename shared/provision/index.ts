export { decideProvision } from './decide';
export type { ProvisionDecision } from './decide';
export { ForeignPodError, RetryLaterError } from './errors';
export { prepareBatch } from './prepare-batch';
export type { BatchMessage, Prepared } from './prepare-batch';
export { provisionRequest } from './provision-request';
export { createRecordBatch } from './record-batch';
export type { PodRecorder } from './record-batch';
export type { ProvisionOutcome, ProvisionPorts } from './provision-request';
