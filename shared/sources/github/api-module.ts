import { defineCiApiModule } from '../define-api-module';
import { createGithubSource } from './adapter';
import { githubModule } from './module';

/** GitHub's API side: runners registered over a token or an App installation (module.ts says why apart). */
export const githubApiModule = defineCiApiModule(githubModule, {
  name: 'github',
  createAdapter(github, secretOf) {
    const auth =
      'token' in github.auth
        ? { kind: 'token' as const, token: secretOf(github.auth.token, 'sources.github.auth.token') }
        : {
            kind: 'app' as const,
            appId: github.auth.app.appId,
            privateKey: secretOf(github.auth.app.privateKey, 'sources.github.auth.app.privateKey'),
            installationId: github.auth.app.installationId,
          };
    return createGithubSource({
      apiUrl: github.apiUrl,
      auth,
      runnerScope: github.runnerScope,
      runnerGroupId: github.runnerGroupId,
      pollRepositories: github.pollRepositories,
      allowPublicRepositories: github.allowPublicRepositories,
    });
  },
});
