import { describe, expect, it } from 'vitest';
import {
  exportFileName,
  exportLinks,
  historyToSamples,
  parseRange,
  rangeLabel,
  rangeQuery,
  rangeWindow,
  toProcessSnapshot,
} from './history';
import { expectedIntervalMs, timeline } from './store';

const point = (t: number, cpu: number) => ({
  timestampUnixMs: t,
  samples: 10,
  cpu: { avgPercent: cpu, minPercent: 0, maxPercent: 100 },
  corePercent: [cpu, cpu],
  load1m: 0.5,
  load5m: 0.4,
  load15m: 0.3,
  memory: {
    totalBytes: 100,
    usedBytes: 40,
    availableBytes: 60,
    cachedBytes: 10,
    buffersBytes: 5,
    freeBytes: 45,
    swapTotalBytes: 0,
    swapUsedBytes: 0,
  },
  disks: [
    {
      device: 'vda',
      readBytesPerSecond: 1,
      writeBytesPerSecond: 2,
      readsPerSecond: 3,
      writesPerSecond: 4,
      busyPercent: 5,
    },
  ],
  filesystems: [{ mountPoint: '/', totalBytes: 100, usedBytes: 30 }],
  networkInterfaces: [{ name: 'eth0', rxBytesPerSecond: 7, txBytesPerSecond: 8 }],
});

describe('history ranges', () => {
  it('parses and writes ranges, falling back to live', () => {
    expect(parseRange(new URLSearchParams('range=1h'))).toEqual({ name: '1h' });
    expect(parseRange(new URLSearchParams(''))).toEqual({ name: 'live' });
    expect(parseRange(new URLSearchParams('range=<x>'))).toEqual({ name: 'live' });
    expect(parseRange(new URLSearchParams('range=custom&from=2000&to=1000'))).toEqual({ name: 'live' });
    const custom = { name: 'custom' as const, fromMs: 1000, toMs: 5000 };
    expect(parseRange(new URLSearchParams(rangeQuery(custom)))).toEqual(custom);
    expect(rangeQuery({ name: 'live' })).toBe('');
    expect(rangeLabel({ name: '7d' })).toBe('7 days');
  });

  it('gives each range its window', () => {
    expect(rangeWindow({ name: '24h' }, 100_000_000)).toEqual({
      fromMs: 100_000_000 - 86_400_000,
      toMs: 100_000_000,
    });
    expect(rangeWindow({ name: 'custom', fromMs: 5, toMs: 9 }, 1e12)).toEqual({ fromMs: 5, toMs: 9 });
  });
});

describe('historyToSamples', () => {
  it('turns points into samples at the step, so gaps where the agent was away break the line', () => {
    const body = {
      stepSeconds: 10,
      points: [point(30_000, 3), point(10_000, 1), point(20_000, 2), point(120_000, 9)],
    };
    const samples = historyToSamples('m1', body);
    expect(samples.map((s) => s.timestampUnixMs)).toEqual([10_000, 20_000, 30_000, 120_000]);
    expect(samples[0].cpu.totalPercent).toBe(1);
    expect(samples[0].memory.usedBytes).toBe(40);
    expect(samples[0].filesystems[0].freeBytes).toBe(70);
    expect(samples[0].networkInterfaces[0].rxBytesPerSecond).toBe(7);
    expect(expectedIntervalMs(samples)).toBe(10_000);
    const line = timeline(samples, expectedIntervalMs(samples));
    // 90 s without a point at a 10 s step: a null marks the break before the last point.
    expect(line.filter((i) => i === null).length).toBe(1);
  });

  it('survives malformed and hostile bodies', () => {
    expect(historyToSamples('m', null)).toEqual([]);
    expect(historyToSamples('m', { points: 'nope' })).toEqual([]);
    const [s] = historyToSamples('m', {
      points: [
        {
          timestampUnixMs: 5,
          cpu: { avgPercent: 'x' },
          disks: [{ device: 'd'.repeat(10_000) }],
          networkInterfaces: 3,
        },
        { timestampUnixMs: 'x' },
      ],
    });
    expect(s.cpu.totalPercent).toBe(0);
    expect(s.disks[0].device.length).toBe(256);
    expect(s.networkInterfaces).toEqual([]);
  });
});

describe('toProcessSnapshot', () => {
  it('reads a snapshot and keeps hostile strings as capped text', () => {
    const snap = toProcessSnapshot({
      timestampUnixMs: 42,
      processes: [
        {
          pid: 7,
          name: '<script>alert(1)</script>',
          user: 'root',
          cpuPercent: 99.5,
          commandLine: 'x'.repeat(5000),
        },
        'junk',
      ],
    });
    expect(snap?.timestampUnixMs).toBe(42);
    expect(snap?.processes[0].name).toBe('<script>alert(1)</script>');
    expect(snap?.processes[0].commandLine.length).toBe(256);
    expect(snap?.processes[1].pid).toBe(0);
    expect(toProcessSnapshot({ processes: [] })).toBeNull();
  });
});

describe('exports', () => {
  it('downloads the window the charts show, as CSV and JSON, under a safe file name', () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    const links = exportLinks('web/1', { name: '1h' }, now);
    expect(links.csv).toBe(`api/machines/web%2F1/history.csv?from=${now - 3_600_000}&to=${now}`);
    expect(links.json).toBe(`api/machines/web%2F1/history?from=${now - 3_600_000}&to=${now}`);
    expect(exportLinks('m', { name: 'custom', fromMs: 5, toMs: 9 }, now).json).toBe(
      'api/machines/m/history?from=5&to=9',
    );
    expect(exportFileName('<img src=x>/..', { name: 'live' }, now, 'csv')).toBe(
      'sysmon-_img_src_x_..-2026-12-02T11-50-00Z.csv',
    );
  });
});
