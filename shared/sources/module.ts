import type * as v from '../schema/valibot';
import type * as z from '../schema/zod';
import type { SecretEntry } from '../config/secrets';
import type { SecretRef } from './config-parts';
import type { SigningScheme } from './signature';
import type { CiSourceAdapter, SourceDetails, WebhookReceiver } from './types';

/** What every CI's config section has: the secrets that sign its webhooks and its backlog cap. */
export interface CiSettingsBase {
  readonly webhookSecret: SecretRef | readonly SecretRef[];
  readonly maxBacklog: number;
}

/** A CI's details schema: an object (shared/schema/valibot.ts), parsed whenever a record is read. */
export type DetailsSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

/** A secret's value, already resolved, by the config key it sits at (`sources.jenkins.apiToken`). */
export type SecretLookup = (ref: SecretRef, where: string) => string;

/**
 * One CI, described in its own folder (shared/sources/<ci>/module.ts) and registered in
 * shared/sources/registry.ts: everything the rest of Pitcrew needs to know of it. Code outside
 * shared/sources/<ci>/ reads these fields and never names a CI (test/unit/sources/no-ci-names.test.ts).
 *
 * This part holds the facts (and the details schema) every function loads. Its config section's
 * schema, which only the full config parser loads, is <ci>/config-schema.ts (`CiConfigSchema`); the
 * webhook receiver and signing, which only the webhook function loads, are `CiReceiverModule`
 * (<ci>/receiver-module.ts); the API adapter, which only the functions that call a CI load, is
 * `CiApiModule` (<ci>/api-module.ts).
 */
export interface CiModule<
  Name extends string = string,
  Settings extends CiSettingsBase = CiSettingsBase,
  Details extends DetailsSchema = DetailsSchema,
> {
  /** The `{source}` of `POST /webhooks/{source}`, the key under `sources:` and the records' `source`. */
  readonly name: Name;
  /**
   * Never set: carries the type of its config section, for `SettingsOf`, which reading it off the
   * methods' parameters would infer only loosely (TypeScript compares method parameters both ways).
   */
  readonly settingsType?: Settings;
  /** Its API secrets (beside the webhook secrets, which every CI has), by full config key. */
  apiSecretEntries(settings: Settings): SecretEntry[];
  /**
   * Secrets every agent of this CI holds (the generic agent token), by full config key: agents run
   * untrusted builds, so the config refuses a webhook secret that is one of these.
   */
  agentHeldSecretEntries?(settings: Settings): SecretEntry[];
  /**
   * The settings of its section that are URLs Pitcrew sends this CI's credentials to (`apiUrl`): a
   * deployed stage refuses any that is not https (shared/config/insecure-settings.ts). Keys of its
   * settings: `defineCiModule` checks them.
   */
  readonly urlSettings: readonly string[];
  /** What its request records keep in `details` (an object whose `source` is the literal name). */
  readonly detailsSchema: Details;
  /**
   * Image and command of its agents when a template names none; no image: templates must name one.
   * `runAsUser`: the user its default image's repository is built for (its files belong to it),
   * for an agent of that image whose template sets none; the config's `defaults.runAsUser`
   * otherwise.
   */
  readonly podDefaults: {
    readonly image?: string;
    readonly command?: readonly string[];
    readonly runAsUser?: number;
  };
  /**
   * Whether its agents stay connected after their build (Jenkins): the reaper then deletes one only
   * once it is idle (`isAgentBusy`), and never cuts a build short.
   */
  readonly agentsOutliveBuilds: boolean;
  /**
   * The details to deregister an agent with when its request record is gone, if the agent's name is
   * all the CI needs; undefined when the CI cannot find an agent without its record.
   */
  deregistrationDetails?(agentName: string): SourceDetails;
  /**
   * Whether the CI neither retries a failed delivery nor honours Retry-After, and turns a webhook off
   * after failures in a row (GitLab). Its deliveries that Pitcrew cannot take now (backlog full, a body
   * it cannot read, DynamoDB or SQS unreachable) are then answered 200 `dropped`, logged and counted
   * as what they were, rather than 429, 400 or 503: a failure would only bring the webhook nearer to
   * being switched off, and the reaper's poll finds the build.
   */
  readonly disablesFailingWebhooks?: boolean;
}

/**
 * The webhook side of one CI (<ci>/receiver-module.ts), registered in
 * shared/sources/receiver-registry.ts, which only the webhook function loads: the provision, reap
 * and ops functions never receive a delivery, so their cold start does not parse the receivers
 * (test/integration/deploy/bundles.test.ts bounds it).
 */
export interface CiReceiverModule<Module extends CiModule = CiModule> {
  readonly name: Module['name'];
  /**
   * Its webhook receiver, from settings alone: the webhook function holds no API credentials, so
   * `secrets` is there for a CI whose parsing needs a non-API secret; none does today.
   */
  createReceiver(settings: SettingsOf<Module>, secrets: SecretLookup, now: () => number): WebhookReceiver;
  /**
   * How a sender signs for it at the default tolerance (`pitcrew demo`, the bench, the tests; the
   * receiver takes its tolerance from the config). Here rather than on `CiModule`: the signing code
   * is the webhook's and the local tools', and the other functions' cold start does not load it.
   */
  readonly signing: SigningScheme;
  /**
   * The reasons its receiver refuses a signed job from an origin the operator did not allow (the
   * RefusedJobs metric's `reason`; the CI contract suite holds the receiver to them). Here rather
   * than on `CiModule`: only the webhook refuses jobs.
   */
  readonly refusalReasons: readonly string[];
}

/**
 * The config side of one CI (<ci>/config-schema.ts): its section of the config file, `sources.<name>`,
 * registered in shared/sources/config-registry.ts, which only the full config parser
 * (shared/config/file-schema.ts) imports. A deployed function reads the config compiled at
 * packaging (shared/config/load.ts) and never loads the schemas.
 */
export type CiConfigSchema<Module extends CiModule = CiModule> = z.ZodMiniType<SettingsOf<Module>, unknown>;

/**
 * The API side of one CI (<ci>/api-module.ts, declared with shared/sources/define-api-module.ts),
 * whose loader is registered in shared/sources/api-registry.ts, which only
 * shared/runtime/api-sources.ts imports. A separate part so that the webhook function, which never
 * calls a CI, does not load the adapters, and loaded on first use so that the other functions load
 * only the CIs they call (test/integration/deploy/bundles.test.ts bounds their cold start).
 */
export interface CiApiModule<Module extends CiModule = CiModule> {
  readonly name: Module['name'];
  createAdapter(settings: SettingsOf<Module>, secrets: SecretLookup): CiSourceAdapter;
}

/** A module's parsed config section: what its config schema (<ci>/config-schema.ts) gives. */
export type SettingsOf<Module extends CiModule> = NonNullable<Module['settingsType']>;

/**
 * Keeps a module's own types (its name literal, its details schema) while checking it is a CiModule
 * of `Settings`, the type of its config section: `defineCiModule<GithubSettings>()({ ... })`.
 */
export const defineCiModule =
  <Settings extends CiSettingsBase>() =>
  <const Name extends string, Details extends DetailsSchema>(
    module: CiModule<Name, Settings, Details> & {
      readonly urlSettings: readonly (keyof Settings & string)[];
    },
  ): CiModule<Name, Settings, Details> =>
    module;

export const defineCiReceiverModule = <Module extends CiModule>(
  _module: Module,
  receiver: CiReceiverModule<Module>,
): CiReceiverModule<Module> => receiver;
