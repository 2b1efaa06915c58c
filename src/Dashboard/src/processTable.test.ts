// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import {
  filterProcesses,
  nextSort,
  ProcessTable,
  renderProcessRows,
  sortProcesses,
  watchedLabels,
} from './processTable';
import type { ProcessSample } from './types';

function proc(pid: number, name: string, cpuPercent: number, residentBytes: number): ProcessSample {
  return {
    pid,
    name,
    user: 'root',
    cpuPercent,
    residentBytes,
    memoryPercent: 0,
    threads: 1,
    state: 'S',
    commandLine: `/usr/bin/${name}`,
  };
}

const PROCS = [
  proc(30, 'nginx', 5, 300),
  proc(10, 'bash', 50, 100),
  proc(20, 'Xorg', 5, 900),
  proc(40, 'node', 12.5, 200),
];

describe('sortProcesses', () => {
  it('sorts by cpu descending with pid as the tie-breaker', () => {
    expect(sortProcesses(PROCS, { key: 'cpu', dir: 'desc' }).map((p) => p.pid)).toEqual([10, 40, 20, 30]);
  });
  it('sorts by memory both ways', () => {
    expect(sortProcesses(PROCS, { key: 'memory', dir: 'desc' }).map((p) => p.pid)).toEqual([20, 30, 40, 10]);
    expect(sortProcesses(PROCS, { key: 'memory', dir: 'asc' }).map((p) => p.pid)).toEqual([10, 40, 30, 20]);
  });
  it('sorts by name case-insensitively', () => {
    expect(sortProcesses(PROCS, { key: 'name', dir: 'asc' }).map((p) => p.name)).toEqual([
      'bash',
      'nginx',
      'node',
      'Xorg',
    ]);
  });
  it('sorts by pid and does not mutate its input', () => {
    const before = PROCS.map((p) => p.pid);
    expect(sortProcesses(PROCS, { key: 'pid', dir: 'desc' }).map((p) => p.pid)).toEqual([40, 30, 20, 10]);
    expect(PROCS.map((p) => p.pid)).toEqual(before);
  });
});

describe('nextSort', () => {
  it('flips direction on the same column and starts numbers high, names A→Z', () => {
    expect(nextSort({ key: 'cpu', dir: 'desc' }, 'cpu')).toEqual({ key: 'cpu', dir: 'asc' });
    expect(nextSort({ key: 'cpu', dir: 'desc' }, 'memory')).toEqual({ key: 'memory', dir: 'desc' });
    expect(nextSort({ key: 'cpu', dir: 'desc' }, 'name')).toEqual({ key: 'name', dir: 'asc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'pid')).toEqual({ key: 'pid', dir: 'asc' });
  });
});

describe('renderProcessRows (security)', () => {
  it('renders agent strings as text, never as markup', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const hostile: ProcessSample = {
      ...proc(666, evil, 99, 1),
      user: '<b>root</b>',
      state: '<i>',
      commandLine: `"><script>alert(2)</script>`,
    };
    const table = document.createElement('table');
    const tbody = document.createElement('tbody');
    table.append(tbody);
    renderProcessRows(tbody, [hostile]);

    expect(tbody.querySelectorAll('img, script, b, i').length).toBe(0);
    // Only the row and its plain cells exist.
    const tags = new Set([...tbody.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()));
    expect([...tags].sort()).toEqual(['td', 'tr']);
    const cells = [...tbody.querySelectorAll('td')].map((td) => td.textContent);
    expect(cells).toContain(evil);
    expect(cells).toContain('<b>root</b>');
    expect(tbody.querySelector('td[title]')?.getAttribute('title')).toBe(hostile.commandLine);
  });
});

describe('ProcessTable', () => {
  it('shows the top 10, sorts on header clicks and marks the direction', () => {
    const host = document.createElement('div');
    const table = new ProcessTable(host);
    const many = Array.from({ length: 15 }, (_, i) => proc(i + 1, `p${i + 1}`, i, 1000 - i));
    table.update(many);
    const pids = () =>
      [...table.body.querySelectorAll('tr')].map((r) => Number(r.querySelector('td')?.textContent));

    expect(table.body.getAttribute('data-testid')).toBe('process-rows');
    expect(table.body.querySelectorAll('tr').length).toBe(10);
    expect(pids()[0]).toBe(15); // highest CPU first

    const memory = host.querySelector<HTMLButtonElement>('button[data-sort="memory"]');
    memory?.click();
    expect(pids()[0]).toBe(1); // most memory first
    expect(memory?.textContent).toBe('Memory ▼');
    expect(memory?.closest('th')?.getAttribute('aria-sort')).toBe('descending');

    memory?.click();
    expect(memory?.textContent).toBe('Memory ▲');
    expect(pids()[0]).toBe(15);

    // Re-renders itself with the next update, keeping the chosen sort.
    table.update(many.slice(0, 3));
    expect(pids()).toEqual([3, 2, 1]);
  });

  it('filters by every word in name, user, command line or pid, and says when nothing matches', () => {
    const host = document.createElement('div');
    const table = new ProcessTable(host);
    table.update(PROCS);
    const filter = host.querySelector<HTMLInputElement>('[data-testid="process-filter"]');
    if (!filter) throw new Error('no filter box');
    const type = (text: string) => {
      filter.value = text;
      filter.dispatchEvent(new Event('input'));
    };
    type('NODE');
    expect(table.body.querySelectorAll('tr').length).toBe(1);
    type('root 30');
    expect(table.body.textContent).toContain('nginx');
    type('nothing-like-this');
    expect(host.textContent).toContain('No process matches the filter.');
    type('');
    expect(table.body.querySelectorAll('tr').length).toBe(4);
    expect(filterProcesses(PROCS, '  ')).toBe(PROCS);
    expect(filterProcesses(PROCS, 'usr/bin/x').map((p) => p.pid)).toEqual([20]);
  });

  it('shows a placeholder row without data', () => {
    const table = new ProcessTable(document.createElement('div'));
    expect(table.body.querySelectorAll('tr').length).toBe(1);
    expect(table.body.textContent).toBe('No process data');
  });
});

describe('watchedLabels', () => {
  it('names running processes with their count and the missing ones as not running, in order', () => {
    expect(
      watchedLabels([
        { name: 'nginx', count: 3 },
        { name: 'cron', count: 1 },
        { name: 'postgres', count: 0 },
      ]),
    ).toEqual([
      { text: 'nginx ×3', running: true },
      { text: 'cron', running: true },
      { text: 'postgres: not running', running: false },
    ]);
    expect(watchedLabels(undefined)).toEqual([]);
  });
});
