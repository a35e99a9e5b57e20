import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { zeroCounters, type TaskRow, type TaskView } from '../../api/tasks';
import { fakeBackend } from '../../test/fakeBackend';
import { idleLive, testCloudView, testItems, testTask } from '../../test/fakeTasks';
import { renderApp } from '../../test/render';

const counters = { ...zeroCounters, foundObjects: 41, foundBytes: 41_000, doneObjects: 40, doneBytes: 40_000, failedObjects: 1, failedBytes: 1000 };

function cloudTask(over: Partial<TaskView> = {}): TaskView {
  return testTask({
    id: 'c-1',
    name: 'Cloud photos',
    engine: 'cloud',
    status: 'FAILED',
    counters,
    canRetry: true,
    canResume: true,
    lastError: '1 object failed',
    spec: {
      v: 1,
      s3: { source: { kind: 's3', profileId: 'aws1', bucket: 'photos', prefix: '' }, destination: { kind: 's3', profileId: 'aws1', bucket: 'archive', prefix: '' } },
      cloud: { profileId: 'aws1', maxWorkers: 5 },
    },
    cloud: testCloudView(),
    ...over,
  });
}

const row = (task: TaskView): TaskRow => ({ task, live: { ...idleLive, counters: task.counters, finderDone: true } });

const base = cloudTask();

describe('Cloud task page', () => {
  it('shows the queue, dead letters, fleet, log lines and stack events beside the local page', async () => {
    const { backend } = fakeBackend({ tasks: { rows: [row(cloudTask())], items: testItems(41) } });
    renderApp(backend, '/tasks/c-1');
    expect(await screen.findByRole('heading', { name: 'Cloud photos', level: 1 })).toBeInTheDocument();
    // The page mounts in slices, one transition each (stages.ts): the tabs, the progress,
    // then the chart and the cloud panels. On a loaded machine each slice can take seconds:
    // wait for each in turn (each wait guards one slice), not for the last across them all.
    expect(await screen.findByRole('tab', { name: 'Objects' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Progress' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Queue' })).toBeInTheDocument();
    expect(backend.cloudPanels).toHaveBeenCalledWith('c-1');
    // Queue depth counts the delayed messages too; the DLQ shows apart.
    const queue = screen.getByRole('heading', { name: 'Queue' }).closest('[class*="container"]') as HTMLElement;
    // The panels show before their first read answers (dashes): wait for the figures.
    await waitFor(() => { expect(within(queue).getByText('Queue depth').parentElement?.parentElement?.textContent).toContain('3'); });
    expect(within(queue).getByText('In flight').parentElement?.parentElement?.textContent).toContain('2');
    expect(within(queue).getByText('Dead-letter queue').parentElement?.parentElement?.textContent).toContain('1');
    expect(screen.getByText('1 of 10')).toBeInTheDocument();
    expect(screen.getByText('INFO object copied: key=photos/a.jpg')).toBeInTheDocument();
    expect(screen.getByText('worker i-0abc')).toBeInTheDocument();
    expect(screen.getByText('CREATE_COMPLETE')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'State machine executions' })).toBeNull();
    // The same page as a local task's: counters and the failed list.
    expect(await screen.findByRole('tab', { name: 'Failed (1)' })).toBeInTheDocument();
  }, 60_000);

  it('shows an image task log lines and stack events, without the queue and fleet it does not have', async () => {
    const images = cloudTask({
      id: 'c-2',
      name: 'Cloud images',
      type: 'IMAGE',
      spec: {
        v: 1,
        image: { source: { kind: 'registry', profileId: 'reg', references: ['team/app:v1'] }, destination: { kind: 'registry', profileId: 'reg2', prefix: 'mirror' }, referrers: true },
        cloud: { profileId: 'aws1', maxCopiers: 2 },
      },
    });
    const { backend } = fakeBackend({ tasks: { rows: [row(images)], items: testItems(2) } });
    renderApp(backend, '/tasks/c-2');
    expect(await screen.findByRole('heading', { name: 'Cloud images', level: 1 })).toBeInTheDocument();
    // Slice by slice, as above.
    expect(await screen.findByRole('tab', { name: 'Images' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Progress' })).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'Recent log lines' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Stack events' })).toBeInTheDocument();
    expect(await screen.findByText('CREATE_COMPLETE')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Queue' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Fleet' })).toBeNull();
    // Its runs are state machine executions.
    expect(screen.getByRole('heading', { name: 'State machine executions' })).toBeInTheDocument();
  }, 60_000);

  it('deletes with the keep-data choice, retries failed and edits through the stack update preview', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ tasks: { rows: [row(cloudTask())], items: testItems(41) } });
    renderApp(backend, '/tasks/c-1');
    await screen.findByRole('heading', { name: 'Cloud photos', level: 1 });

    await user.click(screen.getByRole('button', { name: 'Actions' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Retry failed' }));
    await waitFor(() => {
      expect(backend.retryFailed).toHaveBeenCalledWith('c-1');
    });

    // Edit: the preview first, then the update.
    await user.click(screen.getByRole('button', { name: 'Actions' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Edit' }));
    const edit = await screen.findByRole('dialog');
    const workers = within(edit).getByRole('textbox', { name: 'Worker fleet: maximum size' });
    expect(workers).toHaveValue('5');
    await user.clear(workers);
    await user.type(workers, '20');
    await user.click(within(edit).getByRole('button', { name: 'Preview the update' }));
    expect(await within(edit).findByText('Stack update: 0 to add, 1 to modify, 0 to remove')).toBeInTheDocument();
    expect(backend.planEdit.mock.lastCall?.[0]).toBe('c-1');
    expect(backend.planEdit.mock.lastCall?.[1].cloud).toMatchObject({ maxWorkers: 20, profileId: 'aws1' });
    await user.click(within(edit).getByRole('button', { name: 'Update the stack' }));
    await waitFor(() => {
      expect(backend.applyEdit).toHaveBeenCalledWith('edit-1');
    });

    // Delete: the table is kept unless chosen otherwise.
    await user.click(screen.getByRole('button', { name: 'Actions' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Delete' }));
    const del = await screen.findByRole('dialog');
    await user.click(within(del).getByRole('radio', { name: /Delete the task table too/ }));
    await user.click(within(del).getByRole('button', { name: 'Delete' }));
    await waitFor(() => {
      expect(backend.deleteCloudTask).toHaveBeenCalledWith('c-1', false);
    });
    expect(backend.deleteTask).not.toHaveBeenCalled();
  }, 60_000);

  it('shows a failed deploy with its first failure and deploys again', async () => {
    const user = userEvent.setup();
    const failed = cloudTask({
      status: 'FAILED',
      runId: '',
      counters: zeroCounters,
      cloud: {
        ...(base.cloud ?? { profileId: '', region: '', controlPlane: '', profileName: '', stack: '', deployed: false, busy: false, readAt: '', scheduled: false, canEdit: false, canRedeploy: false, canDelete: false }),
        deployed: false,
        canRedeploy: true,
        operation: {
          id: 'op-1',
          kind: 'create',
          profileId: 'aws1',
          region: 'eu-west-1',
          succeeded: false,
          stack: 'thub-task-c-1',
          started: '2026-01-02T10:00:00Z',
          resources: [{ logicalId: 'Queue', type: 'AWS::SQS::Queue', status: 'CREATE_FAILED', reason: 'queue name taken', time: '2026-01-02T10:00:10Z', elapsed: 1 }],
          progress: {
            stack: 'thub-task-c-1',
            operation: 'create',
            started: '2026-01-02T10:00:00Z',
            elapsed: 20e9,
            done: 3,
            total: 6,
            stackStatus: 'ROLLBACK_COMPLETE',
            firstFailure: { logicalId: 'Queue', type: 'AWS::SQS::Queue', status: 'CREATE_FAILED', reason: 'queue name taken', time: '2026-01-02T10:00:10Z' },
          },
          done: true,
          error: 'the stack rolled back',
          deleteAndRetry: true,
        },
      },
    });
    const { backend } = fakeBackend({ tasks: { rows: [row(failed)] } });
    renderApp(backend, '/tasks/c-1');
    expect(await screen.findByText('Deploying: failed')).toBeInTheDocument();
    expect(screen.getByText('Queue (AWS::SQS::Queue): CREATE_FAILED')).toBeInTheDocument();
    expect(screen.getAllByText(/queue name taken/).length).toBeGreaterThan(0);
    expect(screen.getAllByText(/3 of 6 resources/).length).toBeGreaterThan(0); // the bar and the figures both say it
    // Not deployed: no panels.
    expect(screen.queryByRole('heading', { name: 'Fleet' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Deploy again' }));
    await waitFor(() => {
      expect(backend.redeploy).toHaveBeenCalledWith('c-1', true);
    });
  }, 60_000);

  /** A local task's page with Move to AWS's dialog open. */
  async function openMove(controlPlaneMissing: boolean) {
    const user = userEvent.setup();
    const local = testTask({ id: 's3-l', name: 'Local photos' });
    const { backend } = fakeBackend({
      tasks: { rows: [row(local)] },
      credentials: { profiles: [{ id: 'aws1', name: 'Main account', kind: 'aws', partition: 'aws', region: 'eu-west-1', secretSet: true, createdAt: '', updatedAt: '' }] },
      cloud: { controlPlaneMissing },
    });
    backend.moveToAWS.mockResolvedValue({ ok: true, task: { ...local, id: 'c-moved', engine: 'cloud', status: 'DEPLOYING' } });
    renderApp(backend, '/tasks/s3-l');
    await screen.findByRole('heading', { name: 'Local photos', level: 1 });
    await user.click(screen.getByRole('button', { name: 'Actions' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Move to AWS' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByText('Main account');
    return { user, backend, dialog };
  }

  it('moves a local task to AWS', async () => {
    const { user, backend, dialog } = await openMove(false);
    // The deploy is previewed first; nothing moves before the confirmation.
    await user.click(within(dialog).getByRole('button', { name: 'Preview the deploy' }));
    expect(await within(dialog).findByText(/^Task stack "thub-task-x": 6 to add/)).toBeInTheDocument();
    expect(backend.previewMove).toHaveBeenCalledWith('s3-l', { profileId: 'aws1', region: undefined, maxWorkers: undefined });
    expect(backend.moveToAWS).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Move to AWS' }));
    await waitFor(() => {
      expect(backend.moveToAWS).toHaveBeenCalledWith('s3-l', { profileId: 'aws1', region: undefined, maxWorkers: undefined }, true, true);
    });
  }, 60_000);

  it('previews the control plane Move to AWS would deploy and needs it confirmed', async () => {
    const { user, backend, dialog } = await openMove(true);
    expect(within(dialog).queryByRole('button', { name: 'Move to AWS' })).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Preview the deploy' }));
    expect(await within(dialog).findByText(/^No control plane "thub" in Main account/)).toBeInTheDocument();
    expect(within(dialog).getByText(/^Control plane "thub": 14 to add/)).toBeInTheDocument();
    // Without the control plane the move cannot deploy: it says so and moves nothing.
    await user.click(within(dialog).getByRole('checkbox', { name: /Deploy the control plane as part of moving this task/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Move to AWS' }));
    expect(await within(dialog).findByText(/needs a control plane in this account and Region/)).toBeInTheDocument();
    expect(backend.moveToAWS).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('checkbox', { name: /Deploy the control plane as part of moving this task/ }));
    await user.click(within(dialog).getByRole('button', { name: 'Move to AWS' }));
    await waitFor(() => {
      expect(backend.moveToAWS).toHaveBeenCalledWith('s3-l', { profileId: 'aws1', region: undefined, maxWorkers: undefined }, true, true);
    });
  }, 60_000);
});
