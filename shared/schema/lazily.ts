/**
 * A value built on first use, then kept: for schemas a cold start seldom needs. A CI's config schema
 * parses only a YAML config (`pitcrew dev`, the CLI, `npm run package`); a deployed function reads the
 * compiled config (shared/config/load.ts), so building its zod objects at every cold start was
 * milliseconds spent for nothing.
 */
export function lazily<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
