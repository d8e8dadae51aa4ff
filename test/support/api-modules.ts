import type { PitcrewConfig } from '../../shared/config/file-schema';
import type { SecretLookup } from '../../shared/runtime/sources';
import { buildkiteApiModule } from '../../shared/sources/buildkite/api-module';
import { genericApiModule } from '../../shared/sources/generic/api-module';
import { githubApiModule } from '../../shared/sources/github/api-module';
import { gitlabApiModule } from '../../shared/sources/gitlab/api-module';
import { jenkinsApiModule } from '../../shared/sources/jenkins/api-module';
import type { CiApiModule } from '../../shared/sources/module';
import type { ciModules } from '../../shared/sources/registry';
import type { SourceRegistry } from '../../shared/sources/types';

type Registered = (typeof ciModules)[number];

/**
 * Every CI's API side, imported at once: the tests build adapters there and then, where the functions
 * load each CI's on first use (shared/sources/api-registry.ts). Typed as that registry is, so a CI
 * registered without its API side here does not compile either.
 */
export const ciApiModules: {
  readonly [Name in Registered['name']]: CiApiModule<Extract<Registered, { name: Name }>>;
} = {
  github: githubApiModule,
  jenkins: jenkinsApiModule,
  generic: genericApiModule,
  buildkite: buildkiteApiModule,
  gitlab: gitlabApiModule,
};

/** Every configured CI's adapter, built now, as a function's registry holds them once all are loaded. */
export function createSourceRegistry(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
): SourceRegistry {
  const registry: SourceRegistry = {};
  for (const [name, api] of Object.entries(ciApiModules) as [Registered['name'], CiApiModule][]) {
    const settings = sources[name];
    if (settings) registry[name] = { adapter: api.createAdapter(settings, secretOf) };
  }
  return registry;
}
