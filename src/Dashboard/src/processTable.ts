// Top-processes table: sortable by clicking a column header (a second click flips the
// direction); redraws with every rendered update. All agent strings go in via textContent.
import { el, fillRows, setText } from './dom';
import { formatBytes, formatCount, formatPercent } from './format';
import type { ProcessSample, WatchedProcessSample } from './types';

export type SortKey = 'cpu' | 'memory' | 'name' | 'pid';
export type SortDir = 'asc' | 'desc';
export interface SortState {
  key: SortKey;
  dir: SortDir;
}

/** Rows shown. */
export const TOP_N = 10;

/** The direction a column starts in when first clicked: biggest first for numbers, A→Z for names. */
const DEFAULT_DIR: Record<SortKey, SortDir> = { cpu: 'desc', memory: 'desc', name: 'asc', pid: 'asc' };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: ProcessSample, b: ProcessSample, key: SortKey): number {
  switch (key) {
    case 'cpu':
      return a.cpuPercent - b.cpuPercent;
    case 'memory':
      return a.residentBytes - b.residentBytes;
    case 'name':
      return collator.compare(a.name, b.name);
    case 'pid':
      return a.pid - b.pid;
  }
}

/**
 * Returns a new array sorted by `key` in `dir`; ties fall back to pid ascending so the order is
 * stable between updates. Pure.
 */
export function sortProcesses(processes: readonly ProcessSample[], sort: SortState): ProcessSample[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return [...processes].sort((a, b) => sign * compare(a, b, sort.key) || a.pid - b.pid);
}

/**
 * The processes matching every whitespace-separated word of `text` (case-insensitive) in name,
 * user, command line or pid. Pure.
 */
export function filterProcesses(processes: readonly ProcessSample[], text: string): readonly ProcessSample[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return processes;
  return processes.filter((p) => {
    const hay = `${p.name} ${p.user} ${p.commandLine} ${p.pid}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The next sort state after a click on `key`'s header. */
export function nextSort(current: SortState, key: SortKey): SortState {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: DEFAULT_DIR[key] };
}

/** Replaces tbody's rows with one row per process (text only, never HTML). */
export function renderProcessRows(tbody: HTMLTableSectionElement, processes: readonly ProcessSample[]): void {
  if (processes.length === 0) {
    const empty = el('tr');
    empty.append(el('td', { colspan: 7, class: 'text-body-secondary text-center' }, 'No process data'));
    tbody.replaceChildren(empty);
    return;
  }
  if (tbody.firstElementChild?.firstElementChild?.hasAttribute('colspan')) tbody.replaceChildren(); // was "No process data"
  fillRows(
    tbody,
    processes.map((p) => [
      String(p.pid),
      { text: p.name, title: p.commandLine || p.name },
      p.user,
      formatPercent(p.cpuPercent),
      { text: formatBytes(p.residentBytes), title: formatPercent(p.memoryPercent) },
      formatCount(p.threads),
      p.state,
    ]),
    ROW_CLASSES,
  );
}

/** Classes of the cells of a process row, by column. */
const ROW_CLASSES = [
  'text-end font-monospace',
  'text-truncate sm-proc-name',
  'text-truncate d-none d-md-table-cell sm-proc-user',
  'text-end',
  'text-end',
  'text-end d-none d-sm-table-cell',
  'text-center d-none d-sm-table-cell',
];

interface Column {
  key?: SortKey;
  label: string;
  className: string;
}

const COLUMNS: Column[] = [
  { key: 'pid', label: 'PID', className: 'text-end' },
  { key: 'name', label: 'Name', className: '' },
  { label: 'User', className: 'd-none d-md-table-cell' },
  { key: 'cpu', label: 'CPU', className: 'text-end' },
  { key: 'memory', label: 'Memory', className: 'text-end' },
  { label: 'Threads', className: 'text-end d-none d-sm-table-cell' },
  { label: 'State', className: 'text-center d-none d-sm-table-cell' },
];

/** The table widget. Mount once; call update() with each rendered sample's processes. */
export class ProcessTable {
  readonly element: HTMLTableElement;
  /** Test hook: data-testid="process-rows". */
  readonly body: HTMLTableSectionElement;
  private readonly headerButtons = new Map<SortKey, HTMLButtonElement>();
  private readonly headerCells = new Map<SortKey, HTMLTableCellElement>();
  private sort: SortState = { key: 'cpu', dir: 'desc' };
  private processes: readonly ProcessSample[] = [];
  private readonly filter: HTMLInputElement;
  private readonly empty: HTMLElement;

  constructor(container: HTMLElement) {
    this.element = el('table', { class: 'table table-sm table-hover align-middle mb-0 sm-process-table' });
    const headRow = el('tr');
    for (const col of COLUMNS) {
      const th = el('th', { scope: 'col', class: col.className });
      if (col.key) {
        const key = col.key;
        const btn = el('button', {
          type: 'button',
          class: 'btn btn-link btn-sm p-0 sm-sort',
          'data-sort': key,
        });
        btn.addEventListener('click', () => {
          this.sort = nextSort(this.sort, key);
          this.render();
        });
        this.headerButtons.set(key, btn);
        this.headerCells.set(key, th);
        th.append(btn);
      } else {
        th.textContent = col.label;
      }
      headRow.append(th);
    }
    this.body = el('tbody', { 'data-testid': 'process-rows' });
    this.element.append(el('thead'), this.body);
    this.element.tHead?.append(headRow);
    this.filter = el('input', {
      type: 'search',
      class: 'form-control form-control-sm mb-2 sm-process-filter',
      placeholder: 'Filter: name, user, command, pid',
      'aria-label': 'Filter processes',
      'data-testid': 'process-filter',
      autocomplete: 'off',
    });
    this.filter.addEventListener('input', () => this.render());
    this.empty = el('div', { class: 'small sm-muted py-2' }, 'No process matches the filter.');
    container.replaceChildren(this.filter, this.element, this.empty);
    this.render();
  }

  get sortState(): SortState {
    return { ...this.sort };
  }

  update(processes: readonly ProcessSample[]): void {
    this.processes = processes;
    this.render();
  }

  private render(): void {
    for (const col of COLUMNS) {
      if (!col.key) continue;
      const active = col.key === this.sort.key;
      const arrow = active ? (this.sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
      setText(this.headerButtons.get(col.key) as HTMLButtonElement, col.label + arrow);
      const th = this.headerCells.get(col.key) as HTMLTableCellElement;
      th.setAttribute('aria-sort', active ? (this.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    const shown = filterProcesses(this.processes, this.filter.value);
    this.empty.hidden = shown.length > 0 || this.processes.length === 0;
    renderProcessRows(this.body, sortProcesses(shown, this.sort).slice(0, TOP_N));
  }
}

/** "nginx ×2" (running) or "postgres: not running", per watched name, in the agent's order. Pure. */
export function watchedLabels(
  watched: readonly WatchedProcessSample[] | undefined,
): { text: string; running: boolean }[] {
  return (watched ?? []).map((w) =>
    w.count > 0
      ? { text: w.count === 1 ? w.name : `${w.name} ×${w.count}`, running: true }
      : { text: `${w.name}: not running`, running: false },
  );
}
