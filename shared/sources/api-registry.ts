import type { CiApiModule } from './module';
import { buildkiteApiModule } from './buildkite/api-module';
import { genericApiModule } from './generic/api-module';
import { githubApiModule } from './github/api-module';
import { gitlabApiModule } from './gitlab/api-module';
import { jenkinsApiModule } from './jenkins/api-module';
import { notInThisBuild } from './not-in-build';
import type { ciModules } from './registry';

type Registered = (typeof ciModules)[number];

/**
 * The API side of every module in registry.ts, by name. Kept apart from that list so that only the
 * functions that call a CI load the adapters (module.ts, `CiApiModule`); typed so that a CI registered
 * there without its API side here, or with another module's, does not compile. A packaged bundle
 * holds only its config's CIs (scripts/configured-sources.ts drops the others' lines), so read it
 * through ciApiModuleOf.
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

/** The API side of a CI; a ConfigError naming it if this bundle was packaged without it. */
export function ciApiModuleOf(name: Registered['name']): CiApiModule {
  const api = (ciApiModules as Partial<Record<string, CiApiModule>>)[name];
  if (!api) throw notInThisBuild(name);
  return api;
}
