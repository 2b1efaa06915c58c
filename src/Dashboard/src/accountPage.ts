// A person's own account (#/account): password, second factor (TOTP), sign out everywhere.
// Test hooks: [data-testid="password-form"], [data-testid="totp-start"], [data-testid="totp-secret"],
// [data-testid="totp-form"], [data-testid="sign-out-everywhere"], [data-testid="account-message"].
import { renderSVG } from 'uqr';
import { el, showMessage } from './dom';
import { ApiError, post, type Session } from './session';

function input(
  name: string,
  label: string,
  type = 'password',
  autocomplete = 'current-password',
): HTMLElement {
  const id = `acc-${name}`;
  const wrap = el('div', { class: 'mb-2' });
  wrap.append(
    el('label', { class: 'form-label small', for: id }, label),
    el('input', { class: 'form-control form-control-sm', id, name, type, required: true, autocomplete }),
  );
  return wrap;
}

/** The otpauth:// URI as a QR code image (an SVG data: URL, which the CSP's img-src allows). Pure. */
export function qrDataUrl(uri: string): string {
  return `data:image/svg+xml;base64,${btoa(renderSVG(uri, { pixelSize: 4 }))}`;
}

function read(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
}

function section(title: string): { box: HTMLElement; body: HTMLElement } {
  const box = el('div', { class: 'card sm-card mb-3' });
  const body = el('div', { class: 'card-body' });
  box.append(el('div', { class: 'card-header fw-semibold' }, title), body);
  return { box, body };
}

export class AccountPage {
  private readonly message = el('div', {
    class: 'alert py-2 small',
    role: 'status',
    hidden: true,
    'data-testid': 'account-message',
  });

  constructor(private readonly host: HTMLElement) {}

  show(session: Session): void {
    this.host.hidden = false;
    if (session.kind !== 'user') {
      this.host.replaceChildren(el('p', {}, 'Sign in with a user name and password to manage an account.'));
      return;
    }
    this.host.replaceChildren(
      el('h1', { class: 'h5 mb-3' }, `Account: ${session.name} (${session.role})`),
      this.message,
      this.passwordSection(),
      this.totpSection(session.totpEnabled),
      this.sessionsSection(),
    );
  }

  hide(): void {
    this.host.hidden = true;
    this.host.replaceChildren();
  }

  private say(text: string, ok: boolean): void {
    showMessage(this.message, text, ok);
  }

  private fail(e: unknown): void {
    this.say(e instanceof ApiError ? e.message : 'The hub did not answer; try again.', false);
  }

  private passwordSection(): HTMLElement {
    const { box, body } = section('Password');
    const form = el('form', { 'data-testid': 'password-form' });
    form.append(
      input('current', 'Current password'),
      input('password', 'New password (at least 10 characters)', 'password', 'new-password'),
      el('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, 'Change password'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await post('api/account/password', {
          current: read(form, 'current'),
          password: read(form, 'password'),
        });
        form.reset();
        this.say('Password changed. Your other sessions are signed out.', true);
      } catch (e) {
        this.fail(e);
      }
    });
    body.append(form);
    return box;
  }

  private totpSection(enabled: boolean): HTMLElement {
    const { box, body } = section('Second factor (authenticator app)');
    if (enabled) {
      const form = el('form', { 'data-testid': 'totp-disable-form' });
      form.append(
        el('p', { class: 'small' }, 'On: signing in asks for a code from your authenticator app.'),
        input('password', 'Password, to turn it off'),
        el('button', { class: 'btn btn-sm btn-outline-danger', type: 'submit' }, 'Turn off'),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await post('api/account/totp/disable', { password: read(form, 'password') });
          this.replace(box, this.totpSection(false));
          this.say('Second factor turned off.', true);
        } catch (e) {
          this.fail(e);
        }
      });
      body.append(form);
      return box;
    }
    const start = el(
      'button',
      { class: 'btn btn-sm btn-primary', type: 'button', 'data-testid': 'totp-start' },
      'Set up',
    );
    start.addEventListener('click', async () => {
      try {
        const { secret, uri } = (await post('api/account/totp/secret')) as { secret: string; uri: string };
        const form = el('form', { 'data-testid': 'totp-form' });
        form.append(
          el(
            'p',
            { class: 'small' },
            'Scan this with your authenticator app (or add the key by hand), then enter the code it shows.',
          ),
          el('img', {
            src: qrDataUrl(uri),
            alt: 'QR code of the authenticator key',
            width: 180,
            height: 180,
            class: 'd-block mb-2 bg-white p-1',
            'data-testid': 'totp-qr',
          }),
          el('code', { class: 'd-block mb-2 user-select-all', 'data-testid': 'totp-secret' }, secret),
          el('a', { href: uri, class: 'd-block small mb-2 text-break' }, uri),
          input('code', 'Code', 'text', 'one-time-code'),
          el('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, 'Turn on'),
        );
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          try {
            await post('api/account/totp', { secret, code: read(form, 'code') });
            this.replace(box, this.totpSection(true));
            this.say('Second factor on.', true);
          } catch (e) {
            this.fail(e);
          }
        });
        body.replaceChildren(form);
      } catch (e) {
        this.fail(e);
      }
    });
    body.append(el('p', { class: 'small' }, 'Off: a password alone signs you in.'), start);
    return box;
  }

  private sessionsSection(): HTMLElement {
    const { box, body } = section('Sessions');
    const button = el(
      'button',
      { class: 'btn btn-sm btn-outline-danger', type: 'button', 'data-testid': 'sign-out-everywhere' },
      'Sign out everywhere',
    );
    button.addEventListener('click', async () => {
      try {
        await post('api/session/sign-out-everywhere');
        location.hash = '#/';
        location.reload();
      } catch (e) {
        this.fail(e);
      }
    });
    body.append(
      el(
        'p',
        { class: 'small' },
        'Ends every session of this account, on every device and every hub, this one included.',
      ),
      button,
    );
    return box;
  }

  private replace(old: HTMLElement, next: HTMLElement): void {
    old.replaceWith(next);
  }
}
