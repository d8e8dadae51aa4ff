/** The visibilities GitHub documents for a repository that not everyone can read. */
const notPublicVisibilities: readonly string[] = ['private', 'internal'];

/**
 * Whether a repository is public, as a payload or the API says. `visibility` settles it when present
 * (only `private` and `internal` count as not public, so an unknown value fails closed), else
 * `private`; neither is `unknown`, which the callers treat as public.
 */
export function visibilityOf(repository: {
  readonly private?: boolean;
  readonly visibility?: string;
}): 'public' | 'not public' | 'unknown' {
  if (repository.visibility !== undefined)
    return notPublicVisibilities.includes(repository.visibility) ? 'not public' : 'public';
  if (repository.private !== undefined) return repository.private ? 'not public' : 'public';
  return 'unknown';
}
