import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { StackOperation } from '../../api/cloud';
import type { TaskView } from '../../api/tasks';
import { testCloudView, testTask } from '../../test/fakeTasks';
import { StackOperationView } from './CloudPanels';

const res = (logicalId: string, status: string, reason?: string) => ({ logicalId, type: 'AWS::SQS::Queue', status, reason, time: '2026-01-02T10:00:10Z', elapsed: 2e9 });

function deploying(op: Partial<StackOperation>): TaskView {
  const operation: StackOperation = {
    id: 'op-1',
    kind: 'create',
    profileId: 'aws1',
    region: 'eu-west-1',
    stack: 'thub-task-c-1',
    started: '2026-01-02T10:00:00Z',
    resources: [],
    done: false,
    succeeded: false,
    ...op,
  };
  return testTask({
    id: 'c-1',
    engine: 'cloud',
    status: 'DEPLOYING',
    cloud: testCloudView({ deployed: false, busy: true, readAt: '', canEdit: false, canDelete: false, operation }),
  });
}

const progress = (done: number, total: number, more: Partial<NonNullable<StackOperation['progress']>> = {}) => ({
  stack: 'thub-task-c-1',
  operation: 'create',
  started: '2026-01-02T10:00:00Z',
  elapsed: 75e9,
  done,
  total,
  stackStatus: 'CREATE_IN_PROGRESS',
  ...more,
});

describe('the stack operation on a cloud task page', () => {
  it('shows a deploy midway: N of M, each resource with its status and reason, the elapsed time', () => {
    const task = deploying({
      progress: progress(3, 12, { inProgress: ['Queue'] }),
      resources: [res('Table', 'CREATE_COMPLETE'), res('Queue', 'CREATE_IN_PROGRESS', 'Resource creation Initiated')],
    });
    render(<StackOperationView task={task} busy={false} onRedeploy={() => undefined} />);
    expect(screen.getByRole('heading', { level: 2, name: 'Deploying' })).toBeInTheDocument();
    expect(screen.getAllByText('3 of 12 resources').length).toBeGreaterThan(0);
    const table = screen.getByRole('table');
    expect(within(table).getByText('Queue')).toBeInTheDocument();
    expect(within(table).getByText('Create in progress')).toBeInTheDocument();
    expect(within(table).getByText('Resource creation Initiated')).toBeInTheDocument();
    expect(within(table).getByText('Create complete')).toBeInTheDocument();
    expect(screen.getAllByText('Elapsed').length).toBeGreaterThan(0);
    expect(screen.getByText(/At work: Queue/)).toBeInTheDocument();
  });

  it('pins the first failure while it rolls back', () => {
    const failure = { logicalId: 'Queue', type: 'AWS::SQS::Queue', status: 'CREATE_FAILED', reason: 'queue name taken', time: '2026-01-02T10:00:10Z' };
    const task = deploying({
      progress: progress(2, 6, { stackStatus: 'ROLLBACK_IN_PROGRESS', rollingBack: true, firstFailure: failure }),
      firstFailure: failure,
      resources: [res('Queue', 'CREATE_FAILED', 'queue name taken')],
    });
    render(<StackOperationView task={task} busy={false} onRedeploy={() => undefined} />);
    expect(screen.getByText('First failure: Queue')).toBeInTheDocument();
    expect(screen.getAllByText('queue name taken').length).toBeGreaterThan(0);
    expect(screen.getAllByText('Rolling back').length).toBeGreaterThan(0);
    expect(screen.getAllByText('2 of 6 resources').length).toBeGreaterThan(0);
  });

  it('keeps a deploy that ended well on the page until dismissed (a fast deploy is seen too)', async () => {
    const user = userEvent.setup();
    const onRedeploy = vi.fn();
    const task = deploying({ done: true, succeeded: true, progress: progress(12, 12, { stackStatus: 'CREATE_COMPLETE', final: true }), resources: [res('Queue', 'CREATE_COMPLETE')] });
    render(<StackOperationView task={task} busy={false} onRedeploy={onRedeploy} />);
    expect(screen.getByRole('heading', { level: 2, name: 'Deploying: complete' })).toBeInTheDocument();
    expect(screen.getAllByText('12 of 12 resources').length).toBeGreaterThan(0);
    expect(screen.getByText('Complete')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Dismiss thub-task-c-1' }));
    expect(screen.queryByRole('heading', { level: 2 })).toBeNull();
  });

  it('says the deploy is being prepared before CloudFormation moves', () => {
    render(<StackOperationView task={deploying({})} busy={false} onRedeploy={() => undefined} />);
    expect(screen.getAllByText(/Preparing/).length).toBeGreaterThan(0);
  });
});
