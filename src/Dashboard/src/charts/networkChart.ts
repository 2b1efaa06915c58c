// Network: receive / transmit bytes per second per interface (rx solid, tx dashed, one colour per
// interface), and a table with the latest rates, error and drop rates and their totals since boot.
import { el, fillRows } from '../dom';
import { formatCount, formatPerSecond, formatRate } from '../format';
import { type ChartInput, chartBox, LineChart, setPairedLines, smallTable } from './common';

const CLASSES = ['text-truncate sm-name', 'text-end', 'text-end', 'text-end', 'text-end'];

export class NetworkChart {
  private readonly chart: LineChart;
  private readonly body: HTMLTableSectionElement;

  constructor(container: HTMLElement) {
    const { box, host } = chartBox(220, { 'data-testid': 'network-chart' });
    box.setAttribute('aria-label', 'Network traffic over time');
    this.chart = new LineChart(host, formatRate);
    const { table, body } = smallTable([
      { label: 'Interface' },
      { label: 'Rx', className: 'text-end' },
      { label: 'Tx', className: 'text-end' },
      { label: 'Errors rx·tx', className: 'text-end' },
      { label: 'Drops rx·tx', className: 'text-end' },
    ]);
    this.body = body;
    const wrap = el('div', { class: 'table-responsive mt-2' });
    wrap.append(table);
    container.replaceChildren(box, wrap);
  }

  update(input: ChartInput): void {
    const { samples } = input;
    setPairedLines(
      this.chart,
      input,
      (s) => s.networkInterfaces,
      (d) => d.name,
      ['rx', (d) => d.rxBytesPerSecond],
      ['tx', (d) => d.txBytesPerSecond],
    );

    const latest = samples[samples.length - 1]?.networkInterfaces ?? [];
    fillRows(
      this.body,
      latest.map((n) => {
        const errors = n.rxErrorsPerSecond + n.txErrorsPerSecond > 0;
        const drops = n.rxDropsPerSecond + n.txDropsPerSecond > 0;
        return [
          n.name,
          formatRate(n.rxBytesPerSecond),
          formatRate(n.txBytesPerSecond),
          {
            text: `${formatPerSecond(n.rxErrorsPerSecond)} · ${formatPerSecond(n.txErrorsPerSecond)}`,
            className: errors ? 'text-danger fw-semibold' : 'sm-muted',
            title: `Since boot: ${formatCount(n.rxErrorsTotal)} rx, ${formatCount(n.txErrorsTotal)} tx errors`,
          },
          {
            text: `${formatPerSecond(n.rxDropsPerSecond)} · ${formatPerSecond(n.txDropsPerSecond)}`,
            className: drops ? 'text-warning-emphasis fw-semibold' : 'sm-muted',
            title: `Since boot: ${formatCount(n.rxDropsTotal)} rx, ${formatCount(n.txDropsTotal)} tx drops`,
          },
        ];
      }),
      CLASSES,
    );
  }

  destroy(): void {
    this.chart.destroy();
  }
}
