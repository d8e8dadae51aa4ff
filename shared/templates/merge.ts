/**
 * Merges a template's raw pod YAML over the generated pod. A small merge of our own, because the
 * rules are Kubernetes' strategic-merge ones for the lists that matter, which generic deep-merge
 * libraries do not know:
 * - objects merge key by key, recursively;
 * - lists of objects that all have a `name` (containers, volumes, env, volumeMounts) merge item by
 *   item on `name`, and new names are appended;
 * - any other list, and any scalar, is replaced by the overlay's value.
 */
export function mergePodOverlay(base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return base;
  if (Array.isArray(base) && Array.isArray(overlay) && isNamedList(base) && isNamedList(overlay)) {
    const merged = base.map((item) => {
      const match = overlay.find((candidate) => candidate.name === item.name);
      return match ? mergePodOverlay(item, match) : item;
    });
    const added = overlay.filter((candidate) => !base.some((item) => item.name === candidate.name));
    return [...merged, ...added];
  }
  if (isPlainObject(base) && isPlainObject(overlay)) {
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overlay)) result[key] = mergePodOverlay(base[key], value);
    return result;
  }
  return overlay;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNamedList = (list: unknown[]): list is { name: string }[] =>
  list.length > 0 && list.every((item) => isPlainObject(item) && typeof item.name === 'string');
