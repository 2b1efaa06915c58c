import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUERY,
  FleetModel,
  parseFleetBatch,
  parseFleetEntry,
  parseSortKey,
  SparkRing,
  sparkRuns,
} from './fleet';
import type { FleetEntry, Machine } from './types';

function entry(id: string, over: Partial<FleetEntry> = {}): FleetEntry {
  return {
    machineId: id,
    hostname: id,
    online: true,
    cpuPercent: 0,
    memoryUsedPercent: 0,
    diskUsedPercent: 0,
    networkRxBytesPerSecond: 0,
    networkTxBytesPerSecond: 0,
    uptimeSeconds: 0,
    timestampUnixMs: 1000,
    load1m: 0,
    ...over,
  };
}

function machine(id: string, over: Partial<Machine> = {}): Machine {
  return {
    id,
    hostname: id,
    os: 'Debian GNU/Linux',
    osVersion: '12',
    kernelVersion: '',
    architecture: 'x86_64',
    cpuModel: '',
    logicalCores: 2,
    physicalCores: 2,
    memoryTotalBytes: 0,
    agentVersion: '',
    bootTime: '',
    online: true,
    lastSeen: '2026-12-02T00:00:00Z',
    tags: [],
    ...over,
  };
}

describe('parseFleetBatch', () => {
  it('keeps the valid records of a message or GET api/fleet and drops the rest', () => {
    const good = ['m1', 'web-1', true, 12.5, 40, 70, 1000, 2000, 3600, 1234, 0.75];
    const entries = parseFleetBatch([good, ['short'], null, 'text', [42, 'x', true, 1, 2, 3, 4, 5, 6, 7]]);
    expect(entries.map((e) => e.machineId)).toEqual(['m1']);
    expect(parseFleetBatch({ not: 'an array' })).toEqual([]);
    expect(parseFleetBatch(null)).toEqual([]);
  });
});

describe('parseFleetEntry', () => {
  it('names the positional fields and reads the appended load', () => {
    const e = parseFleetEntry(['m1', 'web-1', true, 12.5, 40, 70, 1000, 2000, 3600, 1234, 0.75]);
    expect(e).toEqual(
      entry('m1', {
        hostname: 'web-1',
        cpuPercent: 12.5,
        memoryUsedPercent: 40,
        diskUsedPercent: 70,
        networkRxBytesPerSecond: 1000,
        networkTxBytesPerSecond: 2000,
        uptimeSeconds: 3600,
        timestampUnixMs: 1234,
        load1m: 0.75,
      }),
    );
  });

  it('reads records of hubs that predate the load field', () => {
    expect(parseFleetEntry(['m1', 'h', false, 1, 2, 3, 4, 5, 6, 7])?.load1m).toBe(0);
  });

  it('refuses what is not a record and neutralises bad numbers and huge names', () => {
    expect(parseFleetEntry(null)).toBeNull();
    expect(parseFleetEntry({ machineId: 'x' })).toBeNull();
    expect(parseFleetEntry(['', 'h', true, 1, 2, 3, 4, 5, 6, 7])).toBeNull();
    expect(parseFleetEntry([42, 'h', true, 1, 2, 3, 4, 5, 6, 7])).toBeNull();
    const e = parseFleetEntry(['m', 'x'.repeat(100_000), 'yes', 'NaN', null, Infinity, -1, 5, 6, 7]);
    expect(e?.hostname.length).toBeLessThanOrEqual(257);
    expect(e?.online).toBe(false);
    expect(e?.cpuPercent).toBe(0);
    expect(e?.diskUsedPercent).toBe(0);
  });
});

describe('SparkRing', () => {
  it('keeps the newest points, oldest first, and ignores repeats and reordering', () => {
    const r = new SparkRing(3);
    expect(r.push(1, 10)).toBe(true);
    expect(r.push(1, 11)).toBe(false);
    r.push(2, 20);
    r.push(3, 30);
    r.push(4, 40);
    expect(r.push(3.5, 1)).toBe(false);
    expect(r.length).toBe(3);
    expect([0, 1, 2].map((i) => r.at(i).v)).toEqual([20, 30, 40]);
    expect(r.lastTime()).toBe(4);
  });
});

describe('sparkRuns', () => {
  it('maps points into the box and breaks the line where the agent was away', () => {
    const r = new SparkRing(20); // 40 s wide at 2 s
    // 2 s cadence, then a 20 s hole, then two more points.
    for (const [t, v] of [
      [0, 0],
      [2000, 50],
      [4000, 100],
      [24_000, 50],
      [26_000, 0],
    ])
      r.push(t, v);
    const runs = sparkRuns(r, 100, 10, 100, 2000, 26_000);
    expect(runs.map((run) => run.length)).toEqual([3, 2]);
    const [x0, y0] = runs[0][0];
    expect(y0).toBe(10); // 0 % at the bottom
    expect(runs[0][2][1]).toBe(0); // 100 % at the top
    expect(runs[1][1][0]).toBe(100); // the newest point at the right edge
    expect(x0).toBeGreaterThanOrEqual(0);
  });

  it('clamps values outside 0..max and is empty without points', () => {
    expect(sparkRuns(new SparkRing(4), 10, 10)).toEqual([]);
    const r = new SparkRing(4);
    r.push(1000, 250);
    r.push(3000, -5);
    const [[a, b]] = sparkRuns(r, 10, 10);
    expect(a[1]).toBe(0);
    expect(b[1]).toBe(10);
  });
});

describe('FleetModel', () => {
  it('merges snapshots and updates, keeping a CPU history per machine', () => {
    const m = new FleetModel();
    m.applyFleet([
      entry('a', { cpuPercent: 10, timestampUnixMs: 1000 }),
      entry('b', { timestampUnixMs: 1000 }),
    ]);
    m.applyFleet([entry('a', { cpuPercent: 20, timestampUnixMs: 3000 })]);
    expect(m.size).toBe(2);
    expect(m.get('a')?.cpuPercent).toBe(20);
    expect(m.get('a')?.cpuHistory.length).toBe(2);
    // An old record arriving late changes nothing.
    m.applyFleet([entry('a', { cpuPercent: 99, timestampUnixMs: 2000 })]);
    expect(m.get('a')?.cpuPercent).toBe(20);
  });

  it('records since when a machine is offline and clears it when it returns', () => {
    const m = new FleetModel();
    m.applyFleet([entry('a', { timestampUnixMs: 5000 })]);
    m.applyFleet([entry('a', { online: false, timestampUnixMs: 5000 })]);
    expect(m.get('a')?.online).toBe(false);
    expect(m.get('a')?.offlineSinceMs).toBe(5000);
    expect(m.counts()).toEqual({ online: 0, offline: 1 });
    m.applyFleet([entry('a', { timestampUnixMs: 9000 })]);
    expect(m.get('a')?.offlineSinceMs).toBeUndefined();
  });

  it('takes OS and machines not yet in the fleet stream from api/machines', () => {
    const m = new FleetModel();
    m.applyFleet([entry('a')]);
    m.applyMachines([
      machine('a', { os: 'Ubuntu', osVersion: '24.04' }),
      machine('z', { hostname: 'zeta', online: false }),
    ]);
    expect(m.get('a')?.os).toBe('Ubuntu 24.04');
    m.applyMachines([machine('a', { os: 'Debian GNU/Linux 12 (bookworm)', osVersion: '12 (bookworm)' })]);
    expect(m.get('a')?.os).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(m.get('z')?.hostname).toBe('zeta');
    expect(m.get('z')?.online).toBe(false);
    expect(m.get('z')?.offlineSinceMs).toBe(Date.parse('2026-12-02T00:00:00Z'));
  });

  it('re-ranks by name when a host is renamed and sorts by OS', () => {
    const model = new FleetModel();
    model.applyFleet([
      entry('a', { hostname: 'alpha' }),
      entry('b', { hostname: 'bravo' }),
      entry('c', { hostname: 'charlie' }),
    ]);
    const names = (q: Partial<typeof DEFAULT_QUERY>) =>
      model.query({ ...DEFAULT_QUERY, ...q }).map((r) => r.hostname);
    expect(names({ sort: 'name' })).toEqual(['alpha', 'bravo', 'charlie']);
    model.applyFleet([entry('a', { hostname: 'zulu', timestampUnixMs: 2000 })]);
    expect(names({ sort: 'name' })).toEqual(['bravo', 'charlie', 'zulu']);
    expect(names({ sort: 'name', descending: true })).toEqual(['zulu', 'charlie', 'bravo']);
    model.applyMachines([
      machine('b', { hostname: 'bravo', os: 'Ubuntu', osVersion: '' }),
      machine('c', { hostname: 'charlie', os: 'Alpine', osVersion: '' }),
      machine('a', { hostname: 'zulu', os: 'Debian', osVersion: '' }),
    ]);
    expect(names({ sort: 'os' })).toEqual(['charlie', 'zulu', 'bravo']);
  });

  it('sorts by any column both ways, ties by name, offline first by default', () => {
    const m = new FleetModel();
    m.applyFleet([
      entry('a', { hostname: 'web-10', cpuPercent: 5, load1m: 3 }),
      entry('b', { hostname: 'web-2', cpuPercent: 50, load1m: 1 }),
      entry('c', { hostname: 'db-1', cpuPercent: 5, online: false }),
    ]);
    const names = (q: Partial<typeof DEFAULT_QUERY>) =>
      m.query({ ...DEFAULT_QUERY, ...q }).map((r) => r.hostname);
    expect(names({})).toEqual(['db-1', 'web-2', 'web-10']); // offline first, then natural order
    expect(names({ sort: 'cpu' })).toEqual(['db-1', 'web-10', 'web-2']);
    expect(names({ sort: 'cpu', descending: true })).toEqual(['web-2', 'db-1', 'web-10']);
    expect(names({ sort: 'load', descending: true })[0]).toBe('web-10');
    expect(names({ sort: 'name' })).toEqual(['db-1', 'web-2', 'web-10']);
  });

  it('filters by every word and by status', () => {
    const m = new FleetModel();
    m.applyFleet([entry('a', { hostname: 'web-1' }), entry('b', { hostname: 'db-1', online: false })]);
    m.applyMachines([machine('a', { hostname: 'web-1', os: 'Ubuntu', tags: ['prod', 'team:web'] })]);
    const ids = (q: Partial<typeof DEFAULT_QUERY>) => m.query({ ...DEFAULT_QUERY, ...q }).map((r) => r.id);
    expect(ids({ text: 'WEB ubuntu' })).toEqual(['a']);
    expect(ids({ text: 'team:web' })).toEqual(['a']); // tags are matched too
    expect(ids({ text: 'web debian' })).toEqual([]);
    expect(ids({ status: 'offline' })).toEqual(['b']);
    expect(ids({ status: 'online' })).toEqual(['a']);
  });

  it('parses sort keys from URLs', () => {
    expect(parseSortKey('cpu')).toBe('cpu');
    expect(parseSortKey('<script>')).toBe('status');
    expect(parseSortKey(null)).toBe('status');
  });
});
