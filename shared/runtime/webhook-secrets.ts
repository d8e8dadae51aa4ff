import { ConfigError, type SettingProblem } from '../config/errors';
import type { PitcrewConfig } from '../config/file-schema';
import type { SecretEntry, SecretResolver } from '../config/secrets';
import type { SecretRef } from '../sources/config-parts';
import { webhookSecretEntries } from '../config/secret-entries';
import type { CiSource } from '../sources/names';
import type { SecretLookup } from '../sources/module';
import type { ConfiguredWebhook, WebhookRegistry } from '../webhook/receive-webhook';
import { messageOf } from '../message-of';

/** What reading the webhook secrets again came to, for the log: settings and problems, never a value. */
export interface SecretRefresh {
  /** Secrets gone, invalid, or unread past the grace: their sources' deliveries are answered 503. */
  readonly closed: readonly SettingProblem[];
  /** Secrets that could not be read right now, still used as read before until `until` (ISO). */
  readonly kept: readonly (SettingProblem & { readonly until: string })[];
}

export interface WebhookSecretSetup {
  readonly sources: PitcrewConfig['sources'];
  /** The webhook secrets, as sourceSecretEntries gives them: `sources.<source>.webhookSecret[.<i>]`. */
  readonly entries: readonly SecretEntry[];
  readonly resolver: SecretResolver;
  /** The values read at cold start, by config key. */
  readonly values: ReadonlyMap<string, string>;
  /** The registry the webhook's ports hold: changed in place. */
  readonly webhooks: WebhookRegistry;
  readonly build: (sources: PitcrewConfig['sources'], secretOf: SecretLookup) => WebhookRegistry;
  /** How long a secret that cannot be read right now is still used after it was last read. */
  readonly graceMs: number;
  readonly now: () => number;
}

/**
 * Reads the webhook secrets again before each request, as the runtime's `refreshSecrets` (the reader
 * answers from its cache until a value is `maxAgeSeconds` old). A secret an operator removed or
 * revoked must stop verifying in warm containers too, so at the first read that finds a secret gone or
 * invalid (not found, access denied, empty, under 16 characters) its entry stops verifying, and a
 * source left with no entry fails closed (its deliveries get 503, and the sender retries): while a
 * secret is rotated, deleting the old parameter leaves the new one verifying. One equal to another
 * source's closes every source (the problem names none). A read that may heal (throttling, a 5xx, the
 * network) keeps the value read before, but only `graceMs` past its last good read; then its entry
 * stops too. A source opens again as soon as its secrets read and check well.
 */
export function createWebhookSecretRefresh(setup: WebhookSecretSetup): () => Promise<SecretRefresh> {
  const { entries, webhooks, now, graceMs } = setup;
  const resolver = rememberingFailures(setup.resolver, now);
  const readAt = new Map(entries.map((entry) => [entry.where, now()]));
  let values = setup.values;
  let someClosed = false;

  return async () => {
    const at = now();
    const next = new Map<string, string>();
    const closed: SettingProblem[] = [];
    const kept: (SettingProblem & { until: string })[] = [];
    await Promise.all(
      entries.map(async ({ ref, where }) => {
        try {
          next.set(where, await resolver.resolve(ref, where));
          readAt.set(where, at);
        } catch (error) {
          // What a retry cannot fix (gone, denied, empty) comes as a ConfigError, as resolveSecrets has it.
          if (error instanceof ConfigError) return void closed.push(...error.problems);
          const problem = messageOf(error);
          const lastRead = readAt.get(where) ?? at;
          const before = values.get(where);
          if (before === undefined || at >= lastRead + graceMs) {
            const since = new Date(lastRead).toISOString();
            return void closed.push({ setting: where, problem: `not read since ${since}: ${problem}` });
          }
          next.set(where, before);
          kept.push({ setting: where, problem, until: new Date(lastRead + graceMs).toISOString() });
        }
      }),
    );
    if (!closed.length && !someClosed && entries.every(({ where }) => next.get(where) === values.get(where)))
      return { closed, kept };

    values = next;
    // By reference: a source keeps the entries that read and check well, so its list may be shorter.
    const whereOf = new Map(entries.map((entry) => [entry.ref, entry.where]));
    const secretOf: SecretLookup = (ref, where) => {
      const value = next.get(whereOf.get(ref as SecretRef) ?? where);
      if (value === undefined) throw new Error(`${where} was not read`);
      return value;
    };
    const failed = new Set(closed.map(({ setting }) => setting));
    const open = new Set(Object.keys(webhooks));
    // A shorter list numbers its entries anew: a problem the build names by the new number is the
    // entry's of the config (`sources.jenkins.webhookSecret.0` may be the config's `.1`).
    const configWhere = new Map<string, string>();
    /** Each open source with its entries that did not fail; one left with none closes. */
    const usable = (): PitcrewConfig['sources'] => {
      const sources: Record<string, unknown> = {};
      configWhere.clear();
      for (const [name, settings] of Object.entries(setup.sources)) {
        if (!settings || !open.has(name)) continue;
        const kept = webhookSecretEntries(name as CiSource, settings.webhookSecret).filter(
          ({ where }) => !failed.has(where),
        );
        const refs = kept.map(({ ref }) => ref);
        // A list keeps its form, and its n-th entry left is `<setting>.<n>`.
        if (Array.isArray(settings.webhookSecret))
          kept.forEach(({ where }, index) =>
            configWhere.set(`sources.${name}.webhookSecret.${index}`, where),
          );
        if (refs.length === 0) open.delete(name);
        else
          sources[name] = {
            ...settings,
            webhookSecret: Array.isArray(settings.webhookSecret) ? refs : refs[0],
          };
      }
      return sources as PitcrewConfig['sources'];
    };
    /** An entry's problem drops that entry; one naming a source closes it, one naming none closes all. */
    const drop = (problems: readonly SettingProblem[]): void => {
      for (const { setting } of problems) {
        if (readAt.has(setting)) failed.add(setting);
        else if (setting.startsWith('sources.*')) open.clear();
        else open.delete(/^sources\.([^.]+)\./.exec(setting)?.[1] ?? '');
      }
    };
    let registry: WebhookRegistry = {};
    for (let sources = usable(); open.size; sources = usable()) {
      try {
        registry = setup.build(sources, secretOf);
        break;
      } catch (error) {
        const problems = (
          error instanceof ConfigError ? error.problems : [{ setting: 'sources.*', problem: String(error) }]
        ).map((found) => ({ ...found, setting: configWhere.get(found.setting) ?? found.setting }));
        closed.push(...problems);
        const before = `${open.size}/${failed.size}`;
        drop(problems);
        // Nothing it could drop: close every source rather than try the same again.
        if (`${open.size}/${failed.size}` === before) open.clear();
      }
    }
    someClosed = open.size < Object.keys(webhooks).length;
    for (const [source, previous] of Object.entries(webhooks) as [keyof WebhookRegistry, ConfiguredWebhook][])
      webhooks[source] = registry[source] ?? { ...previous, secrets: [], closed: true };
    return { closed, kept };
  };
}

/**
 * How long the webhook answers a secret's failed read with the same error without reading it again.
 * SSM and Secrets Manager values are cached (Powertools), failures are not, and the webhook reads its
 * secrets before every delivery, signed or not: without this, anyone could make each request to a
 * source whose secret is gone, denied or throttled one more call on the account's SSM quota, which
 * every other reader of a parameter shares. A secret put back verifies again within this much more.
 */
export const failedReadRetryMs = 10_000;

/** `resolver`, with each config key's failed read remembered for failedReadRetryMs. */
function rememberingFailures(resolver: SecretResolver, now: () => number): SecretResolver {
  const failures = new Map<string, { readonly error: unknown; readonly at: number }>();
  return {
    async resolve(ref, where, options) {
      const failed = failures.get(where);
      if (failed && now() - failed.at < failedReadRetryMs) throw failed.error;
      try {
        const value = await resolver.resolve(ref, where, options);
        failures.delete(where);
        return value;
      } catch (error) {
        failures.set(where, { error, at: now() });
        throw error;
      }
    },
  };
}
