/**
 * Bundles each Lambda function with esbuild (one minified ESM bundle per function, target node20,
 * source maps) and zips it as the artifact serverless.yml deploys. Prints a size table and writes
 * dist/sizes.json. Usage: `npm run build` (all) or `tsx scripts/build.ts webhook provision`.
 */
import { build } from 'esbuild';
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  readonly bundleBytes: number;
  readonly zipBytes: number;
}

async function bundle(fn: string): Promise<BundleSize> {
  const outDir = join(distDir, fn);
  rmSync(outDir, { recursive: true, force: true });
  const outfile = join(outDir, 'handler.mjs');
  await build({
    entryPoints: [join('functions', fn, 'handler.ts')],
    outfile,
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
  zip.addFile(outfile, 'handler.mjs', { mtime });
  zip.addFile(`${outfile}.map`, 'handler.mjs.map', { mtime });
  zip.addFile(configFile, bundledConfigName, { mtime });
  zip.end();
  await finished(zip.outputStream.pipe(createWriteStream(zipPath)));
  return { function: fn, bundleBytes: statSync(outfile).size, zipBytes: statSync(zipPath).size };
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
  const { parseConfig } = await import('../shared/config');
  parseConfig(readFileSync(configFile, 'utf8'), configFile);
  const sizes: BundleSize[] = [];
  for (const fn of requested.length > 0 ? requested : functionNames) sizes.push(await bundle(fn));
  console.log(`config: ${configFile}`);
  console.log('function    bundle        zip');
  for (const size of sizes)
    console.log(
      `${size.function.padEnd(11)} ${kib(size.bundleBytes).padStart(11)} ${kib(size.zipBytes).padStart(11)}`,
    );
  writeFileSync(join(distDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
}

await main();
