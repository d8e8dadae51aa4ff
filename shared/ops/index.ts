export { OpsConflictError, OpsError, OpsInputError, OpsNotFoundError } from './errors';
export { listDefaults, opsActions, opsEventSchema, parseOpsEvent, redriveDefaults } from './event';
export type { OpsAction, OpsEvent } from './event';
export type { PodSummary, RequestSummary } from './inspect';
export type { OpsPorts } from './ports';
export type { RedriveReport } from './redrive';
export { runOpsAction } from './run-action';
export type { OpsResult } from './run-action';
export type { CapView, StatusReport } from './status';
