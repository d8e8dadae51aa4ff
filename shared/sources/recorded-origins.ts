import type { CiSource } from './names';
import type { BuildOrigin, SourceDetails } from './types';
import { buildkiteRecordedOrigin } from './buildkite/recorded-origin';
import { githubRecordedOrigin } from './github/recorded-origin';
import { gitlabRecordedOrigin } from './gitlab/recorded-origin';

/**
 * Where a recorded build comes from, read from its details as its webhook read it, for each CI whose
 * templates take `from` (the config refuses it for the others): provision judges a template's
 * `from` again before it makes an agent (shared/provision/kept-origin.ts). A registry of its own,
 * which only provision imports, so that the other functions' cold start does not load the matchers;
 * a packaged bundle holds only its config's CIs' lines (scripts/configured-sources.ts).
 */
export const recordedOrigins: Partial<Record<CiSource, (details: SourceDetails) => BuildOrigin | undefined>> =
  {
    github: githubRecordedOrigin,
    gitlab: gitlabRecordedOrigin,
    buildkite: buildkiteRecordedOrigin,
  };
