// Alerts in the dashboard: the firing ones above the fleet (GET api/alerts, polled), and the alerts
// page (#/alerts: history with CSV export, rules and their editor (alertRules.ts), channels, silences). Parsing is pure and tested; text goes in
// through textContent only.
//
// Test hooks: [data-testid="alerts-panel"] with rows [data-alert="<ruleId> <machineId>"];
// [data-testid="alert-history"] rows; [data-testid="silence-form"]; [data-testid="silences"].
import { RulesCard } from './alertRules';
import { cappedText } from './coerce';
import { card, el, fillRows, showMessage, tableOf } from './dom';
import { formatAlertValue } from './format';
import { ApiError, del, getJson, post } from './session';

export interface Alert {
  ruleId: string;
  ruleName: string;
  severity: 'Info' | 'Warning' | 'Critical';
  machineId: string;
  instance: string;
  kind: 'Fired' | 'Resolved';
  at: string;
  value: number;
  silenced: boolean;
  /** Who acknowledged it ("" when nobody has). */
  acknowledgedBy: string;
}

export interface Silence {
  id: string;
  ruleId: string;
  machineId: string;
  tag: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

const str = (v: unknown, max = 256): string => cappedText(v, max);

/** One alert or event from the API; null for anything that is not one. Pure. */
export function parseAlert(raw: unknown): Alert | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.ruleId !== 'string' || typeof r.machineId !== 'string') return null;
  const severity = r.severity === 'Critical' || r.severity === 'Warning' ? r.severity : 'Info';
  return {
    ruleId: str(r.ruleId, 64),
    ruleName: str(r.ruleName, 200),
    severity,
    machineId: str(r.machineId, 128),
    instance: str(r.instance),
    kind: r.kind === 'Resolved' ? 'Resolved' : 'Fired',
    at: str(r.at, 64),
    value: typeof r.value === 'number' && Number.isFinite(r.value) ? r.value : Number.NaN,
    silenced: r.silenced === true,
    acknowledgedBy:
      r.acknowledged && typeof r.acknowledged === 'object'
        ? str((r.acknowledged as Record<string, unknown>).by, 64)
        : '',
  };
}

export function parseAlerts(raw: unknown): Alert[] {
  return Array.isArray(raw) ? raw.map(parseAlert).filter((a): a is Alert => a !== null) : [];
}

const SEVERITY_CLASS: Record<Alert['severity'], string> = {
  Critical: 'text-bg-danger',
  Warning: 'text-bg-warning',
  Info: 'text-bg-info',
};

/** CSV of events, a header line first; fields quoted where needed (RFC 4180). Pure. */
export function alertsCsv(events: readonly Alert[]): string {
  const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = ['at,kind,severity,rule,machine,instance,value'];
  for (const e of events) {
    lines.push(
      [
        e.at,
        e.kind,
        e.severity,
        e.ruleName,
        e.machineId,
        e.instance,
        Number.isNaN(e.value) ? '' : String(e.value),
      ]
        .map(quote)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function badge(a: Alert): HTMLElement {
  return el('span', { class: `badge ${SEVERITY_CLASS[a.severity]}` }, a.severity);
}

/** The firing alerts above the fleet: hidden while none fires. */
export class AlertsPanel {
  private readonly body = el('tbody');
  private timer: ReturnType<typeof setTimeout> | undefined;

  private all: readonly Alert[] = [];
  private machine: string | null = null;
  private shown = true;

  constructor(
    private readonly root: HTMLElement,
    private readonly hostname: (id: string) => string,
    private readonly isAdmin: () => boolean = () => false,
  ) {
    const table = el('table', { class: 'table table-sm small mb-0 align-middle' });
    table.append(this.body);
    const header = el('div', { class: 'card-header fw-semibold d-flex' });
    header.append(
      el('span', { class: 'me-auto' }, 'Firing alerts'),
      el('a', { href: '#/alerts', class: 'small' }, 'All alerts'),
    );
    root.className = 'card sm-card mb-3 border-danger';
    root.dataset.testid = 'alerts-panel';
    root.replaceChildren(header, table);
    root.hidden = true;
  }

  /** Polls GET api/alerts every `periodMs` until stop() (signed-out pages stop asking). */
  start(periodMs = 5000): void {
    const tick = async () => {
      try {
        this.show(parseAlerts(await getJson('api/alerts')));
      } catch {
        // the machine list's poller reports the hub being away; keep the last known alerts
      }
      this.timer = setTimeout(tick, periodMs);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Only this machine's alerts (its page), or every machine's (null: the fleet page). */
  setMachine(machineId: string | null): void {
    this.machine = machineId;
    this.shown = true;
    this.show(this.all);
  }

  private ackButton(a: Alert): HTMLElement {
    const b = el(
      'button',
      { class: 'btn btn-sm btn-outline-secondary py-0', type: 'button', 'data-testid': 'acknowledge' },
      'Acknowledge',
    );
    b.addEventListener('click', () => {
      b.disabled = true;
      post('api/alerts/acknowledge', { ruleId: a.ruleId, machineId: a.machineId, instance: a.instance }).then(
        () => this.show(this.all.map((x) => (x === a ? { ...x, acknowledgedBy: 'you' } : x))),
        () => {
          b.disabled = false;
        },
      );
    });
    return b;
  }

  /** Admins silence this rule on this machine for an hour, from the alert itself (longer ones: the Alerts page). */
  private silenceButton(a: Alert): HTMLElement {
    const b = el(
      'button',
      { class: 'btn btn-sm btn-outline-secondary py-0', type: 'button', 'data-testid': 'silence' },
      'Silence 1 h',
    );
    b.addEventListener('click', () => {
      b.disabled = true;
      post('api/alerts/silences', {
        ruleId: a.ruleId,
        machineId: a.machineId,
        minutes: 60,
        comment: 'silenced from the alert',
      }).then(
        () =>
          this.show(
            this.all.map((x) =>
              x.ruleId === a.ruleId && x.machineId === a.machineId ? { ...x, silenced: true } : x,
            ),
          ),
        () => {
          b.disabled = false;
        },
      );
    });
    return b;
  }

  private actions(a: Alert): HTMLElement {
    const box = el('div', { class: 'd-flex gap-1 justify-content-end' });
    box.append(
      a.acknowledgedBy
        ? el('span', { class: 'text-body-secondary' }, `ack: ${a.acknowledgedBy}`)
        : this.ackButton(a),
    );
    if (this.isAdmin() && !a.silenced) box.append(this.silenceButton(a));
    return box;
  }

  /** Off on pages that are not about machines (account, admin, the alerts page itself). */
  hide(): void {
    this.shown = false;
    this.root.hidden = true;
  }

  show(all: readonly Alert[]): void {
    this.all = all;
    const alerts = this.machine === null ? all : all.filter((a) => a.machineId === this.machine);
    this.root.hidden = !this.shown || alerts.length === 0;
    fillRows(
      this.body,
      alerts.map((a) => [
        badge(a),
        a.ruleName,
        { text: this.hostname(a.machineId), title: a.machineId },
        a.instance,
        formatAlertValue(a.value),
        {
          text: a.silenced ? 'silenced' : new Date(a.at).toLocaleString(),
          className: a.silenced ? 'text-body-secondary' : '',
        },
        this.actions(a),
      ]),
      [],
    );
    for (const [i, a] of alerts.entries())
      (this.body.children[i] as HTMLElement).dataset.alert = `${a.ruleId} ${a.machineId}`;
  }
}

/** The alerts page: firing, history with CSV export, silences (created by admins). */
export class AlertsPage {
  private readonly message = el('div', { class: 'alert py-2 small', role: 'status', hidden: true });
  private readonly history = el('tbody', { 'data-testid': 'alert-history' });
  private readonly silences = el('tbody', { 'data-testid': 'silences' });
  private readonly channels = el('tbody', { 'data-testid': 'channels' });
  private events: Alert[] = [];
  private readonly rules: RulesCard;

  constructor(
    private readonly host: HTMLElement,
    private readonly isAdmin: () => boolean,
  ) {
    this.rules = new RulesCard(isAdmin, (text, ok) => this.say(text, ok));
  }

  show(): void {
    this.host.hidden = false;
    const download = el(
      'button',
      { class: 'btn btn-sm btn-outline-secondary', type: 'button', 'data-testid': 'alerts-csv' },
      'Download CSV',
    );
    download.addEventListener('click', () => {
      const link = el('a', {
        href: URL.createObjectURL(new Blob([alertsCsv(this.events)], { type: 'text/csv' })),
        download: 'sysmon-alerts.csv',
      });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    });
    const historyCard = card(
      'History (newest first)',
      tableOf(['When', 'What', 'Severity', 'Rule', 'Machine', 'Instance', 'Value'], this.history),
      download,
    );
    const parts = [
      el('h1', { class: 'h5 mb-3' }, 'Alerts'),
      this.message,
      historyCard,
      ...this.rules.elements(),
      card(
        'Notification channels',
        tableOf(
          ['Channel', 'Kind', 'Last delivered', 'Last failure', 'Error', 'Given up', ''],
          this.channels,
        ),
      ),
      card('Silences', tableOf(['Rule', 'Machine', 'Tag', 'Until', 'By', 'Comment', ''], this.silences)),
    ];
    if (this.isAdmin()) parts.push(card('Silence', this.silenceForm()));
    this.host.replaceChildren(...parts);
    void this.refresh();
  }

  hide(): void {
    this.host.hidden = true;
    this.host.replaceChildren();
  }

  private say(text: string, ok: boolean): void {
    showMessage(this.message, text, ok);
  }

  async refresh(): Promise<void> {
    try {
      const [, events, silences, channels] = await Promise.all([
        this.rules.refresh().then(() => null),
        getJson('api/alerts/history?limit=500'),
        getJson('api/alerts/silences'),
        getJson('api/alerts/channels'),
      ]);
      const when = (v: unknown) => (typeof v === 'string' && v ? new Date(v).toLocaleString() : '');
      fillRows(
        this.channels,
        ((Array.isArray(channels) ? channels : []) as Record<string, unknown>[]).map((c) => [
          str(c.id, 64),
          str(c.kind, 16),
          when(c.lastSuccess),
          when(c.lastFailure),
          str(c.lastError, 300),
          {
            text: String(typeof c.failed === 'number' ? c.failed : 0),
            className: typeof c.failed === 'number' && c.failed > 0 ? 'text-danger fw-semibold' : '',
            title: 'messages given up after the last retry',
          },
          this.testButton(str(c.id, 64)),
        ]),
        [],
      );
      this.events = parseAlerts(events);
      fillRows(
        this.history,
        this.events.map((e) => [
          new Date(e.at).toLocaleString(),
          e.kind,
          badge(e),
          e.ruleName,
          e.machineId,
          e.instance,
          formatAlertValue(e.value),
        ]),
        [],
      );
      const list = (Array.isArray(silences) ? silences : []) as Silence[];
      fillRows(
        this.silences,
        list.map((s) => [
          str(s.ruleId) || 'any',
          str(s.machineId) || 'any',
          str(s.tag) || 'any',
          new Date(s.endsAt).toLocaleString(),
          str(s.createdBy),
          str(s.comment),
          this.removeButton(s),
        ]),
        [],
      );
    } catch (e) {
      this.say(e instanceof ApiError ? e.message : 'Could not load the alerts.', false);
    }
  }

  private testButton(id: string): HTMLElement {
    if (!this.isAdmin()) return el('span');
    const b = el(
      'button',
      { class: 'btn btn-sm btn-outline-secondary', type: 'button', 'data-testid': `test-${id}` },
      'Send test',
    );
    b.addEventListener('click', () => {
      post(`api/alerts/channels/${encodeURIComponent(id)}/test`).then(
        () => {
          this.say(`Test message delivered to ${id}.`, true);
          void this.refresh();
        },
        (e) => {
          this.say(e instanceof ApiError ? e.message : 'Failed.', false);
          void this.refresh();
        },
      );
    });
    return b;
  }

  private removeButton(silence: Silence): HTMLElement {
    if (!this.isAdmin()) return el('span');
    const b = el('button', { class: 'btn btn-sm btn-outline-danger', type: 'button' }, 'End');
    b.addEventListener('click', () => {
      del(`api/alerts/silences/${encodeURIComponent(silence.id)}`).then(
        () => {
          this.say('Silence ended.', true);
          void this.refresh();
        },
        (e) => this.say(e instanceof ApiError ? e.message : 'Failed.', false),
      );
    });
    return b;
  }

  private silenceForm(): HTMLElement {
    const form = el('form', { class: 'row g-2 align-items-end', 'data-testid': 'silence-form' });
    const field = (name: string, placeholder: string, type = 'text') =>
      el('input', {
        class: 'form-control form-control-sm',
        name,
        placeholder,
        type,
        'aria-label': placeholder,
      });
    const inputs = [
      field('ruleId', 'rule id (empty: any)'),
      field('machineId', 'machine id (empty: any)'),
      field('tag', 'tag (empty: any)'),
      field('minutes', 'minutes', 'number'),
      field('comment', 'why'),
    ];
    for (const input of inputs) {
      const col = el('div', { class: 'col-sm' });
      col.append(input);
      form.append(col);
    }
    const submit = el('div', { class: 'col-sm-auto' });
    submit.append(el('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, 'Silence'));
    form.append(submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const [ruleId, machineId, tag, minutes, comment] = inputs.map((i) => i.value.trim());
      post('api/alerts/silences', { ruleId, machineId, tag, minutes: Number(minutes) || 60, comment }).then(
        () => {
          this.say('Silenced.', true);
          form.reset();
          void this.refresh();
        },
        (e) => this.say(e instanceof ApiError ? e.message : 'Failed.', false),
      );
    });
    return form;
  }
}
