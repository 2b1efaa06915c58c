import { describe, expect, it } from 'vitest';
import { alignSeries } from './compare';
import { COMPARE_METRICS, MAX_COMPARED, parseCompare } from './compareQuery';
import type { Sample } from './types';

const at = (t: number, cpu: number) =>
  ({
    timestampUnixMs: t,
    cpu: { totalPercent: cpu, load1m: 0 },
    memory: { totalBytes: 0, usedBytes: 0 },
    networkInterfaces: [],
    disks: [],
  }) as unknown as Sample;

describe('compare', () => {
  it('puts machines on one axis of step buckets, with breaks where one has no point', () => {
    const a = { samples: [at(10_003, 1), at(20_001, 2), at(30_002, 3)] };
    const b = { samples: [at(10_900, 10), at(30_500, 30)] };
    const { xs, ys } = alignSeries([a, b], COMPARE_METRICS.cpu.value, 10_000);
    expect(xs).toEqual([10_000, 20_000, 30_000]);
    expect(ys).toEqual([
      [1, 2, 3],
      [10, null, 30],
    ]);
  });

  it('treats a metric a sample cannot give (no memory total) as a break', () => {
    const { ys } = alignSeries([{ samples: [at(1000, 5)] }], COMPARE_METRICS.memory.value, 1000);
    expect(ys).toEqual([[null]]);
  });

  it('caps the machines and ignores unknown metrics and ranges', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`).join(',');
    const q = parseCompare(new URLSearchParams(`ids=${ids}&metric=evil&range=5y`));
    expect(q.ids.length).toBe(MAX_COMPARED);
    expect(q.metric).toBe('cpu');
    expect(q.range).toEqual({ name: '1h' });
  });
});
