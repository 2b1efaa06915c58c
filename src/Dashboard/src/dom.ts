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
