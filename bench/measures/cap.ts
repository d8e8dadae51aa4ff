import type { BenchSystem } from '../lib/system';
import { round } from '../lib/stats';
import type { Row } from '../lib/report';
import { queueBurst } from '../lib/builds';
import { stepSeries, type Point } from '../lib/charts';

const builds = 500;
const template = 'bench-capped';

/**
 * Cap under burst: 500 builds for a template capped at 20, several provisioners, pods that run one
 * second, the reaper every second to clean up and wake waiting work. The watch gives the exact
 * maximum of live pods (it sees every change); the time is until the last pod is gone.
 */
export async function measureCap(
  system: BenchSystem,
  provisioners: number,
): Promise<{ rows: Row[]; details: object }> {
  const cap = 20;
  const requestIds = await queueBurst(system, 'cap', ['capped'], builds);
  system.pods.resetMax();
  const started = performance.now();
  system.dev.provisioning.resume();
  let reaping = true;
  let reaperRuns = 0;
  const reaper = (async () => {
    while (reaping) {
      await system.dev.handlers.reap({ source: 'bench' }, {}).catch(() => undefined);
      reaperRuns += 1;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  // The builds whose pod has not yet come and gone; checked after every pod event.
  const remaining = new Set(requestIds);
  // Live pods after every change, for the chart.
  const live: Point[] = [];
  try {
    await system.pods.until(
      () => {
        const now = system.pods.live(template);
        if (now !== live.at(-1)?.[1]) live.push([performance.now() - started, now]);
        for (const requestId of remaining)
          if (system.pods.byRequest.get(requestId)?.gone) remaining.delete(requestId);
        return remaining.size === 0;
      },
      900_000,
      `${builds} capped builds to run and be cleaned up`,
    );
  } finally {
    reaping = false;
    await reaper;
  }
  const drainSeconds = (performance.now() - started) / 1000;
  const maxLive = system.pods.maxLive(template);
  const status = (await system.dev.handlers.ops({ action: 'status' }, {})) as {
    caps: { templates: Record<string, { used: number }> };
  };
  return {
    rows: [
      {
        measure: 'cap under burst',
        metric: 'max live pods',
        value: maxLive,
        unit: 'pods',
        note: `cap ${cap}: must never be more (exact, from the watch)`,
      },
      {
        measure: 'cap under burst',
        metric: 'time to drain',
        value: round(drainSeconds),
        unit: 's',
        note: `${builds} builds of 1 s, ${provisioners} provisioners, reaper every 1 s`,
      },
      {
        measure: 'cap under burst',
        metric: 'slots held at the end',
        value: status.caps.templates[template]?.used ?? -1,
        unit: 'slots',
        note: 'must be 0',
      },
    ],
    details: {
      builds,
      cap,
      maxLive,
      drainSeconds,
      reaperRuns,
      // Live pods over time, [ms since the start, the most in each slice], for docs/images/bench-cap.svg.
      series: { live: stepSeries(live, drainSeconds * 1000) },
    },
  };
}
