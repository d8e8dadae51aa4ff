/**
 * Bundles each Lambda function with esbuild (minified ESM, target node20, source maps; dynamic
 * imports split into chunks that load only when called) and zips it as the artifact serverless.yml
 * deploys. Writes dist/access.json, each function's IAM read access to the secrets and cluster the
 * config names (serverless.yml includes it). Prints a size table and writes dist/sizes.json.
 * Usage: `npm run build` (all) or `tsx scripts/build.ts webhook provision`.
 */
import { build } from 'esbuild';
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';

export const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;
const distDir = 'dist';
/** The config bundled beside each handler; PITCREW_CONFIG picks yours (default: the example). */
const configFile = process.env.PITCREW_CONFIG ?? 'infra/pitcrew.example.yaml';
export const bundledConfigName = 'pitcrew.config.yaml';

// Some bundled dependencies are CommonJS and call `require`; ESM output has none, so give it one.
const requireShim =
  "import { createRequire as __pitcrewCreateRequire } from 'node:module'; const require = __pitcrewCreateRequire(import.meta.url);";

interface BundleSize {
  readonly function: string;
  /** handler.mjs: what a cold start loads before the first dynamic import. */
  readonly bundleBytes: number;
  /** handler.mjs and every chunk. */
  readonly allCodeBytes: number;
  readonly zipBytes: number;
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );

async function bundle(fn: string): Promise<BundleSize> {
  const outDir = join(distDir, fn);
  rmSync(outDir, { recursive: true, force: true });
  const outfile = join(outDir, 'handler.mjs');
  await build({
    entryPoints: { handler: join('functions', fn, 'handler.ts') },
    outdir: outDir,
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
    // The AWS SDK is bundled on purpose: the deployed code runs the SDK version the tests ran.
    banner: { js: requireShim },
    legalComments: 'none',
    logLevel: 'warning',
  });
  const zipPath = join(distDir, `${fn}.zip`);
  const zip = new ZipFile();
  // A fixed mtime keeps the artifact byte-identical across builds of the same code.
  const mtime = new Date('2020-01-01T00:00:00Z');
  const files = filesUnder(outDir).sort();
  for (const file of files) zip.addFile(file, relative(outDir, file), { mtime });
  zip.addFile(configFile, bundledConfigName, { mtime });
  zip.end();
  await finished(zip.outputStream.pipe(createWriteStream(zipPath)));
  const code = files.filter((file) => file.endsWith('.mjs'));
  return {
    function: fn,
    bundleBytes: statSync(outfile).size,
    allCodeBytes: code.reduce((sum, file) => sum + statSync(file).size, 0),
    zipBytes: statSync(zipPath).size,
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !functionNames.includes(name as (typeof functionNames)[number]));
  if (unknown.length > 0) {
    console.error(`unknown function(s): ${unknown.join(', ')}; choose from ${functionNames.join(', ')}`);
    process.exit(2);
  }
  mkdirSync(distDir, { recursive: true });
  // Refuse to package a config that would stop every function at cold start.
  const { accessPolicies, eksAccessTarget, parseConfig } = await import('../shared/config');
  const config = parseConfig(readFileSync(configFile, 'utf8'), configFile);
  const access = { policies: accessPolicies(config), eks: eksAccessTarget(config) };
  writeFileSync(join(distDir, 'access.json'), `${JSON.stringify(access, null, 2)}\n`);
  const sizes: BundleSize[] = [];
  for (const fn of requested.length > 0 ? requested : functionNames) sizes.push(await bundle(fn));
  console.log(`config: ${configFile}`);
  console.log('function    handler.mjs   all code        zip');
  for (const size of sizes)
    console.log(
      `${size.function.padEnd(11)} ${kib(size.bundleBytes).padStart(11)} ${kib(size.allCodeBytes).padStart(11)} ${kib(size.zipBytes).padStart(11)}`,
    );
  writeFileSync(join(distDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
}

await main();
