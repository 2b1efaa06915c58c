// The page of one machine: header (hostname, facts, liveness) and one card per metric family.
// Test hooks: the hostname is in data-testid="machine-title"; the range buttons are
// [data-range="live|15m|1h|24h|7d"] (aria-pressed), the range status line data-testid="range-note",
// the process caption data-testid="process-caption"; the charts and the process table carry their
// own hooks (see charts/cpuChart.ts and processTable.ts).
import type { ChartInput } from './charts/common';
import { CpuChart } from './charts/cpuChart';
import { DiskChart } from './charts/diskChart';
import { MemoryChart } from './charts/memoryChart';
import { NetworkChart } from './charts/networkChart';
import { SensorsCard } from './charts/sensorsCard';
import { el, setText } from './dom';
import { formatAgo, formatBytes, formatClock, formatCount, formatDuration } from './format';
import {
  exportFileName,
  exportLinks,
  type ProcessSnapshot,
  RANGES,
  type RangeName,
  rangeLabel,
  type TimeRange,
} from './history';
import { ProcessTable, watchedLabels } from './processTable';
import { expectedIntervalMs, timeline } from './store';
import type { Machine, Sample, SampleBody } from './types';

function card(title: string, col: string): { col: HTMLElement; body: HTMLElement } {
  const c = el('div', { class: col });
  const k = el('div', { class: 'card h-100 sm-card' });
  const body = el('div', { class: 'card-body' });
  k.append(el('div', { class: 'card-header fw-semibold' }, title), body);
  c.append(k);
  return { col: c, body };
}

export class MachinePage {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly live: HTMLElement;
  private readonly cpu: CpuChart;
  private readonly memory: MemoryChart;
  private readonly network: NetworkChart;
  private readonly disk: DiskChart;
  private readonly processes: ProcessTable;
  private readonly sensors: SensorsCard;
  private readonly processCount: HTMLElement;
  /** The processes the agent is told to watch: green while running, red when none runs. */
  private readonly watched: HTMLElement;
  private machineId = '';
  private machine: Machine | undefined;
  private latest: Sample | undefined;
  private readonly rangeButtons = new Map<string, HTMLButtonElement>();
  private readonly rangeNote: HTMLElement;
  /** Set while the page shows history: the processes table then shows a snapshot, not the live top N. */
  private historyMode = false;
  private range: TimeRange = { name: 'live' };
  /** The charts, by their card: each is redrawn only while its card is on screen (see render). */
  private readonly charts = new Map<
    Element,
    { update(input: ChartInput): void; stale: boolean; shown: boolean }
  >();
  private input: ChartInput | null = null;

  constructor(container: HTMLElement, onRange: (range: TimeRange) => void = () => {}) {
    this.title = el('h1', {
      class: 'h4 mb-0 text-truncate',
      'data-testid': 'machine-title',
      id: 'machine-title',
    });
    this.badge = el('span', { class: 'badge', id: 'machine-online' });
    const head = el('div', { class: 'd-flex align-items-center gap-2 flex-wrap' });
    head.append(this.title, this.badge);
    this.facts = el('div', { class: 'small sm-muted mt-1', id: 'machine-facts' });
    this.live = el('div', { class: 'small sm-muted', id: 'machine-live', 'aria-live': 'off' });
    const ranges = el('div', { class: 'btn-group btn-group-sm', role: 'group', 'aria-label': 'Time range' });
    for (const name of RANGES) {
      const b = el(
        'button',
        { type: 'button', class: 'btn btn-outline-primary', 'data-range': name },
        rangeLabel({ name }),
      );
      b.addEventListener('click', () => onRange({ name: name as RangeName }));
      ranges.append(b);
      this.rangeButtons.set(name, b);
    }
    this.rangeNote = el('span', { class: 'small sm-muted', 'data-testid': 'range-note', role: 'status' });
    // Downloads of what the charts show; the link is filled in when clicked, so it names the window of that moment.
    const exports = el('div', {
      class: 'btn-group btn-group-sm ms-auto',
      role: 'group',
      'aria-label': 'Export',
    });
    for (const kind of ['csv', 'json'] as const) {
      const link = el(
        'a',
        { class: 'btn btn-outline-secondary', 'data-testid': `export-${kind}`, href: '#', download: '' },
        kind.toUpperCase(),
      );
      link.title = `Download what the charts show as ${kind.toUpperCase()}`;
      link.addEventListener('click', () => {
        const now = Date.now();
        link.href = exportLinks(this.machineId, this.range, now)[kind];
        link.download = exportFileName(this.machineId, this.range, now, kind);
      });
      exports.append(link);
    }
    const rangeRow = el('div', { class: 'd-flex flex-wrap align-items-center gap-2 mt-2' });
    rangeRow.append(ranges, this.rangeNote, exports);
    const header = el('header', { class: 'mb-3' });
    header.append(head, this.facts, this.live, rangeRow);

    const grid = el('div', { class: 'row g-3' });
    const cpu = card('CPU', 'col-12 col-xxl-6');
    const mem = card('Memory', 'col-12 col-md-6 col-xxl-6');
    const net = card('Network', 'col-12 col-md-6 col-xxl-6');
    const disk = card('Disks and filesystems', 'col-12 col-xxl-6');
    const sensors = card('Sensors and GPUs', 'col-12 col-xxl-6');
    const proc = card('Top processes', 'col-12');
    grid.append(cpu.col, mem.col, net.col, disk.col, sensors.col, proc.col);
    this.sensors = new SensorsCard(sensors.col, sensors.body);
    this.cpu = new CpuChart(cpu.body);
    this.memory = new MemoryChart(mem.body);
    this.network = new NetworkChart(net.body);
    this.disk = new DiskChart(disk.body);
    this.watchCharts([
      [cpu.col, this.cpu],
      [mem.col, this.memory],
      [net.col, this.network],
      [disk.col, this.disk],
    ]);
    this.processCount = el('div', { class: 'small sm-muted mb-2', 'data-testid': 'process-caption' });
    this.watched = el('div', {
      class: 'd-flex flex-wrap gap-1 mb-2',
      'data-testid': 'watched-processes',
      hidden: true,
    });
    const tableBox = el('div', { class: 'table-responsive' });
    proc.body.append(this.processCount, this.watched, tableBox);
    this.processes = new ProcessTable(tableBox);

    this.element = el('div', { id: 'machine-page' });
    this.element.append(header, grid);
    container.replaceChildren(this.element);
  }

  /** Switches to another machine (its samples follow with render()). */
  show(machineId: string, machine: Machine | undefined): void {
    this.machineId = machineId;
    this.latest = undefined;
    this.setMachine(machine);
  }

  /** Updates the header from GET api/machines. */
  setMachine(machine: Machine | undefined): void {
    this.machine = machine;
    const m = machine;
    setText(this.title, m?.hostname || this.machineId);
    document.title = `${m?.hostname || this.machineId} · SysMon`;
    const state = !m ? 'unknown' : m.online ? 'online' : 'offline';
    setText(this.badge, state);
    this.badge.className = `badge ${state === 'online' ? 'text-bg-success' : state === 'offline' ? 'text-bg-secondary' : 'text-bg-light'}`;
    const parts = m
      ? [
          m.os,
          m.kernelVersion && `kernel ${m.kernelVersion}`,
          m.architecture,
          m.cpuModel &&
            `${m.cpuModel} (${m.logicalCores} threads${m.physicalCores ? `, ${m.physicalCores} cores` : ''})`,
          m.memoryTotalBytes > 0 && `${formatBytes(m.memoryTotalBytes)} RAM`,
          m.agentVersion && `agent ${m.agentVersion}`,
          m.tags.length > 0 && `tags ${m.tags.join(', ')}`,
        ]
      : [`id ${this.machineId}`];
    setText(this.facts, parts.filter(Boolean).join(' · '));
    this.renderLive();
  }

  /**
   * Redraws every chart and the table from the machine's samples, sorted by timestamp (oldest
   * first). The header numbers and the process table show the last one: the newest by timestamp,
   * which replayed history (backfill) never is unless nothing newer is stored.
   */
  render(samples: readonly Sample[]): void {
    const intervalMs = expectedIntervalMs(samples);
    const input = { samples, line: timeline(samples, intervalMs), intervalMs };
    this.input = input;
    for (const chart of this.charts.values()) {
      if (chart.shown) {
        chart.update(input);
        chart.stale = false;
      } else {
        chart.stale = true;
      }
    }
    if (this.historyMode) return;
    const latest = samples[samples.length - 1];
    this.latest = latest;
    this.sensors.update(latest);
    this.processes.update(latest?.processes ?? []);
    setText(
      this.processCount,
      latest
        ? `${formatCount(latest.processCount)} processes; top ${Math.min(10, latest.processes.length)} shown`
        : '',
    );
    this.showWatched(latest?.watchedProcesses);
    this.renderLive();
  }

  /**
   * Charts scrolled out of view are not redrawn (on a phone most of them are): their series are
   * rebuilt and drawn when they come back. Until the browser first reports, every chart counts as shown.
   */
  private watchCharts(list: [Element, { update(input: ChartInput): void }][]): void {
    for (const [card, chart] of list)
      this.charts.set(card, { update: (i) => chart.update(i), stale: false, shown: true });
    if (typeof IntersectionObserver !== 'function') return;
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const chart = this.charts.get(entry.target);
        if (!chart) continue;
        chart.shown = entry.isIntersecting;
        if (chart.shown && chart.stale && this.input) {
          chart.update(this.input);
          chart.stale = false;
        }
      }
    });
    for (const card of this.charts.keys()) observer.observe(card);
  }

  /** Marks the chosen range and says what the charts show (e.g. "1 h to 14:05, 10 s steps"). */
  setRange(range: TimeRange, note: string): void {
    this.range = range;
    this.historyMode = range.name !== 'live';
    for (const [name, b] of this.rangeButtons) {
      const on = name === range.name;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', String(on));
    }
    setText(this.rangeNote, note);
    if (this.historyMode) {
      setText(this.processCount, 'Click a chart to see the top processes at that moment.');
      this.processes.update([]);
      this.showWatched(undefined);
    }
  }

  private showWatched(watched: SampleBody['watchedProcesses']): void {
    const labels = watchedLabels(watched);
    const key = labels.map((l) => `${l.running}${l.text}`).join('\n');
    if (this.watched.dataset.key === key) return; // unchanged: no DOM work at 1 Hz
    this.watched.dataset.key = key;
    this.watched.hidden = labels.length === 0;
    this.watched.replaceChildren(
      ...labels.map((l) =>
        el(
          'span',
          {
            class: `badge ${l.running ? 'text-bg-success' : 'text-bg-danger'}`,
            'data-running': String(l.running),
          },
          l.text,
        ),
      ),
    );
  }

  /** Shows the top processes of a past moment (history mode). */
  showProcessSnapshot(snapshot: ProcessSnapshot | null, askedAtMs: number): void {
    this.processes.update(snapshot?.processes ?? []);
    setText(
      this.processCount,
      snapshot
        ? `Top processes at ${formatClock(snapshot.timestampUnixMs)} (the snapshot nearest before ${formatClock(askedAtMs)})`
        : `No process snapshot near ${formatClock(askedAtMs)}.`,
    );
  }

  /** Refreshes the "last sample … ago" line (cheap; called between redraws too). */
  renderLive(now = Date.now()): void {
    const s = this.latest;
    if (!s) {
      setText(
        this.live,
        this.machine?.online === false ? 'Machine is offline; no samples.' : 'Waiting for the first sample…',
      );
      return;
    }
    setText(
      this.live,
      `Up ${formatDuration(s.uptimeSeconds)} · last sample ${formatClock(s.timestampUnixMs)} (${formatAgo(s.timestampUnixMs, now)}) · every ${s.intervalSeconds > 0 ? `${Number(s.intervalSeconds.toFixed(2))} s` : '–'}`,
    );
  }

  get currentMachineId(): string {
    return this.machineId;
  }
}
