import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  burstChart,
  capChart,
  coldStartChart,
  countOverTime,
  stepSeries,
  stormChart,
  textWidth,
  writeCharts,
} from '../../../bench/lib/charts';
import type { StormTimeline } from '../../../infra/local/stand-ins/storm';

/** The texts Vega drew (titles, axis titles and labels, legend entries), unescaped. */
const texts = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) =>
    (match[1] ?? '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
  );

/** How many marks of a kind Vega drew: lines (one path per series), rules, bars, text labels. */
function marks(svg: string, kind: 'line' | 'rule' | 'rect' | 'text'): number {
  const element = { line: '<path', rule: '<line', rect: '<path', text: '<text' }[kind];
  const groups = svg.matchAll(new RegExp(`<g class="mark-${kind} role-mark[^>]*>(.*?)</g>`, 'g'));
  return [...groups].reduce((sum, group) => sum + (group[1] ?? '').split(element).length - 1, 0);
}

function expectSvg(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toMatch(/width="\d+" height="\d+"/);
}

const burst = {
  builds: 6,
  provisioners: 5,
  concurrency: 50,
  pitcrew: stepSeries(countOverTime([400, 900, 1200, 1800, 2500, 3100]), 3100),
  raw: stepSeries(countOverTime([100, 200, 350, 600, 700, 900]), 900),
};
const cap = {
  builds: 40,
  cap: 4,
  live: stepSeries(
    [
      [0, 0],
      [100, 3],
      [300, 4],
      [2000, 2],
      [2500, 4],
      [5000, 0],
    ],
    5200,
  ),
};
const coldStart = {
  webhook: { coldStartBytes: 420_000, baselineBytes: 1_900_000, initMs: 95, baselineInitMs: 260 },
  provision: { coldStartBytes: 610_000, baselineBytes: 2_300_000, initMs: 140, baselineInitMs: 310 },
  reap: { coldStartBytes: 580_000, baselineBytes: 2_200_000, initMs: 130, baselineInitMs: 300 },
};
/** The shape bench/measures/cold-start.ts writes in its details: per function, among other figures. */
const coldStartDetails = {
  webhook: { ...coldStart.webhook, samples: [{ initMs: 90 }], inputs: [] },
  provision: { ...coldStart.provision, samples: [] },
  reap: { ...coldStart.reap, samples: [] },
  seconds: 12.5,
};
const timeline: StormTimeline = {
  livePods: [
    [0, 0],
    [1000, 5],
    [2000, 6],
    [3000, 0],
  ],
  livePodsWithEnded: [
    [0, 0],
    [1000, 6],
    [2000, 7],
    [3000, 0],
  ],
  slots: [
    [0, 0],
    [1000, 8],
    [2000, 8],
    [3000, 0],
  ],
  livePodsByTemplate: {
    'gh-linux': [
      [0, 0],
      [1000, 3],
      [3000, 0],
    ],
    'jk-linux': [
      [0, 0],
      [1000, 2],
      [3000, 0],
    ],
  },
  caps: { global: 8, templates: { 'gh-linux': 4, 'jk-linux': 4 } },
};

describe('bench charts', () => {
  it('keeps a step series small without losing its peaks, and ends at its last value', () => {
    const samples = Array.from({ length: 5000 }, (_, index): [number, number] => [index, index % 7]);
    samples[2345] = [2345, 99];
    const series = stepSeries(samples, 5000, 100);
    expect(series.length).toBeLessThanOrEqual(101);
    expect(Math.max(...series.map(([, value]) => value))).toBe(99);
    expect(series.at(-1)).toEqual([5000, 4999 % 7]);
    expect(stepSeries([], 0)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(countOverTime([30, 10, 20])).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
    ]);
  });

  it('measures text as Helvetica, not as canvas-less Vega guesses (0.8 em a character)', () => {
    expect(textWidth('iiii', 10)).toBeLessThan(textWidth('MMMM', 10) / 3);
    expect(textWidth('Pitcrew', 12)).toBeLessThan(0.8 * 7 * 12 * 0.8);
  });

  it('draws pods over time in the burst, Pitcrew against the raw calls', async () => {
    const svg = await burstChart(burst);
    expectSvg(svg);
    expect(texts(svg)).toEqual(
      expect.arrayContaining([
        'Burst: 6 builds queued at once, pods created over time',
        'Pitcrew (provisioners, from the queue)',
        'raw Pod + Secret calls',
        'time since the burst began (s)',
        'pods created',
      ]),
    );
    expect(marks(svg, 'line')).toBe(2);
  });

  it('draws live pods against the cap', async () => {
    const svg = await capChart(cap);
    expectSvg(svg);
    const drawn = texts(svg);
    expect(drawn).toContain('Cap under burst: live pods of a template capped at 4');
    expect(drawn).toContain('cap (4)');
    expect(drawn.some((text) => text.startsWith('live pods (most in each'))).toBe(true);
    expect(marks(svg, 'line')).toBe(1);
    expect(marks(svg, 'rule')).toBe(1);
  });

  it("draws each function's size and init beside its baseline", async () => {
    const svg = await coldStartChart({ functions: coldStart });
    expectSvg(svg);
    expect(texts(svg)).toEqual(
      expect.arrayContaining([
        'Cold start: each function against its baseline',
        'Pitcrew, every CI',
        'baseline',
        'webhook',
        'provision',
        'reap',
        'bundle size (KiB)',
        'module init (ms)',
      ]),
    );
    // Three functions, two versions, two panels: a bar and its figure each.
    expect(marks(svg, 'rect')).toBe(12);
    expect(marks(svg, 'text')).toBe(12);
    expect(texts(svg)).toContain('410'); // 420,000 bytes in KiB
  });

  it('adds a bar for the build of one CI alone where the measure gave one', async () => {
    const withOneCi = {
      ...coldStart,
      provision: { ...coldStart.provision, oneCi: { source: 'jenkins', loadedBytes: 512_000, initMs: 120 } },
    };
    const svg = await coldStartChart({ functions: withOneCi });
    expect(texts(svg)).toEqual(expect.arrayContaining(['Pitcrew, every CI', 'Pitcrew, one CI', 'baseline']));
    // One more bar and figure in each panel, for provision.
    expect(marks(svg, 'rect')).toBe(14);
    expect(texts(svg)).toEqual(expect.arrayContaining(['500', '120'])); // 512,000 bytes in KiB; its init
  });

  it("draws the storm's live pods, slots and caps, all templates and each", async () => {
    const svg = await stormChart({ builds: 2000, seed: 3, faults: true, timeline });
    expectSvg(svg);
    expect(texts(svg)).toEqual(
      expect.arrayContaining([
        'Storm with faults: 2,000 builds, live pods and slots against the caps',
        'live agents (builds still wanted)',
        'live pods, also of ended builds',
        'slots held (global counter)',
        'global cap (8)',
        'gh-linux',
        'jk-linux',
        'template cap (4)',
      ]),
    );
    // Above: three lines and the global cap; below: a line per template and their one cap.
    expect(marks(svg, 'line')).toBe(5);
    expect(marks(svg, 'rule')).toBe(2);
  });

  it('writes the charts whose data the results hold, and says which it skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pitcrew-charts-'));
    const names = (files: string[]): string[] => files.map((file) => file.slice(dir.length + 1));
    try {
      const said: string[] = [];
      const bench = {
        burst: { ...burst, series: { pitcrew: burst.pitcrew, raw: burst.raw } },
        // Measured before the charts: no series.
        cap: { builds: 40, cap: 4, maxLive: 4 },
      };
      const storm = { options: { faults: false }, report: { builds: 90, seed: 1, timeline } };
      const written = await writeCharts(
        // The faulted storm's file as it was before the charts: no timeline.
        { bench, storm, stormFaults: { report: { builds: 90, seed: 1 } } },
        { dir, say: (line) => said.push(line) },
      );
      expect(names(written)).toEqual(['bench-burst.svg', 'storm.svg']);
      expect(readdirSync(dir).sort()).toEqual(['bench-burst.svg', 'storm.svg']);
      expect(readFileSync(join(dir, 'storm.svg'), 'utf8')).toContain('Storm: 90 builds');
      expect(said.filter((line) => line.includes('skipped'))).toEqual([
        expect.stringMatching(/skipped bench-cap\.svg: the results have no details\.cap\.series/),
        'charts: skipped bench-cold-start.svg: no cold-start results',
        expect.stringMatching(/skipped storm-faults\.svg: the results have no report\.timeline/),
      ]);

      // A bench run of some measures: only theirs, the others (and the storms) passed over in silence.
      said.length = 0;
      const some = await writeCharts(
        { bench: { burst: bench.burst, 'cold-start': coldStartDetails } },
        { dir, say: (line) => said.push(line), onlyMeasured: true },
      );
      expect(names(some)).toEqual(['bench-burst.svg', 'bench-cold-start.svg']);
      expect(said).toEqual(some.map((file) => `charts: wrote ${file}`));
      expect(readFileSync(join(dir, 'bench-cold-start.svg'), 'utf8')).toContain('>webhook</text>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
