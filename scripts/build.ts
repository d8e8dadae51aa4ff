/**
 * Bundles each Lambda function with esbuild (minified ESM, target node20, source maps; dynamic
 * imports split into chunks that load only when called) and zips it as the artifact serverless.yml
 * deploys. Writes dist/access.json, each function's IAM read access to the secrets and cluster the
 * config names (serverless.yml includes it). Prints a size table and writes dist/sizes.json.
 *
 * Before anything is written it refuses a config that is unsafe on a deployed stage (secrets held in
 * the config, a file or the environment; TLS not verified; http:// CI or cluster URLs), naming each
 * key (shared/config/insecure-settings.ts). Only `--stage local` (what `pitcrew dev` runs) is exempt;
 * no stage, or any other, is checked as deployed. `--allow-insecure-config` builds anyway, warning.
 *
 * Usage: `npm run build` (all), `tsx scripts/build.ts webhook provision`, `npm run build -- --stage local`.
 * `npm run package -- --stage prod [serverless options]` runs `tsx scripts/build.ts --serverless-package ...`:
 * it checks for the stage serverless is given (the same `--stage`/`-s` argument, so the two cannot
 * differ), builds, then runs `serverless package` with the other arguments.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ZipFile } from 'yazl';
import type { PitcrewConfig } from '../shared/config';
import { problemLines } from '../shared/config/errors';
import { isLocalStage, localStages } from '../shared/config/settings';
import { ciSources, type CiSource } from '../shared/sources/names';
import { coldStartCode, lambdaBuildOptions } from './esbuild-options';
import { messageOf } from '../shared/message-of';

export const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;
/**
 * Where the bundles go: dist/, which serverless.yml packages. PITCREW_DIST_DIR builds elsewhere, for
 * a test that builds another config without touching the dist/ other tests use; `npm run package`
 * refuses it (serverless.yml would package dist/ all the same).
 */
const distDir = process.env.PITCREW_DIST_DIR ?? 'dist';
/** Why distDir is unsafe to empty and fill, if it is: the build removes each function's folder in it. */
function distDirProblem(dir: string): string | undefined {
  if (dir.trim() === '') return 'is empty';
  const inRepository = relative(resolve('.'), resolve(dir));
  const inside = !inRepository.startsWith('..') && !isAbsolute(inRepository);
  if (inside && !`${inRepository}/`.startsWith('dist/'))
    return 'is inside the repository but not under dist/ (the build replaces the webhook/, provision/, reap/ and ops/ folders in it)';
  return undefined;
}
/** The config bundled beside each handler; PITCREW_CONFIG picks yours (default: the example). */
const configFile = process.env.PITCREW_CONFIG ?? 'infra/pitcrew.example.yaml';
/** Bundled as JSON (shared/config/compile.ts), so no function loads a YAML parser; serverless.yml names it. */
export const bundledConfigName = 'pitcrew.config.json';
const compiledConfig = join(distDir, bundledConfigName);

interface BundleSize {
  readonly function: string;
  /** handler.mjs alone. */
  readonly bundleBytes: number;
  /** handler.mjs and the chunks it imports statically: what a cold start loads (esbuild-options.ts). */
  readonly coldStartBytes: number;
  /** handler.mjs and every chunk. */
  readonly allCodeBytes: number;
  readonly zipBytes: number;
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );

async function bundle(fn: string, sources: readonly CiSource[]): Promise<BundleSize> {
  const outDir = join(distDir, fn);
  rmSync(outDir, { recursive: true, force: true });
  const outfile = join(outDir, 'handler.mjs');
  const { metafile } = await build(lambdaBuildOptions(join('functions', fn, 'handler.ts'), outDir, sources));
  const zipPath = join(distDir, `${fn}.zip`);
  const zip = new ZipFile();
  // A fixed mtime keeps the artifact byte-identical across builds of the same code.
  const mtime = new Date('2020-01-01T00:00:00Z');
  const files = filesUnder(outDir).sort();
  for (const file of files) zip.addFile(file, relative(outDir, file), { mtime });
  zip.addFile(compiledConfig, bundledConfigName, { mtime });
  zip.end();
  await finished(zip.outputStream.pipe(createWriteStream(zipPath)));
  const code = files.filter((file) => file.endsWith('.mjs'));
  return {
    function: fn,
    bundleBytes: statSync(outfile).size,
    // The metafile names outputs relative to the working directory, wherever distDir is.
    coldStartBytes: metafile
      ? coldStartCode(metafile, relative(process.cwd(), resolve(outfile))).bytes
      : statSync(outfile).size,
    allCodeBytes: code.reduce((sum, file) => sum + statSync(file).size, 0),
    zipBytes: statSync(zipPath).size,
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** What the command line asks for; `serverlessArgs` is set for `--serverless-package` (npm run package). */
interface BuildRequest {
  readonly functions: readonly string[];
  /** The stage the bundles are for; undefined: not said, so checked as a deployed one. */
  readonly stage?: string;
  readonly allowInsecureConfig: boolean;
  readonly serverlessArgs?: readonly string[];
}

const allowFlag = '--allow-insecure-config';

/** The stage serverless reads from its arguments: `--stage S`, `--stage=S` or `-s S` (serverless.yml: `${opt:stage, 'dev'}`). */
function stageIn(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === '--stage' || arg === '-s') return args[index + 1];
    if (arg.startsWith('--stage=')) return arg.slice('--stage='.length);
  }
  return undefined;
}

function readRequest(argv: readonly string[]): BuildRequest {
  if (argv[0] === '--serverless-package') {
    // Everything but our own flag goes to serverless, which refuses options it does not know.
    const serverlessArgs = argv.slice(1).filter((arg) => arg !== allowFlag);
    return {
      functions: [],
      stage: stageIn(serverlessArgs) ?? 'dev',
      allowInsecureConfig: argv.includes(allowFlag),
      serverlessArgs,
    };
  }
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      stage: { type: 'string', short: 's' },
      'allow-insecure-config': { type: 'boolean', default: false },
    },
  });
  return {
    functions: positionals,
    stage: values.stage,
    allowInsecureConfig: values['allow-insecure-config'] ?? false,
  };
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Refuses (exit 1) a config unsafe for a deployed stage, unless the flag says build anyway. */
async function checkForStage(config: PitcrewConfig, request: BuildRequest): Promise<void> {
  const { insecureSettings } = await import('../shared/config');
  if (isLocalStage(request.stage)) return;
  const problems = insecureSettings(config);
  if (problems.length === 0) return;
  const stage =
    request.stage === undefined ? 'a deployed stage (no --stage given)' : `stage '${request.stage}'`;
  const list = problemLines(problems);
  if (request.allowInsecureConfig) {
    console.warn(
      `warning: building ${configFile} for ${stage} with ${plural(problems.length, 'insecure setting')}, as ${allowFlag} asks:\n${list}`,
    );
    return;
  }
  console.error(
    `refusing to build ${configFile} for ${stage}: ${plural(problems.length, 'setting')} must not reach a deployed function:\n${list}\n` +
      `Fix them (docs/deploy.md, section 3), ${request.serverlessArgs ? '' : `build for a local stage (--stage ${localStages.join(' or ')}), `}` +
      `or pass ${allowFlag} to build anyway (npm run package -- --stage S ${allowFlag}).`,
  );
  process.exit(1);
}

async function main(): Promise<void> {
  let request: BuildRequest;
  try {
    request = readRequest(process.argv.slice(2));
  } catch (error) {
    console.error(
      `${messageOf(error)}\nusage: tsx scripts/build.ts [function ...] [--stage S] [${allowFlag}]`,
    );
    process.exit(2);
  }
  const distProblem = distDirProblem(distDir);
  if (distProblem) {
    console.error(
      `PITCREW_DIST_DIR=${distDir} ${distProblem}: give a folder under dist/ or outside the repository`,
    );
    process.exit(2);
  }
  // `npm run package` makes what `serverless deploy` uploads: a local stage's unchecked config must
  // not be packaged for AWS under the name (bug 95; a function in Lambda refuses it too).
  if (request.serverlessArgs && isLocalStage(request.stage)) {
    console.error(
      `npm run package: stage '${request.stage}' is pitcrew dev's and never deployed, so its config is not checked for AWS: package for the stage you deploy (npm run package -- --stage prod)`,
    );
    process.exit(2);
  }
  if (request.serverlessArgs && distDir !== 'dist') {
    console.error(`PITCREW_DIST_DIR=${distDir}: npm run package packages dist/ (serverless.yml); unset it`);
    process.exit(2);
  }
  const unknown = request.functions.filter(
    (name) => !functionNames.includes(name as (typeof functionNames)[number]),
  );
  if (unknown.length > 0) {
    console.error(`unknown function(s): ${unknown.join(', ')}; choose from ${functionNames.join(', ')}`);
    process.exit(2);
  }
  // Refuse to package a config that would stop every function at cold start, or that is unsafe on
  // the stage it is built for; both before anything is written.
  const { accessPolicies, compileConfig, ConfigError, eksAccessTarget, parseConfig } =
    await import('../shared/config');
  let configText: string;
  let config: PitcrewConfig;
  try {
    configText = readFileSync(configFile, 'utf8');
    config = parseConfig(configText, configFile);
  } catch (error) {
    // What is wrong with the file, as a list; a stack trace would bury it.
    if (error instanceof ConfigError)
      console.error(`${configFile} is not a config Pitcrew can run:\n${problemLines(error.problems)}`);
    else if ((error as { code?: unknown }).code === 'ENOENT')
      console.error(
        `PITCREW_CONFIG=${configFile}: no such file (copy infra/pitcrew.example.yaml and edit it: docs/deploy.md, section 3)`,
      );
    else throw error;
    process.exit(1);
  }
  await checkForStage(config, request);
  mkdirSync(distDir, { recursive: true });
  // Built for a local stage, the config was not checked for a deployed one: the file says so, and a
  // function started on another stage refuses it (shared/config/load.ts).
  writeFileSync(
    compiledConfig,
    compileConfig(configText, configFile, { localOnly: isLocalStage(request.stage) }),
  );
  const access = { policies: accessPolicies(config), eks: eksAccessTarget(config) };
  writeFileSync(join(distDir, 'access.json'), `${JSON.stringify(access, null, 2)}\n`);
  const sizes: BundleSize[] = [];
  const requested = request.functions.length > 0 ? request.functions : functionNames;
  // Only the configured CIs' code goes in (./configured-sources.ts): a CI added later means packaging
  // again, as any change to the config already does.
  const sources = ciSources.filter((source) => config.sources[source] !== undefined);
  for (const fn of requested) sizes.push(await bundle(fn, sources));
  console.log(`config: ${configFile} (CIs built in: ${sources.join(', ') || 'none'})`);
  console.log('function    handler.mjs cold start   all code        zip');
  for (const size of sizes)
    console.log(
      `${size.function.padEnd(11)} ${kib(size.bundleBytes).padStart(11)} ${kib(size.coldStartBytes).padStart(10)} ${kib(size.allCodeBytes).padStart(10)} ${kib(size.zipBytes).padStart(10)}`,
    );
  writeFileSync(join(distDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  if (request.serverlessArgs) {
    const serverless = spawnSync(
      resolve('node_modules/.bin/serverless'),
      ['package', ...request.serverlessArgs],
      { stdio: 'inherit' },
    );
    if (serverless.error) console.error(`could not run serverless: ${serverless.error.message} (run npm ci)`);
    process.exit(serverless.status ?? 1);
  }
}

await main();
