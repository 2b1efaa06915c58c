import { describe, expect, it } from 'vitest';
import { parseSession, problemOf } from './session';

describe('parseSession', () => {
  it('reads a signed-in admin', () => {
    expect(
      parseSession({
        kind: 'user',
        name: 'root',
        role: 'admin',
        setupAvailable: false,
        totpEnabled: true,
        singleSignOn: 'Keycloak',
        csrfToken: 't',
      }),
    ).toEqual({
      kind: 'user',
      name: 'root',
      role: 'admin',
      setupAvailable: false,
      totpEnabled: true,
      singleSignOn: 'Keycloak',
      csrfToken: 't',
    });
  });

  it('treats anything unexpected as "must sign in", never as more access', () => {
    const s = parseSession({ kind: 'superuser', role: 'root', setupAvailable: 'yes' });
    expect(s.kind).toBe('none');
    expect(s.role).toBeNull();
    expect(s.setupAvailable).toBe(false);
    expect(parseSession(null).kind).toBe('none');
  });
});

describe('problemOf', () => {
  it('keeps the title and detail of a problem body', () => {
    const e = problemOf(429, { title: 'Locked', detail: 'Try again in 15 min.' });
    expect(e.status).toBe(429);
    expect(e.message).toBe('Locked: Try again in 15 min.');
  });

  it('falls back to the status for a body that is not a problem', () => {
    expect(problemOf(502, '<html>').message).toBe('HTTP 502');
  });
});
