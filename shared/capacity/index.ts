export { byTemplate } from './by-template';
export { capacityLimits } from './limits';
export { counterRepairs, expectedCounters, planTrim, planWake } from './plan';
export type { CapacityLimits } from './plan';
export { wakeWaiting } from './wake';
export type { WakePorts } from './wake';
