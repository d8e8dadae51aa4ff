/**
 * The bench's charts: Vega-Lite specs rendered to SVG in Node (no browser, no canvas), written to
 * docs/images/ for docs/performance.md and docs/reliability.md. One function per chart, each from
 * plain data; `writeCharts` picks that data out of the results' JSON and skips a chart without it.
 *
 * Without canvas, Vega cannot measure text: `render` gives it Helvetica's widths (Arial's are the
 * same), the fonts the charts ask for, so titles and legends are laid out close to what a viewer shows.
 *
 * This module loads Vega only when it renders: infra/local/stand-ins/storm.ts takes `stepSeries` from
 * it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { StormTimeline } from '../../infra/local/stand-ins/storm';

/** A view inside a layer, and inside a concatenation, as Vega-Lite types them. */
type LayerView = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
type ConcatView = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

/** One sample of a quantity over time: [milliseconds since the start, value]. */
export type Point = readonly [ms: number, value: number];

/**
 * A step function (a value that holds until the next sample) made small for a chart and its JSON:
 * at most `maxPoints` + 1 points, one per slice of [0, endMs] with the highest value the slice saw
 * (so a peak is never lost), then the value at the end. `samples` in time order; before the first,
 * the value is `initial`.
 */
export function stepSeries(
  samples: readonly Point[],
  endMs: number,
  maxPoints = 200,
  initial = 0,
): [number, number][] {
  const slice = Math.max(1, Math.ceil(endMs / maxPoints));
  const points: [number, number][] = [];
  let value = initial;
  let next = 0;
  for (let from = 0; from < endMs || points.length === 0; from += slice) {
    let highest = value;
    for (let sample = samples[next]; sample && sample[0] < from + slice; sample = samples[next]) {
      value = sample[1];
      highest = Math.max(highest, value);
      next += 1;
    }
    points.push([Math.round(from), highest]);
  }
  if (next < samples.length) value = samples.at(-1)?.[1] ?? value;
  points.push([Math.round(endMs), value]);
  return points;
}

/** How many things had happened at each moment, from when each happened (ms, any order). */
export function countOverTime(times: readonly number[]): Point[] {
  return [...times].sort((a, b) => a - b).map((ms, index) => [ms, index + 1]);
}

// ---- rendering ----------------------------------------------------------------------------------

/** Helvetica's advance widths (1/1000 em) for ASCII 32 to 126; others count as 0.6 em. */
const helvetica = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
  500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
  556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/**
 * The width of a line of text in Helvetica, in pixels (bold about 6 % wider), and a tenth more:
 * room for a viewer that falls back to a wider font (DejaVu Sans).
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let units = 0;
  for (const char of text) units += helvetica[(char.codePointAt(0) ?? 0) - 32] ?? 600;
  return (units / 1000) * fontSize * (bold ? 1.06 : 1) * 1.1;
}

interface TextItem {
  readonly fontSize?: number;
  readonly fontWeight?: string | number;
}

const font = 'Helvetica, Arial, sans-serif';
const palette = {
  blue: '#4c78a8',
  lightBlue: '#9ecae9',
  orange: '#f58518',
  red: '#e45756',
  green: '#54a24b',
  purple: '#b279a2',
  teal: '#72b7b2',
  grey: '#9d9da1',
};
const config = {
  font,
  background: 'white',
  padding: 12,
  title: { anchor: 'start', fontSize: 15, subtitleFontSize: 12, subtitleColor: '#555', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: true },
  legend: { labelFontSize: 12, labelLimit: 0, titleFontSize: 12, symbolStrokeWidth: 3 },
  view: { stroke: '#ddd' },
} as const;

let libraries: Promise<{ vega: typeof Vega; vegaLite: typeof VegaLite }> | undefined;

/** Vega and Vega-Lite, loaded once and one after the other (jest's ESM loader trips on both at once). */
function load() {
  libraries ??= (async () => {
    const vega = await import('vega');
    const vegaLite = await import('vega-lite');
    // The extension point Vega leaves for measuring without canvas (vega-scenegraph's textMetrics).
    const { textMetrics } = vega as unknown as {
      textMetrics: { width: (item: TextItem, text: unknown) => number };
    };
    textMetrics.width = (item, text) =>
      textWidth(String(text ?? '').trim(), item.fontSize ?? 11, String(item.fontWeight ?? '') === 'bold');
    return { vega, vegaLite };
  })();
  return libraries;
}

/** A Vega-Lite spec as SVG: compiled to Vega, run headless, serialised. */
export async function render(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await load();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A line or rule colour shared by the layers of a chart: names in legend order, and their colours. */
function colors(entries: readonly (readonly [name: string, color: string])[]) {
  return { domain: entries.map(([name]) => name), range: entries.map(([, color]) => color) };
}

const seconds = (ms: number): number => Math.round(ms) / 1000;
const count = (n: number): string => n.toLocaleString('en-US');

/** How long each slice of a stepSeries is, in seconds, for the legend: its first two points apart. */
function sliceOf(points: readonly Point[]): string {
  const [first, second] = points;
  return first && second ? `${Number(((second[0] - first[0]) / 1000).toPrecision(2))} s` : 'slice';
}

/** Series of points as rows for a line layer: one row per point, `series` the legend's name. */
function rows(
  series: Readonly<Record<string, readonly Point[]>>,
): { t: number; value: number; series: string }[] {
  return Object.entries(series).flatMap(([name, points]) =>
    points.map(([ms, value]) => ({ t: seconds(ms), value, series: name })),
  );
}

/** The top of a value axis whose highest line is at `value`: a little above, to see it. */
const headroom = (value: number): number => Math.ceil(value * 1.12);

/** The highest of some values and of the values of some series. */
const highest = (values: readonly number[], ...series: readonly (readonly Point[])[]): number =>
  Math.max(0, ...values, ...series.flatMap((points) => points.map(([, value]) => value)));

/** A horizontal dashed line at `value`, named in the legend as `name`. */
function capRule(value: number, name: string): LayerView {
  return {
    data: { values: [{}] },
    mark: { type: 'rule', strokeDash: [6, 4], size: 2 },
    encoding: { y: { datum: value }, color: { datum: name } },
  };
}

/** Lines over time, stepped (each value holds until the next point). */
function stepLines(
  series: Readonly<Record<string, readonly Point[]>>,
  legend: ReturnType<typeof colors>,
  axes: { x: string; y: string },
  legendOrient: 'bottom-right' | 'bottom-left' | 'right' = 'right',
  /** Room above a cap line, so the lines that reach it stay visible. */
  yMax?: number,
): LayerView {
  return {
    data: { values: rows(series) },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      // The axis ends where the run ended.
      x: { field: 't', type: 'quantitative', title: axes.x, scale: { nice: false } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: axes.y,
        ...(yMax === undefined ? {} : { scale: { domainMax: yMax } }),
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: legend,
        legend: { orient: legendOrient, symbolType: 'stroke', fillColor: 'white', padding: 6 },
      },
    },
  };
}

// ---- the charts -----------------------------------------------------------------------------------

export interface BurstChartData {
  readonly builds: number;
  readonly provisioners: number;
  readonly concurrency: number;
  /** Pods that existed after each moment: Pitcrew's burst (from the queue), and the raw calls'. */
  readonly pitcrew: readonly Point[];
  readonly raw: readonly Point[];
}

/** Pods over time in the burst: Pitcrew from the queue, against the same calls made directly. */
export function burstChart(data: BurstChartData): Promise<string> {
  const pitcrew = 'Pitcrew (provisioners, from the queue)';
  const raw = 'raw Pod + Secret calls';
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Burst: ${count(data.builds)} builds queued at once, pods created over time`,
      subtitle: `Pitcrew: ${data.provisioners} provisioners take them from the queue; raw: the same calls, same client, ${data.concurrency} at once`,
    },
    width: 560,
    height: 260,
    config,
    layer: [
      stepLines(
        { [pitcrew]: data.pitcrew, [raw]: data.raw },
        colors([
          [pitcrew, palette.blue],
          [raw, palette.grey],
        ]),
        { x: 'time since the burst began (s)', y: 'pods created' },
        'bottom-right',
      ),
    ],
  });
}

export interface CapChartData {
  readonly builds: number;
  readonly cap: number;
  /** Live pods of the capped template (existing, not being deleted) after each moment. */
  readonly live: readonly Point[];
}

/** Live pods against the template's cap while a burst of builds drains. */
export function capChart(data: CapChartData): Promise<string> {
  const live = `live pods (most in each ${sliceOf(data.live)})`;
  const cap = `cap (${data.cap})`;
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Cap under burst: live pods of a template capped at ${data.cap}`,
      subtitle: `${count(data.builds)} builds of 1 s queued at once; the reaper every second`,
    },
    width: 560,
    height: 240,
    config,
    layer: [
      stepLines(
        { [live]: data.live },
        colors([
          [live, palette.blue],
          [cap, palette.red],
        ]),
        { x: 'time since the burst began (s)', y: 'live pods' },
        'bottom-left',
        headroom(highest([data.cap], data.live)),
      ),
      capRule(data.cap, cap),
    ],
  });
}

/** One function's cold start, Pitcrew's and its baseline's (the shape bench/measures/cold-start.ts writes). */
export interface ColdStartFigures {
  readonly coldStartBytes: number;
  readonly baselineBytes: number;
  readonly initMs: number;
  readonly baselineInitMs: number;
  /** Built for one CI alone, the largest of them, and run with a config of that CI alone. */
  readonly oneCi?: { readonly source: string; readonly loadedBytes: number; readonly initMs: number };
}

export interface ColdStartChartData {
  readonly functions: Readonly<Record<string, ColdStartFigures>>;
}

/** Each function's bundle size and init time, Pitcrew's beside its baseline's: two panels of grouped bars. */
export function coldStartChart(data: ColdStartChartData): Promise<string> {
  const pitcrew = 'Pitcrew, every CI';
  const oneCi = 'Pitcrew, one CI';
  const baseline = 'baseline';
  const bars = Object.entries(data.functions).flatMap(([fn, figures]) => [
    { fn, version: pitcrew, kib: figures.coldStartBytes / 1024, ms: figures.initMs },
    ...(figures.oneCi
      ? [{ fn, version: oneCi, kib: figures.oneCi.loadedBytes / 1024, ms: figures.oneCi.initMs }]
      : []),
    { fn, version: baseline, kib: figures.baselineBytes / 1024, ms: figures.baselineInitMs },
  ]);
  const versions = [pitcrew, ...(bars.some((bar) => bar.version === oneCi) ? [oneCi] : []), baseline];
  const legend = colors(
    (
      [
        [pitcrew, palette.blue],
        [oneCi, palette.lightBlue],
        [baseline, palette.grey],
      ] as const
    ).filter(([version]) => versions.includes(version)),
  );
  const panel = (field: 'kib' | 'ms', axis: string): ConcatView => ({
    width: 300,
    height: 220,
    encoding: {
      x: {
        field: 'fn',
        type: 'nominal',
        title: null,
        sort: Object.keys(data.functions),
        axis: { labelAngle: 0, labelFontSize: 12 },
      },
      xOffset: { field: 'version', sort: versions },
      // Headroom for the figures above the bars.
      y: {
        field,
        type: 'quantitative',
        title: axis,
        scale: { domainMax: headroom(highest(bars.map((bar) => bar[field]))) },
      },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          color: {
            field: 'version',
            type: 'nominal',
            title: null,
            scale: legend,
            legend: { orient: 'right', symbolType: 'square' },
          },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 10, color: '#333' },
        encoding: { text: { field, type: 'quantitative', format: '.0f' } },
      },
    ],
  });
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Cold start: each function against its baseline',
      subtitle:
        'left: the bundle a cold start loads; right: the time to initialise it; one CI: built and run for the largest CI alone',
    },
    data: { values: bars },
    config,
    hconcat: [panel('kib', 'bundle size (KiB)'), panel('ms', 'module init (ms)')],
  });
}

export interface StormChartData {
  readonly builds: number;
  readonly seed: number;
  readonly faults: boolean;
  readonly timeline: StormTimeline;
}

/**
 * The storm's live pods, slots and caps over time: above, all templates against the global cap;
 * below, each template's live agents against its cap.
 */
export function stormChart(data: StormChartData): Promise<string> {
  const { timeline } = data;
  const agents = 'live agents (builds still wanted)';
  const withEnded = 'live pods, also of ended builds';
  const slots = 'slots held (global counter)';
  const globalCap = `global cap (${timeline.caps.global})`;
  const templates = Object.keys(timeline.livePodsByTemplate).sort();
  const templateColors = [palette.green, palette.purple, palette.teal, palette.orange, palette.lightBlue];
  const templateCaps = [...new Set(templates.map((name) => timeline.caps.templates[name]))].filter(
    (cap): cap is number => cap !== undefined,
  );
  const capName = (cap: number): string => `template cap (${cap})`;
  const x = 'time since the storm began (s)';
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${data.faults ? 'Storm with faults' : 'Storm'}: ${count(data.builds)} builds, live pods and slots against the caps`,
      subtitle: `seed ${data.seed}${data.faults ? ', the infrastructure failing under it throughout' : ''}; each line the most in each ${sliceOf(timeline.livePods)} of the run`,
    },
    config,
    vconcat: [
      {
        title: { text: 'All templates', fontSize: 13 },
        width: 600,
        height: 220,
        layer: [
          stepLines(
            { [withEnded]: timeline.livePodsWithEnded, [agents]: timeline.livePods, [slots]: timeline.slots },
            colors([
              [agents, palette.blue],
              [withEnded, palette.lightBlue],
              [slots, palette.orange],
              [globalCap, palette.red],
            ]),
            { x, y: 'pods / slots' },
            'right',
            headroom(
              highest([timeline.caps.global], timeline.livePodsWithEnded, timeline.livePods, timeline.slots),
            ),
          ),
          capRule(timeline.caps.global, globalCap),
        ],
      },
      {
        title: { text: 'Each template: live agents of builds still wanted', fontSize: 13 },
        width: 600,
        height: 160,
        layer: [
          stepLines(
            Object.fromEntries(templates.map((name) => [name, timeline.livePodsByTemplate[name] ?? []])),
            colors([
              ...templates.map((name, index): [string, string] => [
                name,
                templateColors[index % templateColors.length] ?? palette.green,
              ]),
              ...templateCaps.map((cap): [string, string] => [capName(cap), palette.red]),
            ]),
            { x, y: 'live agents' },
            'right',
            headroom(highest(templateCaps, ...Object.values(timeline.livePodsByTemplate))),
          ),
          ...templateCaps.map((cap) => capRule(cap, capName(cap))),
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  });
}

// ---- from the results' JSON -------------------------------------------------------------------------

/** What the charts are drawn from: each part as its JSON file holds it, any part may be missing. */
export interface ChartSources {
  /** A bench run's `details` (bench/results/latest.json): the burst, cap and cold-start charts. */
  readonly bench?: unknown;
  /** bench/storm.ts's document (bench/results/storm-latest.json). */
  readonly storm?: unknown;
  /** The same, of a run with --faults (bench/results/storm-faults-latest.json). */
  readonly stormFaults?: unknown;
}

type Json = Readonly<Record<string, unknown>>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPoints = (value: unknown): value is Point[] =>
  Array.isArray(value) &&
  value.every((point) => Array.isArray(point) && point.length === 2 && point.every(isNumber));
const field = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (isObject(at) ? at[key] : undefined), value);

function burstData(burst: unknown): BurstChartData | undefined {
  const [pitcrew, raw] = [field(burst, 'series', 'pitcrew'), field(burst, 'series', 'raw')];
  const [builds, provisioners, concurrency] = ['builds', 'provisioners', 'concurrency'].map((key) =>
    field(burst, key),
  );
  if (!isPoints(pitcrew) || !isPoints(raw) || !isNumber(builds)) return undefined;
  if (!isNumber(provisioners) || !isNumber(concurrency)) return undefined;
  return { builds, provisioners, concurrency, pitcrew, raw };
}

function capData(cap: unknown): CapChartData | undefined {
  const [live, builds, value] = [field(cap, 'series', 'live'), field(cap, 'builds'), field(cap, 'cap')];
  return isPoints(live) && isNumber(builds) && isNumber(value) ? { builds, cap: value, live } : undefined;
}

const coldStartKeys = ['coldStartBytes', 'baselineBytes', 'initMs', 'baselineInitMs'] as const;

/** The functions with all four figures (the measure's details also hold other keys). */
function coldStartData(measured: unknown): ColdStartChartData | undefined {
  if (!isObject(measured)) return undefined;
  const functions: Record<string, ColdStartFigures> = {};
  for (const [fn, figures] of Object.entries(measured)) {
    if (!isObject(figures)) continue;
    const [coldStartBytes, baselineBytes, initMs, baselineInitMs] = coldStartKeys.map((key) => figures[key]);
    if (![coldStartBytes, baselineBytes, initMs, baselineInitMs].every(isNumber)) continue;
    const [source, loadedBytes, oneCiInitMs] = [
      field(figures, 'oneCi', 'largest'),
      field(figures, 'oneCi', 'loadedBytes'),
      field(figures, 'oneCi', 'initMs'),
    ];
    const oneCi =
      typeof source === 'string' && isNumber(loadedBytes) && isNumber(oneCiInitMs)
        ? { oneCi: { source, loadedBytes, initMs: oneCiInitMs } }
        : {};
    functions[fn] = { coldStartBytes, baselineBytes, initMs, baselineInitMs, ...oneCi } as ColdStartFigures;
  }
  return Object.keys(functions).length > 0 ? { functions } : undefined;
}

function stormData(document: unknown): StormChartData | undefined {
  const timeline = field(document, 'report', 'timeline');
  const [builds, seed] = [field(document, 'report', 'builds'), field(document, 'report', 'seed')];
  if (!isNumber(builds) || !isNumber(seed) || !isObject(timeline)) return undefined;
  const byTemplate = timeline.livePodsByTemplate;
  const complete =
    ['livePods', 'livePodsWithEnded', 'slots'].every((key) => isPoints(timeline[key])) &&
    isObject(byTemplate) &&
    Object.values(byTemplate).every(isPoints) &&
    isNumber(field(timeline, 'caps', 'global')) &&
    isObject(field(timeline, 'caps', 'templates'));
  if (!complete) return undefined;
  const faults = field(document, 'options', 'faults');
  return {
    builds,
    seed,
    faults: faults !== undefined && faults !== false,
    timeline: timeline as unknown as StormTimeline,
  };
}

/**
 * The charts `writeCharts` knows: its file, the source and (for a bench run) the measure it is
 * drawn from, what it needs from there, and how it is drawn.
 */
const charts: readonly {
  readonly file: string;
  readonly source: keyof ChartSources;
  readonly measure?: string;
  readonly needs: string;
  draw(data: unknown): Promise<string> | undefined;
}[] = [
  {
    file: 'bench-burst.svg',
    source: 'bench',
    measure: 'burst',
    needs: 'details.burst.series',
    draw: (data) => maybe(burstData(data), burstChart),
  },
  {
    file: 'bench-cap.svg',
    source: 'bench',
    measure: 'cap',
    needs: 'details.cap.series',
    draw: (data) => maybe(capData(data), capChart),
  },
  {
    file: 'bench-cold-start.svg',
    source: 'bench',
    measure: 'cold-start',
    needs: "details['cold-start'][fn] with coldStartBytes, baselineBytes, initMs, baselineInitMs",
    draw: (data) => maybe(coldStartData(data), coldStartChart),
  },
  {
    file: 'storm.svg',
    source: 'storm',
    needs: 'report.timeline',
    draw: (data) => maybe(stormData(data), stormChart),
  },
  {
    file: 'storm-faults.svg',
    source: 'stormFaults',
    needs: 'report.timeline',
    draw: (data) => maybe(stormData(data), stormChart),
  },
];

const maybe = <T>(data: T | undefined, chart: (data: T) => Promise<string>): Promise<string> | undefined =>
  data === undefined ? undefined : chart(data);

export interface WriteChartsOptions {
  /** Where the SVG files go. */
  readonly dir?: string;
  readonly say?: (line: string) => void;
  /**
   * Pass over in silence the charts of a bench measure that is not there at all (a bench run of
   * some measures draws only theirs); without it, each is named as skipped. A source not given
   * (`storm`, say) is always passed over in silence.
   */
  readonly onlyMeasured?: boolean;
}

/**
 * Draws every chart whose data the sources hold, and says which it wrote and which it skipped for
 * want of data. Returns the files written.
 */
export async function writeCharts(
  sources: ChartSources,
  options: WriteChartsOptions = {},
): Promise<string[]> {
  const dir = options.dir ?? 'docs/images';
  const say = options.say ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const written: string[] = [];
  for (const chart of charts) {
    const source = sources[chart.source];
    // A source not given at all: the caller drew something else.
    if (source === undefined) continue;
    const data = chart.measure === undefined ? source : field(source, chart.measure);
    if (data === undefined) {
      if (!options.onlyMeasured)
        say(`charts: skipped ${chart.file}: no ${chart.measure ?? chart.source} results`);
      continue;
    }
    const svg = await chart.draw(data);
    if (svg === undefined) {
      say(`charts: skipped ${chart.file}: the results have no ${chart.needs} (measured before the charts?)`);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    const file = join(dir, chart.file);
    writeFileSync(file, `${svg}\n`);
    written.push(file);
    say(`charts: wrote ${file}`);
  }
  return written;
}
