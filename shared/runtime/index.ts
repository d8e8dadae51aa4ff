export { createRuntime } from './runtime';
export type { Runtime } from './runtime';
export { createSourceRegistry } from './sources';
