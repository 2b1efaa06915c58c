// Disks: read / write bytes per second per block device (read solid, write dashed), a table of
// the latest I/O rates and busy %, and filesystem usage as bars.
import { el, fillRows } from '../dom';
import { formatBytes, formatPercent, formatPerSecond, formatRate } from '../format';
import type { FilesystemSample } from '../types';
import { type ChartInput, chartBox, LineChart, setPairedLines, smallTable } from './common';

const IO_CLASSES = [
  'text-truncate sm-name',
  'text-end',
  'text-end',
  'text-end d-none d-sm-table-cell',
  'text-end',
];
const FS_CLASSES = [
  'text-truncate sm-name',
  'd-none d-sm-table-cell sm-muted',
  'sm-fs-bar',
  'text-end text-nowrap',
];

/** Bootstrap progress bar for a filesystem; red from 90 %, amber from 75 %. */
export function usageBar(fs: FilesystemSample): HTMLElement {
  const pct = fs.totalBytes > 0 ? (fs.usedBytes / fs.totalBytes) * 100 : 0;
  const tone = pct >= 90 ? 'bg-danger' : pct >= 75 ? 'bg-warning' : 'bg-primary';
  const bar = el('div', {
    class: 'progress',
    role: 'progressbar',
    'aria-label': `${fs.mountPoint} used`,
    'aria-valuenow': Math.round(pct),
    'aria-valuemin': 0,
    'aria-valuemax': 100,
  });
  // The label only fits inside a bar that is wide enough; the cell's title and aria carry it too.
  const fill = el('div', { class: `progress-bar ${tone}` }, pct >= 15 ? formatPercent(pct, 0) : '');
  bar.title = formatPercent(pct, 1);
  fill.style.width = `${Math.min(100, pct).toFixed(1)}%`;
  bar.append(fill);
  return bar;
}

export class DiskChart {
  private readonly chart: LineChart;
  private readonly ioBody: HTMLTableSectionElement;
  private readonly fsBody: HTMLTableSectionElement;

  constructor(container: HTMLElement) {
    const { box, host } = chartBox(220, { 'data-testid': 'disk-chart' });
    box.setAttribute('aria-label', 'Disk I/O over time');
    this.chart = new LineChart(host, formatRate);
    const io = smallTable([
      { label: 'Device' },
      { label: 'Read', className: 'text-end' },
      { label: 'Write', className: 'text-end' },
      { label: 'Ops r·w', className: 'text-end d-none d-sm-table-cell' },
      { label: 'Busy', className: 'text-end' },
    ]);
    const fs = smallTable([
      { label: 'Mount' },
      { label: 'Type', className: 'd-none d-sm-table-cell' },
      { label: 'Used' },
      { label: 'Size', className: 'text-end' },
    ]);
    this.ioBody = io.body;
    this.fsBody = fs.body;
    const ioWrap = el('div', { class: 'table-responsive mt-2' });
    ioWrap.append(io.table);
    const fsWrap = el('div', { class: 'table-responsive mt-3', 'data-testid': 'filesystems' });
    fsWrap.append(fs.table);
    container.replaceChildren(box, ioWrap, fsWrap);
  }

  update(input: ChartInput): void {
    const { samples } = input;
    setPairedLines(
      this.chart,
      input,
      (s) => s.disks,
      (d) => d.device,
      ['read', (d) => d.readBytesPerSecond],
      ['write', (d) => d.writeBytesPerSecond],
    );

    const latest = samples[samples.length - 1];
    fillRows(
      this.ioBody,
      (latest?.disks ?? []).map((d) => [
        d.device,
        formatRate(d.readBytesPerSecond),
        formatRate(d.writeBytesPerSecond),
        `${formatPerSecond(d.readsPerSecond)} · ${formatPerSecond(d.writesPerSecond)}`,
        formatPercent(d.busyPercent, 0),
      ]),
      IO_CLASSES,
    );
    fillRows(
      this.fsBody,
      (latest?.filesystems ?? []).map((f) => [
        { text: f.mountPoint, title: `${f.device} (${f.fsType})` },
        f.fsType,
        usageBar(f),
        {
          text: `${formatBytes(f.usedBytes)} / ${formatBytes(f.totalBytes)}`,
          title: `${formatBytes(f.freeBytes)} free`,
        },
      ]),
      FS_CLASSES,
    );
  }

  destroy(): void {
    this.chart.destroy();
  }
}
