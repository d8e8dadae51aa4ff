import { originOfDetails } from '../origin';
import type { SourceDetails } from '../types';
import { githubModule } from './module';
import { repositoryMatches } from './repository-pattern';

/** A recorded GitHub build's origin: its repository, as its webhook named it (the runner is made there). */
export const githubRecordedOrigin = (details: SourceDetails) =>
  originOfDetails(
    githubModule.detailsSchema,
    details,
    (recorded) => `${recorded.owner}/${recorded.repo}`,
    repositoryMatches,
  );
