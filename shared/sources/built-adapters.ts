import type { CiSource } from './names';
import type { SourceRegistry } from './types';

/**
 * Throws, naming them, if a CI that `templates` serve has no adapter in `sources` once the function
 * loaded them (`Runtime.loadSources`): without one, that CI's agents would be taken for those of a CI
 * the config no longer has, and let go unasked (shared/sources/deregister.ts). Only ports that read a
 * copy of the function's registry get here; `outcome` says what was not done.
 */
export function requireAdaptersOf(
  templates: readonly { readonly source: CiSource }[],
  sources: SourceRegistry,
  outcome: string,
): void {
  const unbuilt = [...new Set(templates.map((template) => template.source))].filter(
    (source) => !sources[source],
  );
  if (unbuilt.length > 0)
    throw new Error(`no adapter was built for ${unbuilt.join(', ')}, which the templates serve: ${outcome}`);
}
