export { createGitlabSource, gitlabSourceDefaults, runnerTokenEnvName } from './adapter';
export type { GitlabSourceOptions } from './adapter';
export { failureFor, rateLimitWaitSeconds } from './api';
export { gitlabApiModule } from './api-module';
export { gitlabModule, gitlabRunnerCommand } from './module';
export type { GitlabSettings } from './config-schema';
export { pollRateLimitReserve } from './polling';
export { isProjectPattern } from './project-path';
export { projectMatches } from './project-match';
export { servesTags } from './tags';
export { gitlabRefusalReasons } from './refusal-reasons';
export { judgeGitlabJob, parseGitlabTime, visibilityOf } from './trust';
export type { GitlabJobOrigin, GitlabTrustPolicy } from './trust';
export {
  buildActionOf,
  createGitlabWebhookReceiver,
  gitlabEventHeader,
  gitlabEventUuidHeader,
  gitlabIdempotencyHeader,
  gitlabJobEvent,
  gitlabJobKey,
  jobHookEvent,
  parseGitlabWebhook,
} from './webhook';
export type { GitlabJobFacts } from './webhook';
export { gitlabSigning, gitlabTokenHeader } from './signing';
