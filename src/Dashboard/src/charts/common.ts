// Shared chart setup. Line charts are uPlot: an update is one setData on a laid-out canvas, where
// Chart.js re-fitted scales, ticks and legend on every update (6–12 ms per chart on our 2-core test
// machine against a 2 ms budget for a whole machine page: bench/README.md, "dashboard-perf.sh").
// x is epoch ms on a plain linear scale with our own tick labels; y is formatted with units on the
// axis and in the legend, which shows the values under the cursor. Gaps are null values: uPlot breaks
// the line there (spanGaps off). Colours come from CSS variables, re-read on a theme switch.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from '../dom';

import { formatAxisTime, formatClock } from '../format';
import { type Point, toSeries } from '../store';
import { THEME_CHANGED } from '../theme';
import type { Sample } from '../types';

/** Series colours; chosen to read on both light and dark backgrounds. */
export const PALETTE = [
  '#3b82f6',
  '#f97316',
  '#10b981',
  '#e11d48',
  '#a855f7',
  '#eab308',
  '#06b6d4',
  '#84cc16',
  '#ec4899',
  '#64748b',
];

export function color(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** #rrggbb + alpha → rgba(). */
export function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

interface ThemeColors {
  text: string;
  grid: string;
  surface: string;
}

function themeColors(): ThemeColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--sm-chart-text', '#6c757d'),
    grid: v('--sm-chart-grid', 'rgba(128,128,128,0.2)'),
    surface: v('--sm-surface', '#ffffff'),
  };
}

/** Anything drawn in theme colours: rebuilt or repainted when the theme changes. */
export interface Themed {
  retheme(): void;
}
const live = new Set<Themed>();

/** Re-reads the CSS variables into every live chart (call after a theme switch). */
export function refreshChartTheme(): void {
  for (const chart of live) chart.retheme();
}

// Charts load after the theme toggle is wired (with the first machine or compare page), so they listen for switches.
if (typeof document !== 'undefined') document.addEventListener(THEME_CHANGED, refreshChartTheme);

/** Keeps a chart themed on later switches. */
function track<T extends Themed>(chart: T): T {
  live.add(chart);
  return chart;
}

/** Creates a relatively positioned box of fixed height for a chart to fill. */
export function chartBox(
  height: number,
  attrs: Record<string, string> = {},
): { box: HTMLDivElement; host: HTMLDivElement } {
  const box = el('div', { ...attrs, class: 'sm-chart-box', role: 'img' });
  box.style.minHeight = `${height}px`; // CSSOM, not a style attribute: fine under a strict CSP
  const host = el('div', { class: 'sm-chart-host' });
  box.append(host);
  return { box, host };
}

/** Line style of one series. */
export interface LineStyle {
  color: string;
  width?: number;
  dash?: number[];
}

export interface LineSpec {
  label: string;
  data: Point[];
  style: LineStyle;
}

// ---- the time window every line chart shows, and selecting time on a chart ----

/** A fixed x window (history ranges), or null: each chart spans its data (live). */
let timeWindow: { fromMs: number; toMs: number } | null = null;

/** Pins every line chart's x axis to a window (the chosen range), or back to its data (null). */
export function setTimeWindow(window: { fromMs: number; toMs: number } | null): void {
  timeWindow = window;
}

export interface TimeSelectHandlers {
  /** A drag across a chart chose this window (zoom). */
  select(fromMs: number, toMs: number): void;
  /** A click on a chart chose this moment (e.g. the processes at that time). */
  pick(atMs: number): void;
}

let handlers: TimeSelectHandlers | null = null;

/** Where drags and clicks on any line chart go; null ignores them. */
export function setTimeSelectHandlers(h: TimeSelectHandlers | null): void {
  handlers = h;
}

/** Drags narrower than this are clicks. */
const MIN_DRAG_PX = 6;
/** Legend entries shown at most (a 64-core machine would otherwise list 65 lines). */
const MAX_LEGEND = 9;

/**
 * A time-series line chart: x = epoch ms, y formatted by `formatY` on the axis and in the legend.
 * The uPlot instance is built on the first data and rebuilt only when the set of series changes
 * (an interface appears) or the theme does; every other update is setData.
 */
export class LineChart implements Themed {
  private plot: uPlot | null = null;
  private labels = '';
  private specs: LineSpec[] = [];
  private xRange: [number, number] = [0, 1];
  private justSelected = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly formatY: (v: number) => string,
    private readonly y: { min?: number; max?: number; suggestedMax?: number } = {},
    private readonly height = 200,
    /** Draw the time axis; small charts under a bigger one leave it out (fewer labels to draw each second). */
    private readonly timeAxis = true,
  ) {
    new ResizeObserver(() => this.resize()).observe(host);
    track(this);
  }

  /** Replaces the series (matched by label) and redraws. */
  setData(specs: LineSpec[]): void {
    this.specs = specs;
    this.xRange = xRangeOf(specs);
    // Nothing to draw yet (a page opened before its first sample): build nothing. Building now would
    // be thrown away, since the first samples bring the series' real names (one per core, interface).
    if (!this.plot && specs.every((s) => s.data.length === 0)) return;
    const labels = specs.map((s) => s.label).join('\u0000');
    if (!this.plot || labels !== this.labels) {
      this.labels = labels;
      this.build();
      return;
    }
    this.plot.setData(columns(specs), false);
    this.plot.setScale('x', { min: this.xRange[0], max: this.xRange[1] });
  }

  retheme(): void {
    if (this.plot) this.build();
  }

  destroy(): void {
    live.delete(this);
    this.plot?.destroy();
    this.plot = null;
  }

  private width(): number {
    return Math.max(100, Math.floor(this.host.clientWidth || this.host.parentElement?.clientWidth || 400));
  }

  private resize(): void {
    if (this.plot && Math.abs(this.plot.width - this.width()) >= 1)
      this.plot.setSize({ width: this.width(), height: this.height });
  }

  private build(): void {
    this.plot?.destroy();
    const c = themeColors();
    const formatY = this.formatY;
    const y = this.y;
    const axis = {
      stroke: c.text,
      grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const opts: uPlot.Options = {
      width: this.width(),
      height: this.height,
      pxAlign: false,
      legend: { live: true, markers: { width: 2 } },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 5 } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: () => this.xRange },
        y: {
          range: (_u, _min, max) => {
            if (y.min !== undefined && y.max !== undefined) return [y.min, y.max];
            const top = Math.max(Number.isFinite(max) ? max : 0, y.suggestedMax ?? 0);
            return [0, top > 0 ? top * 1.08 : 1];
          },
        },
      },
      axes: [
        {
          ...axis,
          show: this.timeAxis,
          space: 70,
          values: (u, splits) => splits.map((v) => formatAxisTime(v, span(u))),
        },
        {
          ...axis,
          space: 30,
          values: (_u, splits) => splits.map((v) => formatY(v)),
          // Wide enough for the longest label ("977 KiB/s", "100%"), in characters of the 11 px font (digits and % are wider than 6.5 px).
          size: (_u, values) => 20 + 7.5 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
        },
      ],
      series: [
        { label: 'Time', value: (_u, v) => (v == null ? '–' : formatClock(v)) },
        ...this.specs.map((s, i) => ({
          label: s.label,
          stroke: s.style.color,
          width: s.style.width ?? 1.5,
          dash: s.style.dash,
          spanGaps: false,
          points: { show: false },
          show: true,
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatY(v)),
          // Only the first few series get a legend entry (CSS hides the rest).
          class: i >= MAX_LEGEND ? 'sm-legend-hidden' : undefined,
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width >= MIN_DRAG_PX && handlers) {
              const from = u.posToVal(u.select.left, 'x');
              const to = u.posToVal(u.select.left + u.select.width, 'x');
              this.justSelected = true;
              handlers.select(Math.round(from), Math.round(to));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    const plot = new uPlot(opts, columns(this.specs), this.host);
    plot.over.addEventListener('click', () => {
      if (this.justSelected) {
        this.justSelected = false;
        return;
      }
      const left = plot.cursor.left;
      if (handlers && left !== undefined && left >= 0) handlers.pick(Math.round(plot.posToVal(left, 'x')));
    });
    this.plot = plot;
  }
}

function span(u: uPlot): number {
  const { min, max } = u.scales.x;
  return min !== undefined && max !== undefined ? max - min : 0;
}

/** The series as uPlot's aligned columns: the first series' x values, then each series' y values. */
function columns(specs: readonly LineSpec[]): uPlot.AlignedData {
  const first = specs[0]?.data ?? [];
  const xs = first.map((p) => p.x);
  return [xs, ...specs.map((s) => s.data.map((p) => p.y))] as uPlot.AlignedData;
}

/** The x window: the chosen range's, or the data's (the last minute when there is none). */
function xRangeOf(specs: readonly LineSpec[]): [number, number] {
  if (timeWindow) return [timeWindow.fromMs, timeWindow.toMs];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of specs) {
    if (s.data.length === 0) continue;
    min = Math.min(min, s.data[0].x);
    max = Math.max(max, s.data[s.data.length - 1].x);
  }
  if (!Number.isFinite(max)) max = Date.now();
  if (!Number.isFinite(min) || min >= max) min = max - 60_000;
  return [min, max];
}

/** What every chart module's update() gets: the machine's samples, oldest first, laid out once. */
export interface ChartInput {
  samples: readonly Sample[];
  /** timeline(samples, intervalMs): shared so every series lines up index by index. */
  line: readonly (number | null)[];
  intervalMs: number;
}

/** One of the two lines a device gets: the label suffix and the value it plots. */
export type DeviceLine<D> = readonly [suffix: string, value: (device: D) => number];

/**
 * Two lines per device, one colour each, the first solid and the second dashed (disk read/write,
 * interface rx/tx); devices in order of first appearance, since they come and go.
 */
export function setPairedLines<D>(
  chart: LineChart,
  { samples, line, intervalMs }: ChartInput,
  devices: (s: Sample) => readonly D[],
  nameOf: (device: D) => string,
  solid: DeviceLine<D>,
  dashed: DeviceLine<D>,
): void {
  const names = namesInOrder(samples, (s) => devices(s).map(nameOf));
  const series = (name: string, [, value]: DeviceLine<D>) =>
    toSeries(
      samples,
      (s) => {
        const device = devices(s).find((d) => nameOf(d) === name);
        return device === undefined ? undefined : value(device);
      },
      intervalMs,
      line,
    );
  chart.setData(
    names.flatMap((name, i) => [
      {
        label: `${name} ${solid[0]}`,
        data: series(name, solid),
        style: { color: color(i) },
      },
      {
        label: `${name} ${dashed[0]}`,
        data: series(name, dashed),
        style: { color: color(i), dash: [5, 3] },
      },
    ]),
  );
}

/** A small "label value" pair for the stats row under a chart. */
export function stat(label: string): { node: HTMLElement; value: HTMLElement } {
  const node = el('span', { class: 'sm-stat' });
  const value = el('span', { class: 'sm-stat-value' });
  node.append(el('span', { class: 'sm-stat-label' }, label), value);
  return { node, value };
}

/** Names in order of first appearance across the samples (interfaces and disks come and go). */
export function namesInOrder<S>(samples: readonly S[], names: (s: S) => readonly string[]): string[] {
  const seen = new Set<string>();
  for (const s of samples) for (const n of names(s)) seen.add(n);
  return [...seen];
}

/** A small table: header labels and rows of cells (strings become text; nodes are appended). */
export function smallTable(headers: readonly { label: string; className?: string }[]): {
  table: HTMLTableElement;
  body: HTMLTableSectionElement;
} {
  const table = el('table', { class: 'table table-sm align-middle mb-0 sm-small-table' });
  const tr = el('tr');
  for (const h of headers) tr.append(el('th', { scope: 'col', class: h.className }, h.label));
  const head = el('thead');
  head.append(tr);
  const body = el('tbody');
  table.append(head, body);
  return { table, body };
}
