import { build, type Metafile } from 'esbuild';
import { join, relative } from 'node:path';
import { codeOf, coldStartCode, lambdaBuildOptions, type ColdStartCode } from '../../scripts/esbuild-options';
import type { CiSource } from '../../shared/sources/names';
import { filesLoadedAtInit } from './loaded-at-init';

export const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;
export type FunctionName = (typeof functionNames)[number];

export interface BuiltEntry extends ColdStartCode {
  /** The entry file, to import in a fresh process. */
  readonly entryFile: string;
  readonly metafile: Metafile;
}

/**
 * Builds one entry with the Lambda bundles' esbuild settings into `outdir`: with every CI's code, or
 * only `sources`' as `npm run package` builds for a config that configures those.
 */
export async function buildEntry(
  entry: string,
  outdir: string,
  sources?: readonly CiSource[],
): Promise<BuiltEntry> {
  const { metafile } = await build({ ...lambdaBuildOptions(entry, outdir, sources), sourcemap: false });
  // The metafile names outputs relative to the working directory.
  const output = Object.entries(metafile?.outputs ?? {}).find(([, info]) => info.entryPoint === entry)?.[0];
  if (!metafile || !output) throw new Error(`esbuild gave no metafile entry for ${entry}`);
  return { entryFile: join(outdir, 'handler.mjs'), metafile, ...coldStartCode(metafile, output) };
}

/**
 * What a fresh process of a built entry loads before its first event, found by running it with `env`:
 * the static imports and any dynamic import its top-level code awaits. `dynamic` names the files the
 * build's static imports do not show.
 */
export function codeLoadedAtInit(
  entry: BuiltEntry,
  env: Record<string, string>,
): ColdStartCode & { readonly dynamic: readonly string[] } {
  const loaded = filesLoadedAtInit(entry.entryFile, env).map((file) => relative(process.cwd(), file));
  const code = codeOf(entry.metafile, loaded);
  return { ...code, dynamic: loaded.filter((file) => !entry.files.includes(file)) };
}

/** A function's handler, and its baseline: the same AWS SDK clients, Powertools and middy, nothing else. */
export const entryOf = (fn: FunctionName): string => join('functions', fn, 'handler.ts');
export const baselineOf = (fn: FunctionName): string => join('bench', 'baselines', `${fn}.ts`);

/**
 * The service libraries a build loads at cold start: AWS SDK clients and lib-*, Powertools
 * utilities (commons, shared by them all, left out) and middy. A function and its baseline must
 * load the same ones (test/unit/bench/baselines.test.ts).
 */
export const serviceLibraries = (code: ColdStartCode): string[] =>
  code.byPackage
    .map(({ name }) => name)
    .filter(
      (name) =>
        /^@aws-sdk\/(client|lib)-/.test(name) ||
        (name.startsWith('@aws-lambda-powertools/') && name !== '@aws-lambda-powertools/commons') ||
        name.startsWith('@middy/'),
    )
    .sort();
