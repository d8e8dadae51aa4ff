import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import type { PitcrewConfig } from './file-schema';
import { isLocalStage, type Settings } from './settings';

/**
 * The format `npm run package` writes the config in (compile.ts): `{ format, digest, config }` (and
 * `localOnly` for a local stage's build, outside the digest: the file is the build's own), the
 * config as the schema gave it back (defaults filled in, every template checked), each podYaml as
 * JSON text. Bump it whenever the schema's output changes shape, so a file from another build is
 * refused: test/unit/config/compile.test.ts fails until the new schema's fingerprint is recorded
 * under a new format.
 */
export const compiledConfigFormat = 'pitcrew-compiled-config/8';

/**
 * The config a function starts from. The file `npm run package` bundled was parsed and checked there,
 * every template included, by the same code a YAML file goes through here, so it is used as written:
 * a cold start loads neither the config schema nor the template checks (test/integration/deploy/
 * bundles.test.ts bounds what it loads). Any other file (YAML for `pitcrew dev`, the CLI and the
 * tests) is parsed and checked in full, by a module loaded only then, and refused in AWS Lambda.
 * Throws one ConfigError naming every problem, as parseConfig does.
 */
export async function loadConfig(path: string, runsOn?: RunsOn): Promise<PitcrewConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([{ setting: 'PITCREW_CONFIG_FILE', problem: `cannot read '${path}'` }]);
  }
  const compiled = readCompiledConfig(text, path, runsOn);
  if (compiled) return compiled;
  // The deployed stage's checks (inline secrets, skipped TLS, http:// URLs) run where a config is
  // compiled (scripts/build.ts), for the stage it is built for; a file parsed here gets the schema's
  // checks only. So AWS Lambda runs nothing but what a build compiled.
  if (runsOn?.inLambda)
    throw new ConfigError([
      {
        setting: 'PITCREW_CONFIG_FILE',
        problem: `'${path}' is not a config npm run package compiled, the only kind AWS Lambda runs`,
      },
    ]);
  const { parseConfig } = await import('./file');
  return parseConfig(text, path);
}

/** sha256 of a config's JSON: compile.ts writes it beside the config, and a cold start checks it. */
export const configDigest = (config: unknown): string =>
  createHash('sha256').update(JSON.stringify(config)).digest('hex');

const formatPrefix = compiledConfigFormat.slice(0, compiledConfigFormat.lastIndexOf('/') + 1);

/**
 * The config inside a compiled file (`{ format, digest, config }`, compile.ts); `document` itself for
 * anything else: a config written by hand has no `format` of Pitcrew's (a key the schema refuses
 * anyway). A compiled file of another format, without its config, or whose config no longer matches
 * its digest (edited or damaged after `npm run package`) is refused: it is never guessed at.
 */
export function unwrapCompiledConfig(document: unknown, path: string): unknown {
  if (typeof document !== 'object' || document === null || !('format' in document)) return document;
  const { format, digest, config } = document as { format: unknown; digest?: unknown; config?: unknown };
  if (typeof format !== 'string' || !format.startsWith(formatPrefix)) return document;
  const refuse = (setting: string, problem: string): never => {
    throw new ConfigError([{ setting: `${path}: ${setting}`, problem }]);
  };
  if (format !== compiledConfigFormat)
    refuse(
      'format',
      `is ${JSON.stringify(format)}, not ${JSON.stringify(compiledConfigFormat)}: this file was compiled by another Pitcrew build; run npm run package again`,
    );
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    refuse('config', 'is missing: a compiled config holds one; run npm run package again');
  if (digest !== configDigest(config))
    refuse(
      'digest',
      'does not match the config: the file was changed after npm run package; edit the YAML and package again',
    );
  return config;
}

/** Where a function runs, as its settings say (settings.ts): its stage, and whether in AWS Lambda. */
export type RunsOn = Pick<Settings, 'stage' | 'inLambda'>;

/**
 * The config of a compiled file, as `npm run package` checked it; undefined for any other text (YAML,
 * or JSON written by hand), which the full parser reads. With `runsOn`, a file built for a local
 * stage is refused on any other, and in AWS Lambda: the build checks a config's secrets, TLS and
 * URLs for the stage it is given (scripts/build.ts), and `serverless deploy` takes its stage apart
 * from the build's, so a bundle built with `--stage local` could otherwise be deployed, its secrets
 * held in the file (bug 95).
 */
export function readCompiledConfig(text: string, path: string, runsOn?: RunsOn): PitcrewConfig | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  const config = unwrapCompiledConfig(document, path);
  // Checked by the same code a YAML file goes through, at build time (compile.ts).
  if (config === document) return undefined;
  const deployed = runsOn !== undefined && (runsOn.inLambda || !isLocalStage(runsOn.stage));
  if (deployed && (document as { localOnly?: unknown }).localOnly === true)
    throw new ConfigError([
      {
        setting: `${path}: localOnly`,
        problem: `was built for a local stage, unchecked for ${runsOn.inLambda ? 'AWS Lambda' : `stage '${runsOn.stage}'`}: build it for a deployed stage (npm run build -- --stage <stage>) and deploy again`,
      },
    ]);
  return config as PitcrewConfig;
}
