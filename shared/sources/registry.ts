import { buildkiteModule } from './buildkite/module';
import { genericModule } from './generic/module';
import { githubModule } from './github/module';
import { gitlabModule } from './gitlab/module';
import { jenkinsModule } from './jenkins/module';
import type { CiModule } from './module';

/**
 * Every CI Pitcrew speaks to: the one list a new CI is added to (docs/contributing.md). The order is
 * the order of `sources:` in config errors and of `ciSources`. Its webhook and API sides are registered
 * beside it in receiver-registry.ts and api-registry.ts, which the compiler holds to this list.
 */
export const ciModules = [githubModule, jenkinsModule, genericModule, buildkiteModule, gitlabModule] as const;

/** One of the registered modules, its own types forgotten: what code iterating over them sees. */
export type AnyCiModule = CiModule<(typeof ciModules)[number]['name']>;

/** The registered modules, to iterate over: `sources[module.name]` fits any module's methods. */
export const registeredModules: readonly AnyCiModule[] = ciModules.map((module) => module as AnyCiModule);

const byName = new Map<string, AnyCiModule>(registeredModules.map((module) => [module.name, module]));

/** The module of a registered source name. */
export function ciModuleOf(name: (typeof ciModules)[number]['name']): AnyCiModule {
  const module = byName.get(name);
  if (!module) throw new TypeError(`no CI module is registered as '${name}'`);
  return module;
}
