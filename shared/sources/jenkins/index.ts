export { createJenkinsSource, jenkinsSourceDefaults } from './adapter';
export type { JenkinsSource, JenkinsSourceOptions } from './adapter';
export type { AgentState } from './agents';
export type { QueueItem } from './polling';
export { deliveryHeader, jenkinsContractSchema } from './contract';
export { evaluateLabelExpression, parseLabelExpression, satisfyingLabels } from './label-expression';
export type { LabelExpression } from './label-expression';
export { normaliseControllerUrl } from './controller-url';
export { labelFromWhy } from './queue-why';
export {
  createJenkinsWebhookReceiver,
  jenkinsEventTypes,
  parseJenkinsWebhook,
  queuedBuildFromQueueItem,
} from './webhook';
