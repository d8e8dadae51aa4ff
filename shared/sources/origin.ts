import * as v from '../schema/valibot';
import type { BuildOrigin, SourceDetails } from './types';

/** A build's origin, matched as its source's allow-list matches (`repositoryMatches`...). */
export const originOf = (name: string, matches: (pattern: string, name: string) => boolean): BuildOrigin => ({
  name,
  matches: (pattern) => matches(pattern, name),
});

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
