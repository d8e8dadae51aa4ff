// Apart from project-path.ts, whose schemas are built when it loads: provision matches a recorded
// build's project against a template's `from` (./recorded-origin.ts) and needs this alone.

/**
 * Whether `path` is allowed by `pattern`. GitLab's paths are matched without regard to case, as
 * GitLab itself resolves them (a project at `Acme/App` is reachable as `acme/app`).
 */
export function projectMatches(pattern: string, path: string): boolean {
  const wanted = pattern.toLowerCase().split('/');
  const parts = path.toLowerCase().split('/');
  const last = wanted.at(-1);
  if (last === '**') {
    const group = wanted.slice(0, -1);
    return parts.length > group.length && group.every((part, index) => parts[index] === part);
  }
  if (last === '*') {
    const group = wanted.slice(0, -1);
    return parts.length === group.length + 1 && group.every((part, index) => parts[index] === part);
  }
  return wanted.length === parts.length && wanted.every((part, index) => parts[index] === part);
}
