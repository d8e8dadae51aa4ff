import type { V1Pod } from '@kubernetes/client-node';
// Not among the package's exports, which would bring its every API client along: the generated
// models' serializer alone.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';

/**
 * The fields of a rendered pod that a pod does not have, as paths (`spec.nodeSelecter`). The API
 * server drops an unknown field without a word (its default field validation only warns), so a typo
 * in a podYaml (a `nodeSelecter` meant to keep a privileged template on nodes of its own) would be
 * deployed as if it were not there: the config is refused instead (bug 88). Values of a known field
 * are left to the API server, which refuses a wrong type at the pod's create.
 *
 * Why client-node's serializer: its generated models are the API's schema, field by field, and it
 * writes a pod with only the fields they know (every field of a pod has the same name in the models
 * as in JSON), so what it leaves out is what the API server would drop.
 */
export function unknownPodFields(pod: V1Pod): string[] {
  return leftOut(pod, ObjectSerializer.serialize(pod, 'V1Pod', '') as unknown, '');
}

/** The paths in `given` that `kept` does not have; a value kept whole (free-form) has none. */
function leftOut(given: unknown, kept: unknown, path: string): string[] {
  if (typeof given !== 'object' || given === null || typeof kept !== 'object' || kept === null) return [];
  return Object.entries(given).flatMap(([key, value]) => {
    const at = path === '' ? key : `${path}.${key}`;
    return key in kept ? leftOut(value, (kept as Record<string, unknown>)[key], at) : [at];
  });
}
