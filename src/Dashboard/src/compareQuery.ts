// What the compare page shows, as the URL names it: machines, one metric, a range. Kept apart from
// the page itself (compare.ts) so that routing does not load the chart library with the first page.
import { formatPercent, formatRate } from './format';
import { RANGES, type RangeName, type TimeRange } from './history';
import type { Sample } from './types';

export const COMPARE_METRICS = {
  cpu: {
    label: 'CPU %',
    value: (s: Sample) => s.cpu.totalPercent,
    format: (v: number) => formatPercent(v, 0),
  },
  memory: {
    label: 'Memory used %',
    value: (s: Sample) => (s.memory.totalBytes > 0 ? (s.memory.usedBytes / s.memory.totalBytes) * 100 : null),
    format: (v: number) => formatPercent(v, 0),
  },
  load: { label: 'Load (1 min)', value: (s: Sample) => s.cpu.load1m, format: (v: number) => v.toFixed(2) },
  network: {
    label: 'Network rx + tx',
    value: (s: Sample) =>
      s.networkInterfaces.reduce((a, n) => a + n.rxBytesPerSecond + n.txBytesPerSecond, 0),
    format: formatRate,
  },
  disk: {
    label: 'Disk read + write',
    value: (s: Sample) => s.disks.reduce((a, d) => a + d.readBytesPerSecond + d.writeBytesPerSecond, 0),
    format: formatRate,
  },
} as const;
export type CompareMetric = keyof typeof COMPARE_METRICS;

/** At most this many machines on one chart: beyond it, lines are no longer readable. */
export const MAX_COMPARED = 10;

export interface CompareQuery {
  ids: string[];
  metric: CompareMetric;
  range: TimeRange;
}

export function parseCompare(params: URLSearchParams): CompareQuery {
  const ids = (params.get('ids') ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0 && id.length <= 256);
  const metric = params.get('metric') ?? '';
  const range = params.get('range') ?? '';
  return {
    ids: [...new Set(ids)].slice(0, MAX_COMPARED),
    metric: metric in COMPARE_METRICS ? (metric as CompareMetric) : 'cpu',
    range: {
      name: (RANGES as readonly string[]).includes(range) && range !== 'live' ? (range as RangeName) : '1h',
    },
  };
}

export function compareHash(q: CompareQuery): string {
  const params = new URLSearchParams();
  if (q.ids.length) params.set('ids', q.ids.join(','));
  params.set('metric', q.metric);
  params.set('range', q.range.name);
  return `#/compare?${params}`;
}
