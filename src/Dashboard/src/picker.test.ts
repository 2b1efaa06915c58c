// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { filterMachines, MAX_ENTRIES, Picker, sortMachines } from './picker';
import type { Machine } from './types';

function machine(
  id: string,
  hostname: string,
  online: boolean,
  os = 'Debian GNU/Linux 12 (bookworm)',
): Machine {
  return {
    id,
    hostname,
    os,
    osVersion: '12',
    kernelVersion: '6.1.0',
    architecture: 'x64',
    cpuModel: 'AMD EPYC 7B13',
    logicalCores: 2,
    physicalCores: 1,
    memoryTotalBytes: 1,
    agentVersion: '0.1.0',
    bootTime: '2026-11-25T10:00:00Z',
    online,
    lastSeen: '2026-11-25T16:40:00.123Z',
    tags: [],
  };
}

const FLEET = [
  machine('m3', 'web-10', true),
  machine('m1', 'db-1', false, 'Ubuntu 24.04 LTS'),
  machine('m2', 'web-2', true),
];

describe('sortMachines / filterMachines', () => {
  it('puts online machines first, then natural hostname order', () => {
    expect(sortMachines(FLEET).map((m) => m.hostname)).toEqual(['web-2', 'web-10', 'db-1']);
  });
  it('filters by every word, case-insensitively, over hostname, OS and id', () => {
    expect(filterMachines(FLEET, 'WEB').map((m) => m.id)).toEqual(['m2', 'm3']);
    expect(filterMachines(FLEET, 'ubuntu').map((m) => m.id)).toEqual(['m1']);
    expect(filterMachines(FLEET, 'web 10').map((m) => m.id)).toEqual(['m3']);
    expect(filterMachines(FLEET, 'm1').map((m) => m.id)).toEqual(['m1']);
    expect(filterMachines(FLEET, '  ').length).toBe(3);
    expect(filterMachines(FLEET, 'nothing')).toEqual([]);
  });
});

describe('Picker', () => {
  it('renders entries with data-machine-id as text and opens on click and Enter', () => {
    const host = document.createElement('div');
    document.body.append(host);
    const open = vi.fn();
    const picker = new Picker(host, open);
    picker.setMachines([...FLEET, machine('evil', '<img src=x onerror=alert(1)>', true)]);

    expect(host.querySelectorAll('[data-machine-id]').length).toBe(4);
    expect(host.querySelector('img')).toBeNull();
    expect(host.querySelector('[data-machine-id="m1"] .sm-dot-offline')).not.toBeNull();

    host.querySelector<HTMLElement>('[data-machine-id="m3"]')?.click();
    expect(open).toHaveBeenLastCalledWith('m3');

    const input = host.querySelector('input') as HTMLInputElement;
    input.value = 'db';
    input.dispatchEvent(new Event('input'));
    expect(
      [...host.querySelectorAll('[data-machine-id]')].map((e) => e.getAttribute('data-machine-id')),
    ).toEqual(['m1']);
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(open).toHaveBeenLastCalledWith('m1');
    host.remove();
  });

  it('lists at most MAX_ENTRIES, says more match, and leaves the list alone when a poll changes nothing', () => {
    const host = document.createElement('div');
    document.body.append(host);
    const picker = new Picker(host, () => {});
    const many = Array.from({ length: MAX_ENTRIES + 50 }, (_, i) =>
      machine(`m${i}`, `host-${i}`, i % 2 === 0),
    );
    picker.setMachines(many);

    expect(host.querySelectorAll('[data-machine-id]').length).toBe(MAX_ENTRIES);
    expect(host.textContent).toContain(`${MAX_ENTRIES} of ${MAX_ENTRIES + 50} shown`);
    expect(host.textContent).toContain('type to narrow');

    const first = host.querySelector('[data-machine-id]');
    picker.setMachines(many.map((m) => ({ ...m })));
    expect(host.querySelector('[data-machine-id]')).toBe(first);

    // A machine going offline is shown.
    picker.setMachines(many.map((m) => (m.id === 'm0' ? { ...m, online: false } : m)));
    expect(host.querySelector('[data-machine-id="m0"] .sm-dot-offline')).not.toBeNull();
    host.remove();
  });
});
