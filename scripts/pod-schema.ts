/**
 * Writes shared/templates/pod-schema.json: every type a Pod reaches in the Kubernetes API, each as its
 * fields' JSON names and type names, taken from @kubernetes/client-node's generated models. The
 * config's check of a template's pod (shared/templates/pod-fields.ts) reads the JSON: the models
 * themselves are some 700 modules, over half a second to load for every config parse (the CLI, the
 * tests), where the pod needs 126 of them. test/unit/templates/pod-fields.test.ts fails when the file
 * and the installed models differ: run `npx tsx scripts/pod-schema.ts` after updating client-node.
 *
 * Usage: `npx tsx scripts/pod-schema.ts` (writes), `podSchemaFromModels()` (the tests compare).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { listItemType, mapValueType } from '../shared/templates/pod-fields';

interface Model {
  getAttributeTypeMap(): readonly { readonly baseName: string; readonly type: string }[];
}

/** Each type V1Pod reaches, by name, as `{ field: typeName }`, in a stable order. */
export function podSchemaFromModels(): Record<string, Record<string, string>> {
  const schema: Record<string, Record<string, string>> = {};
  const visit = (type: string): void => {
    const inner = listItemType(type) ?? mapValueType(type);
    if (inner !== undefined) return visit(inner);
    const model = (models as Record<string, unknown>)[type] as Partial<Model> | undefined;
    if (typeof model?.getAttributeTypeMap !== 'function' || schema[type]) return;
    const fields = Object.fromEntries(
      (model as Model).getAttributeTypeMap().map(({ baseName, type: fieldType }) => [baseName, fieldType]),
    );
    schema[type] = fields;
    for (const fieldType of Object.values(fields)) visit(fieldType);
  };
  visit('V1Pod');
  return Object.fromEntries(Object.entries(schema).sort(([a], [b]) => a.localeCompare(b)));
}

export const podSchemaFile = 'shared/templates/pod-schema.json';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(podSchemaFile, `${JSON.stringify(podSchemaFromModels(), null, 2)}\n`);
  console.log(`wrote ${podSchemaFile}`);
}
