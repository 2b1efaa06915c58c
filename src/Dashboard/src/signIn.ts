// The sign-in form, the first-run setup form and the account links in the navigation bar. Each form
// posts to the hub and reloads the page on success, so the dashboard starts again as the new principal.
//
// Test hooks: [data-testid="sign-in-form"] with inputs name=name|password|code and
// [data-testid="sign-in-error"]; [data-testid="setup-form"] (setupCode, name, password, confirm);
// [data-testid="setup-banner"]; [data-testid="account-name"]; [data-testid="sign-out"].
import { el } from './dom';
import { ApiError, post, type Session } from './session';

function field(
  label: string,
  name: string,
  type: string,
  extra: Record<string, string | boolean> = {},
): HTMLElement {
  const id = `f-${name}`;
  const wrap = el('div', { class: 'mb-3' });
  wrap.append(
    el('label', { class: 'form-label', for: id }, label),
    el('input', { class: 'form-control', id, name, type, required: true, ...extra }),
  );
  return wrap;
}

function card(
  title: string,
  testid: string,
): { card: HTMLElement; form: HTMLFormElement; error: HTMLElement } {
  const outer = el('div', { class: 'card sm-card mx-auto my-4 sm-auth-card' });
  const body = el('div', { class: 'card-body' });
  const form = el('form', { 'data-testid': testid, novalidate: false });
  const error = el('div', {
    class: 'alert alert-danger py-2 small',
    role: 'alert',
    hidden: true,
    'data-testid': `${testid.replace('-form', '')}-error`,
  });
  body.append(el('h1', { class: 'h5 mb-3' }, title), error, form);
  outer.append(body);
  return { card: outer, form, error };
}

function showError(node: HTMLElement, e: unknown): void {
  node.hidden = false;
  node.textContent =
    e instanceof ApiError
      ? e.detail
        ? `${e.title}. ${e.detail}`
        : e.title
      : 'The hub did not answer; try again.';
}

function value(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
}

/** Replaces `host`'s content with the sign-in form (and single sign-on, when the hub has it). */
export function showSignIn(host: HTMLElement, session: Session): void {
  const { card: box, form, error } = card('Sign in to SysMon', 'sign-in-form');
  // The hub sends people back here with ?sso_error= when the provider's answer was refused.
  const ssoError = new URLSearchParams(location.search).get('sso_error');
  if (ssoError) showError(error, new ApiError(401, 'Single sign-on failed', ssoError.slice(0, 300)));
  const code = field('Code from your authenticator app', 'code', 'text', {
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9 ]{6,7}',
  });
  code.hidden = true;
  (code.querySelector('input') as HTMLInputElement).required = false;
  form.append(
    field('User name', 'name', 'text', {
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: false,
    }),
    field('Password', 'password', 'password', { autocomplete: 'current-password' }),
    code,
    el('button', { class: 'btn btn-primary w-100', type: 'submit' }, 'Sign in'),
  );
  if (session.singleSignOn) {
    form.append(
      el('div', { class: 'text-center small sm-muted my-2' }, 'or'),
      el(
        'a',
        { class: 'btn btn-outline-primary w-100', href: 'api/session/sso', 'data-testid': 'sso' },
        `Sign in with ${session.singleSignOn}`,
      ),
    );
  }
  if (session.setupAvailable) {
    form.append(
      el('a', { class: 'd-block small mt-3', href: '#/setup' }, 'Create the first admin (this host only)'),
    );
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await post('api/session/sign-in', {
        name: value(form, 'name'),
        password: value(form, 'password'),
        code: code.hidden ? undefined : value(form, 'code'),
      });
      location.reload();
    } catch (e) {
      if (e instanceof ApiError && e.body.totpRequired === true && code.hidden) {
        code.hidden = false;
        (code.querySelector('input') as HTMLInputElement).focus();
        return;
      }
      showError(error, e);
    }
  });
  host.replaceChildren(box);
  (form.elements.namedItem('name') as HTMLInputElement).focus();
}

/** Replaces `host`'s content with the one-time setup form (create the first admin). */
export function showSetup(host: HTMLElement, session: Session): void {
  if (!session.setupAvailable) {
    const { card: box, form } = card('Setup is done', 'setup-over');
    form.append(el('p', {}, 'This hub has users already. Ask an admin for an account.'));
    host.replaceChildren(box);
    return;
  }
  const { card: box, form, error } = card('Create the first admin', 'setup-form');
  form.append(
    el(
      'p',
      { class: 'small text-body-secondary' },
      'The setup code is in the hub\'s log, on the line that starts with "No users yet". Once an admin exists, everyone signs in, on this host too.',
    ),
    field('Setup code', 'setupCode', 'text', { autocomplete: 'off', autocapitalize: 'characters' }),
    field('Admin user name', 'name', 'text', { autocomplete: 'username', autocapitalize: 'none' }),
    field('Password (at least 10 characters)', 'password', 'password', {
      autocomplete: 'new-password',
      minlength: '10',
    }),
    field('Password again', 'confirm', 'password', { autocomplete: 'new-password' }),
    el('button', { class: 'btn btn-primary w-100', type: 'submit' }, 'Create admin and sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (value(form, 'password') !== value(form, 'confirm')) {
      showError(error, new ApiError(400, 'The passwords differ', ''));
      return;
    }
    try {
      await post('api/setup', {
        setupCode: value(form, 'setupCode'),
        name: value(form, 'name'),
        password: value(form, 'password'),
      });
      location.hash = '#/';
      location.reload();
    } catch (e) {
      showError(error, e);
    }
  });
  host.replaceChildren(box);
}

/** The account links in the navigation bar, and the first-run banner. */
export function showAccountBar(host: HTMLElement, banner: HTMLElement, session: Session): void {
  const items: HTMLElement[] = [];
  if (session.kind === 'user') {
    items.push(
      el(
        'a',
        {
          class: 'btn btn-sm btn-outline-secondary',
          href: '#/account',
          'data-testid': 'account-name',
          title: `Signed in as ${session.role}`,
        },
        session.name,
      ),
    );
    if (session.role === 'admin')
      items.push(
        el(
          'a',
          { class: 'btn btn-sm btn-outline-secondary', href: '#/admin', 'data-testid': 'nav-admin' },
          'Admin',
        ),
      );
    const signOut = el(
      'button',
      { class: 'btn btn-sm btn-outline-secondary', type: 'button', 'data-testid': 'sign-out' },
      'Sign out',
    );
    signOut.addEventListener('click', async () => {
      await post('api/session/sign-out').catch(() => undefined);
      location.hash = '#/';
      location.reload();
    });
    items.push(signOut);
  }
  host.replaceChildren(...items);
  banner.hidden = !session.setupAvailable;
  if (session.setupAvailable) {
    banner.replaceChildren(
      document.createTextNode(
        'No users yet: anyone on this host can see this dashboard without signing in, and other hosts are refused. ',
      ),
      el('a', { href: '#/setup', class: 'alert-link' }, 'Create the admin'),
      document.createTextNode(' to require sign-in and open the hub to your network.'),
    );
  }
}
