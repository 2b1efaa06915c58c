// The rules card of the alerts page: every rule in force, and for admins an editor that creates,
// changes, disables and deletes stored rules and tries a rule on recent history before saving it
// ("would have fired at …"). Parsing and the form's checks are pure and tested.
//
// Test hooks: [data-testid="rules"] rows [data-rule="<id>"]; [data-testid="rule-form"] with inputs
// named as the API's fields; [data-testid="rule-test"], [data-testid="rule-save"];
// [data-testid="backtest"] (summary) and [data-testid="backtest-rows"].
import { cappedText } from './coerce';
import { card, el, fillRows, tableOf } from './dom';
import { formatAlertValue, formatDuration } from './format';
import { ApiError, del, getJson, post } from './session';

export interface Rule {
  id: string;
  name: string;
  metric: string;
  instance: string;
  comparison: 'Above' | 'Below';
  threshold: number;
  clearThreshold: number | null;
  forSeconds: number;
  severity: 'Info' | 'Warning' | 'Critical';
  tag: string;
  machineId: string;
  enabled: boolean;
}

export interface RuleEntry {
  rule: Rule;
  /** Stored in Redis (admins change it here), not from configuration. */
  editable: boolean;
}

export interface Metric {
  name: string;
  description: string;
  inHistory: boolean;
}

const str = (v: unknown, max = 256): string => cappedText(v, max);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One rule from the API; null for anything that is not one. Pure. */
export function parseRule(raw: unknown): Rule | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const threshold = num(r.threshold);
  if (typeof r.id !== 'string' || typeof r.metric !== 'string' || threshold === null) return null;
  return {
    id: str(r.id, 64),
    name: str(r.name, 200),
    metric: str(r.metric, 64),
    instance: str(r.instance),
    comparison: r.comparison === 'Below' ? 'Below' : 'Above',
    threshold,
    clearThreshold: num(r.clearThreshold),
    forSeconds: num(r.forSeconds) ?? 0,
    severity: r.severity === 'Critical' || r.severity === 'Info' ? r.severity : 'Warning',
    tag: str(r.tag, 40),
    machineId: str(r.machineId, 128),
    enabled: r.enabled !== false,
  };
}

export function parseRules(raw: unknown): RuleEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e) => {
    const rule = parseRule((e as Record<string, unknown> | null)?.rule);
    return rule ? [{ rule, editable: (e as Record<string, unknown>).editable === true }] : [];
  });
}

export function parseMetrics(raw: unknown): Metric[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((m: Record<string, unknown> | null) =>
    m && typeof m.name === 'string'
      ? [{ name: str(m.name, 64), description: str(m.description, 200), inHistory: m.inHistory === true }]
      : [],
  );
}

/** "cpu_percent > 90 for 5m 00s, clears at 80" Pure. */
export function describeCondition(r: Rule): string {
  const what = r.instance ? `${r.metric} (${r.instance})` : r.metric;
  const op = r.comparison === 'Below' ? '<' : '>';
  const held = r.forSeconds > 0 ? ` for ${formatDuration(r.forSeconds)}` : '';
  const clears =
    r.clearThreshold !== null && r.clearThreshold !== r.threshold ? `, clears at ${r.clearThreshold}` : '';
  return `${what} ${op} ${r.threshold}${held}${clears}`;
}

/** "every machine", "tag web", "machine db-1", "machine db-1 with tag web". Pure. */
export function describeScope(r: Rule): string {
  if (r.machineId && r.tag) return `machine ${r.machineId} with tag ${r.tag}`;
  if (r.machineId) return `machine ${r.machineId}`;
  if (r.tag) return `tag ${r.tag}`;
  return 'every machine';
}

export type FormValues = Record<
  | 'id'
  | 'name'
  | 'metric'
  | 'instance'
  | 'comparison'
  | 'threshold'
  | 'clearThreshold'
  | 'forSeconds'
  | 'severity'
  | 'tag'
  | 'machineId',
  string
> & { enabled: boolean };

/**
 * The rule the form describes, or why it is not one yet: the same checks as the hub's, said before the
 * round trip (the hub checks again). Pure.
 */
export function ruleFromForm(v: FormValues): Rule | string {
  const id = v.id.trim();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) return 'The id is 1 to 64 letters, digits, "-", "_" and ".".';
  const name = v.name.trim() || id;
  if (!v.metric) return 'Choose a metric.';
  const threshold = Number(v.threshold);
  if (v.threshold.trim() === '' || !Number.isFinite(threshold)) return 'The threshold is a number.';
  const clear = v.clearThreshold.trim() === '' ? null : Number(v.clearThreshold);
  if (clear !== null && !Number.isFinite(clear)) return 'The clearing threshold is a number, or empty.';
  const comparison = v.comparison === 'Below' ? 'Below' : 'Above';
  if (clear !== null && (comparison === 'Above' ? clear > threshold : clear < threshold))
    return comparison === 'Above'
      ? 'An "above" rule clears at or below its threshold.'
      : 'A "below" rule clears at or above its threshold.';
  const forSeconds = v.forSeconds.trim() === '' ? 0 : Number(v.forSeconds);
  if (!Number.isFinite(forSeconds) || forSeconds < 0 || forSeconds > 7 * 86400)
    return 'The duration is 0 to 604800 seconds (7 days).';
  const severity = v.severity === 'Critical' || v.severity === 'Info' ? v.severity : 'Warning';
  return {
    id,
    name,
    metric: v.metric,
    instance: v.instance.trim(),
    comparison,
    threshold,
    clearThreshold: clear,
    forSeconds,
    severity,
    tag: v.tag.trim().toLowerCase(),
    machineId: v.machineId.trim(),
    enabled: v.enabled,
  };
}

export interface BacktestTransition {
  machineId: string;
  instance: string;
  kind: 'Fired' | 'Resolved';
  at: string;
  value: number;
}

export interface Backtest {
  machinesChecked: number;
  fired: number;
  resolved: number;
  firingAtEnd: number;
  stepSeconds: number;
  transitions: BacktestTransition[];
  truncated: boolean;
}

export function parseBacktest(raw: unknown): Backtest {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const count = (v: unknown) => Math.max(0, Math.trunc(num(v) ?? 0));
  return {
    machinesChecked: count(r.machinesChecked),
    fired: count(r.fired),
    resolved: count(r.resolved),
    firingAtEnd: count(r.firingAtEnd),
    stepSeconds: count(r.stepSeconds) || 1,
    truncated: r.truncated === true,
    transitions: (Array.isArray(r.transitions) ? r.transitions : []).flatMap(
      (t: Record<string, unknown> | null) =>
        t && typeof t.machineId === 'string'
          ? [
              {
                machineId: str(t.machineId, 128),
                instance: str(t.instance),
                kind: t.kind === 'Resolved' ? ('Resolved' as const) : ('Fired' as const),
                at: str(t.at, 64),
                value: num(t.value) ?? Number.NaN,
              },
            ]
          : [],
    ),
  };
}

/** "Would have fired 3 times on 5 machines in the last 60 minutes; 1 still firing at the end." Pure. */
export function describeBacktest(b: Backtest, minutes: number): string {
  const machines = `${b.machinesChecked} machine${b.machinesChecked === 1 ? '' : 's'}`;
  if (b.machinesChecked === 0) return `No machine in this rule's scope has history to test against.`;
  if (b.fired === 0 && b.firingAtEnd === 0)
    return `Would not have fired on ${machines} in the last ${minutes} minutes.`;
  const times = `${b.fired} time${b.fired === 1 ? '' : 's'}`;
  const still = b.firingAtEnd > 0 ? `; ${b.firingAtEnd} still firing at the end` : '';
  const coarse = b.stepSeconds > 1 ? ` (history in ${b.stepSeconds} s averages)` : '';
  return `Would have fired ${times} on ${machines} in the last ${minutes} minutes${still}${coarse}.`;
}

const FIELDS: { name: keyof FormValues; label: string; type?: string; options?: string[] }[] = [
  { name: 'id', label: 'id' },
  { name: 'name', label: 'name' },
  { name: 'metric', label: 'metric', options: [] },
  { name: 'instance', label: 'instance (empty: every)' },
  { name: 'comparison', label: 'fires when', options: ['Above', 'Below'] },
  { name: 'threshold', label: 'threshold', type: 'number' },
  { name: 'clearThreshold', label: 'clears at (empty: threshold)', type: 'number' },
  { name: 'forSeconds', label: 'for (seconds)', type: 'number' },
  { name: 'severity', label: 'severity', options: ['Warning', 'Critical', 'Info'] },
  { name: 'tag', label: 'tag (empty: any)' },
  { name: 'machineId', label: 'machine id (empty: any)' },
];

/** The rules card, and the editor for admins. `say` reports outcomes in the page's message area. */
export class RulesCard {
  private readonly rows = el('tbody', { 'data-testid': 'rules' });
  private readonly backtestRows = el('tbody', { 'data-testid': 'backtest-rows' });
  private readonly backtestSummary = el('div', { class: 'small mb-2', 'data-testid': 'backtest' });
  private readonly inputs = new Map<keyof FormValues, HTMLInputElement | HTMLSelectElement>();
  private readonly enabled = el('input', {
    class: 'form-check-input',
    type: 'checkbox',
    name: 'enabled',
    id: 'rule-enabled',
  });
  private readonly minutes = el('input', {
    class: 'form-control form-control-sm sm-minutes',
    type: 'number',
    name: 'minutes',
    value: 60,
    min: 1,
    'aria-label': 'minutes of history to test against',
  });

  constructor(
    private readonly isAdmin: () => boolean,
    private readonly say: (text: string, ok: boolean) => void,
  ) {}

  /** The card (and the editor's card for admins). */
  elements(): HTMLElement[] {
    const list = card('Rules', tableOf(['Rule', 'Condition', 'Severity', 'Scope', 'State', ''], this.rows));
    return this.isAdmin()
      ? [list, card('Rule editor', this.form(), this.backtestSummary, this.backtestTable())]
      : [list];
  }

  async refresh(): Promise<void> {
    const [rules, metrics] = await Promise.all([getJson('api/alerts/rules'), getJson('api/alerts/metrics')]);
    this.fillMetrics(parseMetrics(metrics));
    const entries = parseRules(rules);
    fillRows(
      this.rows,
      entries.map((e) => [
        { text: e.rule.name, title: e.rule.id },
        describeCondition(e.rule),
        e.rule.severity,
        describeScope(e.rule),
        {
          text: `${e.rule.enabled ? 'on' : 'off'}${e.editable ? '' : ' (configuration)'}`,
          className: e.rule.enabled ? '' : 'text-body-secondary',
        },
        this.actions(e),
      ]),
      [],
    );
    for (const [i, e] of entries.entries()) (this.rows.children[i] as HTMLElement).dataset.rule = e.rule.id;
  }

  private fillMetrics(metrics: Metric[]): void {
    const select = this.inputs.get('metric');
    // Filled once: the list is the hub's and does not change while it runs.
    if (!(select instanceof HTMLSelectElement) || metrics.length === 0 || select.options.length > 0) return;
    select.replaceChildren(
      ...metrics.map((m) =>
        el('option', { value: m.name, title: m.description }, m.inHistory ? m.name : `${m.name} (live only)`),
      ),
    );
  }

  private actions(e: RuleEntry): HTMLElement {
    const box = el('div', { class: 'd-flex gap-1' });
    if (!this.isAdmin()) return box;
    const button = (text: string, testid: string, onClick: () => void, danger = false) => {
      const b = el(
        'button',
        {
          class: `btn btn-sm py-0 ${danger ? 'btn-outline-danger' : 'btn-outline-secondary'}`,
          type: 'button',
          'data-testid': testid,
        },
        text,
      );
      b.addEventListener('click', onClick);
      box.append(b);
    };
    // A configured rule is changed in configuration; here it can only start a new rule.
    button(e.editable ? 'Edit' : 'Copy', 'rule-edit', () =>
      this.load(e.editable ? e.rule : { ...e.rule, id: `${e.rule.id}-copy` }),
    );
    if (!e.editable) return box;
    button(e.rule.enabled ? 'Disable' : 'Enable', 'rule-toggle', () =>
      this.save({ ...e.rule, enabled: !e.rule.enabled }, e.rule.enabled ? 'disabled' : 'enabled'),
    );
    button(
      'Delete',
      'rule-delete',
      () => {
        if (!confirm(`Delete the rule "${e.rule.name}"? Its firing alerts resolve at their next sample.`))
          return;
        del(`api/alerts/rules/${encodeURIComponent(e.rule.id)}`).then(
          () => {
            this.say(`Rule ${e.rule.id} deleted.`, true);
            void this.refresh();
          },
          (err) => this.say(err instanceof ApiError ? err.message : 'Failed.', false),
        );
      },
      true,
    );
    return box;
  }

  /** Puts a rule in the editor. */
  private load(r: Rule): void {
    const values: Omit<FormValues, 'enabled'> = {
      id: r.id,
      name: r.name,
      metric: r.metric,
      instance: r.instance,
      comparison: r.comparison,
      threshold: String(r.threshold),
      clearThreshold: r.clearThreshold === null ? '' : String(r.clearThreshold),
      forSeconds: String(r.forSeconds),
      severity: r.severity,
      tag: r.tag,
      machineId: r.machineId,
    };
    for (const [name, input] of this.inputs) input.value = values[name as keyof typeof values];
    this.enabled.checked = r.enabled;
    this.inputs.get('threshold')?.scrollIntoView({ block: 'center' });
  }

  private values(): FormValues {
    const v = Object.fromEntries([...this.inputs].map(([k, i]) => [k, i.value])) as Omit<
      FormValues,
      'enabled'
    >;
    return { ...v, enabled: this.enabled.checked };
  }

  private save(rule: Rule, done = 'saved'): void {
    post('api/alerts/rules', rule).then(
      () => {
        this.say(`Rule ${rule.id} ${done}. Every hub uses it within 5 seconds.`, true);
        void this.refresh();
      },
      (err) => this.say(err instanceof ApiError ? err.message : 'Failed.', false),
    );
  }

  private test(rule: Rule): void {
    const minutes = Math.max(1, Math.round(Number(this.minutes.value) || 60));
    this.backtestSummary.textContent = 'Testing…';
    post('api/alerts/rules/test', { rule, minutes }).then(
      (raw) => {
        const b = parseBacktest(raw);
        this.backtestSummary.textContent =
          describeBacktest(b, minutes) + (b.truncated ? ' Only the first 1,000 changes are listed.' : '');
        fillRows(
          this.backtestRows,
          b.transitions
            .slice(0, 200)
            .map((t) => [
              new Date(t.at).toLocaleString(),
              t.kind === 'Fired' ? 'would fire' : 'would resolve',
              t.machineId,
              t.instance,
              formatAlertValue(t.value),
            ]),
          [],
        );
      },
      (err) => {
        this.backtestSummary.textContent = '';
        fillRows(this.backtestRows, [], []);
        this.say(err instanceof ApiError ? err.message : 'Failed.', false);
      },
    );
  }

  private backtestTable(): HTMLElement {
    return tableOf(['When', 'What', 'Machine', 'Instance', 'Value'], this.backtestRows);
  }

  private form(): HTMLElement {
    const form = el('form', { class: 'row g-2 align-items-end mb-2', 'data-testid': 'rule-form' });
    for (const f of FIELDS) {
      const input = f.options
        ? el('select', { class: 'form-select form-select-sm', name: f.name, 'aria-label': f.label })
        : el('input', {
            class: 'form-control form-control-sm',
            name: f.name,
            type: f.type ?? 'text',
            step: f.type === 'number' ? 'any' : undefined,
            placeholder: f.label,
            'aria-label': f.label,
          });
      if (input instanceof HTMLSelectElement)
        input.replaceChildren(...(f.options ?? []).map((o) => el('option', { value: o }, o)));
      this.inputs.set(f.name, input);
      const col = el('div', { class: 'col-sm-6 col-lg-3' });
      col.append(el('label', { class: 'form-label small mb-0' }, f.label), input);
      form.append(col);
    }
    this.enabled.checked = true;
    const check = el('div', { class: 'col-sm-6 col-lg-3 form-check ms-2' });
    check.append(
      this.enabled,
      el('label', { class: 'form-check-label small', for: 'rule-enabled' }, 'enabled'),
    );
    const buttons = el('div', { class: 'col-12 d-flex gap-2 align-items-center flex-wrap' });
    const testButton = el(
      'button',
      { class: 'btn btn-sm btn-outline-primary', type: 'button', 'data-testid': 'rule-test' },
      'Test against history',
    );
    buttons.append(
      testButton,
      el('span', { class: 'small' }, 'last'),
      this.minutes,
      el('span', { class: 'small me-3' }, 'minutes'),
      el(
        'button',
        { class: 'btn btn-sm btn-primary', type: 'submit', 'data-testid': 'rule-save' },
        'Save rule',
      ),
    );
    form.append(check, buttons);
    const checked = (): Rule | null => {
      const rule = ruleFromForm(this.values());
      if (typeof rule === 'string') {
        this.say(rule, false);
        return null;
      }
      return rule;
    };
    testButton.addEventListener('click', () => {
      const rule = checked();
      if (rule) this.test(rule);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const rule = checked();
      if (rule) this.save(rule);
    });
    return form;
  }
}
