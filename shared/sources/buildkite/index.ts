export { agentEnv, buildkiteSourceDefaults, createBuildkiteSource } from './adapter';
export type { BuildkiteSourceOptions } from './adapter';
export { nextPagePath, rateLimitWaitSeconds } from './api';
export { pipelineMatches } from './pipeline-pattern';
export { pollRateLimitReserve, pollUserRateLimitReserve } from './polling';
export {
  buildkiteSignatureHeader,
  buildkiteSignatureOrTokenSigning,
  buildkiteSigning,
  buildkiteTokenHeader,
  parseSignatureHeader,
} from './signing';
export { buildkiteRefusalReasons } from './refusal-reasons';
export { judgeBuildkiteJob, repositoryIdentity } from './trust';
export type { BuildkiteJobOrigin, BuildkiteTrustPolicy } from './trust';
export {
  buildkiteEventHeader,
  buildkiteJobEvent,
  createBuildkiteWebhookReceiver,
  parseBuildkiteWebhook,
} from './webhook';
export type { BuildkiteJobFacts } from './webhook';
