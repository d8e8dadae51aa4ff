/**
 * A Lambda bundle holds only the code of the CIs its config configures. Each CI's receiver, API
 * adapter, polling and recorded origin reach the functions through four registry files and nowhere else
 * (test/unit/infra/configured-sources.test.ts holds the code to that); when `npm run package` builds
 * for a config, this esbuild plugin loads those files without the lines of the CIs it does not
 * configure, so their code is neither loaded at cold start nor shipped (a Jenkins-only
 * deployment's provision and reap load about 22 KiB less each: docs/performance.md).
 *
 * Filtering the real files, rather than generating registries from a table, keeps them the one
 * source of truth that the compiler checks (each CI registered with every side). The filter is
 * strict: it blanks single-line imports and re-exports of a left-out CI's folder and that CI's entry
 * in an object literal when its value is one of those imports (blanked, not removed, so the source
 * map's lines still hold), refuses to build if anything else names the folder, and, once built,
 * refuses a bundle that holds any of that CI's files other than its definition and config schema.
 */
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { ciSources, type CiSource } from '../shared/sources/names';

/** The files through which the functions reach per-CI code (shared/sources/config-registry.ts, the
 * config parser's, is not one: it never loads at cold start, and the CLI needs every CI's schema). */
export const perCiRegistries = [
  'shared/sources/api-registry.ts',
  'shared/sources/receiver-registry.ts',
  'shared/sources/pollers.ts',
  'shared/sources/recorded-origins.ts',
] as const;

/**
 * What every bundle holds of every CI: its definition (name, details schema: a record of a CI
 * dropped from the config still parses) and its config schema (in the full config parser's chunk,
 * for a YAML config; the CLI checks every CI's section).
 */
const alwaysWhole = ['shared/sources/registry.ts', 'shared/sources/config-registry.ts'];

/** perCiRegistries as esbuild's onLoad filter (Go regexp syntax), with either path separator. */
const registryFilter = new RegExp(
  `(${perCiRegistries.map((file) => file.replaceAll('.', '\\.').replaceAll('/', '[\\\\/]')).join('|')})$`,
);

/** `import { a, b as c } from './<ci>/…';` or `export { … } from './<ci>/…';` on one line. */
const folderLine = /^(?<kind>import|export)(?: type)? \{(?<names>[^}]*)\} from '\.\/(?<ci>[a-z]+)\/[\w-]+';$/;
/** `  <ci>: <identifier>,` in an object literal. */
const entryLine = /^\s+(?<ci>[a-z]+): (?<value>\w+),$/;

/**
 * `text` (one of perCiRegistries, named by `file` in errors) with what belongs to the CIs not in
 * `configured` blanked. Throws, naming the file and the CI, if the result would still name one of
 * their folders or use a name one of their imports brought in.
 */
export function keepConfiguredSources(text: string, file: string, configured: readonly CiSource[]): string {
  for (const source of configured)
    if (!ciSources.includes(source)) throw new Error(`${file}: '${source}' is not a registered CI`);
  const leftOut = new Set<string>(ciSources.filter((source) => !configured.includes(source)));
  const lines = text.split('\n');
  const droppedNames = new Set<string>();
  // First the imports, whose names decide which entries go.
  const kept = lines.map((line) => {
    const { kind, names = '', ci = '' } = folderLine.exec(line.replace(/\r$/, ''))?.groups ?? {};
    if (!leftOut.has(ci)) return line;
    // The local names an import brings in; a re-export brings none into this file.
    if (kind === 'import')
      for (const binding of names.split(',')) {
        // The name after `as`, if any; a trailing comma leaves an empty binding, which names nothing.
        const local = binding
          .trim()
          .split(/\s+as\s+/)
          .at(-1);
        if (local) droppedNames.add(local);
      }
    return '';
  });
  const result = kept
    .map((line) => {
      const { ci = '', value = '' } = entryLine.exec(line.replace(/\r$/, ''))?.groups ?? {};
      return leftOut.has(ci) && droppedNames.has(value) ? '' : line;
    })
    .join('\n');
  for (const source of leftOut)
    if (new RegExp(`['"\`]\\./${source}(/|['"\`])`).test(result))
      throw new Error(
        `${file}: cannot leave ${source} out of this build: ./${source}/ is imported other than as "import { … } from './${source}/<file>';" on one line`,
      );
  for (const name of droppedNames)
    if (new RegExp(`\\b${name}\\b`).test(result))
      throw new Error(`${file}: cannot leave out ${name}: it is still used outside its CI's entry`);
  return result;
}

/** A left-out CI's files that `inputs` (a metafile's, relative to the working directory) hold beyond `allowed`. */
export function leftOutFiles(
  inputs: readonly string[],
  allowed: ReadonlySet<string>,
  configured: readonly CiSource[],
): string[] {
  const leftOut = ciSources.filter((source) => !configured.includes(source));
  return inputs.filter(
    (input) =>
      !allowed.has(input) &&
      leftOut.some((source) => input.replaceAll('\\', '/').startsWith(`shared/sources/${source}/`)),
  );
}

/** The plugin lambdaBuildOptions adds for a build with a config (scripts/build.ts). */
export function configuredSourcesPlugin(configured: readonly CiSource[]): Plugin {
  return {
    name: 'pitcrew-configured-sources',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: registryFilter }, async ({ path }) => ({
        contents: keepConfiguredSources(await readFile(path, 'utf8'), path, configured),
        loader: 'ts',
      }));
      // Whatever the filter missed (a new import elsewhere, one CI's folder importing another's)
      // shows in what the bundle holds: only alwaysWhole may bring a left-out CI's files in.
      pluginBuild.onEnd(async (result) => {
        const inputs = Object.keys(result.metafile?.inputs ?? {});
        if (inputs.length === 0) return;
        const stray = leftOutFiles(inputs, await alwaysWholeInputs(), configured);
        if (stray.length > 0)
          throw new Error(
            `built for ${configured.join(', ') || 'no CI'}, but the bundle holds a left-out CI's code: ${stray.join(', ')} (reach a CI only through ${perCiRegistries.join(', ')})`,
          );
      });
    },
  };
}

/** The files alwaysWhole reaches, relative to the working directory: found once per process. */
let alwaysWholeFiles: Promise<ReadonlySet<string>> | undefined;
function alwaysWholeInputs(): Promise<ReadonlySet<string>> {
  alwaysWholeFiles ??= build({
    entryPoints: alwaysWhole,
    outdir: 'unused',
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  }).then(({ metafile }) => new Set(Object.keys(metafile.inputs).map((input) => relative('.', input))));
  return alwaysWholeFiles;
}
