import { ConfigError, type SettingProblem } from '../config/errors';
import type { PitcrewConfig } from '../config/file-schema';
import type { SecretEntry, SecretResolver } from '../config/secrets';
import type { SecretLookup } from '../sources/module';
import type { ConfiguredWebhook, WebhookRegistry } from '../webhook/receive-webhook';

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
 * revoked must stop verifying in warm containers too, so a source fails closed (its deliveries get
 * 503, and the sender retries) at the first read that finds its secret gone or invalid: not found,
 * access denied, empty, under 16 characters, or equal to another source's (which closes every
 * source: the problem names none). A read that may heal (throttling, a 5xx, the network) keeps the
 * value read before, but only `graceMs` past its last good read; then its source closes too. A
 * source opens again as soon as its secrets read and check well.
 */
export function createWebhookSecretRefresh(setup: WebhookSecretSetup): () => Promise<SecretRefresh> {
  const { entries, webhooks, now, graceMs } = setup;
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
          next.set(where, await setup.resolver.resolve(ref, where));
          readAt.set(where, at);
        } catch (error) {
          // What a retry cannot fix (gone, denied, empty) comes as a ConfigError, as resolveSecrets has it.
          if (error instanceof ConfigError) return void closed.push(...error.problems);
          const problem = error instanceof Error ? error.message : String(error);
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
    const secretOf: SecretLookup = (_ref, where) => {
      const value = next.get(where);
      if (value === undefined) throw new Error(`${where} was not read`);
      return value;
    };
    const open = new Set(Object.keys(webhooks));
    /** Closes the sources the problems name: every source if one names none, or none was open. */
    const close = (problems: readonly SettingProblem[]): void => {
      const size = open.size;
      for (const { setting } of problems) open.delete(/^sources\.([^.]+)\./.exec(setting)?.[1] ?? '*');
      if (open.size === size || problems.some(({ setting }) => setting.startsWith('sources.*'))) open.clear();
    };
    if (closed.length) close(closed);
    let registry: WebhookRegistry = {};
    while (open.size) {
      const sources = Object.fromEntries(Object.entries(setup.sources).filter(([name]) => open.has(name)));
      try {
        registry = setup.build(sources, secretOf);
        break;
      } catch (error) {
        const problems =
          error instanceof ConfigError ? error.problems : [{ setting: 'sources.*', problem: String(error) }];
        closed.push(...problems);
        close(problems);
      }
    }
    someClosed = open.size < Object.keys(webhooks).length;
    for (const [source, previous] of Object.entries(webhooks) as [keyof WebhookRegistry, ConfiguredWebhook][])
      webhooks[source] = registry[source] ?? { ...previous, secrets: [], closed: true };
    return { closed, kept };
  };
}
