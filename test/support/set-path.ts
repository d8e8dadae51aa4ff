/** Sets `path` in a copy of `value` (creating what is missing), so a field gets a chosen value. */
export function setPath(value: unknown, path: readonly string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[Number(key)] = setPath(copy[Number(key)], rest, replacement);
    return copy;
  }
  const object = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return { ...object, [key]: setPath(object[key], rest, replacement) };
}
