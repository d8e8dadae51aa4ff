import { originOfDetails, type RecordedOrigin } from '../origin';
import type { GithubSettings } from './config-schema';
import { githubModule } from './module';
import { repositoryMatches } from './repository-pattern';

/**
 * A recorded GitHub build's origin: its repository, as its webhook named it (the runner is made
 * there), and the allow-list it must still be on.
 */
export const githubRecordedOrigin: RecordedOrigin<GithubSettings> = {
  of: (details) =>
    originOfDetails(
      githubModule.detailsSchema,
      details,
      (recorded) => `${recorded.owner}/${recorded.repo}`,
      repositoryMatches,
    ),
  allowList: (github) => ({ key: 'repositories', patterns: github.repositories }),
};
