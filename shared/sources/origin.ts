import type { BuildOrigin } from './types';

/** A build's origin, matched as its source's allow-list matches (`repositoryMatches`...). */
export const originOf = (name: string, matches: (pattern: string, name: string) => boolean): BuildOrigin => ({
  name,
  matches: (pattern) => matches(pattern, name),
});
