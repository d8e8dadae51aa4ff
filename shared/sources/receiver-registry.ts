import type { CiReceiverModule, SecretLookup } from './module';
import { buildkiteReceiverModule } from './buildkite/receiver-module';
import { genericReceiverModule } from './generic/receiver-module';
import { githubReceiverModule } from './github/receiver-module';
import { gitlabReceiverModule } from './gitlab/receiver-module';
import { jenkinsReceiverModule } from './jenkins/receiver-module';
import type { AnyCiModule, ciModules } from './registry';
import type { WebhookReceiver } from './types';

type Registered = (typeof ciModules)[number];

/**
 * The webhook side of every module in registry.ts, by name. Kept apart from that list so that only
 * the webhook function loads the receivers (module.ts, `CiReceiverModule`; shared/runtime/runtime.ts
 * loads them in one chunk); typed so that a CI registered there without its receiver here, or with
 * another module's, does not compile.
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
  // Each entry of ciReceiverModules takes its own module's settings, which `settings` is.
  return (ciReceiverModules[module.name] as CiReceiverModule).createReceiver(settings, secrets, now);
}
