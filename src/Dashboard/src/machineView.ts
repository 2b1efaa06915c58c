// The machine page and everything only it needs: the sample store, the render loop at the user's
// cadence, the time range (live, started from recent history, or a stored range) and the chart
// library. main.ts loads this module on the first visit to a machine, so the fleet page, the usual
// first page, starts without parsing uPlot and the charts (bench/README.md, "first data").
// Live "sample" and replayed "backfill" messages go the same way: inserted into the store by
// timestamp (history lands in place, duplicates are dropped) and drawn at the next tick.
import { setTimeSelectHandlers, setTimeWindow } from './charts/common';
import { byId } from './dom';
import { formatClock, formatDuration } from './format';
import {
  fetchHistory,
  fetchProcessesAt,
  rangeLabel,
  rangeQuery,
  rangeWindow,
  type TimeRange,
} from './history';
import type { MonitorHub } from './hub';
import { MachinePage } from './machinePage';
import { timed } from './perf';
import { acceptSample, RenderLoop } from './renderLoop';
import { SampleStore } from './store';
import type { Machine, Sample } from './types';

/** Named ranges reload this often, so "the last hour" stays the last hour. */
const HISTORY_REFRESH_MS = 30_000;
/** The newest part of the live backfill, asked for first: a minute parses and draws in a fraction of ten. */
const LIVE_FIRST_MS = 60_000;

export interface MachineViewHost {
  hub: MonitorHub;
  /** What api/machines last said about a machine. */
  machine(id: string): Machine | undefined;
  /** Opens a machine at a range and records it in the URL. */
  navigate(id: string, range: TimeRange): void;
}

export class MachineView {
  private readonly store = new SampleStore(600);
  private readonly loop: RenderLoop;
  private readonly hostElement = byId('machine-page-host');
  private page: MachinePage | null = null;
  private current: string | null = null;
  private range: TimeRange = { name: 'live' };
  /** Set while a stored range is shown: drawn once per load, not with live samples. */
  private historySamples: Sample[] | null = null;
  private historyDrawn = false;
  private historyRequest: AbortController | undefined;
  private historyTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly host: MachineViewHost,
    refreshSeconds: number,
  ) {
    this.loop = new RenderLoop(
      () => this.draw(),
      () => this.page?.renderLive(),
    );
    this.loop.start(refreshSeconds * 1000);
    // A burst of backfill only marks the page dirty: one redraw per tick however many arrive.
    host.hub.onSample((s) => acceptSample(this.store, this.loop, s, this.current));
    // Dragging across any chart zooms to that window; clicking one in history shows the processes of that moment.
    setTimeSelectHandlers({
      select: (fromMs, toMs) => {
        if (this.current && toMs - fromMs >= 10_000)
          host.navigate(this.current, { name: 'custom', fromMs, toMs });
      },
      pick: (atMs) => this.pickProcesses(atMs),
    });
  }

  /** Shows a machine at a range (the same machine only changes range). */
  open(id: string, nextRange: TimeRange): void {
    this.hostElement.hidden = false;
    if (id === this.current) {
      if (rangeQuery(nextRange) !== rangeQuery(this.range)) this.applyRange(id, nextRange);
      return;
    }
    if (this.current) void this.host.hub.unsubscribe(this.current);
    this.current = id;
    this.page ??= new MachinePage(
      this.hostElement,
      (r) => this.current && this.host.navigate(this.current, r),
    );
    this.page.show(id, this.host.machine(id));
    this.applyRange(id, nextRange);
    void this.host.hub.subscribe(id);
  }

  /** Leaves the machine page: no more samples, history requests or reloads for it. */
  close(): void {
    if (this.current) void this.host.hub.unsubscribe(this.current);
    this.current = null;
    this.historyRequest?.abort();
    clearInterval(this.historyTimer);
    this.hostElement.hidden = true;
  }

  /** The machine list changed: refresh the header of the open machine. */
  machinesChanged(): void {
    if (this.page && this.current) this.page.setMachine(this.host.machine(this.current));
  }

  /** The user's update interval changed: redraw at the new cadence, and once now. */
  setRefreshSeconds(seconds: number): void {
    this.loop.start(seconds * 1000);
    this.loop.drawNow();
  }

  private draw(): void {
    const page = this.page;
    const id = this.current;
    if (!page || !id) return;
    if (this.historySamples) {
      // History does not change with live samples: draw it once per load.
      const samples = this.historySamples;
      if (!this.historyDrawn) timed('machine', () => drawMachine(page, samples));
      this.historyDrawn = true;
    } else {
      const samples = this.store.samples(id);
      timed('machine', () => drawMachine(page, samples));
    }
  }

  private applyRange(id: string, next: TimeRange): void {
    this.range = next;
    this.historyRequest?.abort();
    clearInterval(this.historyTimer);
    this.historySamples = null;
    setTimeWindow(null);
    this.page?.setRange(next, next.name === 'live' ? 'Live: every sample as it arrives' : 'Loading history…');
    void this.loadHistory(id, next);
    if (next.name !== 'live' && next.name !== 'custom') {
      this.historyTimer = setInterval(() => void this.loadHistory(id, this.range), HISTORY_REFRESH_MS);
    }
    this.loop.drawNow();
  }

  private async loadHistory(id: string, r: TimeRange): Promise<void> {
    const request = new AbortController();
    this.historyRequest = request;
    const { fromMs, toMs } = rangeWindow(r, Date.now());
    try {
      if (r.name === 'live') {
        // Live starts from the raw last minutes (1 s steps), so an opened machine never shows an empty
        // chart: the newest minute first, drawn at once, then the minutes before it.
        const splitMs = Math.max(fromMs, toMs - LIVE_FIRST_MS);
        for (const [from, to] of [
          [splitMs, toMs],
          [fromMs, splitMs],
        ]) {
          if (to <= from) continue;
          const part = await fetchHistory(id, from, to, 1, request.signal);
          if (request.signal.aborted || id !== this.current) return;
          for (const sample of part) this.store.add(sample);
          this.loop.drawNow();
        }
        return;
      }
      const samples = await fetchHistory(id, fromMs, toMs, undefined, request.signal);
      if (request.signal.aborted || id !== this.current) return;
      this.historySamples = samples;
      this.historyDrawn = false;
      setTimeWindow({ fromMs, toMs });
      const step = samples.length > 0 ? ` · ${formatDuration(samples[0].intervalSeconds)} steps` : '';
      this.page?.setRange(
        r,
        samples.length === 0
          ? `${rangeLabel(r)}: no history stored in this range`
          : `${rangeLabel(r)}: ${formatClock(fromMs)} – ${formatClock(toMs)}${step} · drag across a chart to zoom`,
      );
      this.loop.drawNow();
    } catch (e) {
      if (request.signal.aborted) return;
      console.warn('history request failed', e);
      this.page?.setRange(r, 'Could not load history from the hub; retrying…');
    }
  }

  private pickProcesses(atMs: number): void {
    const id = this.current;
    if (!id || this.range.name === 'live' || !this.page) return;
    fetchProcessesAt(id, atMs)
      .then((snapshot) => {
        if (id === this.current) this.page?.showProcessSnapshot(snapshot, atMs);
      })
      .catch((e) => console.warn('processes request failed', e));
  }
}

function drawMachine(page: MachinePage, samples: readonly Sample[]): boolean {
  page.render(samples);
  return samples.length > 0;
}
