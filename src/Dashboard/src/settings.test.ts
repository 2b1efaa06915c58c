import { describe, expect, it } from 'vitest';
import { machineFromUrl, machineHash, parseRefreshSeconds, parseThemePref } from './settings';

describe('settings', () => {
  it('accepts only 1, 3 or 5 second refresh', () => {
    expect(parseRefreshSeconds('3')).toBe(3);
    expect(parseRefreshSeconds('5')).toBe(5);
    expect(parseRefreshSeconds('2')).toBe(1);
    expect(parseRefreshSeconds(null)).toBe(1);
    expect(parseRefreshSeconds('abc')).toBe(1);
  });
  it('follows the system theme unless light or dark was chosen', () => {
    expect(parseThemePref('dark')).toBe('dark');
    expect(parseThemePref('light')).toBe('light');
    expect(parseThemePref(null)).toBe('auto');
    expect(parseThemePref('purple')).toBe('auto');
  });
});

describe('routes', () => {
  it('reads ?machine= and #/machine/', () => {
    expect(machineFromUrl('?machine=abc-1', '')).toBe('abc-1');
    expect(machineFromUrl('', '#/machine/abc.2')).toBe('abc.2');
    expect(machineFromUrl('?machine=q', '#/machine/h')).toBe('q');
    expect(machineFromUrl('?other=1', '#/somewhere')).toBeNull();
    expect(machineFromUrl('', '#/machine/%E0%A4%A')).toBeNull();
  });
  it('round-trips ids through the hash', () => {
    for (const id of ['a', 'host_1.example-2', 'x/y z']) expect(machineFromUrl('', machineHash(id))).toBe(id);
  });
});
