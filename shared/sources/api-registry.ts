import type { CiApiModule } from './module';
import { loadBuildkiteApi } from './buildkite/load-api';
import { loadGenericApi } from './generic/load-api';
import { loadGithubApi } from './github/load-api';
import { loadGitlabApi } from './gitlab/load-api';
import { loadJenkinsApi } from './jenkins/load-api';
import { notInThisBuild } from './not-in-build';
import type { ciModules } from './registry';

type Registered = (typeof ciModules)[number];

/** Loads the API side of one registered CI: its adapter and everything only the adapter uses. */
export type CiApiLoader<Module extends Registered = Registered> = () => Promise<CiApiModule<Module>>;

/**
 * How to load the API side of every module in registry.ts, by name. Kept apart from that list so that
 * only the functions that call a CI reach the adapters (module.ts, `CiApiModule`), and each behind a
 * dynamic import of its own: a function loads a CI's adapter the first time it needs that CI
 * (shared/runtime/api-sources.ts), so a cold start loads none and a provision container that serves
 * one CI's builds never loads the others'. Typed so that a CI registered there without its API side
 * here, or with another module's, does not compile. A packaged bundle holds only its config's CIs
 * (scripts/configured-sources.ts drops the others' lines), so read it through ciApiLoadersOf.
 */
export const ciApiLoaders: {
  readonly [Name in Registered['name']]: CiApiLoader<Extract<Registered, { name: Name }>>;
} = {
  github: loadGithubApi,
  jenkins: loadJenkinsApi,
  generic: loadGenericApi,
  buildkite: loadBuildkiteApi,
  gitlab: loadGitlabApi,
};

/** The API loader of each of `modules`; a ConfigError naming every one this bundle was packaged without. */
export function ciApiLoadersOf<Module extends { readonly name: Registered['name'] }>(
  modules: readonly Module[],
): { readonly module: Module; readonly load: () => Promise<CiApiModule> }[] {
  const built = ciApiLoaders as Partial<Record<string, () => Promise<CiApiModule>>>;
  const found = modules.map((module) => ({ module, load: built[module.name] }));
  const missing = found.filter(({ load }) => load === undefined).map(({ module }) => module.name);
  if (missing.length > 0) throw notInThisBuild(missing);
  return found.flatMap(({ module, load }) => (load ? [{ module, load }] : []));
}
