import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import type { PitcrewConfig } from './file-schema';

/**
 * The format `npm run package` writes the config in (compile.ts): `{ format, config }`, the config
 * as the schema gave it back (defaults filled in, every template checked), each podYaml as JSON text.
 * Bump it whenever the schema's output changes shape, so a file from another build is refused.
 */
export const compiledConfigFormat = 'pitcrew-compiled-config/1';

/**
 * The config a function starts from. The file `npm run package` bundled was parsed and checked there,
 * every template included, by the same code a YAML file goes through here, so it is used as written:
 * a cold start loads neither the config schema nor the template checks (test/integration/deploy/
 * bundles.test.ts bounds what it loads). Any other file (YAML for `pitcrew dev`, the CLI and the
 * tests) is parsed and checked in full, by a module loaded only then. Throws one ConfigError naming
 * every problem, as parseConfig does.
 */
export async function loadConfig(path: string): Promise<PitcrewConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([{ setting: 'PITCREW_CONFIG_FILE', problem: `cannot read '${path}'` }]);
  }
  const compiled = readCompiledConfig(text, path);
  if (compiled) return compiled;
  const { parseConfig } = await import('./file');
  return parseConfig(text, path);
}

/**
 * The config of a compiled file; undefined for any other text (YAML, or JSON written by hand, which
 * has no `format`). A `format` other than this build's is refused rather than guessed at.
 */
export function readCompiledConfig(text: string, path: string): PitcrewConfig | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null || !('format' in document)) return undefined;
  const { format, config } = document as { format: unknown; config?: unknown };
  if (format !== compiledConfigFormat || typeof config !== 'object' || config === null)
    throw new ConfigError([
      {
        setting: `${path}: format`,
        problem: `is ${JSON.stringify(format)}, not ${JSON.stringify(compiledConfigFormat)}: this file was compiled by another Pitcrew build; run npm run package again`,
      },
    ]);
  return config as PitcrewConfig;
}
