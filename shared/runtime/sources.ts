import { ConfigError } from '../config/errors';
import type { PitcrewConfig, SecretRef } from '../config/file-schema';
import { webhookSecretEntries } from '../config/secret-entries';
import { createGenericWebhookReceiver } from '../sources/generic';
import { createGithubWebhookReceiver } from '../sources/github/webhook';
import { createJenkinsWebhookReceiver } from '../sources/jenkins/webhook';
import { ciSources, type CiSource } from '../sources/names';
import type { WebhookReceiver } from '../sources/types';
import type { ConfiguredWebhook, WebhookRegistry } from '../webhook/receive-webhook';

/** A secret's value, already resolved, by the config key it sits at. */
export type SecretLookup = (ref: SecretRef, where: string) => string;

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
