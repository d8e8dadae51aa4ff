import type { AnyCiModule, ciModules } from './registry';
import type { CiReceiverModule, SecretLookup } from './module';
import type { WebhookReceiver } from './types';

type Registered = (typeof ciModules)[number];

/**
 * The webhook side of every module in registry.ts, by name, each loaded on demand: a chunk of its
 * own in the bundle, so the webhook function parses only the receivers of the CIs its config names
 * and the other functions none (module.ts, `CiReceiverModule`). Typed so that a CI registered there
 * without its receiver here, or with another module's, does not compile.
 */
export const ciReceiverModules: {
  readonly [Name in Registered['name']]: () => Promise<CiReceiverModule<Extract<Registered, { name: Name }>>>;
} = {
  github: async () => (await import('./github/receiver-module')).githubReceiverModule,
  jenkins: async () => (await import('./jenkins/receiver-module')).jenkinsReceiverModule,
  generic: async () => (await import('./generic/receiver-module')).genericReceiverModule,
  buildkite: async () => (await import('./buildkite/receiver-module')).buildkiteReceiverModule,
  gitlab: async () => (await import('./gitlab/receiver-module')).gitlabReceiverModule,
};

/** Builds the receiver of a module whose receiver side is loaded, from its parsed settings. */
export type ReceiverFactory = (
  module: AnyCiModule,
  settings: Parameters<CiReceiverModule['createReceiver']>[0],
  secrets: SecretLookup,
  now: () => number,
) => WebhookReceiver;

/**
 * Loads the receiver side of `modules`, one after the other (jest's ESM loader cannot link two
 * dynamic imports that share modules at once), and gives back what builds their receivers.
 */
export async function loadCiReceivers(modules: readonly AnyCiModule[]): Promise<ReceiverFactory> {
  const loaded = new Map<string, CiReceiverModule>();
  for (const module of modules)
    // Each entry of ciReceiverModules takes its own module's settings, which the caller passes.
    loaded.set(module.name, (await ciReceiverModules[module.name]()) as unknown as CiReceiverModule);
  return (module, settings, secrets, now) => {
    const receiver = loaded.get(module.name);
    if (!receiver) throw new TypeError(`the receiver of '${module.name}' was not loaded`);
    return receiver.createReceiver(settings, secrets, now);
  };
}
