import * as v from '../schema/valibot';
import type { BuildOrigin, SourceDetails } from './types';

/** A build's origin, matched as its source's allow-list matches (`repositoryMatches`...). */
export const originOf = (name: string, matches: (pattern: string, name: string) => boolean): BuildOrigin => ({
  name,
  matches: (pattern) => matches(pattern, name),
});

/** A section's allow-list: its key (`repositories`...) and the patterns it lists. */
export interface AllowList {
  readonly key: string;
  readonly patterns: readonly string[];
}

/**
 * Where a CI's recorded build comes from, and the allow-list of its section that must cover it:
 * provision judges both again before it makes an agent (shared/provision/kept-origin.ts), and the
 * config's check of a template's `from` uses the same allow-list (shared/sources/config-parts.ts).
 */
export interface RecordedOrigin<Settings> {
  /** The origin a recorded build's details name, undefined when its CI's schema cannot read them. */
  readonly of: (details: SourceDetails) => BuildOrigin | undefined;
  readonly allowList: (settings: Settings) => AllowList;
}

/**
 * The origin a recorded build's details name, as its webhook's event named it, or undefined for
 * details the CI's schema does not read (provision then leaves the build out of a template's `from`).
 */
export function originOfDetails<Schema extends v.GenericSchema>(
  schema: Schema,
  details: SourceDetails,
  nameOf: (details: v.InferOutput<Schema>) => string,
  matches: (pattern: string, name: string) => boolean,
): BuildOrigin | undefined {
  const parsed = v.safeParse(schema, details);
  return parsed.success ? originOf(nameOf(parsed.output), matches) : undefined;
}
