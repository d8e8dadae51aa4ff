import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  baselineOf,
  buildEntry,
  codeLoadedAtInit,
  entryOf,
  functionNames,
  serviceLibraries,
  type FunctionName,
} from '../lib/bundles';
import type { ColdStartCode } from '../../scripts/esbuild-options';
import { compileConfig } from '../../shared/config';
import { ciSources, type CiSource } from '../../shared/sources/names';
import { freshProcessEnv } from '../lib/loaded-at-init';
import type { Row } from '../lib/report';
import { median, round, roundRatio } from '../lib/stats';
import type { BenchSystem } from '../lib/system';

const runs = 15;
/** The issue's targets: a function's cold-start code and module init against its baseline's. */
export const coldStartTargets = { bytesRatio: 1.15, initRatio: 1.25 } as const;

/** Module initialisation of one bundle in a fresh Node process: import() of its entry, timed inside. */
function initOnce(entryFile: string, env: Record<string, string>): number {
  const url = pathToFileURL(resolve(entryFile)).href;
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: freshProcessEnv(env),
    encoding: 'utf8',
  });
  return JSON.parse(out) as number;
}

const kib = (bytes: number): number => round(bytes / 1024, 1);

/** Init medians of a build and its baseline, alternating fresh processes so a busy moment hits both. */
function initMedians(
  pitcrewEntry: string,
  baselineEntry: string,
  env: Record<string, string>,
): { initMs: number; baselineInitMs: number; samples: { pitcrew: number[]; baseline: number[] } } {
  // The first runs warm the OS file cache, as Lambda's is warm for the runtime.
  initOnce(pitcrewEntry, env);
  initOnce(baselineEntry, env);
  const samples = { pitcrew: [] as number[], baseline: [] as number[] };
  for (let run = 0; run < runs; run++) {
    samples.pitcrew.push(initOnce(pitcrewEntry, env));
    samples.baseline.push(initOnce(baselineEntry, env));
  }
  return { initMs: median(samples.pitcrew), baselineInitMs: median(samples.baseline), samples };
}

/**
 * The bench's packaged config (JSON, every CI) cut down to one CI: its section and its templates, as
 * a deployment that uses only that CI would package it.
 */
function oneCiConfig(packagedConfig: string, source: CiSource, file: string): string {
  const { config } = JSON.parse(readFileSync(packagedConfig, 'utf8')) as {
    config: { sources: Record<string, unknown>; templates: { source: string }[] };
  };
  const oneCi = {
    ...config,
    sources: { [source]: config.sources[source] },
    templates: config.templates.filter((template) => template.source === source),
  };
  // The compiled form is YAML too (JSON is), so it compiles again as `npm run package` would.
  writeFileSync(file, compileConfig(JSON.stringify(oneCi), file));
  return file;
}
const largest = (entry: ColdStartCode): string =>
  entry.byPackage
    .slice(0, 3)
    .map(({ name, bytes }) => `${name} ${kib(bytes)} KiB`)
    .join(', ');

/**
 * Cold start and size, each function against its baseline: a handler that imports and sets up exactly
 * the AWS SDK clients, Powertools utilities and middy the function uses, and nothing else
 * (bench/baselines), built with the same esbuild settings. Module init is the median of fresh
 * processes, the two alternating so that a busy moment hits both. The code loaded is what a fresh
 * process of each actually loads before its first event (bench/lib/loaded-at-init.ts): the entry's
 * static imports and any dynamic import its set-up awaits, which a build's static imports alone would
 * miss. The functions read the config as deployed: JSON, as `npm run package` bundles it, with the
 * cluster reached over a bearer token (bench/lib/deployed-cluster.ts).
 */
export async function measureColdStart(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  const sizes = JSON.parse(readFileSync('dist/sizes.json', 'utf8')) as {
    function: string;
    coldStartBytes: number;
    zipBytes: number;
  }[];
  // The bench's system writes its config as `npm run package` bundles it (bench/lib/system.ts).
  const env = system.dev.info.functionEnv;

  const rows: Row[] = [];
  const details: Record<string, object> = {};
  for (const fn of functionNames) {
    const pitcrewBuild = await buildEntry(join('functions', fn, 'handler.ts'), join('dist', '.bench', fn));
    const baselineBuild = await buildEntry(baselineOf(fn), join('dist', '.bench', `${fn}-baseline`));
    const pitcrew = { ...codeLoadedAtInit(pitcrewBuild, env), entryFile: pitcrewBuild.entryFile };
    const baseline = { ...codeLoadedAtInit(baselineBuild, env), entryFile: baselineBuild.entryFile };
    const libraries = serviceLibraries(pitcrew);
    if (libraries.join() !== serviceLibraries(baseline).join())
      throw new Error(`bench/baselines/${fn}.ts does not load what ${fn} does: ${libraries.join(', ')}`);
    const { initMs, baselineInitMs, samples } = initMedians(pitcrew.entryFile, baseline.entryFile, env);
    const bytesRatio = pitcrew.bytes / baseline.bytes;
    const initRatio = initMs / baselineInitMs;
    const zipBytes =
      sizes.find((size) => size.function === fn)?.zipBytes ?? statSync(join('dist', `${fn}.zip`)).size;
    rows.push(
      {
        measure: `cold start ${fn}`,
        metric: 'module init (median)',
        value: round(initMs),
        unit: 'ms',
        note: `${runs} fresh processes; node startup excluded`,
      },
      {
        measure: `cold start ${fn}`,
        metric: 'baseline module init (median)',
        value: round(baselineInitMs),
        unit: 'ms',
      },
      {
        measure: `cold start ${fn}`,
        metric: 'init ratio',
        value: roundRatio(initRatio),
        unit: 'x',
        note: `target <= ${coldStartTargets.initRatio}`,
      },
      {
        measure: `cold start ${fn}`,
        metric: 'code loaded at cold start',
        value: kib(pitcrew.bytes),
        unit: 'KiB',
        note: `${pitcrew.files.length} files${
          pitcrew.dynamic.length > 0 ? ` (${pitcrew.dynamic.length} by a dynamic import at init)` : ''
        }; largest: ${largest(pitcrew)}`,
      },
      {
        measure: `cold start ${fn}`,
        metric: 'baseline code',
        value: kib(baseline.bytes),
        unit: 'KiB',
        note: `${baseline.files.length} files; ${libraries.join(', ')}`,
      },
      {
        measure: `cold start ${fn}`,
        metric: 'size ratio',
        value: roundRatio(bytesRatio),
        unit: 'x',
        note: `target <= ${coldStartTargets.bytesRatio}`,
      },
      { measure: `cold start ${fn}`, metric: 'zip', value: kib(zipBytes), unit: 'KiB' },
    );
    const oneCi = await measureOneCi(fn, baseline, env);
    rows.push(...oneCi.rows);
    details[fn] = {
      coldStartBytes: pitcrew.bytes,
      baselineBytes: baseline.bytes,
      files: pitcrew.files.length,
      dynamicAtInit: pitcrew.dynamic,
      baselineFiles: baseline.files.length,
      initMs,
      baselineInitMs,
      bytesRatio,
      initRatio,
      samples,
      libraries,
      largest: pitcrew.byPackage.slice(0, 8),
      zipBytes,
      oneCi: oneCi.details,
    };
  }
  return { rows, details };
}

/**
 * A deployment that uses one CI packages only that CI's code (scripts/configured-sources.ts): the
 * function built for each CI alone, its code loaded at cold start against the baseline, and the
 * module init of the largest of the five, run with a config of that CI alone.
 */
async function measureOneCi(
  fn: FunctionName,
  baseline: ColdStartCode & { readonly entryFile: string },
  env: Record<string, string>,
): Promise<{ rows: Row[]; details: object }> {
  const builds = await Promise.all(
    ciSources.map(async (source) => ({
      source,
      build: await buildEntry(entryOf(fn), join('dist', '.bench', `${fn}-${source}`), [source]),
    })),
  );
  const bytesBySource = Object.fromEntries(builds.map(({ source, build }) => [source, build.bytes]));
  const largest = builds.reduce((most, next) => (next.build.bytes > most.build.bytes ? next : most));
  const configFile = oneCiConfig(
    env.PITCREW_CONFIG_FILE ?? '',
    largest.source,
    join('dist', '.bench', `pitcrew-${largest.source}.json`),
  );
  const oneCiEnv = { ...env, PITCREW_CONFIG_FILE: configFile };
  // What a fresh process loads must be what the build shows (bundles.test.ts checks the functions').
  const loaded = codeLoadedAtInit(largest.build, oneCiEnv);
  const { initMs, baselineInitMs } = initMedians(largest.build.entryFile, baseline.entryFile, oneCiEnv);
  const each = builds.map(({ source, build }) => `${source} ${kib(build.bytes)}`).join(', ');
  const measure = `cold start ${fn}`;
  return {
    rows: [
      {
        measure,
        metric: 'code loaded, one CI configured (largest)',
        value: kib(loaded.bytes),
        unit: 'KiB',
        note: `${largest.source}; each CI alone: ${each} KiB`,
      },
      {
        measure,
        metric: 'size ratio, one CI configured (largest)',
        value: roundRatio(loaded.bytes / baseline.bytes),
        unit: 'x',
        note: `target <= ${coldStartTargets.bytesRatio}`,
      },
      {
        measure,
        metric: `init ratio, ${largest.source} only`,
        value: roundRatio(initMs / baselineInitMs),
        unit: 'x',
        note: `${round(initMs)} / ${round(baselineInitMs)} ms, a config of ${largest.source} alone`,
      },
    ],
    details: {
      bytesBySource,
      largest: largest.source,
      loadedBytes: loaded.bytes,
      dynamicAtInit: loaded.dynamic,
      initMs,
      baselineInitMs,
    },
  };
}
