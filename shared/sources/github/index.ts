export { createGithubSource, githubSourceDefaults, jitConfigEnvName } from './adapter';
export type { GithubAuth, GithubSourceOptions } from './adapter';
export { githubApiVersion, rateLimitWaitSeconds } from './api';
export { signAppJwt } from './app-auth';
export { githubDeliveryHeader, githubEventHeader, parseGithubWebhook } from './webhook';
