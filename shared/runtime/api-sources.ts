import type { PitcrewConfig } from '../config/file-schema';
import { ciApiModulesOf } from '../sources/api-registry';
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
  const configured = registeredModules.filter((module) => sources[module.name] !== undefined);
  for (const { module, api } of ciApiModulesOf(configured)) {
    const settings = sources[module.name];
    // Each CI's API side takes its own module's settings, which `settings` is.
    if (settings) registry[module.name] = { adapter: api.createAdapter(settings, secretOf) };
  }
  return registry;
}
