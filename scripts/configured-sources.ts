/**
 * A Lambda bundle holds only the code of the CIs its config configures. Each CI's receiver, API
 * adapter and polling reach the functions through three registry files and nowhere else
 * (test/unit/infra/configured-sources.test.ts holds the code to that); when `npm run package` builds
 * for a config, this esbuild plugin loads those files without the lines of the CIs it does not
 * configure, so their code is neither loaded at cold start nor shipped. A Jenkins-only deployment's
 * provision and reap then load 23 and 33 KiB less (docs/performance.md).
 *
 * Filtering the real files, rather than generating registries from a table, keeps them the one
 * source of truth that the compiler checks (each CI registered with every side). The filter is
 * strict: it drops single-line imports and re-exports of a left-out CI's folder and that CI's entry
 * in an object literal, and refuses to build if anything of that CI is left.
 */
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { ciSources, type CiSource } from '../shared/sources/names';

/** The files through which the functions reach per-CI code (shared/sources/config-registry.ts, the
 * config parser's, is not one: it never loads at cold start, and the CLI needs every CI's schema). */
export const perCiRegistries = [
  'shared/sources/api-registry.ts',
  'shared/sources/receiver-registry.ts',
  'shared/sources/pollers.ts',
] as const;

const registryFilter = /shared[\\/]sources[\\/](api-registry|receiver-registry|pollers)\.ts$/;

/** `import { a, b as c } from './<ci>/…';` or `export { … } from './<ci>/…';` on one line. */
const folderLine = /^(?<kind>import|export) \{(?<names>[^}]*)\} from '\.\/(?<ci>[a-z]+)\/[\w-]+';$/;
/** `  <ci>: <identifier>,` in an object literal. */
const entryLine = /^\s+(?<ci>[a-z]+): \w+,$/;

/**
 * `text` (one of perCiRegistries, named by `file` in errors) without what belongs to the CIs not in
 * `configured`. Throws, naming the file and the CI, if the result would still mention one of them.
 */
export function keepConfiguredSources(text: string, file: string, configured: readonly CiSource[]): string {
  for (const source of configured)
    if (!ciSources.includes(source)) throw new Error(`${file}: '${source}' is not a registered CI`);
  const leftOut = new Set<string>(ciSources.filter((source) => !configured.includes(source)));
  const droppedNames = new Set<string>();
  const kept = text.split('\n').filter((line) => {
    const { kind, names = '', ci = '' } = folderLine.exec(line)?.groups ?? {};
    if (leftOut.has(ci)) {
      // The local names an import brings in; a re-export brings none into this file.
      if (kind === 'import')
        for (const binding of names.split(','))
          droppedNames.add(
            binding
              .trim()
              .split(/\s+as\s+/)
              .at(-1) ?? '',
          );
      return false;
    }
    return !leftOut.has(entryLine.exec(line)?.groups?.ci ?? '');
  });
  const result = kept.join('\n');
  for (const source of leftOut)
    if (result.includes(`'./${source}/`))
      throw new Error(
        `${file}: cannot leave ${source} out of this build: an import of ./${source}/ is not on one line of its own`,
      );
  for (const name of droppedNames)
    if (new RegExp(`\\b${name}\\b`).test(result))
      throw new Error(`${file}: cannot leave out ${name}: it is still used outside its CI's entry`);
  return result;
}

/** The plugin lambdaBuildOptions adds for a build with a config (scripts/build.ts). */
export function configuredSourcesPlugin(configured: readonly CiSource[]): Plugin {
  return {
    name: 'pitcrew-configured-sources',
    setup(build) {
      build.onLoad({ filter: registryFilter }, async ({ path }) => ({
        contents: keepConfiguredSources(await readFile(path, 'utf8'), path, configured),
        loader: 'ts',
      }));
    },
  };
}
