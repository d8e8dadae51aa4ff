import type { PitcrewConfig } from '../config/file-schema';
import { resolveSecret } from '../config/secrets';
import { createGenericSource } from '../sources/generic';
import { createGithubSource } from '../sources/github';
import { createJenkinsSource } from '../sources/jenkins';
import type { SourceRegistry } from '../webhook/receive-webhook';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * One adapter per configured CI, keyed by source name, with its webhook secret resolved once at cold
 * start. Adding a CI means one more entry here and one folder under shared/sources.
 */
export function createSourceRegistry(sources: PitcrewConfig['sources'], env: Env): SourceRegistry {
  const registry: SourceRegistry = {};
  if (sources.github) {
    const github = sources.github;
    const auth =
      'token' in github.auth
        ? {
            kind: 'token' as const,
            token: resolveSecret(github.auth.token, env, 'sources.github.auth.token'),
          }
        : {
            kind: 'app' as const,
            appId: github.auth.app.appId,
            privateKey: resolveSecret(github.auth.app.privateKey, env, 'sources.github.auth.app.privateKey'),
            installationId: github.auth.app.installationId,
          };
    registry.github = {
      webhookSecret: resolveSecret(github.webhookSecret, env, 'sources.github.webhookSecret'),
      adapter: createGithubSource({
        apiUrl: github.apiUrl,
        auth,
        runnerScope: github.runnerScope,
        runnerGroupId: github.runnerGroupId,
      }),
    };
  }
  if (sources.jenkins) {
    const jenkins = sources.jenkins;
    registry.jenkins = {
      webhookSecret: resolveSecret(jenkins.webhookSecret, env, 'sources.jenkins.webhookSecret'),
      adapter: createJenkinsSource({
        url: jenkins.url,
        user: jenkins.user,
        apiToken: resolveSecret(jenkins.apiToken, env, 'sources.jenkins.apiToken'),
        tunnel: jenkins.tunnel,
        pollQueue: jenkins.pollQueue,
      }),
    };
  }
  if (sources.generic) {
    const generic = sources.generic;
    registry.generic = {
      webhookSecret: resolveSecret(generic.webhookSecret, env, 'sources.generic.webhookSecret'),
      adapter: createGenericSource({
        agentToken: generic.agentToken
          ? resolveSecret(generic.agentToken, env, 'sources.generic.agentToken')
          : undefined,
      }),
    };
  }
  return registry;
}
