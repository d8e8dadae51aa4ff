export { NotImplementedError } from './errors';
export { jsonResponse } from './http';
export { createLogger } from './logger';
