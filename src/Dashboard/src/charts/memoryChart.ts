// Memory: a doughnut of used / buffers / cached / free (latest sample) plus swap as text.
import { Chart } from 'chart.js';
import { el, setText } from '../dom';
import { formatBytes, formatPercent } from '../format';
import type { MemorySample } from '../types';
import { type ChartInput, chartBox, color, destroyChart, stat, track } from './common';

const SLICES: { label: string; key: keyof MemorySample; color: string }[] = [
  { label: 'Used', key: 'usedBytes', color: color(0) },
  { label: 'Buffers', key: 'buffersBytes', color: color(5) },
  { label: 'Cached', key: 'cachedBytes', color: color(2) },
  { label: 'Free', key: 'freeBytes', color: '#94a3b8' },
];

export class MemoryChart {
  private readonly chart: Chart<'doughnut', number[], string>;
  private readonly stats: Record<'used' | 'available' | 'total' | 'swap', HTMLElement>;

  constructor(container: HTMLElement) {
    const { box, canvas } = chartBox(200, { 'data-testid': 'memory-chart' });
    canvas.setAttribute('aria-label', 'Memory breakdown');
    this.chart = track(
      new Chart(canvas, {
        type: 'doughnut',
        data: {
          labels: SLICES.map((s) => s.label),
          datasets: [
            { data: SLICES.map(() => 0), backgroundColor: SLICES.map((s) => s.color), borderWidth: 2 },
          ],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          cutout: '62%',
          plugins: {
            legend: { position: 'right', labels: { boxWidth: 10, boxHeight: 10 } },
            tooltip: {
              callbacks: {
                label: (item) => {
                  const total = (item.dataset.data as number[]).reduce((a, b) => a + b, 0);
                  const v = item.parsed;
                  return `${item.label}: ${formatBytes(v)} (${formatPercent(total ? (v / total) * 100 : 0)})`;
                },
              },
            },
          },
        },
      }),
    );

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
    container.replaceChildren(row, box);
  }

  update({ samples }: ChartInput): void {
    const m = samples[samples.length - 1]?.memory;
    this.chart.data.datasets[0].data = SLICES.map((s) => (m ? Math.max(0, m[s.key]) : 0));
    this.chart.update('none');
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
    destroyChart(this.chart);
  }
}

function pct(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}
