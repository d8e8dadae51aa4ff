import { createHash } from 'node:crypto';
import { ConfigError, type SettingProblem } from '../config/errors';
import type { PitcrewConfig } from '../config/file-schema';
import { webhookSecretEntries } from '../config/secret-entries';
import type { SecretLookup } from '../sources/module';
import { ciSources } from '../sources/names';
import { createCiReceiver, refuseReceiversNotBuilt } from '../sources/receiver-registry';
import { registeredModules } from '../sources/registry';
import type { ConfiguredWebhook, WebhookRegistry } from '../webhook/receive-webhook';
import type { WebhookSide } from './runtime';
import { createWebhookSecretRefresh } from './webhook-secrets';

export type { SecretLookup };

/**
 * The webhook side of each configured CI (shared/sources/<ci>/receiver-module.ts): its receiver (built from settings alone, never from API
 * credentials), the webhook secrets that may sign its deliveries, and its backlog cap. Throws a
 * ConfigError when two sources resolve to one secret value: a delivery signed for one source must
 * never verify at another.
 */
export function createWebhookRegistry(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
  now: () => number = Date.now,
): WebhookRegistry {
  const registry: WebhookRegistry = {};
  const tooShort: SettingProblem[] = [];
  refuseReceiversNotBuilt(registeredModules.flatMap((module) => (sources[module.name] ? [module.name] : [])));
  for (const module of registeredModules) {
    const settings = sources[module.name];
    if (!settings) continue;
    registry[module.name] = {
      receiver: createCiReceiver(module, settings, secretOf, now),
      secrets: webhookSecretEntries(module.name, settings.webhookSecret).map((entry) => {
        const secret = secretOf(entry.ref, entry.where);
        const length = secret.trim().length;
        if (('ssm' in entry.ref || 'secretsManager' in entry.ref) && length < minWebhookSecretLength)
          tooShort.push({
            setting: entry.where,
            problem: `is ${length} characters: a webhook secret needs at least ${minWebhookSecretLength}, or one captured delivery lets anyone find it offline`,
          });
        return secret;
      }),
      maxBacklog: settings.maxBacklog,
    } satisfies ConfiguredWebhook;
  }
  if (tooShort.length > 0) throw new ConfigError(tooShort);
  refuseSharedSecretValues(registry);
  return registry;
}

/**
 * The fewest characters a webhook secret read from SSM or Secrets Manager (a deployed stage's) may
 * have. Local references (`value`, `env`, `file`), which a deployed stage refuses, may be shorter.
 */
export const minWebhookSecretLength = 16;

/**
 * A secret as HMAC-SHA256 keys with it (RFC 2104): over its 64-byte block it is hashed first, and
 * under it zero-padded, so `S` and `S\0` are one key, and so are a long secret and its digest.
 */
function hmacKeyOf(secret: string): string {
  const bytes = Buffer.from(secret, 'utf8');
  const key = bytes.length > 64 ? createHash('sha256').update(bytes).digest() : bytes;
  let end = key.length;
  while (end > 0 && key[end - 1] === 0) end -= 1;
  return key.subarray(0, end).toString('hex');
}

/** Two sources whose secrets are one HMAC key (bug 89): a delivery signed for one verifies at the other. */
function refuseSharedSecretValues(registry: WebhookRegistry): void {
  const owner = new Map<string, string>();
  const problems = new Set<string>();
  for (const source of ciSources) {
    for (const key of new Set((registry[source]?.secrets ?? []).map(hmacKeyOf))) {
      const first = owner.get(key);
      if (first !== undefined) problems.add(`${first} and ${source}`);
      else owner.set(key, source);
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

/**
 * What the webhook builds at cold start and no other function does: the receivers. Its handler imports
 * it and passes it to createRuntime; the other functions' bundles do not hold it.
 */
export const webhookSide: WebhookSide = {
  createWebhookRegistry,
  createSecretRefresh: (config, entries, resolver, values, webhooks, now = Date.now) =>
    createWebhookSecretRefresh({
      sources: config.sources,
      entries,
      resolver,
      values,
      webhooks,
      build: createWebhookRegistry,
      graceMs: config.secrets.maxAgeSeconds * 1000,
      now,
    }),
};
