import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { acceptSample, RenderLoop } from './renderLoop';
import { SampleStore } from './store';
import type { Sample } from './types';

function sample(machineId: string, t: number, replayed = false): Sample {
  return { machineId, timestampUnixMs: t, intervalSeconds: 1, replayed } as Sample;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup(open: string | null = 'a') {
  const store = new SampleStore(600);
  let draws = 0;
  let idles = 0;
  const drawn: number[][] = [];
  const loop = new RenderLoop(
    () => {
      draws++;
      if (open) drawn.push(store.samples(open).map((s) => s.timestampUnixMs));
    },
    () => idles++,
  );
  loop.start(1000);
  return {
    store,
    loop,
    drawn,
    feed: (s: Sample) => acceptSample(store, loop, s, open),
    draws: () => draws,
    idles: () => idles,
  };
}

describe('RenderLoop + acceptSample', () => {
  it('draws the first sample of the open machine at once, later ones at the next tick', () => {
    const r = setup();
    r.feed(sample('a', 1000));
    expect(r.draws()).toBe(1);
    r.feed(sample('a', 2000));
    r.feed(sample('a', 3000));
    expect(r.draws()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(r.draws()).toBe(2);
    expect(r.drawn.at(-1)).toEqual([1000, 2000, 3000]);
    vi.advanceTimersByTime(1000);
    expect(r.draws()).toBe(2);
    expect(r.idles()).toBe(1);
  });

  it('redraws once per tick for a burst of 900 backfill samples', () => {
    const r = setup();
    for (let t = 1000; t < 1010; t++) r.feed(sample('a', t * 1000));
    vi.advanceTimersByTime(1000);
    const before = r.draws();
    for (let t = 100; t < 1000; t++) r.feed(sample('a', t * 1000, true));
    expect(r.draws()).toBe(before);
    vi.advanceTimersByTime(1000);
    expect(r.draws()).toBe(before + 1);
    const last = r.drawn.at(-1) ?? [];
    expect(last.length).toBe(600);
    expect(last.at(-1)).toBe(1_009_000);
    vi.advanceTimersByTime(5000);
    expect(r.draws()).toBe(before + 1);
  });

  it('a backfill burst as the very first data costs one immediate draw and one tick', () => {
    const r = setup();
    for (let t = 1; t <= 900; t++) r.feed(sample('a', t * 1000, true));
    expect(r.draws()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(r.draws()).toBe(2);
    expect(r.drawn.at(-1)?.length).toBe(600);
  });

  it('does not redraw for duplicates or for another machine', () => {
    const r = setup();
    r.feed(sample('a', 1000));
    vi.advanceTimersByTime(1000);
    const before = r.draws();
    r.feed(sample('a', 1000, true));
    r.feed(sample('b', 5000));
    r.feed(sample('b', 6000));
    vi.advanceTimersByTime(1000);
    expect(r.draws()).toBe(before);
    expect(r.store.count('b')).toBe(2);
  });

  it('drawNow drops the pending redraw; start() changes the cadence', () => {
    const r = setup();
    r.feed(sample('a', 1000));
    r.feed(sample('a', 2000));
    expect(r.loop.pending).toBe(true);
    r.loop.drawNow();
    expect(r.loop.pending).toBe(false);
    const before = r.draws();
    r.loop.start(5000);
    r.feed(sample('a', 3000));
    vi.advanceTimersByTime(4999);
    expect(r.draws()).toBe(before);
    vi.advanceTimersByTime(1);
    expect(r.draws()).toBe(before + 1);
    r.loop.stop();
    r.feed(sample('a', 4000));
    vi.advanceTimersByTime(60_000);
    expect(r.draws()).toBe(before + 1);
  });
});
