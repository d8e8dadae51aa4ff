import { lazyAdapter } from '../lazy-adapter';
import { defineCiApiModule } from '../module';
import { gitlabAdapterCalls, parseGitlabAdapterOptions } from './adapter-settings';
import { gitlabModule } from './module';

/**
 * GitLab's API side: runners made and removed over the REST API (module.ts says why apart). The
 * settings are checked here, at cold start; the adapter's code loads on its first call
 * (../lazy-adapter.ts).
 */
export const gitlabApiModule = defineCiApiModule(gitlabModule, {
  name: 'gitlab',
  createAdapter(gitlab, secretOf) {
    const settings = parseGitlabAdapterOptions({
      apiUrl: gitlab.apiUrl,
      token: secretOf(gitlab.apiToken, 'sources.gitlab.apiToken'),
      tags: gitlab.tags,
      projects: gitlab.projects,
      allowPublicProjects: gitlab.allowPublicProjects,
      pollProjects: gitlab.pollProjects,
    });
    return lazyAdapter('gitlab', gitlabAdapterCalls(settings), async () =>
      (await import('./adapter')).gitlabSourceFrom(settings),
    );
  },
});
