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
 * through ciApiModulesOf.
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

/** The API side of each of `modules`; a ConfigError naming every one this bundle was packaged without. */
export function ciApiModulesOf<Module extends { readonly name: Registered['name'] }>(
  modules: readonly Module[],
): { readonly module: Module; readonly api: CiApiModule }[] {
  const built = ciApiModules as Partial<Record<string, CiApiModule>>;
  const found = modules.map((module) => ({ module, api: built[module.name] }));
  const missing = found.filter(({ api }) => api === undefined).map(({ module }) => module.name);
  if (missing.length > 0) throw notInThisBuild(missing);
  return found.flatMap(({ module, api }) => (api ? [{ module, api }] : []));
}
