// Admin page (#/admin): users, API tokens, agent enrollment, audit log. Everything goes through the
// hub's /api/admin endpoints, which check the role themselves; this page only draws them.
// Test hooks: [data-testid="users-table"], [data-testid="new-user-form"], [data-testid="tokens-table"],
// [data-testid="new-token-form"], [data-testid="new-secret"], [data-testid="enroll-form"],
// [data-testid="audit-table"], [data-testid="admin-message"].
import { card, el, fillRows, showMessage, tableOf } from './dom';
import { ApiError, del, getJson, post } from './session';

interface UserRow {
  name: string;
  role: string;
  tags: string[];
  totp: boolean;
  createdAt: string;
}
interface TokenRow {
  id: string;
  name: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}
interface AuditRow {
  at: string;
  actor: string;
  action: string;
  target: string;
  address: string;
  detail: string;
}

const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '');

function table(testid: string, headers: string[]): { box: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = el('tbody', { 'data-testid': testid });
  return { box: tableOf(headers, body), body };
}

function input(name: string, placeholder: string, type = 'text'): HTMLInputElement {
  return el('input', {
    class: 'form-control form-control-sm',
    name,
    placeholder,
    type,
    'aria-label': placeholder,
  });
}

/** "prod, team:web" → ["prod", "team:web"]; the hub checks and normalises them. */
function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A one-line form: the inputs in equal columns, then the submit button. */
function formRow(testid: string, width: number, inputs: HTMLElement[], submitText: string): HTMLFormElement {
  const form = el('form', { class: 'row g-2 align-items-end', 'data-testid': testid });
  for (const part of inputs) {
    const col = el('div', { class: `col-sm-${width}` });
    col.append(part);
    form.append(col);
  }
  const submit = el('div', { class: inputs.length * width >= 12 ? 'col-12' : `col-sm-${width}` });
  submit.append(el('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, submitText));
  form.append(submit);
  return form;
}

export class AdminPage {
  private readonly message = el('div', {
    class: 'alert py-2 small',
    role: 'status',
    hidden: true,
    'data-testid': 'admin-message',
  });
  private readonly users = table('users-table', ['Name', 'Role', 'Machines', '2FA', 'Created', '']);
  private readonly tokens = table('tokens-table', ['Id', 'Name', 'Created by', 'Created', 'Expires', '']);
  private readonly audit = table('audit-table', ['When', 'Who', 'What', 'Target', 'From', 'Detail']);
  private readonly secret = el('div', {
    class: 'alert alert-warning py-2 small text-break',
    hidden: true,
    'data-testid': 'new-secret',
  });

  constructor(private readonly host: HTMLElement) {}

  show(): void {
    this.host.hidden = false;
    this.host.replaceChildren(
      el('h1', { class: 'h5 mb-3' }, 'Admin'),
      this.message,
      this.secret,
      card('Users', this.users.box, this.newUserForm()),
      card('API tokens (read-only, for scripts and Prometheus)', this.tokens.box, this.newTokenForm()),
      card('Agent enrollment', this.enrollForm()),
      card('Audit log (newest first)', this.audit.box),
    );
    void this.refresh();
  }

  hide(): void {
    this.host.hidden = true;
    this.host.replaceChildren();
  }

  private say(text: string, ok: boolean): void {
    showMessage(this.message, text, ok);
  }

  private async act(what: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await what();
      this.say(done, true);
      await this.refresh();
    } catch (e) {
      this.say(e instanceof ApiError ? e.message : 'The hub did not answer; try again.', false);
    }
  }

  private showSecret(label: string, secret: string): void {
    this.secret.hidden = false;
    this.secret.replaceChildren(
      document.createTextNode(`${label} (shown once, copy it now): `),
      el('code', { class: 'user-select-all' }, secret),
    );
  }

  async refresh(): Promise<void> {
    try {
      const [users, tokens, audit] = (await Promise.all([
        getJson('api/admin/users'),
        getJson('api/admin/api-tokens'),
        getJson('api/admin/audit?limit=200'),
      ])) as [UserRow[], TokenRow[], AuditRow[]];
      fillRows(
        this.users.body,
        users.map((u) => [
          u.name,
          u.role,
          u.tags.length ? u.tags.join(', ') : 'all',
          u.totp ? 'on' : '',
          when(u.createdAt),
          this.userActions(u),
        ]),
        [],
      );
      fillRows(
        this.tokens.body,
        tokens.map((t) => [
          t.id,
          t.name,
          t.createdBy,
          when(t.createdAt),
          t.expiresAt ? when(t.expiresAt) : 'never',
          this.revokeButton(t),
        ]),
        [],
      );
      fillRows(
        this.audit.body,
        audit.map((a) => [when(a.at), a.actor, a.action, a.target, a.address, a.detail]),
        [],
      );
    } catch (e) {
      this.say(e instanceof ApiError ? e.message : 'Could not load the admin data.', false);
    }
  }

  private button(
    text: string,
    testid: string,
    onClick: () => void,
    kind = 'outline-secondary',
  ): HTMLButtonElement {
    const b = el(
      'button',
      { class: `btn btn-sm btn-${kind} me-1`, type: 'button', 'data-testid': testid },
      text,
    );
    b.addEventListener('click', onClick);
    return b;
  }

  private userActions(user: UserRow): HTMLElement {
    const cell = el('span', { class: 'text-nowrap' });
    const other = user.role === 'admin' ? 'viewer' : 'admin';
    const path = `api/admin/users/${encodeURIComponent(user.name)}`;
    cell.append(
      this.button(
        `Make ${other}`,
        `role-${user.name}`,
        () => void this.act(() => post(path, { role: other }), `${user.name} is now ${other}.`),
      ),
      this.button(
        'Sign out',
        `sign-out-${user.name}`,
        () => void this.act(() => post(`${path}/sign-out`), `${user.name} is signed out everywhere.`),
      ),
      this.button(
        'Delete',
        `delete-${user.name}`,
        () => {
          if (confirm(`Delete ${user.name}?`)) void this.act(() => del(path), `${user.name} deleted.`);
        },
        'outline-danger',
      ),
    );
    return cell;
  }

  private revokeButton(token: TokenRow): HTMLElement {
    return this.button(
      'Revoke',
      `revoke-${token.id}`,
      () =>
        void this.act(
          () => del(`api/admin/api-tokens/${encodeURIComponent(token.id)}`),
          `Token ${token.name} revoked.`,
        ),
      'outline-danger',
    );
  }

  private newUserForm(): HTMLElement {
    const role = el('select', { class: 'form-select form-select-sm', name: 'role', 'aria-label': 'Role' });
    role.append(el('option', { value: 'viewer' }, 'viewer'), el('option', { value: 'admin' }, 'admin'));
    const name = input('name', 'user name');
    const password = input('password', 'password (10+ characters)', 'password');
    password.autocomplete = 'new-password';
    const tags = input('tags', 'machine tags (empty: all)');
    const form = formRow('new-user-form', 3, [name, password, role, tags], 'Add user');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const tagList = splitTags(tags.value);
      void this.act(
        () =>
          post('api/admin/users', {
            name: name.value,
            password: password.value,
            role: role.value,
            tags: tagList,
          }),
        `User ${name.value} added.`,
      ).then(() => form.reset());
    });
    return form;
  }

  private newTokenForm(): HTMLElement {
    const name = input('name', 'what uses it (e.g. prometheus)');
    const days = input('days', 'expires in days (empty: never)', 'number');
    const tags = input('tags', 'machine tags (empty: all)');
    const form = formRow('new-token-form', 3, [name, days, tags], 'Create token');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.act(async () => {
        const created = (await post('api/admin/api-tokens', {
          name: name.value,
          expiresInDays: days.value ? Number(days.value) : undefined,
          tags: splitTags(tags.value),
        })) as { secret: string };
        this.showSecret(`API token "${name.value}"`, created.secret);
        form.reset();
      }, 'Token created.');
    });
    return form;
  }

  private enrollForm(): HTMLElement {
    const hours = input('hours', 'valid for hours (default 24)', 'number');
    const note = input('note', 'note (e.g. rack 4)');
    const form = formRow('enroll-form', 4, [hours, note], 'Create enrollment token');
    form.append(
      el(
        'p',
        { class: 'small text-body-secondary mt-2 mb-0' },
        'Agents started with this token (--token-file) get their own credential on first contact. Revoke a machine with: SysMon.Hub credentials revoke MACHINE_ID.',
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.act(async () => {
        const created = (await post('api/admin/enrollment-tokens', {
          expiresInHours: hours.value ? Number(hours.value) : undefined,
          note: note.value,
        })) as { secret: string };
        this.showSecret('Enrollment token', created.secret);
        form.reset();
      }, 'Enrollment token created.');
    });
    return form;
  }
}
