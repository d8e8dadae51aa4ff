import type { PitcrewConfig } from '../config/file-schema';
import { ciApiModuleOf } from '../sources/api-registry';
import { registeredModules } from '../sources/registry';
import type { SourceRegistry } from '../sources/types';
import type { SecretLookup } from './sources';

/**
 * One API adapter per configured CI, keyed by source name, built over resolved secrets (API tokens,
 * App keys) by its module's API side (shared/sources/<ci>/api-module.ts). The webhook function never
 * builds these, nor loads this module (ci-side.ts), so its bundle holds no adapter.
 */
export function createSourceRegistry(
  sources: PitcrewConfig['sources'],
  secretOf: SecretLookup,
): SourceRegistry {
  const registry: SourceRegistry = {};
  for (const module of registeredModules) {
    const settings = sources[module.name];
    if (!settings) continue;
    // Each CI's API side takes its own module's settings, which `settings` is.
    registry[module.name] = { adapter: ciApiModuleOf(module.name).createAdapter(settings, secretOf) };
  }
  return registry;
}
