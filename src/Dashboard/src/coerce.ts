// Coercion of untrusted JSON: hub answers carry agent-supplied values, so every field is checked
// and a wrong one becomes a neutral default, never an exception. Pure.

/** A finite number, or 0. */
export function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A string cut to `max` characters (followed by `mark` when cut), or '' for anything else. */
export function cappedText(v: unknown, max: number, mark = ''): string {
  if (typeof v !== 'string') return '';
  return v.length > max ? `${v.slice(0, max)}${mark}` : v;
}

/** An array, or []. */
export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A plain object, or {}. */
export function record(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
