import type { PitcrewConfig } from '../config/file-schema';
import { createGenericSource } from '../sources/generic';
import { createGithubSource } from '../sources/github';
import { createJenkinsSource } from '../sources/jenkins';
import type { SourceRegistry } from '../sources/types';
import type { SecretLookup } from './sources';

/**
 * One API adapter per configured CI, keyed by source name, built over resolved secrets (API tokens,
 * App keys). The webhook function never builds these, nor loads this module (runtime.ts). Adding a CI means one more entry here and in
 * `sourceSecretEntries` (shared/config), and one folder under shared/sources.
 */
export function createSourceRegistry(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
): SourceRegistry {
  const registry: SourceRegistry = {};
  if (sources.github) {
    const github = sources.github;
    const auth =
      'token' in github.auth
        ? { kind: 'token' as const, token: secretOf(github.auth.token, 'sources.github.auth.token') }
        : {
            kind: 'app' as const,
            appId: github.auth.app.appId,
            privateKey: secretOf(github.auth.app.privateKey, 'sources.github.auth.app.privateKey'),
            installationId: github.auth.app.installationId,
          };
    registry.github = {
      adapter: createGithubSource({
        apiUrl: github.apiUrl,
        auth,
        runnerScope: github.runnerScope,
        runnerGroupId: github.runnerGroupId,
        pollRepositories: github.pollRepositories,
        allowPublicRepositories: github.allowPublicRepositories,
      }),
    };
  }
  if (sources.jenkins) {
    const jenkins = sources.jenkins;
    registry.jenkins = {
      adapter: createJenkinsSource({
        url: jenkins.url,
        user: jenkins.user,
        apiToken: secretOf(jenkins.apiToken, 'sources.jenkins.apiToken'),
        tunnel: jenkins.tunnel,
        pollQueue: jenkins.pollQueue,
      }),
    };
  }
  if (sources.generic) {
    const generic = sources.generic;
    registry.generic = {
      adapter: createGenericSource({
        agentToken: generic.agentToken
          ? secretOf(generic.agentToken, 'sources.generic.agentToken')
          : undefined,
      }),
    };
  }
  return registry;
}
