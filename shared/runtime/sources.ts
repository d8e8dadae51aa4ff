import { ConfigError } from '../config/errors';
import type { PitcrewConfig, SecretRef } from '../config/file-schema';
import { webhookSecretEntries } from '../config/secret-entries';
import { createGenericSource, createGenericWebhookReceiver } from '../sources/generic';
import { createGithubSource, createGithubWebhookReceiver } from '../sources/github';
import { createJenkinsSource, createJenkinsWebhookReceiver } from '../sources/jenkins';
import { ciSources, type CiSource } from '../sources/names';
import type { SourceRegistry, WebhookReceiver } from '../sources/types';
import type { ConfiguredWebhook, WebhookRegistry } from '../webhook/receive-webhook';

/** A secret's value, already resolved, by the config key it sits at. */
export type SecretLookup = (ref: SecretRef, where: string) => string;

/**
 * One API adapter per configured CI, keyed by source name, built over resolved secrets (API tokens,
 * App keys). The webhook function never builds these. Adding a CI means one more entry here and in
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

/**
 * The webhook side of each configured CI: its receiver (built from settings alone, never from API
 * credentials), the webhook secrets that may sign its deliveries, and its backlog cap. Throws a
 * ConfigError when two sources resolve to one secret value: a delivery signed for one source must
 * never verify at another.
 */
export function createWebhookRegistry(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
  now: () => number = Date.now,
): WebhookRegistry {
  const configured = (
    source: CiSource,
    settings: { webhookSecret: SecretRef | SecretRef[]; maxBacklog: number },
    receiver: WebhookReceiver,
  ): ConfiguredWebhook => ({
    receiver,
    secrets: webhookSecretEntries(source, settings.webhookSecret).map((entry) =>
      secretOf(entry.ref, entry.where),
    ),
    maxBacklog: settings.maxBacklog,
  });
  const registry: WebhookRegistry = {};
  const { github, jenkins, generic } = sources;
  if (github) {
    const policy = {
      repositories: github.repositories,
      allowPublicRepositories: github.allowPublicRepositories,
      installationId: 'app' in github.auth ? github.auth.app.installationId : undefined,
      maxJobAgeHours: github.maxJobAgeHours,
      now,
    };
    registry.github = configured('github', github, createGithubWebhookReceiver(policy));
  }
  if (jenkins) registry.jenkins = configured('jenkins', jenkins, createJenkinsWebhookReceiver(jenkins));
  if (generic) registry.generic = configured('generic', generic, createGenericWebhookReceiver(generic));
  refuseSharedSecretValues(registry);
  return registry;
}

function refuseSharedSecretValues(registry: WebhookRegistry): void {
  const owner = new Map<string, string>();
  const problems = new Set<string>();
  for (const source of ciSources) {
    for (const secret of new Set(registry[source]?.secrets ?? [])) {
      const first = owner.get(secret);
      if (first !== undefined) problems.add(`${first} and ${source}`);
      else owner.set(secret, source);
    }
  }
  if (problems.size > 0)
    throw new ConfigError(
      [...problems].map((pair) => ({
        setting: `sources.*.webhookSecret`,
        problem: `${pair} resolve to the same webhook secret: give each source its own, so a delivery signed for one is never accepted by another`,
      })),
    );
}
