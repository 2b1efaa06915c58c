// History from the hub (GET api/machines/{id}/history, docs/protocol.md "History") as samples the
// charts already draw: each point becomes a Sample at its timestamp with the averages as values and
// the step as its interval, so gaps (no point for a while: the agent was offline) become breaks the
// same way they do live. Pure except fetchHistory.
import type { ProcessSample, Sample } from './types';

/** The time ranges the machine page offers; "live" is the last 10 minutes, streamed. */
export const RANGES = ['live', '15m', '1h', '24h', '7d'] as const;
export type RangeName = (typeof RANGES)[number];

/** A range to show: a named one, or a window chosen by dragging across a chart. */
export type TimeRange = { name: RangeName } | { name: 'custom'; fromMs: number; toMs: number };

const RANGE_MS: Record<Exclude<RangeName, 'live'>, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};

/** How much history a live view starts with, so an opened machine never shows an empty chart. */
export const LIVE_BACKFILL_MS = 10 * 60_000;

/** Parses ?range= (and from/to for a custom window); live when absent or unknown. Pure. */
export function parseRange(params: URLSearchParams): TimeRange {
  const name = params.get('range');
  if (name === 'custom') {
    const fromMs = Number(params.get('from'));
    const toMs = Number(params.get('to'));
    if (Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs > 0 && toMs > fromMs) {
      return { name: 'custom', fromMs: Math.round(fromMs), toMs: Math.round(toMs) };
    }
    return { name: 'live' };
  }
  return (RANGES as readonly string[]).includes(name ?? '') ? { name: name as RangeName } : { name: 'live' };
}

/** The query string of a range (empty for live). Pure. */
export function rangeQuery(range: TimeRange): string {
  if (range.name === 'live') return '';
  if (range.name === 'custom') return `range=custom&from=${range.fromMs}&to=${range.toMs}`;
  return `range=${range.name}`;
}

/** The window a range covers at `nowMs`. Pure. */
export function rangeWindow(range: TimeRange, nowMs: number): { fromMs: number; toMs: number } {
  if (range.name === 'custom') return { fromMs: range.fromMs, toMs: range.toMs };
  if (range.name === 'live') return { fromMs: nowMs - LIVE_BACKFILL_MS, toMs: nowMs };
  return { fromMs: nowMs - RANGE_MS[range.name], toMs: nowMs };
}

/** Human label of a range. */
export function rangeLabel(range: TimeRange): string {
  switch (range.name) {
    case 'live':
      return 'Live';
    case 'custom':
      return 'Zoomed';
    default:
      return range.name.replace('m', ' min').replace('h', ' h').replace('d', ' days');
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function str(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 256) : '';
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The hub's history answer → samples, oldest first. Points without a finite timestamp are dropped;
 * anything else malformed becomes 0 or an empty list, never an exception. Pure.
 */
export function historyToSamples(machineId: string, body: unknown): Sample[] {
  const dto = obj(body);
  const stepSeconds = Math.max(1, num(dto.stepSeconds));
  const out: Sample[] = [];
  for (const raw of arr(dto.points)) {
    const p = obj(raw);
    const t = p.timestampUnixMs;
    if (typeof t !== 'number' || !Number.isFinite(t)) continue;
    const cpu = obj(p.cpu);
    const mem = obj(p.memory);
    out.push({
      machineId,
      sequence: 0,
      timestampUnixMs: t,
      uptimeSeconds: 0,
      intervalSeconds: stepSeconds,
      replayed: true,
      processCount: 0,
      processes: [],
      cpu: {
        totalPercent: num(cpu.avgPercent),
        corePercent: arr(p.corePercent).map(num),
        userPercent: 0,
        systemPercent: 0,
        iowaitPercent: 0,
        stealPercent: 0,
        idlePercent: 0,
        coreFrequencyMhz: [],
        frequencyAvgMhz: 0,
        frequencyMinMhz: 0,
        frequencyMaxMhz: 0,
        load1m: num(p.load1m),
        load5m: num(p.load5m),
        load15m: num(p.load15m),
      },
      memory: {
        totalBytes: num(mem.totalBytes),
        usedBytes: num(mem.usedBytes),
        availableBytes: num(mem.availableBytes),
        freeBytes: num(mem.freeBytes),
        buffersBytes: num(mem.buffersBytes),
        cachedBytes: num(mem.cachedBytes),
        swapTotalBytes: num(mem.swapTotalBytes),
        swapUsedBytes: num(mem.swapUsedBytes),
      },
      filesystems: arr(p.filesystems).map((f) => {
        const x = obj(f);
        const total = num(x.totalBytes);
        const used = num(x.usedBytes);
        return {
          mountPoint: str(x.mountPoint),
          device: '',
          fsType: '',
          totalBytes: total,
          usedBytes: used,
          freeBytes: Math.max(0, total - used),
        };
      }),
      disks: arr(p.disks).map((d) => {
        const x = obj(d);
        return {
          device: str(x.device),
          readBytesPerSecond: num(x.readBytesPerSecond),
          writeBytesPerSecond: num(x.writeBytesPerSecond),
          readsPerSecond: num(x.readsPerSecond),
          writesPerSecond: num(x.writesPerSecond),
          busyPercent: num(x.busyPercent),
        };
      }),
      networkInterfaces: arr(p.networkInterfaces).map((n) => {
        const x = obj(n);
        return {
          name: str(x.name),
          rxBytesPerSecond: num(x.rxBytesPerSecond),
          txBytesPerSecond: num(x.txBytesPerSecond),
          rxPacketsPerSecond: num(x.rxPacketsPerSecond),
          txPacketsPerSecond: num(x.txPacketsPerSecond),
          rxErrorsPerSecond: num(x.rxErrorsPerSecond),
          txErrorsPerSecond: num(x.txErrorsPerSecond),
          rxDropsPerSecond: num(x.rxDropsPerSecond),
          txDropsPerSecond: num(x.txDropsPerSecond),
          rxErrorsTotal: 0,
          txErrorsTotal: 0,
          rxDropsTotal: 0,
          txDropsTotal: 0,
        };
      }),
    });
  }
  out.sort((a, b) => a.timestampUnixMs - b.timestampUnixMs);
  return out;
}

/** GET api/machines/{id}/history for a window; step in seconds (the hub picks one when omitted). */
export async function fetchHistory(
  machineId: string,
  fromMs: number,
  toMs: number,
  stepSeconds?: number,
  signal?: AbortSignal,
): Promise<Sample[]> {
  const params = new URLSearchParams({ from: String(Math.round(fromMs)), to: String(Math.round(toMs)) });
  if (stepSeconds) params.set('step', String(stepSeconds));
  const res = await fetch(`api/machines/${encodeURIComponent(machineId)}/history?${params}`, {
    headers: { Accept: 'application/json' },
    signal,
    cache: 'no-store',
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`GET history of ${machineId}: HTTP ${res.status}`);
  return historyToSamples(machineId, await res.json());
}

/** The top processes at a past moment (the hub's per-minute snapshot at or before it). */
export interface ProcessSnapshot {
  timestampUnixMs: number;
  processes: ProcessSample[];
}

/** The hub's processes answer → a snapshot; null when malformed. Pure. */
export function toProcessSnapshot(body: unknown): ProcessSnapshot | null {
  const dto = obj(body);
  const t = dto.timestampUnixMs;
  if (typeof t !== 'number' || !Number.isFinite(t)) return null;
  return {
    timestampUnixMs: t,
    processes: arr(dto.processes)
      .slice(0, 100)
      .map((p) => {
        const x = obj(p);
        return {
          pid: num(x.pid),
          name: str(x.name),
          user: str(x.user),
          cpuPercent: num(x.cpuPercent),
          residentBytes: num(x.residentBytes),
          memoryPercent: num(x.memoryPercent),
          threads: num(x.threads),
          state: str(x.state),
          commandLine: str(x.commandLine),
        };
      }),
  };
}

/** GET api/machines/{id}/processes?at= ; null when the hub has no snapshot near that moment. */
export async function fetchProcessesAt(
  machineId: string,
  atMs: number,
  signal?: AbortSignal,
): Promise<ProcessSnapshot | null> {
  const res = await fetch(`api/machines/${encodeURIComponent(machineId)}/processes?at=${Math.round(atMs)}`, {
    headers: { Accept: 'application/json' },
    signal,
    cache: 'no-store',
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET processes of ${machineId}: HTTP ${res.status}`);
  return toProcessSnapshot(await res.json());
}

/**
 * Links that download what the charts show: the hub's history of the same window as CSV (one column
 * per series, spreadsheet-safe) and as JSON. Live exports the last 10 minutes up to now. Pure.
 */
export function exportLinks(
  machineId: string,
  range: TimeRange,
  nowMs: number,
): { csv: string; json: string } {
  const { fromMs, toMs } = rangeWindow(range, nowMs);
  const base = `api/machines/${encodeURIComponent(machineId)}`;
  const query = `from=${Math.round(fromMs)}&to=${Math.round(toMs)}`;
  return { csv: `${base}/history.csv?${query}`, json: `${base}/history?${query}` };
}

/** A file name for an export: machine, range start, extension; only safe characters. Pure. */
export function exportFileName(
  machineId: string,
  range: TimeRange,
  nowMs: number,
  extension: 'csv' | 'json',
): string {
  const { fromMs } = rangeWindow(range, nowMs);
  const stamp = new Date(fromMs)
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d{3}Z$/, 'Z');
  const safe = machineId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'machine';
  return `sysmon-${safe}-${stamp}.${extension}`;
}
