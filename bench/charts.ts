/**
 * `npm run bench:charts`: draws docs/images/*.svg again from the results already written, running
 * nothing: bench/results/latest.json (burst, cap, cold start), storm-latest.json and
 * storm-faults-latest.json (the storms). A chart whose data is missing is skipped, saying so.
 * `-- --bench FILE --storm FILE --storm-faults FILE` draws from other results; `--out DIR` elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeCharts } from './lib/charts';

const { values } = parseArgs({
  options: {
    bench: { type: 'string', default: 'bench/results/latest.json' },
    storm: { type: 'string', default: 'bench/results/storm-latest.json' },
    'storm-faults': { type: 'string', default: 'bench/results/storm-faults-latest.json' },
    out: { type: 'string', default: 'docs/images' },
  },
});
const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** A results file's JSON, or nothing (saying so) when there is no such file. */
function read(file: string): unknown {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  say(`charts: no ${file}`);
  return undefined;
}

const bench = read(values.bench) as { details?: unknown } | undefined;
const written = await writeCharts(
  {
    bench: bench?.details ?? {},
    storm: read(values.storm) ?? {},
    stormFaults: read(values['storm-faults']) ?? {},
  },
  { dir: values.out, say },
);
say(`charts: ${written.length} written`);
