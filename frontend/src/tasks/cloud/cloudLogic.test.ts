import { describe, expect, it } from 'vitest';
import { testPreview } from '../../test/fakeCloud';
import { testTask } from '../../test/fakeTasks';
import { newDraft, toDefinition } from '../wizard/draft';
import { changeSummary, formatMoney, formatQuantity, formatTotals, formatUnitPrice, stackStatusType } from './cloudFormat';
import { agentOf, logText, recentLines, shownLogLines } from './CloudPanels';
import { byField, editedDefinition, typedNumber } from './CloudModals';

const offered = { maxConcurrency: 256 };

describe('cloud definition of the wizard', () => {
  it('sends only what was chosen, numbers Go judges, and no network for the default VPC', () => {
    const d = newDraft(null);
    d.engine = 'cloud';
    d.cloud.profileId = 'aws1';
    const plain = toDefinition(d, offered);
    expect(plain.cloud).toEqual({ profileId: 'aws1', maxWorkers: undefined });
    expect(plain.s3?.events).toBeUndefined();

    d.cloud.region = 'eu-west-1';
    d.cloud.maxWorkers = '0'; // 0 would mean the default: sent beyond Go's bound
    d.cloud.instanceTypes = ['c7g.large'];
    d.cloud.spot = true;
    d.cloud.alarmEmail = ' ops@example.com ';
    d.cloud.vpcId = 'vpc-0private000000b';
    d.cloud.subnetIds = ['subnet-0bbbbbbbbbbbbbbb1'];
    d.cloud.events = 'create';
    d.schedule = { kind: 'once', every: '', cron: '', at: ' 2026-05-01T02:00 ' };
    const def = toDefinition(d, offered);
    expect(def.cloud).toEqual({
      profileId: 'aws1',
      region: 'eu-west-1',
      maxWorkers: 1_000_000,
      instanceTypes: ['c7g.large'],
      spot: true,
      alarmEmail: 'ops@example.com',
      network: { vpcId: 'vpc-0private000000b', subnetIds: ['subnet-0bbbbbbbbbbbbbbb1'] },
    });
    expect(def.s3?.events).toBe('create');
    expect(def.schedule).toEqual({ kind: 'once', at: '2026-05-01T02:00' });
  });

  it('gives an image task copiers, not a fleet; a local task no cloud options', () => {
    const d = newDraft(null);
    d.type = 'IMAGE';
    d.engine = 'cloud';
    d.cloud.profileId = 'aws1';
    d.cloud.maxCopiers = '12';
    d.cloud.spot = true;
    expect(toDefinition(d, offered).cloud).toEqual({ profileId: 'aws1', maxCopiers: 12 });
    d.engine = 'local';
    expect(toDefinition(d, offered).cloud).toBeUndefined();
  });
});

describe('cloud wording', () => {
  it('formats money, unit prices and totals per currency', () => {
    expect(formatMoney(2.114, 'USD')).toBe('2.11 USD');
    expect(formatMoney(0.00012, 'USD')).toBe('0.0001 USD');
    expect(formatMoney(0.00000012, 'USD')).toBe('< 0.0001 USD');
    expect(formatQuantity(0.000284)).toBe('0.000284');
    expect(formatQuantity(0.1666)).toBe('0.167');
    expect(formatQuantity(12345.6)).toBe('12,346');
    expect(formatUnitPrice(0.000005, 'USD')).toBe('0.00000500 USD');
    expect(formatTotals({ lines: [], totals: { USD: 1.2, CNY: 8.35 }, assumptions: [], notIncluded: [], prices: [] })).toBe('8.35 CNY + 1.20 USD');
  });

  it('counts a change set and reads stack statuses', () => {
    const p = testPreview('s', 2);
    p.changes.push({ action: 'Remove', logicalId: 'Old', type: 'AWS::SQS::Queue' }, { action: 'Modify', logicalId: 'Fleet', type: 'AWS::AutoScaling::AutoScalingGroup' });
    expect(changeSummary(p)).toBe('2 to add, 1 to modify, 1 to remove');
    expect(stackStatusType('CREATE_FAILED')).toBe('error');
    expect(stackStatusType('ROLLBACK_COMPLETE')).toBe('warning');
    expect(stackStatusType('UPDATE_IN_PROGRESS')).toBe('in-progress');
    expect(stackStatusType('CREATE_COMPLETE')).toBe('success');
  });
});

describe('cloud edit', () => {
  it('keeps the sides and the account, and changes the fleet and schedule', () => {
    const t = testTask({ engine: 'cloud', spec: { v: 1, s3: { source: { kind: 's3', bucket: 'a' }, destination: { kind: 's3', bucket: 'b' } }, schedule: { kind: 'cron', cron: '0 2 * * *' }, cloud: { profileId: 'aws1', region: 'eu-west-1', maxWorkers: 5 } } });
    const def = editedDefinition(t, { maxWorkers: '20', maxCopiers: '', spot: true, alarmEmail: '', scheduleKind: '', every: '', cron: '', at: '' });
    expect(def.cloud).toEqual({ profileId: 'aws1', region: 'eu-west-1', maxWorkers: 20, spot: true, alarmEmail: undefined });
    expect(def.schedule).toBeUndefined();
    expect(def.s3).toEqual(t.spec.s3);
    expect(typedNumber('')).toBeUndefined();
    expect(typedNumber('1.5')).toBe(-1);
    expect(byField([{ field: 'a', message: 'first' }, { field: 'a', message: 'second' }])).toEqual({ a: 'first' });
  });
});

describe('cloud log lines', () => {
  it('reads agent JSON lines as text, names the agent, and shows the newest first', () => {
    expect(logText('{"time":"t","level":"WARN","msg":"copy failed, retrying","task":"s3-1","role":"worker","key":"a.jpg","attempt":2}')).toBe(
      'WARN copy failed, retrying: key=a.jpg attempt=2',
    );
    expect(logText('plain text')).toBe('plain text');
    expect(logText('{"no":"msg"}')).toBe('{"no":"msg"}');
    expect(agentOf('s3-1/worker/i-0abc')).toBe('worker i-0abc');
    const lines = Array.from({ length: shownLogLines + 5 }, (_, i) => ({ time: `2026-01-02T10:00:${String(i).padStart(2, '0')}Z`, stream: 's', message: String(i) }));
    const shown = recentLines(lines);
    expect(shown).toHaveLength(shownLogLines);
    expect(shown[0]?.message).toBe(String(shownLogLines + 4));
  });
});
