export { createJenkinsSource } from './adapter';
export type { JenkinsSource } from './adapter';
export { jenkinsSourceDefaults } from './adapter-settings';
export type { JenkinsSourceOptions } from './adapter-settings';
export type { AgentState } from './agents';
export type { QueueItem } from './polling';
export { deliveryHeader, jenkinsContractSchema } from './contract';
export {
  evaluateLabelExpression,
  matchesLabelExpression,
  parseLabelExpression,
  satisfyingLabels,
} from './label-expression';
export type { LabelExpression } from './label-expression';
export { normaliseControllerUrl } from './controller-url';
export { labelFromWhy } from './queue-why';
export {
  createJenkinsWebhookReceiver,
  jenkinsEventTypes,
  parseJenkinsWebhook,
  queuedBuildFromQueueItem,
} from './webhook';
