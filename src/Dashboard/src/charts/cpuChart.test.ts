import { describe, expect, it } from 'vitest';
import { formatFrequency } from './cpuChart';

describe('formatFrequency', () => {
  it('shows the average with the slowest and fastest core when they differ', () => {
    expect(formatFrequency({ frequencyAvgMhz: 2400, frequencyMinMhz: 1200, frequencyMaxMhz: 3100 })).toBe(
      '2.40 GHz (1.20–3.10)',
    );
  });
  it('shows the average alone when every core runs at one clock', () => {
    expect(formatFrequency({ frequencyAvgMhz: 2000, frequencyMinMhz: 2000, frequencyMaxMhz: 2000 })).toBe(
      '2.00 GHz',
    );
  });
  it('shows a dash where the platform reports no clock (VMs, history points)', () => {
    expect(formatFrequency({ frequencyAvgMhz: 0, frequencyMinMhz: 0, frequencyMaxMhz: 0 })).toBe('–');
    expect(formatFrequency({ frequencyAvgMhz: Number.NaN, frequencyMinMhz: 0, frequencyMaxMhz: 0 })).toBe(
      '–',
    );
    expect(formatFrequency(undefined)).toBe('–');
  });
});
