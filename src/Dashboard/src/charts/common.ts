// Shared Chart.js setup: registers only the parts the dashboard uses (no chart.js/auto), the
// performance options Chart.js recommends (animation off, parsing off, normalized data), a
// linear x axis in epoch ms with a clock-time tick formatter (no date adapter), and theming
// from CSS variables.
import {
  ArcElement,
  Chart,
  type ChartDataset,
  type ChartOptions,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  type ScriptableContext,
  Tooltip,
} from 'chart.js';
import { el } from '../dom';
import { formatAxisTime, formatClock } from '../format';
import { type Point, toSeries } from '../store';
import type { Sample } from '../types';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  DoughnutController,
  ArcElement,
  Tooltip,
  Legend,
);

export type LineChart = Chart<'line', Point[]>;
export type LineDataset = ChartDataset<'line', Point[]>;

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

// biome-ignore lint/suspicious/noExplicitAny: charts of every type are themed alike.
const live = new Set<Chart<any, any, any>>();

// biome-ignore lint/suspicious/noExplicitAny: see live.
function applyTheme(chart: Chart<any, any, any>, c: ThemeColors): void {
  const o = chart.options as ChartOptions<'line'>;
  for (const axis of Object.values(o.scales ?? {})) {
    if (!axis) continue;
    if (axis.ticks) axis.ticks.color = c.text;
    if (axis.grid) axis.grid.color = c.grid;
    if ('border' in axis && axis.border) axis.border.color = c.grid;
  }
  if (o.plugins?.legend?.labels) o.plugins.legend.labels.color = c.text;
  if ((chart.config as { type?: string }).type === 'doughnut') {
    for (const ds of chart.data.datasets) (ds as ChartDataset<'doughnut'>).borderColor = c.surface;
  }
}

/** Re-reads the CSS variables into every live chart (call after a theme switch). */
export function refreshChartTheme(): void {
  const c = themeColors();
  for (const chart of live) {
    applyTheme(chart, c);
    chart.update('none');
  }
}

/** Creates a relatively positioned box of fixed height holding a canvas. */
export function chartBox(
  height: number,
  attrs: Record<string, string> = {},
): { box: HTMLDivElement; canvas: HTMLCanvasElement } {
  const box = el('div', { ...attrs, class: 'sm-chart-box' });
  box.style.height = `${height}px`; // CSSOM, not a style attribute: fine under a strict CSP
  const canvas = el('canvas', { role: 'img' });
  box.append(canvas);
  return { box, canvas };
}

function isolatedPointRadius(ctx: ScriptableContext<'line'>): number {
  const data = ctx.dataset?.data as Point[] | undefined;
  const i = ctx.dataIndex;
  if (!data || data[i]?.y == null) return 0;
  return data[i - 1]?.y == null && data[i + 1]?.y == null ? 2 : 0;
}

/**
 * A time-series line chart: x = epoch ms (linear scale, HH:MM:SS ticks), y formatted by
 * `formatY` on the axis and in tooltips.
 */
export function createLineChart(
  canvas: HTMLCanvasElement,
  formatY: (v: number) => string,
  y: { min?: number; max?: number; suggestedMax?: number } = {},
): LineChart {
  // Tick callbacks run during construction too, before `chart` is assigned.
  let self: LineChart | undefined;
  const chart: LineChart = new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      elements: {
        // Points are hidden except a lone sample between gaps, which would otherwise be invisible.
        point: { radius: isolatedPointRadius, hitRadius: 6 },
        line: { borderWidth: 1.5, tension: 0 },
      },
      datasets: { line: { spanGaps: false } },
      scales: {
        x: {
          type: 'linear',
          ticks: {
            maxTicksLimit: 6,
            maxRotation: 0,
            includeBounds: false,
            callback: (v) => formatAxisTime(Number(v), span(self)),
          },
          grid: {},
        },
        y: {
          type: 'linear',
          beginAtZero: true,
          min: y.min,
          max: y.max,
          suggestedMax: y.suggestedMax,
          ticks: { maxTicksLimit: 5, callback: (v) => formatY(Number(v)) },
          grid: {},
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? formatClock(items[0].parsed.x ?? Number.NaN) : ''),
            label: (item) =>
              item.parsed.y == null ? '' : `${item.dataset.label ?? ''}: ${formatY(item.parsed.y)}`,
          },
        },
      },
    },
  });
  self = chart;
  attachTimeSelect(chart, canvas);
  return track(chart);
}

function span(chart: LineChart | undefined): number {
  const x = chart?.options.scales?.x;
  return x && typeof x.max === 'number' && typeof x.min === 'number' ? x.max - x.min : 0;
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

/**
 * Pointer handling shared by every line chart: a drag paints a band over the plot and selects its
 * time window on release; a click picks the moment under the pointer. Uses the chart's own x scale
 * (epoch ms), so it works for any chart whatever its series.
 */
function attachTimeSelect(chart: LineChart, canvas: HTMLCanvasElement): void {
  let startX: number | null = null;
  let band: HTMLDivElement | null = null;
  const xOf = (e: PointerEvent) => {
    const area = chart.chartArea;
    const r = canvas.getBoundingClientRect();
    return Math.min(Math.max(e.clientX - r.left, area.left), area.right);
  };
  const clear = () => {
    band?.remove();
    band = null;
    startX = null;
  };
  canvas.addEventListener('pointerdown', (e) => {
    if (!handlers || e.button !== 0) return;
    startX = xOf(e);
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (startX === null) return;
    const x = xOf(e);
    if (Math.abs(x - startX) < MIN_DRAG_PX) return;
    if (!band) {
      band = el('div', { class: 'sm-zoom-band', 'aria-hidden': 'true' });
      canvas.parentElement?.append(band);
    }
    const area = chart.chartArea;
    band.style.left = `${Math.min(x, startX)}px`;
    band.style.width = `${Math.abs(x - startX)}px`;
    band.style.top = `${area.top}px`;
    band.style.height = `${area.bottom - area.top}px`;
  });
  canvas.addEventListener('pointerup', (e) => {
    if (startX === null || !handlers) return clear();
    const x = xOf(e);
    const scale = chart.scales.x;
    const a = scale.getValueForPixel(Math.min(x, startX));
    const b = scale.getValueForPixel(Math.max(x, startX));
    const dragged = Math.abs(x - startX) >= MIN_DRAG_PX;
    clear();
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return;
    if (dragged) handlers.select(Math.round(a), Math.round(b));
    else handlers.pick(Math.round(a));
  });
  canvas.addEventListener('pointercancel', clear);
}

/** Applies the current theme to a chart and keeps it themed on later switches. */
// biome-ignore lint/suspicious/noExplicitAny: see live.
export function track<T extends Chart<any, any, any>>(chart: T): T {
  applyTheme(chart, themeColors());
  live.add(chart);
  return chart;
}

// biome-ignore lint/suspicious/noExplicitAny: see live.
export function destroyChart(chart: Chart<any, any, any>): void {
  live.delete(chart);
  chart.destroy();
}

/**
 * Makes chart.data.datasets match `specs` by label, reusing dataset objects (so colours and
 * hidden-state from legend clicks survive redraws), then pins the x range to the data.
 */
export function setLineData(
  chart: LineChart,
  specs: { label: string; data: Point[]; style: Partial<LineDataset> }[],
): void {
  const old = new Map(chart.data.datasets.map((d) => [d.label, d]));
  chart.data.datasets = specs.map((s) => {
    const ds = old.get(s.label) ?? ({ label: s.label, ...s.style } as LineDataset);
    ds.data = s.data;
    return ds;
  });
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of specs) {
    if (s.data.length === 0) continue;
    min = Math.min(min, s.data[0].x);
    max = Math.max(max, s.data[s.data.length - 1].x);
  }
  const x = chart.options.scales?.x;
  if (x && timeWindow) {
    // A history range shows its whole window: time without data at either end is visibly empty.
    x.min = timeWindow.fromMs;
    x.max = timeWindow.toMs;
  } else if (x) {
    // No data: the last minute; one sample: the minute before it.
    if (!Number.isFinite(max)) max = Date.now();
    if (!Number.isFinite(min) || min >= max) min = max - 60_000;
    x.min = min;
    x.max = max;
  }
  chart.update('none');
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
  setLineData(
    chart,
    names.flatMap((name, i) => [
      {
        label: `${name} ${solid[0]}`,
        data: series(name, solid),
        style: { borderColor: color(i), backgroundColor: color(i) },
      },
      {
        label: `${name} ${dashed[0]}`,
        data: series(name, dashed),
        style: { borderColor: color(i), backgroundColor: color(i), borderDash: [5, 3] },
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

export type Cell = string | { text: string; className?: string; title?: string } | Node;

export function fillRows(
  body: HTMLTableSectionElement,
  rows: readonly Cell[][],
  classes: readonly (string | undefined)[],
): void {
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = el('tr');
      cells.forEach((c, i) => {
        const td = el('td', { class: classes[i] });
        if (typeof c === 'string') td.textContent = c;
        else if (c instanceof Node) td.append(c);
        else {
          td.textContent = c.text;
          if (c.className) td.className = `${td.className} ${c.className}`.trim();
          if (c.title) td.title = c.title;
        }
        tr.append(td);
      });
      return tr;
    }),
  );
}
