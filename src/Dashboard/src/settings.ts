// User preferences kept in localStorage, and the URL routes that open a machine directly.

export const REFRESH_CHOICES = [1, 3, 5] as const;
export type RefreshSeconds = (typeof REFRESH_CHOICES)[number];
export type ThemePref = 'auto' | 'light' | 'dark';

const KEY_REFRESH = 'sysmon.refreshSeconds';
const KEY_THEME = 'sysmon.theme';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled
  }
}
function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* storage disabled or full: the preference just isn't remembered */
  }
}

/** A stored or chosen value → one of 1, 3, 5 (default 1). Pure. */
export function parseRefreshSeconds(v: string | null | undefined): RefreshSeconds {
  const n = Number(v);
  return (REFRESH_CHOICES as readonly number[]).includes(n) ? (n as RefreshSeconds) : 1;
}

/** A stored value → 'light' | 'dark' | 'auto' (default: follow the system). Pure. */
export function parseThemePref(v: string | null | undefined): ThemePref {
  return v === 'light' || v === 'dark' ? v : 'auto';
}

export const loadRefreshSeconds = (): RefreshSeconds => parseRefreshSeconds(read(KEY_REFRESH));
export const saveRefreshSeconds = (s: RefreshSeconds): void => write(KEY_REFRESH, String(s));
export const loadThemePref = (): ThemePref => parseThemePref(read(KEY_THEME));
export const saveThemePref = (t: ThemePref): void => write(KEY_THEME, t);

/**
 * The machine id a URL opens: `?machine=<id>` wins over `#/machine/<id>`; null for neither. Pure.
 */
export function machineFromUrl(search: string, hash: string): string | null {
  const q = new URLSearchParams(search).get('machine');
  if (q) return q;
  // The id is percent-encoded, so a raw "?" starts the page's parameters (range=…).
  const m = /^#\/machine\/([^?]+)/.exec(hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]) || null;
  } catch {
    return null;
  }
}

/** The hash route for a machine, with the page's parameters (e.g. "range=1h") when given. Pure. */
export function machineHash(id: string, query = ''): string {
  return `#/machine/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;
}
