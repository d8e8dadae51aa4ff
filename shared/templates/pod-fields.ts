import type { V1Pod } from '@kubernetes/client-node';
import podSchema from './pod-schema.json' with { type: 'json' };

/** Each type a Pod reaches in the API, as its fields' JSON names and type names (scripts/pod-schema.ts). */
const fieldsOf = (type: string): Readonly<Record<string, string>> | undefined =>
  (podSchema as Readonly<Record<string, Readonly<Record<string, string>>>>)[type];

/**
 * What a rendered pod has that a pod cannot, each named by its path: a field a pod does not have
 * (`spec.nodeSelecter`), which the API server would drop without a word (its default field
 * validation only warns), so that a typo in a podYaml (a `nodeSelecter` meant to keep a privileged
 * template on nodes of its own) would be deployed as if it were not there (bug 88); and a mapping
 * or a list where the other is, which every create would be refused for. Other values of a known
 * field are left to the API server, which names what it refuses.
 *
 * Why client-node's models: they are the API's schema, field by field (every field of a pod has the
 * same name in them as in JSON), and the functions carry no OpenAPI document of the API. Read from
 * the JSON scripts/pod-schema.ts writes of them: the models are some 700 modules, over half a
 * second to load at every config parse.
 */
export function podFieldProblems(pod: V1Pod): string[] {
  return problemsOf(pod, 'V1Pod', '');
}

/** The items' type of a list type (`Array<V1Container>`), as client-node's models name types. */
export const listItemType = (type: string): string | undefined => /^Array<(.+)>$/.exec(type)?.[1];
/** The values' type of a map type (`{ [key: string]: string; }`). */
export const mapValueType = (type: string): string | undefined =>
  /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1];

function problemsOf(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const at = (key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);
  const items = listItemType(type);
  if (items !== undefined)
    return Array.isArray(value)
      ? value.flatMap((item, index) => problemsOf(item, items, at(index)))
      : [`\`${path}\` must be a list`];
  const entries = mapValueType(type);
  const model = fieldsOf(type);
  // A free-form field (`any`, IntOrString, a quantity, a string) holds what the API server judges.
  if (entries === undefined && model === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`\`${path}\` must be a mapping`];
  if (entries !== undefined)
    return Object.entries(value).flatMap(([key, entry]) => problemsOf(entry, entries, at(key)));
  const fields = new Map(Object.entries(model ?? {}));
  return Object.entries(value).flatMap(([key, entry]) => {
    const fieldType = fields.get(key);
    return fieldType === undefined
      ? [`\`${at(key)}\` is a field a pod does not have (a typo?): Kubernetes would drop it without a word`]
      : problemsOf(entry, fieldType, at(key));
  });
}
