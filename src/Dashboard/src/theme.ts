// Light/dark theme: Bootstrap's data-bs-theme on <html> plus our CSS variables (styles.css).
// Follows the system (prefers-color-scheme) until the user picks one; the pick is remembered.
import { loadThemePref, saveThemePref, type ThemePref } from './settings';

const NEXT: Record<ThemePref, ThemePref> = { auto: 'light', light: 'dark', dark: 'auto' };
const LABEL: Record<ThemePref, string> = { auto: 'Theme: auto', light: 'Theme: light', dark: 'Theme: dark' };

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

function effective(pref: ThemePref): 'light' | 'dark' {
  return pref === 'auto' ? (media?.matches ? 'dark' : 'light') : pref;
}

/** Applies the stored preference now (call before first paint). */
export function applyStoredTheme(): ThemePref {
  const pref = loadThemePref();
  document.documentElement.setAttribute('data-bs-theme', effective(pref));
  return pref;
}

/** Dispatched on document after each switch: whatever draws in theme colours re-reads them (charts/common.ts). */
export const THEME_CHANGED = 'sysmon:themechange';

/** Wires the toggle button (cycles auto → light → dark) and system changes. */
export function initThemeToggle(button: HTMLButtonElement): void {
  let pref = applyStoredTheme();
  const apply = () => {
    document.documentElement.setAttribute('data-bs-theme', effective(pref));
    button.textContent = LABEL[pref];
    button.title = `Colour theme (${LABEL[pref].slice(7)}); click to change`;
    document.dispatchEvent(new Event(THEME_CHANGED));
  };
  button.addEventListener('click', () => {
    pref = NEXT[pref];
    saveThemePref(pref);
    apply();
  });
  media?.addEventListener('change', () => {
    if (pref === 'auto') apply();
  });
  apply();
}
