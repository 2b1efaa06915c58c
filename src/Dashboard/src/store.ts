// Sample storage: one capped ring buffer per machine, plus the pure helpers that turn a run of
// samples into chart series with gap markers. No DOM, no timers: unit-tested in store.test.ts.
import type { Sample } from './types';

/** Default number of samples kept per machine (10 minutes at 1 sample/s). */
export const DEFAULT_CAPACITY = 600;

/** A fixed-capacity FIFO: pushing onto a full buffer drops the oldest item. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.start + i) % this.capacity] as T;
    return out;
  }

  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.start + this.count - 1) % this.capacity];
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}

/** Per-machine sample buffers. */
export class SampleStore {
  private readonly buffers = new Map<string, RingBuffer<Sample>>();

  constructor(readonly capacity = DEFAULT_CAPACITY) {}

  /**
   * Stores a sample. Returns false (and stores nothing) for a sample that is not newer than the
   * machine's latest one: the hub re-sends the last known sample on every Subscribe.
   */
  add(sample: Sample): boolean {
    let buf = this.buffers.get(sample.machineId);
    if (!buf) {
      buf = new RingBuffer<Sample>(this.capacity);
      this.buffers.set(sample.machineId, buf);
    }
    const last = buf.last();
    if (last && sample.timestampUnixMs <= last.timestampUnixMs) return false;
    buf.push(sample);
    return true;
  }

  /** Oldest first; empty for an unknown machine. */
  samples(machineId: string): Sample[] {
    return this.buffers.get(machineId)?.toArray() ?? [];
  }

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

/** A chart point: x is epoch ms; y null marks a gap (Chart.js draws a break with spanGaps: false). */
export interface Point {
  x: number;
  y: number | null;
}

/**
 * The layout of a run of samples as chart points: each entry is a sample index, or null for a
 * gap marker wherever two consecutive samples are more than 1.5 × the expected interval apart.
 * Every series built from the same samples and timeline with {@link toSeries} lines up index by
 * index, which Chart.js's "index" tooltip mode relies on.
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
