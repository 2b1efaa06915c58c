import { describe, expect, it } from 'vitest';
import {
  describeBacktest,
  describeCondition,
  describeScope,
  type FormValues,
  parseBacktest,
  parseMetrics,
  parseRule,
  parseRules,
  ruleFromForm,
} from './alertRules';

const form = (over: Partial<FormValues> = {}): FormValues => ({
  id: 'cpu-hot',
  name: 'CPU hot',
  metric: 'cpu_percent',
  instance: '',
  comparison: 'Above',
  threshold: '90',
  clearThreshold: '80',
  forSeconds: '300',
  severity: 'Critical',
  tag: ' Prod ',
  machineId: '',
  enabled: true,
  ...over,
});

describe('parseRule', () => {
  it('reads a rule, defaults what the hub may leave out, and refuses what is not one', () => {
    expect(
      parseRules([
        { rule: { id: 'd', name: 'Disk', metric: 'disk_used_percent', threshold: 90 }, editable: false },
      ]),
    ).toEqual([
      {
        rule: {
          id: 'd',
          name: 'Disk',
          metric: 'disk_used_percent',
          instance: '',
          comparison: 'Above',
          threshold: 90,
          clearThreshold: null,
          forSeconds: 0,
          severity: 'Warning',
          tag: '',
          machineId: '',
          enabled: true,
        },
        editable: false,
      },
    ]);
    expect(parseRule({ id: 'x', metric: 'cpu_percent', threshold: 'NaN' })).toBeNull();
    expect(parseRules([{ rule: null }, 'x'])).toEqual([]);
    expect(parseMetrics([{ name: 'load1', description: 'load', inHistory: true }, { nope: 1 }])).toEqual([
      { name: 'load1', description: 'load', inHistory: true },
    ]);
  });
});

describe('describing a rule', () => {
  it('says the condition, its duration, its clearing point and its scope', () => {
    const rule = ruleFromForm(form());
    if (typeof rule === 'string') throw new Error(rule);
    expect(describeCondition(rule)).toBe('cpu_percent > 90 for 5m 00s, clears at 80');
    expect(describeScope(rule)).toBe('tag prod');
    expect(
      describeCondition({
        ...rule,
        comparison: 'Below',
        threshold: 5,
        clearThreshold: null,
        forSeconds: 0,
        instance: '/var',
      }),
    ).toBe('cpu_percent (/var) < 5');
    expect(describeScope({ ...rule, tag: '', machineId: 'db-1' })).toBe('machine db-1');
    expect(describeScope({ ...rule, tag: '' })).toBe('every machine');
  });
});

describe('ruleFromForm', () => {
  it('builds the rule the API takes', () => {
    expect(ruleFromForm(form({ name: '' }))).toMatchObject({
      id: 'cpu-hot',
      name: 'cpu-hot',
      threshold: 90,
      clearThreshold: 80,
      forSeconds: 300,
      tag: 'prod',
      severity: 'Critical',
    });
    expect(ruleFromForm(form({ clearThreshold: '' }))).toMatchObject({ clearThreshold: null });
  });

  it('says what is wrong before asking the hub', () => {
    expect(ruleFromForm(form({ id: 'no spaces' }))).toMatch(/id is 1 to 64/);
    expect(ruleFromForm(form({ threshold: '' }))).toMatch(/threshold is a number/);
    expect(ruleFromForm(form({ clearThreshold: '95' }))).toMatch(/clears at or below/);
    expect(ruleFromForm(form({ comparison: 'Below', threshold: '10', clearThreshold: '5' }))).toMatch(
      /clears at or above/,
    );
    expect(ruleFromForm(form({ forSeconds: '-1' }))).toMatch(/duration/);
    expect(ruleFromForm(form({ metric: '' }))).toMatch(/metric/);
  });
});

describe('backtest', () => {
  it('reads the answer and sums it up in a sentence', () => {
    const b = parseBacktest({
      machinesChecked: 3,
      fired: 2,
      resolved: 1,
      firingAtEnd: 1,
      stepSeconds: 10,
      truncated: false,
      transitions: [
        { machineId: 'web-1', instance: '', kind: 'Fired', at: '2026-12-02T10:00:00Z', value: 95 },
        { bad: 1 },
      ],
    });
    expect(b.transitions).toHaveLength(1);
    expect(describeBacktest(b, 60)).toBe(
      'Would have fired 2 times on 3 machines in the last 60 minutes; 1 still firing at the end (history in 10 s averages).',
    );
    expect(describeBacktest({ ...b, fired: 0, firingAtEnd: 0 }, 15)).toBe(
      'Would not have fired on 3 machines in the last 15 minutes.',
    );
    expect(describeBacktest(parseBacktest(null), 60)).toMatch(/No machine/);
  });
});
