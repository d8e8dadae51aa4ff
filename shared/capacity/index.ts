export { byTemplate } from './by-template';
export { capacityLimits } from './limits';
export { counterRepairs, expectedCounters, markOf, planTrim, planWake } from './plan';
export type { CapacityLimits, CounterRepair } from './plan';
export { wakeWaiting } from './wake';
export type { WakePorts } from './wake';
