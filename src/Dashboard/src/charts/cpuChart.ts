// CPU: total % (bold) and one thin line per logical core, plus user/system/iowait/steal, load
// averages (numbers and a chart over time) and frequency (average, slowest and fastest core).
// Test hooks: the chart's wrapper has data-testid="cpu-chart" (the load chart's "load-chart") and
// data-points = number of points in the total-CPU dataset (gap markers included) and data-gaps =
// how many of them are gap markers (breaks where no sample came), updated on every redraw.
import { el, setText } from '../dom';
import { formatPercent } from '../format';
import { toSeries } from '../store';
import type { Sample } from '../types';
import { alpha, type ChartInput, chartBox, color, LineChart, stat } from './common';

/** Per-core lines beyond this many are not drawn (the total still covers every core). */
const MAX_CORE_LINES = 64;

export class CpuChart {
  private readonly chart: LineChart;
  private readonly box: HTMLDivElement;
  private readonly load: LineChart;
  private readonly loadBox: HTMLDivElement;
  private readonly stats: Record<
    'total' | 'user' | 'system' | 'iowait' | 'steal' | 'load' | 'freq',
    HTMLElement
  >;

  constructor(container: HTMLElement) {
    const { box, host } = chartBox(220, { 'data-testid': 'cpu-chart', 'data-points': '0' });
    box.setAttribute('aria-label', 'CPU usage over time');
    this.box = box;
    this.chart = new LineChart(host, (v) => formatPercent(v, 0), { min: 0, max: 100 });

    const row = el('div', { class: 'sm-stats' });
    const make = (label: string) => {
      const s = stat(label);
      row.append(s.node);
      return s.value;
    };
    this.stats = {
      total: make('Total'),
      user: make('User'),
      system: make('System'),
      iowait: make('I/O wait'),
      steal: make('Steal'),
      load: make('Load'),
      freq: make('Freq'),
    };
    // Load averages over time: the run queue that CPU % alone hides (I/O waits, more threads than cores).
    const load = chartBox(120, { 'data-testid': 'load-chart', 'aria-label': 'Load average over time' });
    this.load = new LineChart(load.host, (v) => v.toFixed(2), { min: 0 }, 120, false);
    this.loadBox = load.box;
    container.replaceChildren(row, box, load.box);
  }

  update({ samples, line, intervalMs }: ChartInput): void {
    const latest = samples[samples.length - 1];
    const total = toSeries(samples, (s) => s.cpu.totalPercent, intervalMs, line);
    const cores = Math.min(latest?.cpu.corePercent.length ?? 0, MAX_CORE_LINES);
    const specs = [{ label: 'Total', data: total, style: { color: color(0), width: 2.5 } }];
    for (let c = 0; c < cores; c++) {
      const hue = color(c + 1);
      specs.push({
        label: `cpu${c}`,
        data: toSeries(samples, (s) => s.cpu.corePercent[c], intervalMs, line),
        style: { color: alpha(hue, 0.55), width: 1 },
      });
    }
    this.chart.setData(specs);
    const load1 = toSeries(samples, (s) => s.cpu.load1m, intervalMs, line);
    this.load.setData([
      { label: 'Load 1 min', data: load1, style: { color: color(0), width: 2 } },
      {
        label: '5 min',
        data: toSeries(samples, (s) => s.cpu.load5m, intervalMs, line),
        style: { color: color(1), width: 1.5 },
      },
      {
        label: '15 min',
        data: toSeries(samples, (s) => s.cpu.load15m, intervalMs, line),
        style: { color: color(2), width: 1.5 },
      },
    ]);
    this.loadBox.setAttribute('data-points', String(load1.length));
    this.box.setAttribute('data-points', String(total.length));
    let gaps = 0;
    for (const p of total) if (p.y === null) gaps++;
    this.box.setAttribute('data-gaps', String(gaps));

    const cpu = latest?.cpu;
    setText(this.stats.total, cpu ? formatPercent(cpu.totalPercent) : '–');
    setText(this.stats.user, cpu ? formatPercent(cpu.userPercent) : '–');
    setText(this.stats.system, cpu ? formatPercent(cpu.systemPercent) : '–');
    setText(this.stats.iowait, cpu ? formatPercent(cpu.iowaitPercent) : '–');
    setText(this.stats.steal, cpu ? formatPercent(cpu.stealPercent) : '–');
    setText(
      this.stats.load,
      cpu ? [cpu.load1m, cpu.load5m, cpu.load15m].map((l) => l.toFixed(2)).join(' ') : '–',
    );
    setText(this.stats.freq, formatFrequency(cpu));
  }

  destroy(): void {
    this.chart.destroy();
    this.load.destroy();
  }
}

/** "2.40 GHz (1.20–3.10)": the average clock and the slowest and fastest core; "–" where unknown. Pure. */
export function formatFrequency(
  cpu: Pick<Sample['cpu'], 'frequencyAvgMhz' | 'frequencyMinMhz' | 'frequencyMaxMhz'> | undefined,
): string {
  if (!cpu || !(cpu.frequencyAvgMhz > 0)) return '–';
  const ghz = (mhz: number) => (mhz / 1000).toFixed(2);
  const spread = cpu.frequencyMaxMhz > cpu.frequencyMinMhz && cpu.frequencyMinMhz > 0;
  return spread
    ? `${ghz(cpu.frequencyAvgMhz)} GHz (${ghz(cpu.frequencyMinMhz)}–${ghz(cpu.frequencyMaxMhz)})`
    : `${ghz(cpu.frequencyAvgMhz)} GHz`;
}
