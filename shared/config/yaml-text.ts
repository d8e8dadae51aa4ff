import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

type YamlModule = typeof Yaml;

/**
 * Parses text that is YAML or JSON (JSON is YAML 1.2, so both read the same). JSON is parsed
 * without the YAML library: `npm run package` turns the config, and each template's podYaml, into
 * JSON, so a deployed function never loads it. The library (112 KiB minified, the largest part of
 * every bundle after the AWS SDK) is loaded on first use, by `require` rather than `import`, which
 * esbuild does not follow: it is not bundled, and resolves from node_modules for YAML read locally
 * (`pitcrew dev`, the CLI, the tests).
 */
export function parseYamlText(text: string): unknown {
  if (looksLikeJson(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all (`{a: 1}` is YAML only): the YAML parser reads it, or says where it fails.
    }
  }
  return yaml().parse(text);
}

/** Where a YAML syntax error points (` at line 3`), if `error` is one; '' otherwise. */
export function yamlErrorWhere(error: unknown): string {
  // Only a loaded parser can have thrown one; asking otherwise would load it (and, in a deployed
  // function, fail to: the parser is not bundled).
  return loaded && error instanceof loaded.YAMLParseError
    ? ` at line ${error.linePos?.[0]?.line ?? '?'}`
    : '';
}

export const looksLikeJson = (text: string): boolean => /^\s*[{[]/.test(text);

let loaded: YamlModule | undefined;
/** The YAML library, loaded on first use (see parseYamlText). */
export function yaml(): YamlModule {
  // The name is a variable so that no bundler tries to follow it (see above).
  const name = 'yaml';
  loaded ??= createRequire(import.meta.url)(name) as YamlModule;
  return loaded;
}
