// The URL names the page, so a link can be shared: `#/` (the fleet, with its sort and filters as
// query parameters: `#/?sort=cpu&desc=1&q=web&status=offline`) or `#/machine/<id>`.
// `?machine=<id>` (older links) still opens a machine; a machine's page takes `?range=` (history.ts);
// `#/compare?ids=a,b&metric=cpu&range=1h` overlays machines (compare.ts); `#/account`, `#/admin` and
// `#/setup` are a person's account, the admin page and the first-run setup. Pure.
import { type CompareQuery, parseCompare } from './compareQuery';
import { DEFAULT_QUERY, type FleetQuery, parseSortKey, type StatusFilter } from './fleet';
import { parseRange, type TimeRange } from './history';
import { machineFromUrl } from './settings';

export type Route =
  | { page: 'account' }
  | { page: 'alerts' }
  | { page: 'admin' }
  | { page: 'setup' }
  | { page: 'fleet'; query: FleetQuery }
  | { page: 'machine'; id: string; range: TimeRange }
  | { page: 'compare'; query: CompareQuery };

function parseStatus(v: string | null): StatusFilter {
  return v === 'online' || v === 'offline' ? v : 'all';
}

export function parseRoute(search: string, hash: string): Route {
  const q = hash.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
  const id = machineFromUrl(search, hash);
  if (id) return { page: 'machine', id, range: parseRange(params) };
  if (hash.startsWith('#/compare')) return { page: 'compare', query: parseCompare(params) };
  for (const page of ['account', 'admin', 'setup', 'alerts'] as const) {
    if (hash === `#/${page}` || hash.startsWith(`#/${page}?`)) return { page };
  }
  const hasSort = params.has('sort');
  return {
    page: 'fleet',
    query: {
      sort: hasSort ? parseSortKey(params.get('sort')) : DEFAULT_QUERY.sort,
      descending: params.get('desc') === '1',
      text: (params.get('q') ?? '').slice(0, 200),
      status: parseStatus(params.get('status')),
    },
  };
}

/** The hash of the fleet page with this query (defaults left out, so the plain home page is `#/`). */
export function fleetHash(query: FleetQuery): string {
  const params = new URLSearchParams();
  if (query.sort !== DEFAULT_QUERY.sort || query.descending) params.set('sort', query.sort);
  if (query.descending) params.set('desc', '1');
  if (query.text) params.set('q', query.text);
  if (query.status !== 'all') params.set('status', query.status);
  const s = params.toString();
  return s ? `#/?${s}` : '#/';
}
