// Tiny DOM helpers. Text always goes in through textContent: nothing here parses HTML, so a
// hostname or process name like "<img src=x onerror=…>" stays text.

type Attrs = Record<string, string | number | boolean | undefined>;

/** document.createElement with attributes (class via "class") and optional text content. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Looks up a required element by id. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

/** Sets textContent only when it changed (avoids needless layout work on every redraw). */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** A table cell: text, text with a class and tooltip, or an element. */
export type Cell = string | { text: string; className?: string; title?: string } | Node;

/**
 * Makes `body` show `rows`, reusing its rows and cells: only changed text, classes and tooltips are
 * written. Rebuilding the tables on every redraw cost the style and layout of ~100 new elements a
 * second on a machine page; a reused cell whose text did not change costs nothing.
 */
export function fillRows(
  body: HTMLTableSectionElement,
  rows: readonly Cell[][],
  classes: readonly (string | undefined)[],
): void {
  // children, not rows/cells: the same in every DOM (happy-dom, used by the unit tests, lacks rows).
  while (body.children.length > rows.length) body.lastElementChild?.remove();
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r];
    let tr = body.children[r] as HTMLTableRowElement | undefined;
    if (!tr) {
      tr = el('tr');
      body.append(tr);
    }
    while (tr.children.length > cells.length) tr.lastElementChild?.remove();
    for (let i = 0; i < cells.length; i++) {
      let td = tr.children[i] as HTMLTableCellElement | undefined;
      if (!td) {
        td = el('td');
        tr.append(td);
      }
      const c = cells[i];
      let className = classes[i] ?? '';
      let title = '';
      if (typeof c === 'string') {
        setText(td, c);
      } else if (c instanceof Node) {
        if (td.childNodes.length !== 1 || td.firstChild !== c) td.replaceChildren(c);
      } else {
        setText(td, c.text);
        if (c.className) className = `${className} ${c.className}`.trim();
        title = c.title ?? '';
      }
      if (td.className !== className) td.className = className;
      if (td.title !== title) td.title = title;
    }
  }
}

/** A Bootstrap card with a title, its content in a body that scrolls sideways when too wide. */
export function card(title: string, ...content: HTMLElement[]): HTMLElement {
  const box = el('div', { class: 'card sm-card mb-3' });
  const body = el('div', { class: 'card-body table-responsive' });
  body.append(...content);
  box.append(el('div', { class: 'card-header fw-semibold' }, title), body);
  return box;
}

/** A small table with these column headers around `body` (which the caller fills with fillRows). */
export function tableOf(headers: readonly string[], body: HTMLTableSectionElement): HTMLTableElement {
  const table = el('table', { class: 'table table-sm small align-middle mb-2' });
  const tr = el('tr');
  for (const h of headers) tr.append(el('th', { scope: 'col' }, h));
  const head = el('thead');
  head.append(tr);
  table.append(head, body);
  return table;
}

/** Shows `text` in a page's message area, green for success, red for failure. */
export function showMessage(node: HTMLElement, text: string, ok: boolean): void {
  node.hidden = false;
  node.className = `alert ${ok ? 'alert-success' : 'alert-danger'} py-2 small`;
  node.textContent = text;
}
