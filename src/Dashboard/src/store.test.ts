import { describe, expect, it } from 'vitest';
import { expectedIntervalMs, SampleStore, SortedBuffer, timeline, toSeries } from './store';
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

describe('SortedBuffer', () => {
  const num = (capacity: number) => new SortedBuffer<number>(capacity, (x) => x);

  it('keeps items in key order until full', () => {
    const b = num(3);
    expect(b.toArray()).toEqual([]);
    expect(b.last()).toBeUndefined();
    expect(b.insert(1)).toBe('added');
    expect(b.insert(2)).toBe('added');
    expect(b.toArray()).toEqual([1, 2]);
    expect(b.length).toBe(2);
    expect(b.last()).toBe(2);
  });

  it('drops the lowest key when full, many times over', () => {
    const b = num(3);
    for (let i = 1; i <= 10; i++) b.insert(i);
    expect(b.toArray()).toEqual([8, 9, 10]);
    expect(b.length).toBe(3);
    expect(b.last()).toBe(10);
  });

  it('inserts out-of-order items at their position', () => {
    const b = num(10);
    for (const x of [5, 1, 9, 3, 7, 2]) expect(b.insert(x)).toBe('added');
    expect(b.toArray()).toEqual([1, 2, 3, 5, 7, 9]);
    expect(b.last()).toBe(9);
  });

  it('ignores a key that is already present, wherever it is', () => {
    const b = num(10);
    for (const x of [1, 2, 3, 4]) b.insert(x);
    for (const x of [1, 2, 3, 4]) expect(b.insert(x)).toBe('duplicate');
    expect(b.toArray()).toEqual([1, 2, 3, 4]);
  });

  it('when full, keeps the highest keys: older than everything is refused, older than the newest evicts the oldest', () => {
    const b = num(3);
    for (const x of [10, 20, 30]) b.insert(x);
    expect(b.insert(5)).toBe('too-old');
    expect(b.toArray()).toEqual([10, 20, 30]);
    expect(b.insert(15)).toBe('added');
    expect(b.toArray()).toEqual([15, 20, 30]);
    expect(b.insert(25)).toBe('added');
    expect(b.toArray()).toEqual([20, 25, 30]);
    expect(b.insert(20)).toBe('duplicate');
  });

  it('clears', () => {
    const b = num(2);
    b.insert(1);
    b.clear();
    expect(b.length).toBe(0);
    b.insert(5);
    expect(b.toArray()).toEqual([5]);
  });

  it('rejects a bad capacity', () => {
    expect(() => num(0)).toThrow(RangeError);
    expect(() => num(1.5)).toThrow(RangeError);
  });

  it('ends up with the same contents whatever the arrival order', () => {
    const keys = Array.from({ length: 50 }, (_, i) => i * 7);
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 20; round++) {
      const shuffled = [...keys, ...keys.slice(0, 10)].sort(() => rand() - 0.5);
      const b = num(20);
      for (const k of shuffled) b.insert(k);
      expect(b.toArray()).toEqual(keys.slice(-20));
    }
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

  it('ignores the re-sent last sample', () => {
    const s = new SampleStore(10);
    expect(s.add(sample('a', 1000))).toBe(true);
    expect(s.add(sample('a', 2000))).toBe(true);
    expect(s.add(sample('a', 2000))).toBe(false);
    expect(s.count('a')).toBe(2);
  });

  it('inserts a late live sample in place instead of dropping it (failover reordering)', () => {
    const s = new SampleStore(10);
    expect(s.add(sample('a', 1000, 1))).toBe(true);
    expect(s.add(sample('a', 3000, 3))).toBe(true);
    expect(s.add(sample('a', 2000, 2))).toBe(true);
    expect(s.samples('a').map((x) => x.timestampUnixMs)).toEqual([1000, 2000, 3000]);
    expect(s.latest('a')?.cpu.totalPercent).toBe(3);
  });

  it('takes backfill as history: sorted in, duplicates ignored, the newest stays the newest', () => {
    const s = new SampleStore(600);
    // Live: 0..10 s, then the agent lost the hub; live resumes at 100..105 s.
    for (let t = 0; t <= 10; t++) s.add(sample('a', t * 1000, 1));
    for (let t = 100; t <= 105; t++) s.add(sample('a', t * 1000, 50));
    expect(s.latest('a')?.timestampUnixMs).toBe(105_000);
    // Replay: 5..104 s, overlapping what arrived live at both ends.
    let added = 0;
    for (let t = 5; t <= 104; t++) {
      const r = { ...sample('a', t * 1000, 99), replayed: true, bufferDroppedTotal: 0 };
      if (s.add(r)) added++;
    }
    expect(added).toBe(89); // 11..99 s
    const ts = s.samples('a').map((x) => x.timestampUnixMs);
    expect(ts).toEqual(Array.from({ length: 106 }, (_, i) => i * 1000));
    // The newest is still the live 105 s sample, and live duplicates were not replaced.
    expect(s.latest('a')?.timestampUnixMs).toBe(105_000);
    expect(s.latest('a')?.cpu.totalPercent).toBe(50);
    expect(s.samples('a')[5].cpu.totalPercent).toBe(1);
  });

  it('keeps only the newest samples when a backfill burst overflows the buffer', () => {
    const s = new SampleStore(600);
    for (let t = 1000; t < 1010; t++) s.add(sample('a', t * 1000));
    // 900 replayed samples, oldest first, all older than the live ones.
    for (let t = 100; t < 1000; t++) s.add({ ...sample('a', t * 1000), replayed: true });
    const ts = s.samples('a').map((x) => x.timestampUnixMs);
    expect(ts.length).toBe(600);
    expect(ts[0]).toBe(410_000);
    expect(ts[599]).toBe(1_009_000);
    expect(ts.every((t, i) => i === 0 || t > ts[i - 1])).toBe(true);
    // Newest first gives the same result.
    const r = new SampleStore(600);
    for (let t = 1000; t < 1010; t++) r.add(sample('a', t * 1000));
    for (let t = 999; t >= 100; t--) r.add({ ...sample('a', t * 1000), replayed: true });
    expect(r.samples('a').map((x) => x.timestampUnixMs)).toEqual(ts);
  });

  it('refuses a sample without a finite timestamp', () => {
    const s = new SampleStore(10);
    expect(s.add(sample('a', Number.NaN))).toBe(false);
    expect(s.count('a')).toBe(0);
  });

  it('backfill removes the gap markers it fills', () => {
    const s = new SampleStore(600);
    for (const t of [1, 2, 3, 10, 11]) s.add(sample('a', t * 1000, t));
    const gaps = () => {
      const xs = s.samples('a');
      return toSeries(xs, (x) => x.cpu.totalPercent, expectedIntervalMs(xs)).filter((p) => p.y === null)
        .length;
    };
    expect(gaps()).toBe(1);
    for (const t of [4, 5, 6]) s.add({ ...sample('a', t * 1000, t), replayed: true });
    expect(gaps()).toBe(1); // 6 → 10 s is still a gap
    for (const t of [7, 8, 9]) s.add({ ...sample('a', t * 1000, t), replayed: true });
    expect(gaps()).toBe(0);
    expect(s.samples('a').map((x) => x.cpu.totalPercent)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
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
