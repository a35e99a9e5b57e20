import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../test/fakeBackend';
import { testDeployment, testListing, testOperation } from '../test/fakeDeployments';
import { renderApp } from '../test/render';

const progress = (done: number, over = {}) => ({
  stack: 'thub-control-plane',
  operation: 'create',
  started: '2026-03-02T10:00:00Z',
  elapsed: 12e9,
  done,
  total: 3,
  stackStatus: 'CREATE_IN_PROGRESS',
  ...over,
});

describe('Deployments page', () => {
  it('lists control planes and task stacks per account and Region, and the places it could not read', async () => {
    const { backend } = fakeBackend({
      deployments: {
        listings: [
          testListing({
            deployments: [
              testDeployment({ upgradeAvailable: true, version: '1.0.0' }),
              testDeployment({ kind: 's3-task', taskId: 't1', taskName: 'photos', stack: 'thub-task-t1', status: 'ROLLBACK_COMPLETE', deleteAndRetry: true }),
            ],
          }),
          testListing({ region: 'us-west-2', problem: 'AccessDenied: not authorized to perform cloudformation:DescribeStacks' }),
        ],
      },
    });
    renderApp(backend, '/deployments');
    const row = (await screen.findByText('photos')).closest('tr');
    expect(row).not.toBeNull();
    expect(within(row as HTMLElement).getByText('Rollback complete')).toBeInTheDocument();
    expect(within(row as HTMLElement).getByText(/delete and retry/)).toBeInTheDocument();
    expect(within(row as HTMLElement).getByText('S3 task')).toBeInTheDocument();
    const cpRow = screen.getByText('thub').closest('tr') as HTMLElement;
    expect(within(cpRow).getByText('Create complete')).toBeInTheDocument();
    expect(within(cpRow).getByText('1.0.0')).toBeInTheDocument();
    expect(within(cpRow).getByText('Upgrade available')).toBeInTheDocument();
    expect(within(cpRow).getByText('111122223333')).toBeInTheDocument();
    expect(screen.getByText('prod in us-west-2 could not be read')).toBeInTheDocument();
    expect(screen.getByText(/not authorized to perform cloudformation:DescribeStacks/)).toBeInTheDocument();
  });

  it('deploys through the pre-check and the preview, then follows the progress to the pinned failure and deletes and retries', async () => {
    const user = userEvent.setup();
    const { backend, deps } = fakeBackend();
    renderApp(backend, '/deployments');
    const [deploy] = await screen.findAllByRole('button', { name: 'Deploy control plane' });
    await user.click(deploy as HTMLElement);
    // The default VPC's default subnets are preselected.
    expect(await screen.findByText('subnet-a')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Next' }));

    // The pre-check lists what the identity lacks.
    expect(await screen.findByText('The identity lacks 2 permissions')).toBeInTheDocument();
    expect(screen.getByText('iam:CreateRole')).toBeInTheDocument();
    expect(backend.preflight).toHaveBeenCalledWith(expect.objectContaining({ profileId: 'p1', region: 'eu-west-1', controlPlane: 'thub' }));
    await user.click(screen.getByRole('button', { name: 'Next' }));

    // The preview.
    expect(await screen.findByText('AgentRole')).toBeInTheDocument();
    expect(screen.getByText('3 to add, 0 to change, 0 to remove')).toBeInTheDocument();
    expect(backend.planControlPlane).toHaveBeenCalledWith({
      profileId: 'p1',
      region: 'eu-west-1',
      name: 'thub',
      network: { VPCID: 'vpc-default', SubnetIDs: ['subnet-a', 'subnet-b'], PublicIP: true, Endpoints: false, RouteTableIDs: [], NAT: false, NATSubnetID: '' },
    });
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(backend.executePlan).toHaveBeenCalledWith('plan-1');
    expect(await screen.findByRole('heading', { name: /Deploying thub-control-plane/ })).toBeInTheDocument();

    // Live progress: N of M, each resource's status and reason.
    act(() => {
      deps.emit(
        testOperation({
          progress: progress(1),
          resources: [
            { logicalId: 'Key', type: 'AWS::KMS::Key', status: 'CREATE_COMPLETE', time: '2026-03-02T10:00:05Z', elapsed: 5e9 },
            { logicalId: 'AgentRole', type: 'AWS::IAM::Role', status: 'CREATE_IN_PROGRESS', time: '2026-03-02T10:00:06Z', elapsed: 1e9 },
          ],
        }),
      );
    });
    expect(screen.getAllByText('1 of 3 resources').length).toBeGreaterThan(0);
    expect(screen.getByText('Create in progress')).toBeInTheDocument();

    // The failure: pinned with its reason, delete and retry offered.
    const failure = { logicalId: 'AgentRole', type: 'AWS::IAM::Role', status: 'CREATE_FAILED', reason: 'Role name already exists', time: '2026-03-02T10:00:09Z' };
    act(() => {
      deps.emit(
        testOperation({
          progress: progress(1, { stackStatus: 'ROLLBACK_COMPLETE', final: true, firstFailure: failure }),
          resources: [
            { logicalId: 'Key', type: 'AWS::KMS::Key', status: 'DELETE_SKIPPED', time: '2026-03-02T10:00:12Z', elapsed: 7e9 },
            { logicalId: 'AgentRole', type: 'AWS::IAM::Role', status: 'CREATE_FAILED', reason: 'Role name already exists', time: '2026-03-02T10:00:09Z', elapsed: 3e9 },
          ],
          done: true,
          firstFailure: failure,
          deleteAndRetry: true,
          error: 'stack thub-control-plane: ROLLBACK_COMPLETE: delete the stack and deploy again',
        }),
      );
    });
    expect(screen.getByText('First failure: AgentRole (AWS::IAM::Role) CREATE_FAILED')).toBeInTheDocument();
    expect(screen.getAllByText('Role name already exists').length).toBeGreaterThan(0);
    expect(screen.getByRole('heading', { name: 'Deploy of thub-control-plane failed' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Delete and retry' }));
    expect(backend.deleteFailed).toHaveBeenCalledWith('p1', 'eu-west-1', 'thub', '');
    expect(await screen.findByRole('heading', { name: /Deleting thub-control-plane/ })).toBeInTheDocument();

    act(() => {
      deps.emit(testOperation({ id: 'op-2', kind: 'delete-failed', done: true, succeeded: true, progress: progress(3, { stackStatus: 'DELETE_COMPLETE', final: true }) }));
    });
    await user.click(await screen.findByRole('button', { name: 'Deploy again' }));
    // The wizard again, with the same account, Region, name and network.
    expect(await screen.findByDisplayValue('thub')).toBeInTheDocument();
    expect(screen.getByText('subnet-a')).toBeInTheDocument();
  }, 60_000);

  it('keeps a typed network through delete and retry when the VPCs cannot be listed', async () => {
    const user = userEvent.setup();
    const { backend, deps } = fakeBackend({ deployments: { networks: 'EC2 DescribeVpcs: UnknownOperation' } });
    renderApp(backend, '/deployments');
    const [deploy] = await screen.findAllByRole('button', { name: 'Deploy control plane' });
    await user.click(deploy as HTMLElement);
    expect(await screen.findByText('The VPCs could not be listed')).toBeInTheDocument();
    await user.type(screen.getByPlaceholderText('vpc-0123456789abcdef0'), 'vpc-typed');
    await user.type(screen.getByPlaceholderText('subnet-0123,subnet-4567'), 'subnet-1,subnet-2');
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await user.click(await screen.findByRole('button', { name: 'Next' }));
    await screen.findByText('AgentRole');
    expect(backend.planControlPlane).toHaveBeenLastCalledWith(
      expect.objectContaining({ network: expect.objectContaining({ VPCID: 'vpc-typed', SubnetIDs: ['subnet-1', 'subnet-2'] }) as unknown }),
    );
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    await screen.findByRole('heading', { name: /Deploying thub-control-plane/ });
    act(() => {
      deps.emit(testOperation({ done: true, deleteAndRetry: true, error: 'ROLLBACK_COMPLETE' }));
    });
    await user.click(screen.getByRole('button', { name: 'Delete and retry' }));
    act(() => {
      deps.emit(testOperation({ id: 'op-2', kind: 'delete-failed', done: true, succeeded: true }));
    });
    await user.click(await screen.findByRole('button', { name: 'Deploy again' }));
    expect(await screen.findByDisplayValue('vpc-typed')).toBeInTheDocument();
    expect(screen.getByDisplayValue('subnet-1,subnet-2')).toBeInTheDocument();
  }, 60_000);

  it('removes a deployment with the keep-data choice', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ deployments: { listings: [testListing({ deployments: [testDeployment()] })] } });
    renderApp(backend, '/deployments');
    await user.click(await screen.findByRole('radio', { name: 'thub' }));
    await user.click(screen.getByRole('button', { name: 'Remove' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText('thub-tasks')).toBeInTheDocument();
    expect(backend.removePreview).toHaveBeenLastCalledWith({ profileId: 'p1', region: 'eu-west-1', controlPlane: 'thub', taskId: '', keepData: true });
    await user.click(within(dialog).getByRole('checkbox'));
    await waitFor(() => {
      expect(backend.removePreview).toHaveBeenLastCalledWith(expect.objectContaining({ keepData: false }));
    });
    await user.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(backend.removeDeployment).toHaveBeenCalledWith({ profileId: 'p1', region: 'eu-west-1', controlPlane: 'thub', taskId: '', keepData: false });
    expect(await screen.findByRole('heading', { name: /Removing thub-control-plane/ })).toBeInTheDocument();
  });

  it('upgrades through the preview when the app carries a newer agent', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ deployments: { listings: [testListing({ deployments: [testDeployment({ upgradeAvailable: true, version: '1.0.0' })] })] } });
    renderApp(backend, '/deployments');
    await user.click(await screen.findByRole('radio', { name: 'thub' }));
    await user.click(screen.getByRole('button', { name: 'Upgrade' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText('AgentRole')).toBeInTheDocument();
    expect(backend.planUpgrade).toHaveBeenCalledWith('p1', 'eu-west-1', 'thub', '');
    await user.click(within(dialog).getByRole('button', { name: 'Upgrade' }));
    expect(backend.executePlan).toHaveBeenCalledWith('plan-up');
  });

  it('cannot deploy from a build without agents, and says why', async () => {
    const { backend } = fakeBackend({ deployments: { info: { version: '1.2.3-test', hasAgents: false, problem: 'this build carries no agents' } } });
    renderApp(backend, '/deployments');
    expect(await screen.findByText('This build cannot deploy')).toBeInTheDocument();
    for (const b of screen.getAllByRole('button', { name: 'Deploy control plane' })) expect(b).toHaveAttribute('aria-disabled', 'true');
  });
});
