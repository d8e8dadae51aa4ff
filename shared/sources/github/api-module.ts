import { lazyAdapter } from '../lazy-adapter';
import { defineCiApiModule } from '../module';
import { githubAdapterCalls, parseGithubAdapterOptions } from './adapter-settings';
import { githubModule } from './module';

/**
 * GitHub's API side: runners registered over a token or an App installation (module.ts says why
 * apart). The settings and the App key are checked here, at cold start; the adapter's code loads on
 * its first call (../lazy-adapter.ts).
 */
export const githubApiModule = defineCiApiModule(githubModule, {
  name: 'github',
  createAdapter(github, secretOf) {
    const settings = parseGithubAdapterOptions({
      apiUrl: github.apiUrl,
      auth:
        'token' in github.auth
          ? { kind: 'token', token: secretOf(github.auth.token, 'sources.github.auth.token') }
          : {
              kind: 'app',
              appId: github.auth.app.appId,
              privateKey: secretOf(github.auth.app.privateKey, 'sources.github.auth.app.privateKey'),
              installationId: github.auth.app.installationId,
            },
      runnerScope: github.runnerScope,
      runnerGroupId: github.runnerGroupId,
      pollRepositories: github.pollRepositories,
      allowPublicRepositories: github.allowPublicRepositories,
    });
    return lazyAdapter('github', githubAdapterCalls(settings), async () =>
      (await import('./adapter')).githubSourceFrom(settings),
    );
  },
});
