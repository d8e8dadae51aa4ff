import { originOfDetails } from '../origin';
import type { SourceDetails } from '../types';
import { gitlabModule } from './module';
import { projectMatches } from './project-match';

/**
 * A recorded GitLab build's origin: its project's path, as its webhook named it (provision checks
 * at GitLab that the project id the runner is made for has that path).
 */
export const gitlabRecordedOrigin = (details: SourceDetails) =>
  originOfDetails(gitlabModule.detailsSchema, details, (recorded) => recorded.projectPath, projectMatches);
