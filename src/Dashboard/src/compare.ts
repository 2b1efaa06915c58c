// Compare: several machines, one metric, one chart. Each machine's history is fetched for the same
// window and put on a shared time axis of the window's step, so a machine with no point in a step
// shows a break there and never borrows its neighbour's value. Pure except the page class.
import { chartBox, color, LineChart, setTimeWindow } from './charts/common';
import { COMPARE_METRICS, type CompareMetric, type CompareQuery, MAX_COMPARED } from './compareQuery';
import { el, setText } from './dom';
import { fetchHistory, RANGES, rangeLabel, rangeWindow } from './history';
import type { Point } from './store';
import type { Machine, Sample } from './types';

/**
 * Puts each machine's values on one time axis of `stepMs` buckets (the union of the buckets any
 * machine has), null where a machine has no sample in a bucket. Pure.
 */
export function alignSeries(
  machines: readonly { samples: readonly Sample[] }[],
  value: (s: Sample) => number | null,
  stepMs: number,
): { xs: number[]; ys: (number | null)[][] } {
  const step = Math.max(1, stepMs);
  const buckets = new Set<number>();
  const byMachine = machines.map((m) => {
    const map = new Map<number, number | null>();
    for (const s of m.samples) {
      const x = Math.floor(s.timestampUnixMs / step) * step;
      const v = value(s);
      map.set(x, v !== null && Number.isFinite(v) ? v : null);
      buckets.add(x);
    }
    return map;
  });
  const xs = [...buckets].sort((a, b) => a - b);
  return { xs, ys: byMachine.map((map) => xs.map((x) => map.get(x) ?? null)) };
}

/** The compare page: machine checkboxes, a metric, a range, one chart. */
export class ComparePage {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private readonly metric: HTMLSelectElement;
  private readonly note: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly ranges = new Map<string, HTMLButtonElement>();
  private chart: LineChart | null = null;
  private readonly chartHost: HTMLElement;
  private query: CompareQuery = { ids: [], metric: 'cpu', range: { name: '1h' } };
  private machines: Machine[] = [];
  private request: AbortController | undefined;

  constructor(
    host: HTMLElement,
    private readonly onQuery: (q: CompareQuery) => void,
  ) {
    this.metric = el('select', {
      class: 'form-select form-select-sm w-auto',
      id: 'compare-metric',
      'aria-label': 'Metric',
    });
    for (const [key, m] of Object.entries(COMPARE_METRICS))
      this.metric.append(el('option', { value: key }, m.label));
    this.metric.addEventListener('change', () => this.change({ metric: this.metric.value as CompareMetric }));
    const rangeGroup = el('div', {
      class: 'btn-group btn-group-sm',
      role: 'group',
      'aria-label': 'Time range',
    });
    for (const name of RANGES.filter((r) => r !== 'live')) {
      const b = el(
        'button',
        { type: 'button', class: 'btn btn-outline-primary', 'data-compare-range': name },
        rangeLabel({ name }),
      );
      b.addEventListener('click', () => this.change({ range: { name } }));
      rangeGroup.append(b);
      this.ranges.set(name, b);
    }
    this.note = el('span', { class: 'small sm-muted', 'data-testid': 'compare-note', role: 'status' });
    const head = el('div', { class: 'card-header d-flex flex-wrap align-items-center gap-2' });
    head.append(el('h1', { class: 'h6 mb-0 fw-semibold me-auto' }, 'Compare'), this.metric, rangeGroup);
    this.list = el('div', { class: 'sm-compare-list small', 'data-testid': 'compare-machines' });
    const { box, host: chartHost } = chartBox(220, { 'data-testid': 'compare-chart', 'data-series': '0' });
    this.chartBox = box;
    this.chartHost = chartHost;
    const body = el('div', { class: 'card-body' });
    body.append(
      this.note,
      this.chartBox,
      el('div', { class: 'small sm-muted mt-3 mb-1' }, `Machines (up to ${MAX_COMPARED})`),
      this.list,
    );
    this.root = el('div', { class: 'card sm-card' });
    this.root.append(head, body);
    this.root.hidden = true;
    host.append(this.root);
  }

  setMachines(machines: readonly Machine[]): void {
    const names = machines.map((m) => `${m.id}\u0000${m.hostname}`).join('\u0001');
    if (names === this.machineNames) return;
    this.machineNames = names;
    this.machines = [...machines].sort((a, b) => a.hostname.localeCompare(b.hostname));
    if (this.root.hidden) return;
    this.renderList();
    // The legend names machines by hostname: redraw once the names are known.
    if (this.drawn) this.draw(this.drawn.query, this.drawn.histories, this.drawn.stepMs, this.drawn.window);
  }

  show(q: CompareQuery): void {
    this.root.hidden = false;
    this.query = q;
    this.metric.value = q.metric;
    for (const [name, b] of this.ranges) {
      b.classList.toggle('active', name === q.range.name);
      b.setAttribute('aria-pressed', String(name === q.range.name));
    }
    this.renderList();
    void this.load();
  }

  hide(): void {
    this.root.hidden = true;
    this.request?.abort();
  }

  private change(part: Partial<CompareQuery>): void {
    const q = { ...this.query, ...part };
    this.onQuery(q);
    this.show(q);
  }

  private renderList(): void {
    const chosen = new Set(this.query.ids);
    this.list.replaceChildren(
      ...this.machines.map((m) => {
        const label = el('label', { class: 'form-check sm-compare-item' });
        const box = el('input', { type: 'checkbox', class: 'form-check-input', 'data-compare-id': m.id });
        box.checked = chosen.has(m.id);
        box.disabled = !box.checked && chosen.size >= MAX_COMPARED;
        box.addEventListener('change', () => {
          const ids = box.checked ? [...this.query.ids, m.id] : this.query.ids.filter((id) => id !== m.id);
          this.change({ ids: ids.slice(0, MAX_COMPARED) });
        });
        label.append(box, el('span', { class: 'form-check-label' }, m.hostname || m.id));
        return label;
      }),
    );
  }

  private async load(): Promise<void> {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const q = this.query;
    if (q.ids.length === 0) {
      setText(this.note, 'Tick two or more machines to overlay them.');
      this.draw(q, [], 1000, null);
      return;
    }
    setText(this.note, 'Loading…');
    const { fromMs, toMs } = rangeWindow(q.range, Date.now());
    try {
      const histories = await Promise.all(
        q.ids.map((id) => fetchHistory(id, fromMs, toMs, undefined, request.signal)),
      );
      if (request.signal.aborted) return;
      const stepMs = Math.max(1000, ...histories.map((h) => (h[0]?.intervalSeconds ?? 1) * 1000));
      this.draw(q, histories, stepMs, { fromMs, toMs });
      const metric = COMPARE_METRICS[q.metric];
      setText(
        this.note,
        `${metric.label} · ${rangeLabel(q.range)} · ${q.ids.length} machine${q.ids.length === 1 ? '' : 's'}`,
      );
    } catch (e) {
      if (!request.signal.aborted)
        setText(this.note, `Could not load history: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private draw(
    q: CompareQuery,
    histories: readonly Sample[][],
    stepMs: number,
    window: { fromMs: number; toMs: number } | null,
  ): void {
    const metric = COMPARE_METRICS[q.metric];
    const { xs, ys } = alignSeries(
      histories.map((samples) => ({ samples })),
      metric.value,
      stepMs,
    );
    // A new metric has a new axis format: the chart is rebuilt then.
    if (!this.chart || this.chartMetric !== q.metric) {
      this.chart?.destroy();
      this.chartHost.replaceChildren();
      this.chart = new LineChart(
        this.chartHost,
        metric.format,
        q.metric === 'cpu' || q.metric === 'memory' ? { min: 0, max: 100 } : {},
      );
      this.chartMetric = q.metric;
    }
    const names = new Map(this.machines.map((m) => [m.id, m.hostname || m.id]));
    // The chart spans the whole window, like a machine page's history (the window is shared by all charts).
    setTimeWindow(window);
    this.chart.setData(
      q.ids.map((id, i) => ({
        label: names.get(id) ?? id,
        data: xs.map((x, k): Point => ({ x, y: ys[i]?.[k] ?? null })),
        style: { color: color(i), width: 1.75 },
      })),
    );
    setTimeWindow(null);
    this.chartBox.setAttribute('data-series', String(histories.length));
    this.drawn = { query: q, histories, stepMs, window };
  }

  private chartMetric: CompareMetric | null = null;
  private machineNames = '';
  /** What the chart shows now, to redraw it with hostnames that arrive later. */
  private drawn: {
    query: CompareQuery;
    histories: readonly Sample[][];
    stepMs: number;
    window: { fromMs: number; toMs: number } | null;
  } | null = null;
}
