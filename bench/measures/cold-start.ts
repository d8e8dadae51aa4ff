import { build, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchSystem } from '../lib/system';
import { median, round } from '../lib/stats';
import type { Row } from '../lib/report';

const functions = ['webhook', 'provision', 'reap', 'ops'] as const;
const runs = 15;

/** Module initialisation of one bundle in a fresh Node process: import() of handler.mjs, timed inside. */
function initOnce(fn: string, env: Record<string, string>): { initMs: number; processMs: number } {
  const url = pathToFileURL(resolve('dist', fn, 'handler.mjs')).href;
  const script = `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify({ initMs: performance.now() - t }));`;
  const started = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      ...env,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
  });
  return { initMs: (JSON.parse(out) as { initMs: number }).initMs, processMs: performance.now() - started };
}

/** The packages that make up most of a function's entry bundle (what a cold start loads first). */
async function biggestInputs(fn: string): Promise<{ name: string; kib: number }[]> {
  const result = await build({
    entryPoints: { handler: join('functions', fn, 'handler.ts') },
    outdir: join('dist', '.bench-meta', fn),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const entry = Object.entries((result.metafile as Metafile).outputs).find(([path]) =>
    path.endsWith('handler.mjs'),
  );
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(entry?.[1].inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match?.[1] ?? '(pitcrew)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, bytes]) => ({ name, kib: round(bytes / 1024, 1) }));
}

/**
 * Cold start and size: each function's bundle (from `npm run build`), and its module
 * initialisation in fresh processes (median of many), with what dominates the entry bundle.
 */
export async function measureColdStart(system: BenchSystem): Promise<{ rows: Row[]; details: object }> {
  const sizes = JSON.parse(readFileSync('dist/sizes.json', 'utf8')) as {
    function: string;
    bundleBytes: number;
    allCodeBytes: number;
    zipBytes: number;
  }[];
  const rows: Row[] = [];
  const details: Record<string, object> = {};
  for (const fn of functions) {
    const env = system.dev.info.functionEnv;
    initOnce(fn, env); // the first run warms the OS file cache, as Lambda's is warm for the runtime
    const samples = Array.from({ length: runs }, () => initOnce(fn, env));
    const size = sizes.find((entry) => entry.function === fn);
    const inputs = await biggestInputs(fn);
    const initMs = median(samples.map((sample) => sample.initMs));
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
        metric: 'entry bundle',
        value: round((size?.bundleBytes ?? statSync(join('dist', fn, 'handler.mjs')).size) / 1024, 1),
        unit: 'KiB',
        note: `largest: ${inputs
          .slice(0, 3)
          .map((input) => `${input.name} ${input.kib} KiB`)
          .join(', ')}`,
      },
      {
        measure: `cold start ${fn}`,
        metric: 'zip',
        value: round((size?.zipBytes ?? 0) / 1024, 1),
        unit: 'KiB',
      },
    );
    details[fn] = { samples, size, biggestInputs: inputs };
  }
  return { rows, details };
}
