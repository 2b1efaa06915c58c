import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatAxisTime,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatPercent,
  formatPerSecond,
  formatRate,
} from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [25_000_000_000, '23 GiB'],
    [5 * 1024 ** 4, '5.0 TiB'],
    [-2048, '-2.0 KiB'],
  ])('%d → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('renders non-numbers as a dash', () => {
    expect(formatBytes(Number.NaN)).toBe('–');
    expect(formatBytes(undefined as unknown as number)).toBe('–');
  });
});

describe('formatRate / formatPercent / formatPerSecond / formatCount', () => {
  it('formats rates', () => {
    expect(formatRate(1.5 * 1024 * 1024)).toBe('1.5 MiB/s');
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe('–');
  });
  it('formats percents', () => {
    expect(formatPercent(12.345)).toBe('12.3%');
    expect(formatPercent(100, 0)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('–');
  });
  it('formats per-second events', () => {
    expect(formatPerSecond(0)).toBe('0/s');
    expect(formatPerSecond(0.25)).toBe('0.25/s');
    expect(formatPerSecond(12.4)).toBe('12/s');
    expect(formatPerSecond(1234)).toBe('1.2k/s');
    expect(formatPerSecond(2_500_000)).toBe('2.5M/s');
  });
  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1\u202f234\u202f567');
    expect(formatCount(999)).toBe('999');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [42.9, '42s'],
    [303, '5m 03s'],
    [4 * 3600 + 5 * 60, '4h 05m'],
    [3 * 86400 + 4 * 3600 + 59, '3d 4h'],
  ])('%d s → %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
  it('rejects negatives', () => {
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('formatClock / formatAgo', () => {
  it('formats local wall-clock time', () => {
    const ms = new Date(2026, 10, 25, 9, 5, 7).getTime();
    expect(formatClock(ms)).toBe('09:05:07');
  });
  it('formats ages', () => {
    expect(formatAgo(1000, 1500)).toBe('just now');
    expect(formatAgo(0, 12_000)).toBe('12s ago');
    expect(formatAgo(0, 303_000)).toBe('5m 03s ago');
  });
});

describe('formatAxisTime', () => {
  it('shows seconds within an hour, minutes within a day, and the weekday beyond', () => {
    const t = new Date(2026, 11, 1, 14, 5, 9).getTime(); // a Tuesday, local time
    expect(formatAxisTime(t, 60_000)).toBe('14:05:09');
    expect(formatAxisTime(t, 6 * 3_600_000)).toBe('14:05');
    expect(formatAxisTime(t, 7 * 86_400_000)).toBe('Tue 14:05');
    expect(formatAxisTime(Number.NaN, 1)).toBe('–');
  });
});
