import { defineCiApiModule } from '../define-api-module';
import { createGitlabSource } from './adapter';
import { gitlabModule } from './module';

/** GitLab's API side: runners made and removed over the REST API (module.ts says why apart). */
export const gitlabApiModule = defineCiApiModule(gitlabModule, {
  name: 'gitlab',
  createAdapter: (gitlab, secretOf) =>
    createGitlabSource({
      apiUrl: gitlab.apiUrl,
      token: secretOf(gitlab.apiToken, 'sources.gitlab.apiToken'),
      tags: gitlab.tags,
      projects: gitlab.projects,
      allowPublicProjects: gitlab.allowPublicProjects,
      pollProjects: gitlab.pollProjects,
    }),
});
