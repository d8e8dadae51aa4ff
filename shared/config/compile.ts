import { parseConfig } from './file';
import { compiledConfigFormat, configDigest } from './load';
import { parseYamlText } from './yaml-text';

export interface CompileOptions {
  /**
   * Built for a local stage (`--stage local`, `pitcrew dev`), so not checked for a deployed one
   * (scripts/build.ts): a function started on any other stage refuses it (load.ts, bug 95).
   */
  readonly localOnly?: boolean;
}

/**
 * The config as `npm run package` bundles it: parsed and checked as a YAML file is at a cold start
 * (a config that would stop the functions is refused here, naming every problem), then written as
 * the schema gave it back, defaults filled in, each template's podYaml as JSON text, under
 * `compiledConfigFormat` with its digest (load.ts). The functions use it as written: no config schema,
 * no template checks and no YAML parser at their cold start.
 */
export function compileConfig(text: string, origin: string, options: CompileOptions = {}): string {
  const config = parseConfig(text, origin);
  const templates = config.templates.map((template) => {
    if (template.podYaml === undefined) return template;
    // A podYaml of only comments is no overlay at all (pod.ts).
    const overlay = parseYamlText(template.podYaml);
    const { podYaml: _podYaml, ...rest } = template;
    return overlay == null ? rest : { ...rest, podYaml: JSON.stringify(overlay) };
  });
  const compiled = { ...config, templates };
  const document = {
    format: compiledConfigFormat,
    digest: configDigest(compiled),
    ...(options.localOnly ? { localOnly: true } : {}),
    config: compiled,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
