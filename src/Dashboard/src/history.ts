// History from the hub (GET api/machines/{id}/history, docs/protocol.md "History") as samples the
// charts already draw: each point becomes a Sample at its timestamp with the averages as values and
// the step as its interval, so gaps (no point for a while: the agent was offline) become breaks the
// same way they do live. Pure except fetchHistory.
import { cappedText, finite, list, record } from './coerce';
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

/** Longest agent-supplied string kept (device, interface, mount and process names, command lines). */
const MAX_TEXT = 256;
const str = (v: unknown) => cappedText(v, MAX_TEXT);

/**
 * The hub's history answer → samples, oldest first. Points without a finite timestamp are dropped;
 * anything else malformed becomes 0 or an empty list, never an exception. Pure.
 */
export function historyToSamples(machineId: string, body: unknown): Sample[] {
  const dto = record(body);
  const stepSeconds = Math.max(1, finite(dto.stepSeconds));
  const out: Sample[] = [];
  for (const raw of list(dto.points)) {
    const p = record(raw);
    const t = p.timestampUnixMs;
    if (typeof t !== 'number' || !Number.isFinite(t)) continue;
    const cpu = record(p.cpu);
    const mem = record(p.memory);
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
        totalPercent: finite(cpu.avgPercent),
        corePercent: list(p.corePercent).map(finite),
        userPercent: 0,
        systemPercent: 0,
        iowaitPercent: 0,
        stealPercent: 0,
        idlePercent: 0,
        coreFrequencyMhz: [],
        frequencyAvgMhz: 0,
        frequencyMinMhz: 0,
        frequencyMaxMhz: 0,
        load1m: finite(p.load1m),
        load5m: finite(p.load5m),
        load15m: finite(p.load15m),
      },
      memory: {
        totalBytes: finite(mem.totalBytes),
        usedBytes: finite(mem.usedBytes),
        availableBytes: finite(mem.availableBytes),
        freeBytes: finite(mem.freeBytes),
        buffersBytes: finite(mem.buffersBytes),
        cachedBytes: finite(mem.cachedBytes),
        swapTotalBytes: finite(mem.swapTotalBytes),
        swapUsedBytes: finite(mem.swapUsedBytes),
      },
      filesystems: list(p.filesystems).map((f) => {
        const x = record(f);
        const total = finite(x.totalBytes);
        const used = finite(x.usedBytes);
        return {
          mountPoint: str(x.mountPoint),
          device: '',
          fsType: '',
          totalBytes: total,
          usedBytes: used,
          freeBytes: Math.max(0, total - used),
        };
      }),
      disks: list(p.disks).map((d) => {
        const x = record(d);
        return {
          device: str(x.device),
          readBytesPerSecond: finite(x.readBytesPerSecond),
          writeBytesPerSecond: finite(x.writeBytesPerSecond),
          readsPerSecond: finite(x.readsPerSecond),
          writesPerSecond: finite(x.writesPerSecond),
          busyPercent: finite(x.busyPercent),
        };
      }),
      networkInterfaces: list(p.networkInterfaces).map((n) => {
        const x = record(n);
        return {
          name: str(x.name),
          rxBytesPerSecond: finite(x.rxBytesPerSecond),
          txBytesPerSecond: finite(x.txBytesPerSecond),
          rxPacketsPerSecond: finite(x.rxPacketsPerSecond),
          txPacketsPerSecond: finite(x.txPacketsPerSecond),
          rxErrorsPerSecond: finite(x.rxErrorsPerSecond),
          txErrorsPerSecond: finite(x.txErrorsPerSecond),
          rxDropsPerSecond: finite(x.rxDropsPerSecond),
          txDropsPerSecond: finite(x.txDropsPerSecond),
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
  const dto = record(body);
  const t = dto.timestampUnixMs;
  if (typeof t !== 'number' || !Number.isFinite(t)) return null;
  return {
    timestampUnixMs: t,
    processes: list(dto.processes)
      .slice(0, 100)
      .map((p) => {
        const x = record(p);
        return {
          pid: finite(x.pid),
          name: str(x.name),
          user: str(x.user),
          cpuPercent: finite(x.cpuPercent),
          residentBytes: finite(x.residentBytes),
          memoryPercent: finite(x.memoryPercent),
          threads: finite(x.threads),
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
