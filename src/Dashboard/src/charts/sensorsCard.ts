// Temperatures, fans and GPUs of the latest sample, as tables; the card hides itself on hosts that
// report none (most VMs). A temperature at or over its sensor's high threshold is marked, over the
// critical one in red. Test hooks: data-testid="sensors-card", "temperatures", "gpus".
import { el, fillRows } from '../dom';
import { formatBytes, formatPercent } from '../format';
import type { Sample } from '../types';
import { smallTable } from './common';

function celsius(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} °C` : '–';
}

/** The CSS class of a temperature against its thresholds (0 = none). Pure. */
export function temperatureTone(c: number, high: number, critical: number): string {
  if (critical > 0 && c >= critical) return 'text-danger fw-semibold';
  if (high > 0 && c >= high) return 'text-warning-emphasis fw-semibold';
  return '';
}

export class SensorsCard {
  private readonly temps: HTMLTableSectionElement;
  private readonly gpus: HTMLTableSectionElement;
  private readonly tempWrap: HTMLElement;
  private readonly gpuWrap: HTMLElement;

  constructor(
    private readonly card: HTMLElement,
    body: HTMLElement,
  ) {
    card.setAttribute('data-testid', 'sensors-card');
    const t = smallTable([
      { label: 'Sensor' },
      { label: 'Now', className: 'text-end' },
      { label: 'High', className: 'text-end d-none d-sm-table-cell' },
      { label: 'Critical', className: 'text-end d-none d-sm-table-cell' },
    ]);
    const g = smallTable([
      { label: 'GPU' },
      { label: 'Busy', className: 'text-end' },
      { label: 'Memory', className: 'text-end' },
      { label: 'Temp', className: 'text-end' },
      { label: 'Power', className: 'text-end d-none d-sm-table-cell' },
    ]);
    this.temps = t.body;
    this.gpus = g.body;
    this.tempWrap = el('div', { class: 'table-responsive', 'data-testid': 'temperatures' });
    this.tempWrap.append(t.table);
    this.gpuWrap = el('div', { class: 'table-responsive mt-2', 'data-testid': 'gpus' });
    this.gpuWrap.append(g.table);
    body.replaceChildren(this.gpuWrap, this.tempWrap);
    card.hidden = true;
  }

  update(latest: Sample | undefined): void {
    const temperatures = latest?.temperatures ?? [];
    const fans = latest?.fans ?? [];
    const gpus = latest?.gpus ?? [];
    this.card.hidden = temperatures.length + fans.length + gpus.length === 0;
    if (this.card.hidden) return;
    this.tempWrap.hidden = temperatures.length + fans.length === 0;
    fillRows(
      this.temps,
      [
        ...temperatures.map((s) => [
          s.name,
          {
            text: celsius(s.celsius),
            className: temperatureTone(s.celsius, s.highCelsius, s.criticalCelsius),
          },
          s.highCelsius > 0 ? celsius(s.highCelsius) : '–',
          s.criticalCelsius > 0 ? celsius(s.criticalCelsius) : '–',
        ]),
        ...fans.map((f) => [f.name, `${Math.round(f.rpm)} rpm`, '–', '–']),
      ],
      [
        'text-truncate sm-name',
        'text-end',
        'text-end d-none d-sm-table-cell',
        'text-end d-none d-sm-table-cell',
      ],
    );
    this.gpuWrap.hidden = gpus.length === 0;
    fillRows(
      this.gpus,
      gpus.map((g) => [
        { text: `${g.index}: ${g.name}`, title: g.uuid },
        formatPercent(g.utilizationPercent, 0),
        `${formatBytes(g.memoryUsedBytes)} / ${formatBytes(g.memoryTotalBytes)}`,
        celsius(g.temperatureCelsius),
        g.powerLimitWatts > 0
          ? `${Math.round(g.powerWatts)} / ${Math.round(g.powerLimitWatts)} W`
          : `${Math.round(g.powerWatts)} W`,
      ]),
      ['text-truncate sm-name', 'text-end', 'text-end', 'text-end', 'text-end d-none d-sm-table-cell'],
    );
  }
}
