import { parseConfig } from './file';
import { parseYamlText } from './yaml-text';

/**
 * The config as `npm run package` bundles it: checked as a cold start checks it (a config that would
 * stop the functions is refused here, naming every problem), then written as JSON, with each
 * template's podYaml as JSON text. JSON is YAML, so it means exactly what the file said, and the
 * functions read it without a YAML parser (yaml-text.ts).
 */
export function compileConfig(text: string, origin: string): string {
  parseConfig(text, origin);
  const document = parseYamlText(text) as { templates?: Record<string, unknown>[] };
  const templates = document.templates?.map((template) => {
    if (typeof template.podYaml !== 'string') return template;
    // A podYaml of only comments is no overlay at all (pod.ts).
    const overlay = parseYamlText(template.podYaml);
    const { podYaml: _podYaml, ...rest } = template;
    return overlay == null ? rest : { ...rest, podYaml: JSON.stringify(overlay) };
  });
  return `${JSON.stringify(templates ? { ...document, templates } : document, null, 2)}\n`;
}
