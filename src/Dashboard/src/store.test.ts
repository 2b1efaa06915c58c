import { describe, expect, it } from 'vitest';
import { expectedIntervalMs, RingBuffer, SampleStore, timeline, toSeries } from './store';
import type { Sample } from './types';

function sample(machineId: string, t: number, cpu = 0, intervalSeconds = 1): Sample {
  return {
    machineId,
    sequence: t,
    timestampUnixMs: t,
    uptimeSeconds: 0,
    cpu: { totalPercent: cpu, corePercent: [] } as unknown as Sample['cpu'],
    memory: {} as Sample['memory'],
    filesystems: [],
    disks: [],
    networkInterfaces: [],
    processes: [],
    processCount: 0,
    intervalSeconds,
  };
}

describe('RingBuffer', () => {
  it('keeps insertion order until full', () => {
    const b = new RingBuffer<number>(3);
    expect(b.toArray()).toEqual([]);
    expect(b.last()).toBeUndefined();
    b.push(1);
    b.push(2);
    expect(b.toArray()).toEqual([1, 2]);
    expect(b.length).toBe(2);
    expect(b.last()).toBe(2);
  });

  it('drops the oldest when full and wraps around many times', () => {
    const b = new RingBuffer<number>(3);
    for (let i = 1; i <= 10; i++) b.push(i);
    expect(b.toArray()).toEqual([8, 9, 10]);
    expect(b.length).toBe(3);
    expect(b.last()).toBe(10);
  });

  it('clears', () => {
    const b = new RingBuffer<number>(2);
    b.push(1);
    b.clear();
    expect(b.length).toBe(0);
    b.push(5);
    expect(b.toArray()).toEqual([5]);
  });

  it('rejects a bad capacity', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});

describe('SampleStore', () => {
  it('keeps one capped buffer per machine', () => {
    const s = new SampleStore(600);
    for (let t = 1; t <= 700; t++) s.add(sample('a', t * 1000));
    s.add(sample('b', 5000));
    expect(s.count('a')).toBe(600);
    expect(s.samples('a')[0].timestampUnixMs).toBe(101_000);
    expect(s.latest('a')?.timestampUnixMs).toBe(700_000);
    expect(s.count('b')).toBe(1);
    expect(s.samples('nope')).toEqual([]);
  });

  it('ignores the re-sent last sample and out-of-order samples', () => {
    const s = new SampleStore(10);
    expect(s.add(sample('a', 1000))).toBe(true);
    expect(s.add(sample('a', 2000))).toBe(true);
    expect(s.add(sample('a', 2000))).toBe(false);
    expect(s.add(sample('a', 1500))).toBe(false);
    expect(s.count('a')).toBe(2);
  });

  it('clears one machine', () => {
    const s = new SampleStore(10);
    s.add(sample('a', 1000));
    s.clear('a');
    expect(s.count('a')).toBe(0);
  });
});

describe('expectedIntervalMs', () => {
  it('is the median interval, robust to an outage', () => {
    const xs = [1, 1, 1, 30, 1].map((i) => ({ intervalSeconds: i }));
    expect(expectedIntervalMs(xs)).toBe(1000);
    expect(expectedIntervalMs([{ intervalSeconds: 2 }, { intervalSeconds: 4 }])).toBe(3000);
  });
  it('defaults to 1 s', () => {
    expect(expectedIntervalMs([])).toBe(1000);
    expect(expectedIntervalMs([{ intervalSeconds: 0 }])).toBe(1000);
  });
});

describe('toSeries', () => {
  it('maps samples to {x: epoch ms, y}', () => {
    const xs = [sample('a', 1000, 10), sample('a', 2000, 20), sample('a', 3000, 30)];
    expect(toSeries(xs, (s) => s.cpu.totalPercent, 1000)).toEqual([
      { x: 1000, y: 10 },
      { x: 2000, y: 20 },
      { x: 3000, y: 30 },
    ]);
  });

  it('inserts a null point when consecutive samples are > 1.5 × interval apart', () => {
    const xs = [sample('a', 1000, 1), sample('a', 2400, 2), sample('a', 4000, 3), sample('a', 10_000, 4)];
    // 1400 ms ≤ 1500: no gap; 1600 ms > 1500: gap; 6000 ms: gap.
    expect(toSeries(xs, (s) => s.cpu.totalPercent, 1000)).toEqual([
      { x: 1000, y: 1 },
      { x: 2400, y: 2 },
      { x: 3200, y: null },
      { x: 4000, y: 3 },
      { x: 7000, y: null },
      { x: 10_000, y: 4 },
    ]);
  });

  it('uses null for missing or non-finite values and keeps series aligned', () => {
    const xs = [sample('a', 1000, 1), sample('a', 2000, 2), sample('a', 5000, 3)];
    const line = timeline(xs, 1000);
    const a = toSeries(xs, (s) => s.cpu.totalPercent, 1000, line);
    const b = toSeries(xs, (s) => (s.timestampUnixMs === 2000 ? undefined : Number.NaN), 1000, line);
    expect(a.length).toBe(4);
    expect(b.length).toBe(4);
    expect(b.every((p) => p.y === null)).toBe(true);
    expect(a.map((p) => p.x)).toEqual(b.map((p) => p.x));
  });

  it('handles empty and single-sample runs', () => {
    expect(toSeries([], () => 1, 1000)).toEqual([]);
    expect(toSeries([sample('a', 5, 7)], (s) => s.cpu.totalPercent, 1000)).toEqual([{ x: 5, y: 7 }]);
  });
});
