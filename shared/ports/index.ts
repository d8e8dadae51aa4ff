export { silentLogger } from './logger';
export type { LoggerPort } from './logger';
