import type { CiSource } from './names';
import type { RecordedOrigin } from './origin';
import { buildkiteRecordedOrigin } from './buildkite/recorded-origin';
import { githubRecordedOrigin } from './github/recorded-origin';
import { gitlabRecordedOrigin } from './gitlab/recorded-origin';

/**
 * Where a recorded build comes from, read from its details as its webhook read it, and the allow-list
 * that must cover it, for each CI that has one (the CIs whose templates take `from`): provision
 * judges both again before it makes an agent (shared/provision/kept-origin.ts). A registry of its
 * own, which only provision imports, so that the other functions' cold start does not load the
 * matchers; a packaged bundle holds only its config's CIs' lines (scripts/configured-sources.ts).
 * Each entry's `allowList` takes its own CI's section (hence `never` here).
 */
export const recordedOrigins: Partial<Record<CiSource, RecordedOrigin<never>>> = {
  github: githubRecordedOrigin,
  gitlab: gitlabRecordedOrigin,
  buildkite: buildkiteRecordedOrigin,
};
