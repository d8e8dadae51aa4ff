/**
 * `npm run bench`: Pitcrew measured against the limits of its own servers, in one run on this
 * machine. Starts the real local servers and the whole system once, warms the Java servers
 * (lib/warm-servers.ts), runs each measure, prints a table and writes bench/results/bench-<time>.json
 * (and latest.json). docs/performance.md explains each figure. `npm run bench -- webhook burst` runs
 * only the named measures; `--no-warm-up` leaves the servers cold.
 */
import { execFileSync } from 'node:child_process';
import { writeCharts } from './lib/charts';
import { publish, type Row } from './lib/report';
import { startBenchSystem } from './lib/system';
import { warmServers, warmUpRounds } from './lib/warm-servers';
import { measureBurst } from './measures/burst';
import { measureCap } from './measures/cap';
import { measureColdStart } from './measures/cold-start';
import { measureCost } from './measures/cost';
import { measureEndToEnd } from './measures/end-to-end';
import { measureReaperScale } from './measures/reaper-scale';
import { measureWebhook } from './measures/webhook';

// Lambda starts polling an SQS queue with five concurrent batches and scales up from there
// (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-scaling): five pollers here.
const provisioners = 5;
const all = ['webhook', 'end-to-end', 'burst', 'cap', 'cost', 'cold-start', 'reaper'] as const;
type Measure = (typeof all)[number];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // `--no-warm-up` times the servers as they start, as every run did before 2026-12-04 (performance.md).
  const warmUp = !args.includes('--no-warm-up');
  const asked = args.filter((arg) => arg !== '--no-warm-up');
  const unknown = asked.filter((name) => !(all as readonly string[]).includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown measure(s): ${unknown.join(', ')}; choose from ${all.join(', ')} (and --no-warm-up)\n`,
    );
    process.exit(2);
  }
  const chosen = new Set<Measure>(asked.length > 0 ? (asked as Measure[]) : all);
  const began = performance.now();
  const say = (line: string): void =>
    void process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0)}s] ${line}\n`);

  if (chosen.has('cold-start')) {
    say('building the bundles (npm run build) ...');
    execFileSync('npx', ['tsx', 'scripts/build.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  say('starting the local servers and the system ...');
  const system = await startBenchSystem({ provisioners });
  const rows: Row[] = [];
  const details: Record<string, object> = {};
  const steps: [Measure, () => Promise<{ rows: Row[]; details: object }>][] = [
    ['webhook', () => measureWebhook(system)],
    ['end-to-end', () => measureEndToEnd(system)],
    ['burst', () => measureBurst(system, provisioners)],
    ['cap', () => measureCap(system, provisioners)],
    ['cost', () => measureCost(system)],
    ['cold-start', () => measureColdStart(system)],
    ['reaper', () => measureReaperScale(system, [1000, 10_000])],
  ];
  try {
    // Cold starts and the reaper's scale do not time DynamoDB's or SQS's answers against a bare side.
    if (warmUp && [...chosen].some((name) => name !== 'cold-start' && name !== 'reaper')) {
      say(
        `warming DynamoDB Local and ElasticMQ (${warmUpRounds} rounds of every call the measures time) ...`,
      );
      const started = performance.now();
      await warmServers({ dynamo: system.dynamo.endpoint, sqs: system.sqs.endpoint });
      details.warmUp = { rounds: warmUpRounds, seconds: (performance.now() - started) / 1000 };
    } else details.warmUp = { rounds: 0 };
    for (const [name, step] of steps) {
      if (!chosen.has(name)) continue;
      say(`measuring ${name} ...`);
      const started = performance.now();
      const result = await step();
      rows.push(...result.rows);
      details[name] = { ...result.details, seconds: (performance.now() - started) / 1000 };
    }
  } finally {
    say('stopping the servers ...');
    await system.close();
  }
  const file = publish(rows, { ...details, totalSeconds: (performance.now() - began) / 1000, provisioners });
  // The charts of the measures that ran (docs/images/bench-*.svg); `npm run bench:charts` redraws them all.
  await writeCharts({ bench: details }, { onlyMeasured: true, say }).catch((error: unknown) =>
    say(`charts: not drawn: ${String(error)}`),
  );
  say(`done in ${((performance.now() - began) / 1000).toFixed(0)} s; results in ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
