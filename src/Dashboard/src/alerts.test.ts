import { describe, expect, it } from 'vitest';
import { alertsCsv, parseAlert, parseAlerts } from './alerts';

describe('parseAlert', () => {
  it('reads an alert and refuses what is not one', () => {
    expect(
      parseAlert({
        ruleId: 'cpu',
        ruleName: 'CPU hot',
        severity: 'Critical',
        machineId: 'm1',
        instance: '',
        kind: 'Fired',
        at: '2026-12-02T10:00:00Z',
        value: 95,
        silenced: true,
        acknowledged: { by: 'alice', at: 't' },
      }),
    ).toEqual({
      ruleId: 'cpu',
      ruleName: 'CPU hot',
      severity: 'Critical',
      machineId: 'm1',
      instance: '',
      kind: 'Fired',
      at: '2026-12-02T10:00:00Z',
      value: 95,
      silenced: true,
      acknowledgedBy: 'alice',
    });
    expect(parseAlert({ ruleId: 1 })).toBeNull();
    expect(parseAlert(null)).toBeNull();
    expect(parseAlerts('nope')).toEqual([]);
  });

  it('never trusts a severity or value it does not know', () => {
    const a = parseAlert({ ruleId: 'x', machineId: 'm', severity: '<b>', value: 'NaN' });
    expect(a?.severity).toBe('Info');
    expect(Number.isNaN(a?.value)).toBe(true);
  });
});

describe('alertsCsv', () => {
  it('quotes fields with commas, quotes and newlines', () => {
    const csv = alertsCsv(
      parseAlerts([
        {
          ruleId: 'd',
          ruleName: 'Disk, "nearly" full',
          severity: 'Warning',
          machineId: 'm1',
          instance: '/var',
          kind: 'Fired',
          at: 't',
          value: 91.5,
        },
      ]),
    );
    expect(csv).toBe(
      'at,kind,severity,rule,machine,instance,value\nt,Fired,Warning,"Disk, ""nearly"" full",m1,/var,91.5\n',
    );
  });
});
