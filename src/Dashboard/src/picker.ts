// Machine picker: every machine with an online/offline dot, hostname and OS, a filter box.
// Keyboard: typing anywhere on the page (outside another field) goes to the filter box; Enter
// opens the first match. Test hook: each entry has data-machine-id="<id>" and opens on click.
// At most MAX_ENTRIES are listed (the fleet page is where a thousand machines are browsed); the list
// is rebuilt only when what it shows changed, not on every poll of the machine list.
import { el, setText } from './dom';
import type { Machine } from './types';

/** Online first, then by hostname (natural order), then id. Pure. */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortMachines(machines: readonly Machine[]): Machine[] {
  return [...machines].sort(
    (a, b) =>
      Number(b.online) - Number(a.online) ||
      collator.compare(a.hostname, b.hostname) ||
      (a.id < b.id ? -1 : 1),
  );
}

/**
 * Machines matching every whitespace-separated word of `query` (case-insensitive) in hostname,
 * OS, id, architecture or CPU model, in {@link sortMachines} order. Pure.
 */
export function filterMachines(machines: readonly Machine[], query: string): Machine[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const sorted = sortMachines(machines);
  if (words.length === 0) return sorted;
  return sorted.filter((m) => {
    const hay = [m.hostname, m.os, m.id, m.architecture, m.cpuModel].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** Entries listed at most; the count line says how many matched. */
export const MAX_ENTRIES = 100;

export class Picker {
  private machines: readonly Machine[] = [];
  private selectedId: string | null = null;
  private readonly list: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly count: HTMLElement;
  /** What the list shows now (ids, names, states, selection): an unchanged poll touches no element. */
  private shownKey = '';
  private machinesKey = '';

  constructor(
    container: HTMLElement,
    private readonly onOpen: (machineId: string) => void,
  ) {
    this.input = el('input', {
      type: 'search',
      class: 'form-control form-control-sm',
      placeholder: 'Filter machines…',
      'aria-label': 'Filter machines',
      autocomplete: 'off',
      spellcheck: 'false',
      id: 'machine-filter',
    });
    this.count = el('div', { class: 'small text-body-secondary mt-1', 'aria-live': 'polite' });
    this.list = el('div', { class: 'list-group list-group-flush sm-picker-list', role: 'listbox' });
    container.replaceChildren(el('div', { class: 'p-2' }), this.list);
    container.firstElementChild?.append(this.input, this.count);

    this.input.addEventListener('input', () => this.render());
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        const first = filterMachines(this.machines, this.input.value)[0];
        if (first) this.onOpen(first.id);
        e.preventDefault();
      } else if (e.key === 'Escape') {
        this.input.value = '';
        this.render();
      }
    });
    // Typing a printable character anywhere else starts filtering.
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      this.input.focus();
    });
  }

  setMachines(machines: readonly Machine[]): void {
    // A poll that changed nothing the picker shows costs one string, not a sort of the fleet.
    const key = machines
      .map((m) => `${m.id}\u0000${m.hostname}\u0000${m.os}\u0000${m.online}`)
      .join('\u0001');
    if (key === this.machinesKey) return;
    this.machinesKey = key;
    this.machines = machines;
    this.render();
  }

  setSelected(machineId: string | null): void {
    this.selectedId = machineId;
    this.render();
  }

  private render(): void {
    const matches = filterMachines(this.machines, this.input.value);
    const shown = matches.slice(0, MAX_ENTRIES);
    const online = this.machines.filter((m) => m.online).length;
    setText(
      this.count,
      this.machines.length === 0
        ? 'No machines yet'
        : `${shown.length} of ${this.machines.length} shown · ${online} online` +
            (matches.length > shown.length ? ' · type to narrow' : ''),
    );
    const key = `${this.selectedId}\u0001${shown.map((m) => `${m.id}\u0000${m.hostname}\u0000${m.os}\u0000${m.online}`).join('\u0001')}`;
    if (key === this.shownKey) return;
    this.shownKey = key;
    const items = shown.map((m) => {
      const active = m.id === this.selectedId;
      const item = el('button', {
        type: 'button',
        class: `list-group-item list-group-item-action d-flex align-items-center gap-2${active ? ' active' : ''}`,
        'data-machine-id': m.id,
        role: 'option',
        'aria-selected': active ? 'true' : 'false',
        title: m.id,
      });
      item.addEventListener('click', () => this.onOpen(m.id));
      const dot = el('span', {
        class: `sm-dot ${m.online ? 'sm-dot-online' : 'sm-dot-offline'}`,
        'aria-label': m.online ? 'online' : 'offline',
        role: 'img',
      });
      const text = el('span', { class: 'd-flex flex-column min-w-0' });
      text.append(
        el('span', { class: 'fw-semibold text-truncate' }, m.hostname || m.id),
        el('span', { class: 'small text-truncate sm-muted' }, m.os),
      );
      item.append(dot, text);
      return item;
    });
    this.list.replaceChildren(...items);
  }
}
