// The fleet overview's model: one row per machine, merged from the hub's "fleet" summaries (numbers,
// every ~2 s) and GET api/machines (OS, registry liveness), with a short CPU history per machine for
// the sparklines. Pure: no DOM, so sorting, filtering and gap handling are unit-tested.
import { cappedText, finite } from './coerce';
import type { FleetEntry, FleetWireEntry, Machine } from './types';

/** Sparkline length: at the hub's 2 s fleet cadence, the last 3 minutes. */
export const SPARK_POINTS = 90;
/** A gap longer than this many expected intervals between two points is drawn as a break. */
export const GAP_FACTOR = 3;
/** The hub's fleet cadence (Hub:FleetIntervalMs default). */
export const FLEET_INTERVAL_MS = 2000;
/** Longest hostname / OS kept (hostile agents can send megabytes). */
const MAX_TEXT = 256;

export type SortKey = 'status' | 'name' | 'os' | 'cpu' | 'memory' | 'disk' | 'network' | 'load' | 'uptime';
export type StatusFilter = 'all' | 'online' | 'offline';
export const SORT_KEYS: readonly SortKey[] = [
  'status',
  'name',
  'os',
  'cpu',
  'memory',
  'disk',
  'network',
  'load',
  'uptime',
];

/** A fixed-size ring of (time, value) points, oldest first when read. */
export class SparkRing {
  readonly times: Float64Array;
  readonly values: Float32Array;
  private start = 0;
  private size = 0;

  constructor(readonly capacity = SPARK_POINTS) {
    this.times = new Float64Array(capacity);
    this.values = new Float32Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends a point; a point not newer than the last one is ignored (repeats, reordering). */
  push(timeMs: number, value: number): boolean {
    if (!Number.isFinite(timeMs) || !Number.isFinite(value)) return false;
    if (this.size > 0 && timeMs <= this.times[(this.start + this.size - 1) % this.capacity]) return false;
    const slot = (this.start + this.size) % this.capacity;
    this.times[slot] = timeMs;
    this.values[slot] = value;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
    return true;
  }

  /** The i-th oldest point. */
  at(i: number): { t: number; v: number } {
    const slot = (this.start + i) % this.capacity;
    return { t: this.times[slot], v: this.values[slot] };
  }

  lastTime(): number | undefined {
    return this.size === 0 ? undefined : this.times[(this.start + this.size - 1) % this.capacity];
  }
}

/**
 * Sparkline geometry: the ring's points mapped to a width × height box (x by time over the ring's
 * span, y by value over 0..max), split into runs wherever two neighbours are further apart than
 * GAP_FACTOR expected intervals, so an agent that was offline shows a break, not a straight line. Pure.
 */
export function sparkRuns(
  ring: SparkRing,
  width: number,
  height: number,
  max = 100,
  intervalMs = FLEET_INTERVAL_MS,
  nowMs?: number,
): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  if (ring.length === 0) return runs;
  const end = Math.max(nowMs ?? ring.at(ring.length - 1).t, ring.at(ring.length - 1).t);
  const begin = end - ring.capacity * intervalMs;
  let run: Array<[number, number]> = [];
  let previous: number | undefined;
  for (let i = 0; i < ring.length; i++) {
    const { t, v } = ring.at(i);
    if (t < begin) continue;
    if (previous !== undefined && t - previous > GAP_FACTOR * intervalMs && run.length > 0) {
      runs.push(run);
      run = [];
    }
    const x = ((t - begin) / (end - begin)) * width;
    const y = height - (Math.min(Math.max(v, 0), max) / max) * height;
    run.push([x, y]);
    previous = t;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A machine's row: the fleet record's numbers, plus what the page adds. */
export interface FleetRow extends Omit<FleetEntry, 'machineId' | 'timestampUnixMs' | 'load1m'> {
  id: string;
  os: string;
  /** The machine's tags, joined by spaces: matched by the text filter. */
  tags: string;
  load1m: number;
  /** Time of the last sample (0: none yet). */
  lastSampleMs: number;
  /** When the machine was last seen going offline (its last sample's time); undefined while online. */
  offlineSinceMs: number | undefined;
  cpuHistory: SparkRing;
  /** Bumped on every change, so the page redraws only rows that changed. */
  version: number;
  /** Position in the fleet sorted by host name (then id), and by OS: see FleetModel.rank. */
  nameRank: number;
  osRank: number;
}

const text = (v: unknown) => cappedText(v, MAX_TEXT, '…');

/** A "fleet" message or GET api/fleet → its valid records (anything else in it is dropped). Pure. */
export function parseFleetBatch(batch: unknown): FleetEntry[] {
  const entries: FleetEntry[] = [];
  if (!Array.isArray(batch)) return entries;
  for (const raw of batch) {
    const e = parseFleetEntry(raw);
    if (e) entries.push(e);
  }
  return entries;
}

/** One wire record → a FleetEntry; null for anything that is not a record with a machine id. Pure. */
export function parseFleetEntry(raw: unknown): FleetEntry | null {
  if (!Array.isArray(raw) || raw.length < 10) return null;
  const e = raw as unknown[] as FleetWireEntry;
  if (typeof e[0] !== 'string' || e[0].length === 0 || e[0].length > MAX_TEXT) return null;
  return {
    machineId: e[0],
    hostname: text(e[1]),
    online: e[2] === true,
    cpuPercent: finite(e[3]),
    memoryUsedPercent: finite(e[4]),
    diskUsedPercent: finite(e[5]),
    networkRxBytesPerSecond: finite(e[6]),
    networkTxBytesPerSecond: finite(e[7]),
    uptimeSeconds: finite(e[8]),
    timestampUnixMs: finite(e[9]),
    load1m: finite(e[10]),
  };
}

export interface FleetQuery {
  sort: SortKey;
  descending: boolean;
  text: string;
  status: StatusFilter;
}

export const DEFAULT_QUERY: FleetQuery = { sort: 'status', descending: false, text: '', status: 'all' };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareBy(key: SortKey): (a: FleetRow, b: FleetRow) => number {
  switch (key) {
    case 'status':
      // Offline first: they are what needs attention; then by name.
      return (a, b) => Number(a.online) - Number(b.online) || a.nameRank - b.nameRank;
    case 'name':
      return (a, b) => a.nameRank - b.nameRank;
    case 'os':
      return (a, b) => a.osRank - b.osRank;
    case 'cpu':
      return (a, b) => a.cpuPercent - b.cpuPercent;
    case 'memory':
      return (a, b) => a.memoryUsedPercent - b.memoryUsedPercent;
    case 'disk':
      return (a, b) => a.diskUsedPercent - b.diskUsedPercent;
    case 'network':
      return (a, b) =>
        a.networkRxBytesPerSecond +
        a.networkTxBytesPerSecond -
        (b.networkRxBytesPerSecond + b.networkTxBytesPerSecond);
    case 'load':
      return (a, b) => a.load1m - b.load1m;
    case 'uptime':
      return (a, b) => a.uptimeSeconds - b.uptimeSeconds;
  }
}

/** Parses a sort key from the URL or a header; status when unknown. Pure. */
export function parseSortKey(v: string | null | undefined): SortKey {
  return (SORT_KEYS as readonly string[]).includes(v ?? '') ? (v as SortKey) : 'status';
}

export class FleetModel {
  private readonly rows = new Map<string, FleetRow>();
  /** Bumped on any change (the page re-queries only then). */
  version = 0;
  /** A name or OS changed or a row appeared since the rows were last ranked. */
  private ranksStale = false;

  get size(): number {
    return this.rows.size;
  }

  get(id: string): FleetRow | undefined {
    return this.rows.get(id);
  }

  private row(id: string): FleetRow {
    let row = this.rows.get(id);
    if (!row) {
      row = {
        id,
        hostname: id,
        os: '',
        tags: '',
        online: false,
        cpuPercent: 0,
        memoryUsedPercent: 0,
        diskUsedPercent: 0,
        networkRxBytesPerSecond: 0,
        networkTxBytesPerSecond: 0,
        load1m: 0,
        uptimeSeconds: 0,
        lastSampleMs: 0,
        offlineSinceMs: undefined,
        cpuHistory: new SparkRing(),
        version: 0,
        nameRank: 0,
        osRank: 0,
      };
      this.rows.set(id, row);
      this.ranksStale = true;
    }
    return row;
  }

  private setOnline(row: FleetRow, online: boolean, lastSampleMs: number): void {
    if (row.online && !online) row.offlineSinceMs = lastSampleMs || Date.now();
    if (online) row.offlineSinceMs = undefined;
    else if (row.offlineSinceMs === undefined) row.offlineSinceMs = lastSampleMs || undefined;
    row.online = online;
  }

  /** Merges one "fleet" message (a snapshot or an update: only the machines it names change). */
  applyFleet(entries: readonly FleetEntry[]): void {
    for (const e of entries) {
      const row = this.row(e.machineId);
      if (e.hostname && e.hostname !== row.hostname) {
        row.hostname = e.hostname;
        this.ranksStale = true;
      }
      // A record for a machine that just left repeats its last numbers; its time says when it was last seen.
      if (e.timestampUnixMs > 0 && e.timestampUnixMs >= row.lastSampleMs) {
        row.cpuPercent = e.cpuPercent;
        row.memoryUsedPercent = e.memoryUsedPercent;
        row.diskUsedPercent = e.diskUsedPercent;
        row.networkRxBytesPerSecond = e.networkRxBytesPerSecond;
        row.networkTxBytesPerSecond = e.networkTxBytesPerSecond;
        row.load1m = e.load1m ?? 0;
        row.uptimeSeconds = e.uptimeSeconds;
        row.lastSampleMs = e.timestampUnixMs;
        if (e.online) row.cpuHistory.push(e.timestampUnixMs, e.cpuPercent);
      }
      this.setOnline(row, e.online, row.lastSampleMs);
      row.version++;
    }
    if (entries.length > 0) this.version++;
  }

  /** Merges GET api/machines: OS and hostnames, and machines the fleet stream has not named yet. */
  applyMachines(machines: readonly Machine[]): void {
    for (const m of machines) {
      const known = this.rows.has(m.id);
      const row = this.row(m.id);
      // Linux agents send the pretty name, which already holds the version ("Debian GNU/Linux 12 (bookworm)").
      const os = text(m.osVersion && !m.os.includes(m.osVersion) ? `${m.os} ${m.osVersion}`.trim() : m.os);
      const tags = text(m.tags.join(' '));
      if (row.os !== os || row.tags !== tags || (m.hostname && row.hostname !== m.hostname)) {
        row.os = os;
        row.tags = tags;
        if (m.hostname) row.hostname = text(m.hostname);
        this.ranksStale = true;
        row.version++;
        this.version++;
      }
      if (!known) {
        // The registry's liveness until the fleet stream speaks for the machine.
        const lastSeen = Date.parse(m.lastSeen);
        this.setOnline(row, m.online, Number.isFinite(lastSeen) ? lastSeen : 0);
        this.version++;
      }
    }
  }

  /** The rows matching the query, sorted (ties by hostname, then id, so the order is stable). Pure. */
  query(q: FleetQuery): FleetRow[] {
    const words = q.text.toLowerCase().split(/\s+/).filter(Boolean);
    const out: FleetRow[] = [];
    for (const row of this.rows.values()) {
      if (q.status === 'online' && !row.online) continue;
      if (q.status === 'offline' && row.online) continue;
      if (words.length > 0) {
        const hay = `${row.hostname} ${row.id} ${row.os} ${row.tags}`.toLowerCase();
        if (!words.every((w) => hay.includes(w))) continue;
      }
      out.push(row);
    }
    this.rank();
    const by = compareBy(q.sort);
    const sign = q.descending ? -1 : 1;
    out.sort((a, b) => sign * by(a, b) || a.nameRank - b.nameRank);
    return out;
  }

  /**
   * Numbers each row by host name (then id) and by OS, with the locale's collation, when names have
   * changed. Sorting 1,000 rows compared names with Intl.Collator about 10,000 times per fleet update
   * (most of the fleet page's 15 ms redraw); names change rarely, numbers every second.
   */
  private rank(): void {
    if (!this.ranksStale) return;
    const all = [...this.rows.values()];
    const byName = (a: FleetRow, b: FleetRow) =>
      collator.compare(a.hostname, b.hostname) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    all.sort(byName).forEach((row, i) => {
      row.nameRank = i;
    });
    all
      .sort((a, b) => collator.compare(a.os, b.os) || byName(a, b))
      .forEach((row, i) => {
        row.osRank = i;
      });
    this.ranksStale = false;
  }

  /** How many machines are online and offline. */
  counts(): { online: number; offline: number } {
    let online = 0;
    for (const row of this.rows.values()) if (row.online) online++;
    return { online, offline: this.rows.size - online };
  }
}
