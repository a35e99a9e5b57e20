import { describe, expect, it } from 'vitest';
import { testAccount, testDeployment, testListing, testNetworks, testOperation, testPreflight } from '../test/fakeDeployments';
import { controlPlaneOf } from '../pages/DeploymentsPage';
import { progressLabel } from './DeployProgress';
import { networkOf, targetProblem, type DeployTarget } from './DeployWizard';
import { rowsOf } from './DeploymentsTable';
import { newer } from './useOperations';
import { changeSummary, formatSeconds, operationSeconds, statusLabel, statusType } from './format';
import { permissionsChecked, preflightBlocks } from './PreflightPanel';

describe('deployment wording', () => {
  it('maps CloudFormation statuses to indicators and words', () => {
    expect(statusType('CREATE_COMPLETE')).toBe('success');
    expect(statusType('UPDATE_IN_PROGRESS')).toBe('in-progress');
    expect(statusType('ROLLBACK_IN_PROGRESS')).toBe('in-progress');
    expect(statusType('ROLLBACK_COMPLETE')).toBe('error');
    expect(statusType('CREATE_FAILED')).toBe('error');
    expect(statusType('UPDATE_ROLLBACK_COMPLETE')).toBe('warning');
    expect(statusType('DELETE_SKIPPED')).toBe('warning');
    expect(statusType('DATA_KEPT')).toBe('stopped');
    expect(statusLabel('CREATE_COMPLETE')).toBe('Create complete');
    expect(statusLabel('DATA_KEPT')).toBe('Deleted, data kept');
  });

  it('formats durations and change counts', () => {
    expect(formatSeconds(5.9)).toBe('5 s');
    expect(formatSeconds(185)).toBe('3 min 5 s');
    expect(formatSeconds(3720)).toBe('1 h 2 min');
    expect(
      changeSummary([
        { action: 'Add', logicalId: 'A', type: 't' },
        { action: 'Modify', logicalId: 'B', type: 't' },
        { action: 'Add', logicalId: 'C', type: 't' },
        { action: 'Remove', logicalId: 'D', type: 't' },
      ]),
    ).toBe('2 to add, 1 to change, 1 to remove');
  });

  it('says N of M resources, or Starting before the first report', () => {
    expect(progressLabel(testOperation())).toBe('Starting');
    const op = testOperation({
      progress: { stack: 's', operation: 'create', started: '2026-03-02T10:00:00Z', elapsed: 0, done: 3, total: 7, stackStatus: 'CREATE_IN_PROGRESS' },
    });
    expect(progressLabel(op)).toBe('3 of 7 resources');
  });

  it('finds the control plane of a stack name', () => {
    expect(controlPlaneOf('e2e-control-plane')).toBe('e2e');
    expect(controlPlaneOf('something-else')).toBe('thub');
  });
});

describe('the deploy target', () => {
  const base: DeployTarget = { profileId: 'p1', region: 'eu-west-1', name: 'thub', vpcId: '', subnetIds: [] };

  it('says what the first step lacks', () => {
    expect(targetProblem(base)).toBe('');
    expect(targetProblem({ ...base, profileId: '' })).toMatch(/Choose the AWS account/);
    expect(targetProblem({ ...base, region: '' })).toMatch(/Choose the Region/);
    expect(targetProblem({ ...base, name: ' ' })).toMatch(/Name the control plane/);
    expect(targetProblem({ ...base, vpcId: 'vpc-1' })).toMatch(/at least one subnet/);
  });

  it('sends the chosen VPC and subnets, public when they all are; nothing chosen sends none', () => {
    expect(networkOf(base, testNetworks)).toBeUndefined();
    const n = networkOf({ ...base, vpcId: 'vpc-default', subnetIds: ['subnet-a'] }, testNetworks);
    expect(n).toMatchObject({ VPCID: 'vpc-default', SubnetIDs: ['subnet-a'], PublicIP: true, Endpoints: false });
    const typed = networkOf({ ...base, vpcId: 'vpc-typed', subnetIds: ['subnet-x'] }, null);
    expect(typed).toMatchObject({ VPCID: 'vpc-typed', SubnetIDs: ['subnet-x'] });
  });

  it('blocks on missing permissions or a problem check', () => {
    expect(preflightBlocks(testPreflight)).toBe(true);
    expect(preflightBlocks({ ...testPreflight, missing: [], checks: [{ name: 'Quotas', status: 'ok', summary: '' }] })).toBe(false);
  });

  it('claims every permission only when the simulator ran', () => {
    const unchecked = { ...testPreflight, missing: [], checks: [{ name: 'permissions', status: 'unknown' as const, summary: 'the simulator takes users and roles' }] };
    expect(permissionsChecked(unchecked)).toBe(false);
    expect(permissionsChecked({ ...unchecked, checks: [{ name: 'permissions', status: 'ok', summary: '' }] })).toBe(true);
  });
});

describe('the table rows', () => {
  it('flattens each account and Region with the account name and id', () => {
    const rows = rowsOf(
      [
        testListing({ deployments: [testDeployment(), testDeployment({ kind: 's3-task', taskId: 't1', taskName: 'photos', stack: 'thub-task-t1' })] }),
        testListing({ region: 'us-east-1', account: '111122223333', deployments: [testDeployment({ region: 'us-east-1' })] }),
      ],
      [testAccount],
    );
    expect(rows.map((r) => [r.profileName, r.region, r.d.kind])).toEqual([
      ['prod', 'eu-west-1', 'control-plane'],
      ['prod', 'eu-west-1', 's3-task'],
      ['prod', 'us-east-1', 'control-plane'],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
  });
});

describe('operation snapshots', () => {
  const p = (elapsed: number) => ({ stack: 's', operation: 'create', started: '2026-03-02T10:00:00Z', elapsed, done: 1, total: 3, stackStatus: 'CREATE_IN_PROGRESS' });
  it('keeps the newest: an ended operation never runs again, an older report never replaces a newer one', () => {
    const running = testOperation({ progress: p(5e9) });
    const ended = testOperation({ done: true, progress: p(9e9) });
    expect(newer(ended, running)).toBe(true);
    expect(newer(running, ended)).toBe(false);
    expect(newer(testOperation({ progress: p(2e9) }), running)).toBe(false);
    expect(newer(testOperation({ progress: p(6e9) }), running)).toBe(true);
  });
});

describe('operation elapsed time', () => {
  it('counts from the start to now while it goes on, then to its end (uploads and the change set included)', () => {
    const started = '2026-03-02T10:00:00Z';
    const report = { stack: 's', operation: 'create', started, elapsed: 1e9, done: 3, total: 3, stackStatus: 'CREATE_COMPLETE' };
    expect(operationSeconds(testOperation({ started, progress: report }), Date.parse('2026-03-02T10:00:42Z'))).toBe(42);
    expect(operationSeconds(testOperation({ started, done: true, ended: '2026-03-02T10:01:30Z', progress: report }), 0)).toBe(90);
    expect(operationSeconds(testOperation({ started, done: true, progress: report }), 0)).toBe(1);
  });
});
