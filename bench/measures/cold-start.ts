import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { baselineOf, buildEntry, codeLoadedAtInit, functionNames, serviceLibraries } from '../lib/bundles';
import type { ColdStartCode } from '../../scripts/esbuild-options';
import { freshProcessEnv } from '../lib/loaded-at-init';
import type { Row } from '../lib/report';
import { median, round } from '../lib/stats';
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
    // The first runs warm the OS file cache, as Lambda's is warm for the runtime.
    initOnce(pitcrew.entryFile, env);
    initOnce(baseline.entryFile, env);
    const samples = { pitcrew: [] as number[], baseline: [] as number[] };
    for (let run = 0; run < runs; run++) {
      samples.pitcrew.push(initOnce(pitcrew.entryFile, env));
      samples.baseline.push(initOnce(baseline.entryFile, env));
    }
    const initMs = median(samples.pitcrew);
    const baselineInitMs = median(samples.baseline);
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
        value: round(initRatio),
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
        value: round(bytesRatio),
        unit: 'x',
        note: `target <= ${coldStartTargets.bytesRatio}`,
      },
      { measure: `cold start ${fn}`, metric: 'zip', value: kib(zipBytes), unit: 'KiB' },
    );
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
    };
  }
  return { rows, details };
}
