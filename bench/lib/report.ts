import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { table } from '../../infra/local/cli/table';

/** One line of the results table: a measure, what was measured, and the figure. */
export interface Row {
  readonly measure: string;
  readonly metric: string;
  readonly value: number | string;
  readonly unit: string;
  readonly note?: string;
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Prints the table and writes the JSON next to the previous results (and as latest.json). */
export function publish(
  rows: readonly Row[],
  details: Record<string, unknown>,
  outDir = 'bench/results',
): string {
  process.stdout.write(
    `\n${table(
      ['MEASURE', 'METRIC', 'VALUE', 'UNIT', 'NOTE'],
      rows.map((row) => [row.measure, row.metric, String(row.value), row.unit, row.note ?? '']),
    )}\n`,
  );
  mkdirSync(outDir, { recursive: true });
  const document = { at: new Date().toISOString(), machine: machine(), rows, details };
  const file = join(outDir, `bench-${document.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
