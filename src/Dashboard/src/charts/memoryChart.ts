// Memory: a doughnut of used / buffers / cached / free (latest sample) plus swap as text. The doughnut
// is four SVG circles whose dash lengths are the shares: an update sets four attributes, with no chart
// library, and the colours are CSS, so themes need nothing. Each slice has a <title> with bytes and %.
import { el, setText } from '../dom';
import { formatBytes, formatPercent } from '../format';
import { toSeries } from '../store';
import type { MemorySample } from '../types';
import { type ChartInput, chartBox, color, LineChart, stat } from './common';

const SLICES: { label: string; key: keyof MemorySample; color: string }[] = [
  { label: 'Used', key: 'usedBytes', color: color(0) },
  { label: 'Buffers', key: 'buffersBytes', color: color(5) },
  { label: 'Cached', key: 'cachedBytes', color: color(2) },
  { label: 'Free', key: 'freeBytes', color: '#94a3b8' },
];

const SVG = 'http://www.w3.org/2000/svg';
const RADIUS = 15.9155; // circumference 100: dash lengths are percentages
const STROKE = 6;

/** The shares of each slice in percent, summing to 100 (all 0 without memory figures). Pure. */
export function memoryShares(m: MemorySample | undefined): number[] {
  const values = SLICES.map((s) => (m ? Math.max(0, Number(m[s.key]) || 0) : 0));
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (total > 0 ? (v / total) * 100 : 0));
}

export class MemoryChart {
  private readonly arcs: SVGCircleElement[] = [];
  private readonly titles: SVGTitleElement[] = [];
  private readonly legend: HTMLElement[] = [];
  private readonly stats: Record<'used' | 'available' | 'total' | 'swap', HTMLElement>;
  private readonly trend: LineChart;
  private readonly trendBox: HTMLDivElement;

  constructor(container: HTMLElement) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 42 42');
    svg.setAttribute('class', 'sm-doughnut');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Memory breakdown');
    for (const slice of SLICES) {
      const arc = document.createElementNS(SVG, 'circle');
      arc.setAttribute('cx', '21');
      arc.setAttribute('cy', '21');
      arc.setAttribute('r', String(RADIUS));
      arc.setAttribute('fill', 'none');
      arc.setAttribute('stroke', slice.color);
      arc.setAttribute('stroke-width', String(STROKE));
      arc.setAttribute('stroke-dasharray', '0 100');
      const title = document.createElementNS(SVG, 'title');
      arc.append(title);
      svg.append(arc);
      this.arcs.push(arc);
      this.titles.push(title);
    }
    const legend = el('ul', { class: 'sm-doughnut-legend list-unstyled small mb-0' });
    for (const slice of SLICES) {
      const item = el('li');
      const swatch = el('span', { class: 'sm-swatch', 'aria-hidden': 'true' });
      swatch.style.background = slice.color;
      const value = el('span', { class: 'sm-muted ms-1' });
      item.append(swatch, document.createTextNode(slice.label), value);
      legend.append(item);
      this.legend.push(value);
    }
    const box = el('div', { class: 'sm-doughnut-box', 'data-testid': 'memory-chart' });
    box.append(svg, legend);
    // Over time: used and cache as a share of RAM, swap as a share of swap (a leak climbs; swapping shows).
    const trend = chartBox(130, {
      'data-testid': 'memory-trend',
      'aria-label': 'Memory and swap use over time',
    });
    this.trend = new LineChart(trend.host, (v) => formatPercent(v, 0), { min: 0, max: 100 }, 130, false);
    this.trendBox = trend.box;

    const row = el('div', { class: 'sm-stats' });
    const make = (label: string) => {
      const s = stat(label);
      row.append(s.node);
      return s.value;
    };
    this.stats = {
      used: make('Used'),
      available: make('Available'),
      total: make('Total'),
      swap: make('Swap'),
    };
    container.replaceChildren(row, box, this.trendBox);
  }

  update({ samples, line, intervalMs }: ChartInput): void {
    const used = toSeries(samples, (s) => pct(s.memory.usedBytes, s.memory.totalBytes), intervalMs, line);
    this.trend.setData([
      { label: 'Used', data: used, style: { color: SLICES[0].color, width: 2 } },
      {
        label: 'Buffers + cache',
        data: toSeries(
          samples,
          (s) => pct(s.memory.buffersBytes + s.memory.cachedBytes, s.memory.totalBytes),
          intervalMs,
          line,
        ),
        style: { color: SLICES[2].color, width: 1.5 },
      },
      {
        label: 'Swap',
        data: toSeries(
          samples,
          (s) => pct(s.memory.swapUsedBytes, s.memory.swapTotalBytes),
          intervalMs,
          line,
        ),
        style: { color: '#e11d48', width: 1.5, dash: [4, 3] },
      },
    ]);
    this.trendBox.setAttribute('data-points', String(used.length));
    const m = samples[samples.length - 1]?.memory;
    const shares = memoryShares(m);
    let offset = 25; // start at 12 o'clock
    shares.forEach((share, i) => {
      this.arcs[i].setAttribute('stroke-dasharray', `${share.toFixed(3)} ${(100 - share).toFixed(3)}`);
      this.arcs[i].setAttribute('stroke-dashoffset', offset.toFixed(3));
      offset -= share;
      const bytes = m ? Number(m[SLICES[i].key]) || 0 : 0;
      setText(this.titles[i], `${SLICES[i].label}: ${formatBytes(bytes)} (${formatPercent(share)})`);
      setText(this.legend[i], m ? formatPercent(share, 0) : '');
    });
    if (!m) return;
    setText(
      this.stats.used,
      `${formatBytes(m.usedBytes)} (${formatPercent(pct(m.usedBytes, m.totalBytes))})`,
    );
    setText(this.stats.available, formatBytes(m.availableBytes));
    setText(this.stats.total, formatBytes(m.totalBytes));
    setText(
      this.stats.swap,
      m.swapTotalBytes > 0
        ? `${formatBytes(m.swapUsedBytes)} of ${formatBytes(m.swapTotalBytes)} (${formatPercent(pct(m.swapUsedBytes, m.swapTotalBytes))})`
        : 'none',
    );
  }

  destroy(): void {
    this.trend.destroy();
  }
}

function pct(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}
