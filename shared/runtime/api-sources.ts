import type { PitcrewConfig } from '../config/file-schema';
import { ciApiLoadersOf } from '../sources/api-registry';
import type { CiApiModule } from '../sources/module';
import type { CiSource } from '../sources/names';
import { registeredModules } from '../sources/registry';
import type { SourceRegistry } from '../sources/types';
import type { SecretLookup } from './sources';

/**
 * Builds the configured CIs' API adapters into one registry, each the first time it is asked for
 * (`load`), by its module's API side (shared/sources/<ci>/api-module.ts), loaded then: a cold start
 * loads no adapter, and a container loads only the CIs it serves.
 */
export interface SourceLoader {
  /**
   * Builds the adapters of `names` (every configured CI when absent) not built yet; a name the config
   * does not configure is left out, as it is of the registry. One CI at a time, whoever asks: two
   * builds of the same CI at once would build two adapters, and jest's ESM loader cannot link two
   * dynamic imports that share modules at once (the adapters share the CI-call helpers). Rejects, and
   * builds it again when next asked, if an adapter cannot be built over its settings and secrets.
   */
  load(names?: readonly CiSource[]): Promise<void>;
  /** The adapters built so far, built again over the secrets as they are now (a rotation). */
  rebuilt(): SourceRegistry;
}

/**
 * The loader of the adapters of `sources` over resolved secrets, which fills `registry`. Throws a
 * ConfigError naming every configured CI this bundle was packaged without, before anything loads. The
 * webhook function never builds one, nor loads this module (ci-side.ts), and holds no CI credentials.
 */
export function createSourceLoader(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
  registry: SourceRegistry,
): SourceLoader {
  const loaders = ciApiLoadersOf(registeredModules.filter((module) => sources[module.name] !== undefined));
  const loaded = new Map<CiSource, CiApiModule>();
  const build = (api: CiApiModule, name: CiSource) => {
    const settings = sources[name];
    // Only configured CIs have a loader, so their settings are there.
    if (!settings) throw new TypeError(`sources.${name} is not configured`);
    return { adapter: api.createAdapter(settings, secretOf) };
  };
  const wanted = (names: readonly CiSource[] | undefined) =>
    loaders.filter(({ module }) => !loaded.has(module.name) && (!names || names.includes(module.name)));

  let queue: Promise<unknown> = Promise.resolve();
  return {
    load(names) {
      // Built already: most calls, on every message, take no turn in the queue.
      if (wanted(names).length === 0) return Promise.resolve();
      const run = queue.then(async () => {
        for (const { module, load } of wanted(names)) {
          const api = await load();
          registry[module.name] = build(api, module.name);
          loaded.set(module.name, api);
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
    rebuilt() {
      const fresh: SourceRegistry = {};
      for (const [name, api] of loaded) fresh[name] = build(api, name);
      return fresh;
    },
  };
}
