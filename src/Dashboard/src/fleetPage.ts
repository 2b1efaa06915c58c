// The fleet overview (home page): every machine in one virtualised table. Only the rows in view
// exist in the DOM (a pool of ~30 row elements re-used as the list scrolls), so 1,000 or 10,000
// machines cost the same per update; a row is rewritten only when its machine changed or another
// machine scrolled into its slot. Text goes in through textContent only.
//
// Test hooks (keep stable; listed in README.md):
//   [data-testid="fleet-rows"]          the scrolling body; rows are [data-fleet-row="<id>"]
//   [data-sort="<key>"]                 a column header button (aria-sort on its cell)
//   #fleet-filter, #fleet-status        the text and status filters
//   [data-testid="fleet-counts"]        "N of M machines · K offline"
// Keyboard: Tab reaches the rows; ↑ ↓ PgUp PgDn Home End move between them, Enter opens one.
import { el, setText } from './dom';
import {
  DEFAULT_QUERY,
  FLEET_INTERVAL_MS,
  type FleetModel,
  type FleetQuery,
  type FleetRow,
  type SortKey,
  type StatusFilter,
  sparkRuns,
} from './fleet';
import { formatAgo, formatDuration, formatPercent, formatRate } from './format';
import { timed } from './perf';

/** Rows moved by each navigation key (a page is 10 rows). */
const KEY_STEPS: Record<string, number> = {
  ArrowDown: 1,
  ArrowUp: -1,
  PageDown: 10,
  PageUp: -10,
  Home: Number.NEGATIVE_INFINITY,
  End: Number.POSITIVE_INFINITY,
};

/** Row height in px (CSS .sm-fleet-row uses the same). */
export const ROW_PX = 40;
/** Rows rendered above and below the visible ones, so fast scrolling shows no blank band. */
const OVERSCAN = 8;
const SPARK_W = 64;
const SPARK_H = 18;

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; cls: string; numeric: boolean }> = [
  { key: 'status', label: 'Status', cls: 'sm-col-status', numeric: false },
  { key: 'name', label: 'Machine', cls: 'sm-col-name', numeric: false },
  { key: 'os', label: 'OS', cls: 'sm-col-os', numeric: false },
  { key: 'cpu', label: 'CPU', cls: 'sm-col-cpu', numeric: true },
  { key: 'memory', label: 'Memory', cls: 'sm-col-mem', numeric: true },
  { key: 'disk', label: 'Disk', cls: 'sm-col-disk', numeric: true },
  { key: 'network', label: 'Network', cls: 'sm-col-net', numeric: true },
  { key: 'load', label: 'Load', cls: 'sm-col-load', numeric: true },
  { key: 'uptime', label: 'Uptime', cls: 'sm-col-up', numeric: true },
];

/** The part of a pooled row element that is rewritten. */
interface RowView {
  root: HTMLElement;
  dot: HTMLElement;
  status: HTMLElement;
  name: HTMLElement;
  id: HTMLElement;
  os: HTMLElement;
  cpu: HTMLElement;
  spark: HTMLCanvasElement;
  mem: HTMLElement;
  disk: HTMLElement;
  net: HTMLElement;
  load: HTMLElement;
  up: HTMLElement;
  /** Which machine and which version of it this element shows. */
  shows: string | null;
  version: number;
  sparkDrawnAt: number;
}

export class FleetPage {
  readonly root: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly windowEl: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly status: HTMLSelectElement;
  private readonly headers = new Map<SortKey, HTMLElement>();
  private readonly pool: RowView[] = [];
  private query: FleetQuery = { ...DEFAULT_QUERY };
  private rows: FleetRow[] = [];
  private queriedVersion = -1;
  /** Set when the sort or filters change, so the next render queries the model again. */
  private queryChanged = true;
  private frame = 0;
  private visible = false;
  private sparkColor = '#0d6efd';

  constructor(
    host: HTMLElement,
    private readonly model: FleetModel,
    private readonly onOpen: (id: string) => void,
    private readonly onQuery: (q: FleetQuery) => void,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.filter = el('input', {
      id: 'fleet-filter',
      type: 'search',
      class: 'form-control form-control-sm sm-fleet-filter',
      placeholder: 'Filter: name, id, OS',
      'aria-label': 'Filter machines',
      autocomplete: 'off',
    });
    this.status = el('select', {
      id: 'fleet-status',
      class: 'form-select form-select-sm w-auto',
      'aria-label': 'Status',
    });
    for (const [value, label] of [
      ['all', 'All'],
      ['online', 'Online'],
      ['offline', 'Offline'],
    ] as const) {
      this.status.append(el('option', { value }, label));
    }
    this.counts = el('span', {
      class: 'small sm-muted me-auto',
      'data-testid': 'fleet-counts',
      role: 'status',
    });
    const toolbar = el('div', { class: 'card-header d-flex flex-wrap align-items-center gap-2' });
    toolbar.append(
      el('h1', { class: 'h6 mb-0 fw-semibold' }, 'Fleet'),
      this.counts,
      this.filter,
      this.status,
    );

    const head = el('div', { class: 'sm-fleet-row sm-fleet-head', role: 'row' });
    for (const c of COLUMNS) {
      const cell = el('div', { class: `sm-fleet-cell ${c.cls}`, role: 'columnheader', 'aria-sort': 'none' });
      const button = el(
        'button',
        { type: 'button', class: 'btn btn-link p-0 sm-sort', 'data-sort': c.key },
        c.label,
      );
      button.addEventListener('click', () => this.sortBy(c.key, c.numeric));
      cell.append(button);
      head.append(cell);
      this.headers.set(c.key, cell);
    }

    this.spacer = el('div', { class: 'sm-fleet-spacer' });
    this.windowEl = el('div', { class: 'sm-fleet-window', role: 'rowgroup' });
    this.spacer.append(this.windowEl);
    this.scroller = el('div', { class: 'sm-fleet-scroll', 'data-testid': 'fleet-rows', tabindex: '-1' });
    this.scroller.append(this.spacer);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });

    const table = el('div', { class: 'sm-fleet', role: 'table', 'aria-label': 'Machines' });
    table.append(head, this.scroller);
    this.root = el('div', { class: 'card sm-card' });
    this.root.append(toolbar, table);
    host.append(this.root);

    this.filter.addEventListener('input', () => this.setQuery({ ...this.query, text: this.filter.value }));
    this.status.addEventListener('change', () =>
      this.setQuery({ ...this.query, status: this.status.value as StatusFilter }),
    );
    // One listener for every row: open on click or Enter.
    this.windowEl.addEventListener('click', (e) => this.openFrom(e.target));
    this.windowEl.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.openFrom(e.target);
      else if (e.key in KEY_STEPS) {
        e.preventDefault();
        this.moveFocus(e.target, KEY_STEPS[e.key]);
      }
    });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
  }

  /** Shows the page with a query (from the URL); hidden pages do no work. */
  show(query: FleetQuery): void {
    this.visible = true;
    this.root.hidden = false;
    this.applyQuery(query);
    this.schedule();
  }

  hide(): void {
    this.visible = false;
    this.root.hidden = true;
  }

  /** Redraws at the next animation frame (many fleet messages in one frame cost one redraw). */
  schedule(): void {
    if (!this.visible || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      timed('fleet', () => {
        this.render();
        // Data is on screen once a row shows a machine's numbers, not just its name.
        return this.rows.some((r) => r.lastSampleMs > 0);
      });
    });
  }

  private setQuery(q: FleetQuery): void {
    this.applyQuery(q);
    this.onQuery(this.query);
    this.scroller.scrollTop = 0;
    this.schedule();
  }

  private applyQuery(q: FleetQuery): void {
    this.query = { ...q };
    this.queryChanged = true;
    if (this.filter.value !== q.text) this.filter.value = q.text;
    this.status.value = q.status;
    for (const [key, cell] of this.headers) {
      cell.setAttribute('aria-sort', key === q.sort ? (q.descending ? 'descending' : 'ascending') : 'none');
    }
  }

  private sortBy(key: SortKey, numeric: boolean): void {
    // A new column starts with what matters most: the busiest machines first, names A→Z.
    const descending = key === this.query.sort ? !this.query.descending : numeric;
    this.setQuery({ ...this.query, sort: key, descending });
  }

  /**
   * Moves keyboard focus by `step` rows (±Infinity: first or last), scrolling the row into view: the
   * element for a row exists only while it is in view, so the list is rendered before focusing.
   */
  private moveFocus(target: EventTarget | null, step: number): void {
    const id = (target as HTMLElement | null)?.closest<HTMLElement>('[data-fleet-row]')?.dataset.fleetRow;
    const at = id === undefined ? -1 : this.rows.findIndex((r) => r.id === id);
    if (at < 0 || this.rows.length === 0) return;
    const next = Math.min(
      Math.max(Number.isFinite(step) ? at + step : step > 0 ? this.rows.length - 1 : 0, 0),
      this.rows.length - 1,
    );
    const top = next * ROW_PX;
    const height = this.scroller.clientHeight || ROW_PX;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW_PX > this.scroller.scrollTop + height) this.scroller.scrollTop = top + ROW_PX - height;
    this.render();
    const nextId = this.rows[next].id;
    this.pool.find((v) => v.shows === nextId)?.root.focus();
  }

  private openFrom(target: EventTarget | null): void {
    const row = (target as HTMLElement | null)?.closest<HTMLElement>('[data-fleet-row]');
    const id = row?.dataset.fleetRow;
    if (id) this.onOpen(id);
  }

  /** Re-queries when the model or the query changed, then fills the rows in view. */
  render(): void {
    if (this.model.version !== this.queriedVersion || this.queryChanged) {
      this.rows = this.model.query(this.query);
      this.queriedVersion = this.model.version;
      this.queryChanged = false;
      const { offline } = this.model.counts();
      setText(
        this.counts,
        `${this.rows.length} of ${this.model.size} machine${this.model.size === 1 ? '' : 's'}` +
          (offline > 0 ? ` · ${offline} offline` : ''),
      );
      this.spacer.style.height = `${this.rows.length * ROW_PX}px`;
    }

    const height = this.scroller.clientHeight || ROW_PX * 15;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_PX) - OVERSCAN);
    const last = Math.min(
      this.rows.length,
      Math.ceil((this.scroller.scrollTop + height) / ROW_PX) + OVERSCAN,
    );
    const count = Math.max(0, last - first);
    while (this.pool.length < count) this.pool.push(this.createRow());
    this.windowEl.style.transform = `translateY(${first * ROW_PX}px)`;
    const now = this.now();
    // Read once per frame, before any write: a style read between DOM writes would force a recalculation per row.
    this.sparkColor = getComputedStyle(this.scroller).getPropertyValue('--sm-spark').trim() || '#0d6efd';
    for (let i = 0; i < this.pool.length; i++) {
      const view = this.pool[i];
      if (i >= count) {
        if (view.shows !== null) {
          view.root.hidden = true;
          view.shows = null;
        }
        continue;
      }
      this.fill(view, this.rows[first + i], now);
    }
  }

  private createRow(): RowView {
    const root = el('div', { class: 'sm-fleet-row', role: 'row', tabindex: '0' });
    const cell = (cls: string) => {
      const c = el('div', { class: `sm-fleet-cell ${cls}`, role: 'cell' });
      root.append(c);
      return c;
    };
    const statusCell = cell('sm-col-status');
    const dot = el('span', { class: 'sm-dot me-2', 'aria-hidden': 'true' });
    const status = el('span', { class: 'small' });
    statusCell.append(dot, status);
    const nameCell = cell('sm-col-name');
    const name = el('div', { class: 'fw-semibold text-truncate' });
    const id = el('div', { class: 'small sm-muted text-truncate' });
    nameCell.append(name, id);
    const os = cell('sm-col-os text-truncate small');
    const cpuCell = cell('sm-col-cpu');
    const cpu = el('span', { class: 'sm-num' });
    const spark = el('canvas', { class: 'sm-spark', width: SPARK_W, height: SPARK_H, 'aria-hidden': 'true' });
    cpuCell.append(cpu, spark);
    const mem = cell('sm-col-mem sm-num sm-pct');
    const disk = cell('sm-col-disk sm-num sm-pct');
    const net = cell('sm-col-net sm-num small');
    const load = cell('sm-col-load sm-num');
    const up = cell('sm-col-up sm-num small');
    this.windowEl.append(root);
    return {
      root,
      dot,
      status,
      name,
      id,
      os,
      cpu,
      spark,
      mem,
      disk,
      net,
      load,
      up,
      shows: null,
      version: -1,
      sparkDrawnAt: 0,
    };
  }

  private fill(view: RowView, row: FleetRow, now: number): void {
    view.root.hidden = false;
    // The "offline for" text ages even when nothing else changes.
    setText(view.status, row.online ? 'online' : offlineText(row, now));
    if (view.shows === row.id && view.version === row.version && now - view.sparkDrawnAt < FLEET_INTERVAL_MS)
      return;
    view.shows = row.id;
    view.version = row.version;
    view.root.dataset.fleetRow = row.id;
    view.root.classList.toggle('sm-offline', !row.online);
    view.root.setAttribute('aria-label', `${row.hostname}, ${row.online ? 'online' : 'offline'}`);
    view.dot.className = `sm-dot me-2 ${row.online ? 'sm-dot-online' : 'sm-dot-offline'}`;
    setText(view.name, row.hostname);
    setText(view.id, row.id === row.hostname ? '' : row.id);
    setText(view.os, row.os || '–');
    const stale = row.lastSampleMs === 0;
    setText(view.cpu, stale ? '–' : formatPercent(row.cpuPercent));
    setPercent(view.mem, stale ? Number.NaN : row.memoryUsedPercent);
    setPercent(view.disk, stale ? Number.NaN : row.diskUsedPercent);
    setText(
      view.net,
      stale ? '–' : `↓${formatRate(row.networkRxBytesPerSecond)} ↑${formatRate(row.networkTxBytesPerSecond)}`,
    );
    setText(view.load, stale ? '–' : row.load1m.toFixed(2));
    setText(view.up, stale ? '–' : formatDuration(row.uptimeSeconds));
    drawSpark(view.spark, row, now, this.sparkColor);
    view.sparkDrawnAt = now;
  }
}

function offlineText(row: FleetRow, now: number): string {
  if (row.offlineSinceMs === undefined) return 'offline';
  return `offline ${formatAgo(row.offlineSinceMs, now).replace(' ago', '')}`;
}

/** A percentage with a bar behind it (a CSS variable, no layout per update). */
function setPercent(cell: HTMLElement, percent: number): void {
  setText(cell, Number.isFinite(percent) ? formatPercent(percent, 0) : '–');
  const clamped = Number.isFinite(percent) ? Math.min(Math.max(percent, 0), 100) : 0;
  cell.style.setProperty('--pct', `${clamped}%`);
  cell.classList.toggle('sm-hot', clamped >= 90);
}

function drawSpark(canvas: HTMLCanvasElement, row: FleetRow, now: number, color: string): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, SPARK_W, SPARK_H);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.25;
  for (const run of sparkRuns(row.cpuHistory, SPARK_W, SPARK_H - 2, 100, FLEET_INTERVAL_MS, now)) {
    ctx.beginPath();
    ctx.moveTo(run[0][0], run[0][1] + 1);
    for (let i = 1; i < run.length; i++) ctx.lineTo(run[i][0], run[i][1] + 1);
    if (run.length === 1) ctx.lineTo(run[0][0] + 1, run[0][1] + 1);
    ctx.stroke();
  }
}
