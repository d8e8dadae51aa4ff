import type { CiApiModule, CiModule } from './module';
import { ciModules } from './registry';

/**
 * Declares the API side of `module` (<ci>/api-module.ts), keeping its settings type, and refuses one
 * whose name is not that module's, or a module that is not the one registered under its name.
 *
 * Why the check reads the registry rather than `module` alone: each CI's API side is an entry of its
 * own in the bundle (a dynamic import, api-registry.ts), and esbuild puts a module in the chunk of
 * the set of entries that reach it. Every cold start loads the five CIs' definitions (registry.ts);
 * reached by every API side through this import, they share one chunk, where each would otherwise
 * be a file of its own at every cold start, reached by the handler and its own CI's API side
 * (test/integration/deploy/bundles.test.ts holds a function's cold start to the files of a one-CI
 * build).
 */
export function defineCiApiModule<Module extends CiModule>(
  module: Module,
  api: CiApiModule<Module>,
): CiApiModule<Module> {
  const registered: CiModule | undefined = ciModules.find((candidate) => candidate.name === api.name);
  if (api.name !== module.name || registered !== module)
    throw new TypeError(
      `the API side '${api.name}' is not that of the registered CI module '${module.name}'`,
    );
  return api;
}
