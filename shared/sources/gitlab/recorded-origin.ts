import { originOfDetails, type RecordedOrigin } from '../origin';
import type { GitlabSettings } from './config-schema';
import { gitlabModule } from './module';
import { projectMatches } from './project-match';

/**
 * A recorded GitLab build's origin: its project's path, as its webhook named it (provision checks
 * at GitLab that the project id the runner is made for has that path), and the allow-list it must
 * still be on.
 */
export const gitlabRecordedOrigin: RecordedOrigin<GitlabSettings> = {
  of: (details) =>
    originOfDetails(gitlabModule.detailsSchema, details, (recorded) => recorded.projectPath, projectMatches),
  allowList: (gitlab) => ({ key: 'projects', patterns: gitlab.projects }),
};
