import type { CiReceiverModule, SecretLookup } from './module';
import { buildkiteReceiverModule } from './buildkite/receiver-module';
import { genericReceiverModule } from './generic/receiver-module';
import { githubReceiverModule } from './github/receiver-module';
import { gitlabReceiverModule } from './gitlab/receiver-module';
import { jenkinsReceiverModule } from './jenkins/receiver-module';
import { notInThisBuild } from './not-in-build';
import type { AnyCiModule, ciModules } from './registry';
import type { WebhookReceiver } from './types';

type Registered = (typeof ciModules)[number];

/**
 * The webhook side of every module in registry.ts, by name. Kept apart from that list so that only
 * the webhook function loads the receivers (module.ts, `CiReceiverModule`; shared/runtime/runtime.ts
 * loads them in one chunk); typed so that a CI registered there without its receiver here, or with
 * another module's, does not compile. A packaged bundle holds only its config's CIs
 * (scripts/configured-sources.ts drops the others' lines).
 */
export const ciReceiverModules: {
  readonly [Name in Registered['name']]: CiReceiverModule<Extract<Registered, { name: Name }>>;
} = {
  github: githubReceiverModule,
  jenkins: jenkinsReceiverModule,
  generic: genericReceiverModule,
  buildkite: buildkiteReceiverModule,
  gitlab: gitlabReceiverModule,
};

/** The receiver of a registered module, from its parsed settings (`sources[module.name]`). */
export function createCiReceiver(
  module: AnyCiModule,
  settings: Parameters<CiReceiverModule['createReceiver']>[0],
  secrets: SecretLookup,
  now: () => number,
): WebhookReceiver {
  const receiverModule = ciReceiverModuleOf(module.name);
  if (!receiverModule) throw notInThisBuild([module.name]);
  // Each entry of ciReceiverModules takes its own module's settings, which `settings` is.
  return receiverModule.createReceiver(settings, secrets, now);
}

/** The receiver module of a CI; undefined if this bundle was packaged without it. */
export const ciReceiverModuleOf = (name: Registered['name']): CiReceiverModule | undefined =>
  (ciReceiverModules as Partial<Record<string, CiReceiverModule>>)[name];

/** A ConfigError naming every one of `names` this bundle was packaged without, if any. */
export function refuseReceiversNotBuilt(names: readonly Registered['name'][]): void {
  const missing = names.filter((name) => ciReceiverModuleOf(name) === undefined);
  if (missing.length > 0) throw notInThisBuild(missing);
}
