// Pure formatting helpers: bytes (IEC, like `free -h`), rates, percents, durations, clock times.

const DASH = '–';
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

function isNum(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** 1536 → "1.5 KiB"; values under 10 of a unit keep one decimal, larger ones none. */
export function formatBytes(bytes: number): string {
  if (!isNum(bytes)) return DASH;
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${Math.round(v)} B`;
  // 1023.96 KiB would print as "1024 KiB": promote it.
  if (v >= 1023.5 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const text = v < 10 ? v.toFixed(1) : Math.round(v).toString();
  return `${sign}${text} ${BYTE_UNITS[i]}`;
}

/** Bytes per second → "1.5 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return isNum(bytesPerSecond) ? `${formatBytes(bytesPerSecond)}/s` : DASH;
}

/** 12.345 → "12.3%"; digits defaults to 1. */
export function formatPercent(percent: number, digits = 1): string {
  return isNum(percent) ? `${percent.toFixed(digits)}%` : DASH;
}

/** Events per second (packets, errors, operations) → "0", "0.25/s", "12/s", "1.2k/s". */
export function formatPerSecond(perSecond: number): string {
  if (!isNum(perSecond)) return DASH;
  if (perSecond === 0) return '0/s';
  const a = Math.abs(perSecond);
  if (a >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M/s`;
  if (a >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  if (a >= 10) return `${Math.round(perSecond)}/s`;
  return `${Number(perSecond.toFixed(2))}/s`;
}

/** Integer counts with thousands separators, locale-independent: 1234567 → "1 234 567". */
export function formatCount(n: number): string {
  if (!isNum(n)) return DASH;
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** Seconds → "42s", "5m 03s", "4h 05m", "3d 4h". */
export function formatDuration(seconds: number): string {
  if (!isNum(seconds) || seconds < 0) return DASH;
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => n.toString().padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${two(m)}m`;
  if (m > 0) return `${m}m ${two(sec)}s`;
  return `${sec}s`;
}

/** Epoch milliseconds → local "HH:MM:SS". */
export function formatClock(epochMs: number): string {
  if (!isNum(epochMs)) return DASH;
  const d = new Date(epochMs);
  const two = (n: number) => n.toString().padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** How long ago, from two epoch-ms values: "just now", "12s ago", "5m 03s ago". */
export function formatAgo(epochMs: number, nowMs: number): string {
  if (!isNum(epochMs) || !isNum(nowMs)) return DASH;
  const s = (nowMs - epochMs) / 1000;
  return s < 1 ? 'just now' : `${formatDuration(s)} ago`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * An axis tick for a time axis spanning `spanMs`: "HH:MM:SS" within an hour, "HH:MM" within a
 * day, "Tue 14:00" beyond (local time).
 */
export function formatAxisTime(epochMs: number, spanMs: number): string {
  if (!isNum(epochMs)) return DASH;
  if (!(spanMs > 3_600_000)) return formatClock(epochMs);
  const d = new Date(epochMs);
  const hm = `${d.getHours().toString().padStart(2, '0')}:${d.getMinutes().toString().padStart(2, '0')}`;
  return spanMs > 86_400_000 ? `${WEEKDAYS[d.getDay()]} ${hm}` : hm;
}

/** An alert's value as measured: two decimals under 10, one above; '' when there is none (NaN). */
export function formatAlertValue(value: number): string {
  return Number.isNaN(value) ? '' : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}
