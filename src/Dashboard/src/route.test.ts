import { describe, expect, it } from 'vitest';
import { compareHash } from './compareQuery';
import { DEFAULT_QUERY } from './fleet';
import { fleetHash, parseRoute } from './route';

describe('routes', () => {
  it('opens the fleet by default and a machine by its hash or the older ?machine=', () => {
    expect(parseRoute('', '')).toEqual({ page: 'fleet', query: DEFAULT_QUERY });
    expect(parseRoute('', '#/')).toEqual({ page: 'fleet', query: DEFAULT_QUERY });
    expect(parseRoute('', '#/machine/web%2F1')).toEqual({
      page: 'machine',
      id: 'web/1',
      range: { name: 'live' },
    });
    expect(parseRoute('?machine=db', '#/')).toEqual({ page: 'machine', id: 'db', range: { name: 'live' } });
    expect(parseRoute('', '#/machine/a%3Fb?range=24h')).toEqual({
      page: 'machine',
      id: 'a?b',
      range: { name: '24h' },
    });
  });

  it('round-trips the fleet query through the hash', () => {
    const query = { sort: 'cpu' as const, descending: true, text: 'web eu&x=1', status: 'offline' as const };
    const hash = fleetHash(query);
    expect(hash.startsWith('#/?')).toBe(true);
    expect(parseRoute('', hash)).toEqual({ page: 'fleet', query });
    expect(fleetHash(DEFAULT_QUERY)).toBe('#/');
  });

  it('opens the compare page with its machines, metric and range, and writes it back', () => {
    const r = parseRoute('', '#/compare?ids=a,b,,a&metric=load&range=24h');
    expect(r).toEqual({
      page: 'compare',
      query: { ids: ['a', 'b'], metric: 'load', range: { name: '24h' } },
    });
    if (r.page === 'compare') expect(parseRoute('', compareHash(r.query))).toEqual(r);
    expect(parseRoute('', '#/compare?metric=<x>&range=live')).toEqual({
      page: 'compare',
      query: { ids: [], metric: 'cpu', range: { name: '1h' } },
    });
  });

  it('falls back to defaults for hostile or unknown values', () => {
    const r = parseRoute('', `#/?sort=<script>&status=evil&q=${'a'.repeat(5000)}`);
    expect(r).toEqual({ page: 'fleet', query: { ...DEFAULT_QUERY, text: 'a'.repeat(200) } });
  });
});

describe('account pages', () => {
  it.each(['account', 'admin', 'setup', 'alerts'] as const)('#/%s is its own page', (page) => {
    expect(parseRoute('', `#/${page}`)).toEqual({ page });
  });
  it('does not take a machine named like a page for the page', () => {
    expect(parseRoute('', '#/machine/admin').page).toBe('machine');
    expect(parseRoute('', '#/administrator').page).toBe('fleet');
  });
});
