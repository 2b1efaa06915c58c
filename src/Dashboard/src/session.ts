// Who is looking (GET api/session) and the calls that change something. Every state-changing request
// carries the anti-forgery token of the current session in X-SysMon-Csrf; signing in or out returns a
// new one. Errors are the hub's problem details (title, detail), kept as an ApiError. Pure except the
// fetch calls.

export type SessionKind = 'user' | 'token' | 'anonymous' | 'none';

export interface Session {
  /** user: signed in; anonymous: allowed without sign-in (this host before setup); none: must sign in. */
  kind: SessionKind;
  name: string;
  role: 'admin' | 'viewer' | null;
  /** This host may create the first admin. */
  setupAvailable: boolean;
  totpEnabled: boolean;
  /** What the single sign-on button names ("Sign in with …"), or null when the hub has none. */
  singleSignOn: string | null;
  csrfToken: string;
}

const KINDS: readonly SessionKind[] = ['user', 'token', 'anonymous', 'none'];

export function parseSession(raw: unknown): Session {
  const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const kind = KINDS.includes(r.kind as SessionKind) ? (r.kind as SessionKind) : 'none';
  return {
    kind,
    name: typeof r.name === 'string' ? r.name : '',
    role: r.role === 'admin' || r.role === 'viewer' ? r.role : null,
    setupAvailable: r.setupAvailable === true,
    totpEnabled: r.totpEnabled === true,
    singleSignOn: typeof r.singleSignOn === 'string' && r.singleSignOn ? r.singleSignOn.slice(0, 100) : null,
    csrfToken: typeof r.csrfToken === 'string' ? r.csrfToken : '',
  };
}

/** An HTTP error with the hub's problem details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

/** The ApiError an HTTP error response stands for. Pure. */
export function problemOf(status: number, body: unknown): ApiError {
  const r = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const title = typeof r.title === 'string' && r.title ? r.title : `HTTP ${status}`;
  const detail = typeof r.detail === 'string' ? r.detail : '';
  return new ApiError(status, title, detail, r);
}

let csrf = '';

export async function loadSession(): Promise<Session> {
  const res = await fetch('api/session', { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw problemOf(res.status, await res.json().catch(() => null));
  const session = parseSession(await res.json());
  csrf = session.csrfToken;
  return session;
}

async function send(method: string, path: string, body?: unknown): Promise<unknown> {
  if (!csrf) await loadSession();
  const res = await fetch(path, {
    method,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-SysMon-Csrf': csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const json: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw problemOf(res.status, json);
  if (json && typeof json === 'object' && typeof (json as Session).csrfToken === 'string') {
    csrf = (json as Session).csrfToken;
  }
  return json;
}

export const post = (path: string, body: unknown = {}) => send('POST', path, body);
export const del = (path: string) => send('DELETE', path);

export async function getJson(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) throw problemOf(res.status, json);
  return json;
}
