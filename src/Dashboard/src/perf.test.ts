import { describe, expect, it } from 'vitest';
import { MAX_KEPT, perf, timed } from './perf';

describe('perf', () => {
  it('keeps a bounded record of redraw times, deferred drawing included, and when data first reached the screen', async () => {
    timed('fleet', () => false);
    await Promise.resolve();
    expect(perf.firstDataMs).toBeUndefined();
    for (let i = 0; i < MAX_KEPT + 50; i++) timed('machine', () => true);
    await Promise.resolve();
    expect(perf.machine.length).toBe(MAX_KEPT);
    expect(perf.fleet.length).toBe(1);
    expect(perf.firstDataMs).toBeGreaterThan(0);
    expect((globalThis as { __sysmonPerf?: unknown }).__sysmonPerf).toBe(perf);
  });
});
