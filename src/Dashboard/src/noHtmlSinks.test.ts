import { describe, expect, it } from 'vitest';

// Agent strings must reach the DOM only through textContent / createElement. This guards the
// whole source tree against the HTML-parsing sinks.
const sources = import.meta.glob(['./**/*.ts', '!./**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

describe('no HTML sinks', () => {
  it('scans the sources', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(10);
  });
  it.each(Object.entries(sources))(
    '%s uses no innerHTML / outerHTML / insertAdjacentHTML / document.write',
    (_, text) => {
      expect(text).not.toMatch(
        /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment/,
      );
    },
  );
});
