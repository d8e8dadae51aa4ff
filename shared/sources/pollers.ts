/**
 * Every CI's lost-event polling, which each adapter's `listQueuedBuilds` imports on its first call:
 * only the reaper polls, and polling judges a polled job with its CI's receiver code, which
 * provision and ops would otherwise load at every cold start. One module for all the CIs, not one
 * dynamic import per CI: the code an adapter shares with its polling then goes into one chunk (each
 * file a cold start loads costs about half a millisecond, docs/performance.md), and the reaper's first
 * polls load one chunk.
 */
export { listQueuedBuilds as listBuildkiteQueuedBuilds } from './buildkite/polling';
export { listQueuedBuilds as listGithubQueuedBuilds } from './github/polling';
export { listQueuedBuilds as listGitlabQueuedBuilds } from './gitlab/polling';
export { listQueuedBuilds as listJenkinsQueuedBuilds } from './jenkins/polling';
// What the reaper does with a polled build, which it needs only when it polls.
export { enqueueBuild } from '../webhook/enqueue-build';
