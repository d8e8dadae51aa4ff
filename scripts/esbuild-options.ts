/**
 * The esbuild settings every Lambda bundle is built with (scripts/build.ts), shared with the bench's
 * baselines (bench/measures/cold-start.ts) so that the two are compared like for like, and what a
 * cold start loads of a build's output.
 */
import type { BuildOptions, Metafile } from 'esbuild';
import type { CiSource } from '../shared/sources/names';
import { configuredSourcesPlugin } from './configured-sources';
import { requireShimPlugin } from './require-shim';

/**
 * The function a Lambda entry (`functions/<name>/handler.ts`) is, which its bundle holds in place of
 * `process.env.PITCREW_BUNDLE` so that code only another function calls is left out
 * (shared/sources/bundle.ts); undefined for any other entry (the bench's baselines).
 */
export const bundledFunction = (entry: string): string | undefined =>
  /(?:^|[\\/])functions[\\/]([a-z]+)[\\/]handler\.ts$/.exec(entry)?.[1];

/**
 * Minified ESM for node20 with source maps; dynamic imports split into chunks loaded only when called.
 * With `sources` (the CIs a config configures), the bundle holds only those CIs' code
 * (./configured-sources.ts); without, every CI's.
 */
export function lambdaBuildOptions(
  entry: string,
  outdir: string,
  sources?: readonly CiSource[],
): BuildOptions {
  return {
    entryPoints: { handler: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    // The Kubernetes client, EKS and Secrets Manager clients sit behind dynamic imports: as chunks,
    // a function that never calls them (the webhook never reaches the cluster) never loads them.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    sourcemap: true,
    // The AWS SDK is bundled on purpose: the deployed code runs the SDK version the tests ran. Its
    // CommonJS parts call `require`, which the plugin defines in the files that do.
    legalComments: 'none',
    define: { 'process.env.PITCREW_BUNDLE': JSON.stringify(bundledFunction(entry) ?? '') },
    logLevel: 'warning',
    metafile: true,
    plugins: [requireShimPlugin(), ...(sources ? [configuredSourcesPlugin(sources)] : [])],
  };
}

export interface ColdStartCode {
  /** The entry file and every chunk it imports statically, transitively: what a cold start loads. */
  readonly files: readonly string[];
  readonly bytes: number;
  /** Bytes in those files by npm package (`(own code)` for the project's), largest first. */
  readonly byPackage: readonly { readonly name: string; readonly bytes: number }[];
}

/**
 * What a cold start loads of one build, as far as the build shows it: `import` statements are followed
 * from the entry, dynamic `import()`s are not (they load on first use). Chunks shared between the entry
 * and a dynamic import are loaded at cold start, so they count. A dynamic import that the module's
 * top-level code awaits also loads at cold start: the bench finds those by running the entry
 * (bench/lib/loaded-at-init.ts), and bundles.test.ts checks that none of Pitcrew's own code loads
 * that way (the config may still make a cold start load an AWS client on demand: SSM, Secrets
 * Manager, EKS; and the reaper's, the CIs' polling when a CI is set to poll).
 */
export function coldStartCode(metafile: Metafile, entryOutput: string): ColdStartCode {
  const outputs = metafile.outputs;
  // Named as the metafile names it (relative to the working directory), or nothing would be counted.
  if (!outputs[entryOutput]) throw new Error(`${entryOutput} is not an output of this build`);
  const files = new Set<string>();
  const pending = [entryOutput];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const output = outputs[file];
    if (files.has(file) || !output) continue;
    files.add(file);
    for (const imported of output.imports)
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
  }
  return codeOf(metafile, [...files]);
}

/** The size of some of a build's output files (named as its metafile names them), by npm package. */
export function codeOf(metafile: Metafile, files: readonly string[]): ColdStartCode {
  const byPackage = new Map<string, number>();
  let bytes = 0;
  for (const file of files) {
    const output = metafile.outputs[file];
    if (!output) throw new Error(`${file} is not an output of this build`);
    bytes += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? '(own code)';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    files: [...files],
    bytes,
    byPackage: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, packageBytes]) => ({ name, bytes: packageBytes })),
  };
}
