// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { Sample } from '../types';
import { SensorsCard, temperatureTone } from './sensorsCard';

function setup() {
  const card = document.createElement('div');
  const body = document.createElement('div');
  card.append(body);
  return { card, body, sensors: new SensorsCard(card, body) };
}

describe('SensorsCard', () => {
  it('stays hidden on a host without sensors or GPUs', () => {
    const { card, sensors } = setup();
    sensors.update({ temperatures: [], fans: [], gpus: [] } as unknown as Sample);
    expect(card.hidden).toBe(true);
    sensors.update(undefined);
    expect(card.hidden).toBe(true);
  });

  it('lists temperatures, fans and GPUs, names as text, hot sensors marked', () => {
    const { card, sensors } = setup();
    sensors.update({
      temperatures: [
        { name: '<img src=x onerror=alert(1)>', celsius: 91, highCelsius: 80, criticalCelsius: 100 },
      ],
      fans: [{ name: 'fan1', rpm: 1200.4 }],
      gpus: [
        {
          index: 0,
          name: 'NVIDIA H200',
          uuid: 'GPU-1',
          vendor: 'nvidia',
          utilizationPercent: 42,
          memoryUtilizationPercent: 10,
          memoryUsedBytes: 1 << 30,
          memoryTotalBytes: 4 << 30,
          temperatureCelsius: 55,
          powerWatts: 300,
          powerLimitWatts: 700,
          fanPercent: 0,
        },
      ],
    } as unknown as Sample);
    expect(card.hidden).toBe(false);
    expect(card.querySelector('img')).toBeNull();
    expect(card.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(card.textContent).toContain('91.0 °C');
    expect(card.textContent).toContain('1200 rpm');
    expect(card.textContent).toContain('0: NVIDIA H200');
    expect(card.textContent).toContain('300 / 700 W');
    expect(card.querySelector('.fw-semibold')?.textContent).toBe('91.0 °C');
  });

  it('tones a temperature by its thresholds', () => {
    expect(temperatureTone(50, 80, 100)).toBe('');
    expect(temperatureTone(85, 80, 100)).toContain('warning');
    expect(temperatureTone(100, 80, 100)).toContain('danger');
    expect(temperatureTone(150, 0, 0)).toBe('');
  });
});
