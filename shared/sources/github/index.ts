export { createGithubSource, githubSourceDefaults, jitConfigEnvName } from './adapter';
export type { GithubAuth, GithubSourceOptions } from './adapter';
export { githubApiVersion, rateLimitWaitSeconds } from './api';
export { signAppJwt } from './app-auth';
export { pollRateLimitReserve } from './polling';
export { parsePollRepository } from './repository-name';
export type { PollRepository } from './repository-name';
export { repositoryMatches } from './repository-pattern';
export { judgeGithubJob } from './trust';
export type { GithubJobOrigin, GithubTrustPolicy } from './trust';
export {
  createGithubWebhookReceiver,
  githubDeliveryHeader,
  githubEventHeader,
  githubJobEvent,
  parseGithubWebhook,
} from './webhook';
export { githubSigning } from './signing';
export type { GithubJobFacts } from './webhook';
