export { podNameFor, requestIdFor } from './identity';
export {
  endedRequestTtlSeconds,
  isTerminal,
  requestRecordSchema,
  requestStatuses,
  terminalStatuses,
} from './record';
export type { RequestRecord, RequestStatus } from './record';
