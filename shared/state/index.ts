export { createStateClient } from './client';
export type { StateClientOptions } from './client';
export { StateUnavailableError } from './errors';
export { getRequest, putRequestIfAbsent, requestKey } from './requests';
export type { PutRequestResult, RequestRecord } from './requests';
export { createTableInput, tableShape } from './table';
