// Sample storage: one capped buffer per machine, sorted by timestamp, plus the pure helpers that
// turn a run of samples into chart series with gap markers. No DOM, no timers: unit-tested in store.test.ts.
import type { Sample } from './types';

/** Default number of samples kept per machine (10 minutes at 1 sample/s). */
export const DEFAULT_CAPACITY = 600;

/** What {@link SortedBuffer.insert} did with an item. */
export type InsertResult = 'added' | 'duplicate' | 'too-old';

/**
 * A fixed-capacity buffer kept sorted by a numeric key (ascending), holding the `capacity` items
 * with the highest keys. Items may arrive in any order: each is inserted at its key's position
 * (binary search); an item whose key is already present is ignored; inserting into a full buffer
 * drops the lowest key, and an item older than everything in a full buffer is not stored.
 * An item newer than the newest (live samples in order) skips the search; any insertion or
 * eviction moves at most `capacity` references (600 by default), cheap next to a redraw.
 */
export class SortedBuffer<T> {
  private readonly items: T[] = [];

  constructor(
    readonly capacity: number,
    private readonly key: (item: T) => number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  get length(): number {
    return this.items.length;
  }

  insert(item: T): InsertResult {
    const items = this.items;
    const k = this.key(item);
    const n = items.length;
    // Fast path: newer than the newest (live samples in order).
    let i = n;
    if (n > 0 && k <= this.key(items[n - 1])) {
      // First index whose key is >= k.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.key(items[mid]) < k) lo = mid + 1;
        else hi = mid;
      }
      if (this.key(items[lo]) === k) return 'duplicate';
      i = lo;
    }
    if (n >= this.capacity) {
      if (i === 0) return 'too-old';
      items.shift();
      i--;
    }
    if (i === items.length) items.push(item);
    else items.splice(i, 0, item);
    return 'added';
  }

  /** Lowest key first (a copy). */
  toArray(): T[] {
    return this.items.slice();
  }

  /** The item with the highest key. */
  last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  clear(): void {
    this.items.length = 0;
  }
}

/**
 * Per-machine sample buffers, each sorted by `timestampUnixMs` and holding the newest `capacity`
 * samples. Live samples, samples that arrive slightly out of order after a hub failover, and
 * replayed history (`backfill`) all go through {@link add}: a sample is inserted at its
 * timestamp's position, so the newest sample is always the last one by timestamp, never simply
 * the last one received.
 */
export class SampleStore {
  private readonly buffers = new Map<string, SortedBuffer<Sample>>();

  constructor(readonly capacity = DEFAULT_CAPACITY) {}

  /**
   * Stores a sample at its timestamp's position. Returns false (and stores nothing) for a
   * duplicate (a sample with that timestamp is already stored: the hub re-sends the last known
   * sample on every Subscribe, and a replay may repeat a sample already received live), for a
   * sample older than everything in a full buffer, and for a sample without a finite timestamp.
   */
  add(sample: Sample): boolean {
    if (!Number.isFinite(sample.timestampUnixMs)) return false;
    let buf = this.buffers.get(sample.machineId);
    if (!buf) {
      buf = new SortedBuffer<Sample>(this.capacity, (s) => s.timestampUnixMs);
      this.buffers.set(sample.machineId, buf);
    }
    return buf.insert(sample) === 'added';
  }

  /** Oldest first (sorted by timestamp); empty for an unknown machine. */
  samples(machineId: string): Sample[] {
    return this.buffers.get(machineId)?.toArray() ?? [];
  }

  /** The newest sample by timestamp. */
  latest(machineId: string): Sample | undefined {
    return this.buffers.get(machineId)?.last();
  }

  count(machineId: string): number {
    return this.buffers.get(machineId)?.length ?? 0;
  }

  clear(machineId: string): void {
    this.buffers.delete(machineId);
  }
}

/**
 * The interval samples are expected at, in ms: the median of the samples' own intervalSeconds
 * (robust against the one long interval that follows an outage); 1000 when unknown.
 */
export function expectedIntervalMs(samples: readonly Pick<Sample, 'intervalSeconds'>[]): number {
  const xs = samples
    .map((s) => s.intervalSeconds)
    .filter((v) => Number.isFinite(v) && v > 0)
    .sort((a, b) => a - b);
  if (xs.length === 0) return 1000;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return median * 1000;
}

/** A chart point: x is epoch ms; y null marks a gap (the line chart draws a break there). */
export interface Point {
  x: number;
  y: number | null;
}

/**
 * The layout of a run of samples as chart points: each entry is a sample index, or null for a
 * gap marker wherever two consecutive samples are more than 1.5 × the expected interval apart.
 * Every series built from the same samples and timeline with {@link toSeries} lines up index by
 * index, which the charts rely on (one x column per chart).
 */
export function timeline(
  samples: readonly Pick<Sample, 'timestampUnixMs'>[],
  intervalMs: number,
): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < samples.length; i++) {
    if (i > 0 && samples[i].timestampUnixMs - samples[i - 1].timestampUnixMs > 1.5 * intervalMs)
      out.push(null);
    out.push(i);
  }
  return out;
}

/**
 * Maps samples to points with {@link timeline}'s gap markers. `value` may return null or
 * undefined for a sample that lacks the metric (an interface that came and went): that point is
 * a gap too.
 */
export function toSeries<S extends Pick<Sample, 'timestampUnixMs'>>(
  samples: readonly S[],
  value: (s: S) => number | null | undefined,
  intervalMs: number,
  line: readonly (number | null)[] = timeline(samples, intervalMs),
): Point[] {
  const out: Point[] = new Array(line.length);
  for (let k = 0; k < line.length; k++) {
    const i = line[k];
    if (i === null) {
      // Gap marker between samples line[k-1] and line[k+1]; its x is the gap's midpoint.
      const a = samples[line[k - 1] as number].timestampUnixMs;
      const b = samples[line[k + 1] as number].timestampUnixMs;
      out[k] = { x: (a + b) / 2, y: null };
    } else {
      const v = value(samples[i]);
      out[k] = { x: samples[i].timestampUnixMs, y: typeof v === 'number' && Number.isFinite(v) ? v : null };
    }
  }
  return out;
}
