import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { zeroCounters, type TaskRow } from '../api/tasks';
import { fakeBackend } from '../test/fakeBackend';
import { idleLive, testTask } from '../test/fakeTasks';
import { renderApp } from '../test/render';

const running: TaskRow = {
  task: testTask({
    id: 's3-run',
    name: 'Nightly archive',
    status: 'RUNNING',
    active: true,
    canStart: false,
    canStop: true,
    finishedAt: '0001-01-01T00:00:00Z',
    counters: { ...zeroCounters, foundObjects: 200, foundBytes: 2048 * 1024, doneObjects: 50, doneBytes: 512 * 1024 },
  }),
  live: {
    counters: { ...zeroCounters, foundObjects: 200, foundBytes: 2048 * 1024, doneObjects: 50, doneBytes: 512 * 1024 },
    finderDone: true,
    bytesPerSec: 256 * 1024,
    objectsPerSec: 25,
    etaSeconds: 6,
    elapsedSeconds: 2,
  },
};

const failed: TaskRow = {
  task: testTask({
    id: 'img-f',
    type: 'IMAGE',
    name: 'Mirror base images',
    status: 'FAILED',
    canRetry: true,
    counters: { ...zeroCounters, foundObjects: 4, doneObjects: 3, failedObjects: 1 },
    lastError: '1 of 4 images failed',
  }),
  live: { ...idleLive, counters: { ...zeroCounters, foundObjects: 4, doneObjects: 3, failedObjects: 1 } },
};

function table(): HTMLElement {
  const t = document.querySelector('table');
  if (!t) throw new Error('no table');
  return t;
}

describe('Tasks list', () => {
  it('shows each task with status, progress, counts, throughput and ETA', async () => {
    const { backend } = fakeBackend({ tasks: { rows: [running, failed] } });
    renderApp(backend, '/tasks');
    const row = (await screen.findByText('Nightly archive')).closest('tr');
    expect(row).not.toBeNull();
    const cells = within(row as HTMLElement);
    expect(cells.getByText('Running')).toBeInTheDocument();
    expect(cells.getByText('50 of 200')).toBeInTheDocument();
    expect(cells.getByText('512 KiB of 2.0 MiB')).toBeInTheDocument();
    expect(cells.getByText('256 KiB/s')).toBeInTheDocument();
    expect(cells.getByText('6 s')).toBeInTheDocument();
    expect(cells.getByText('Local')).toBeInTheDocument();
    expect(cells.getByRole('progressbar')).toHaveAttribute('value', '25');

    const other = within(screen.getByText('Mirror base images').closest('tr') as HTMLElement);
    expect(other.getByText('Failed (1)')).toBeInTheDocument();
    expect(other.getByText('Images')).toBeInTheDocument();
    expect(backend.watchTaskList).toHaveBeenCalled();
  });

  it('filters by text and follows pushed updates', async () => {
    const user = userEvent.setup();
    const { backend, tasks } = fakeBackend({ tasks: { rows: [running, failed] } });
    renderApp(backend, '/tasks');
    await screen.findByText('Nightly archive');
    await user.type(screen.getByRole('combobox', { name: 'Filter tasks' }), 'mirror');
    await user.click(screen.getByRole('option', { name: 'Use: "mirror"' }));
    await waitFor(() => {
      expect(within(table()).queryByText('Nightly archive')).not.toBeInTheDocument();
    });
    expect(within(table()).getByText('Mirror base images')).toBeInTheDocument();

    act(() => {
      tasks.pushList([{ ...failed, task: { ...failed.task, status: 'COMPLETED', counters: { ...failed.task.counters, failedObjects: 0 } } }]);
    });
    expect(await within(table()).findByText('Completed')).toBeInTheDocument();
  });

  it('runs actions on the selected task', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ tasks: { rows: [running, failed] } });
    renderApp(backend, '/tasks');
    await screen.findByText('Nightly archive');
    await user.click(screen.getByRole('radio', { name: 'Select Mirror base images' }));
    await user.click(screen.getByRole('button', { name: 'Actions' }));
    expect(screen.getByRole('menuitem', { name: 'Stop' })).toHaveAttribute('aria-disabled', 'true');
    await user.click(screen.getByRole('menuitem', { name: 'Retry failed' }));
    expect(backend.retryFailed).toHaveBeenCalledWith('img-f');
    expect(await screen.findByText('Retrying the failed items of "Mirror base images".')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Actions' }));
    await user.click(screen.getByRole('menuitem', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/Its records and log are removed/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => {
      expect(backend.deleteTask).toHaveBeenCalledWith('img-f');
    });
  });

  it('stops watching while the window is hidden and watches again when it shows', async () => {
    const { backend } = fakeBackend({ tasks: { rows: [running] } });
    renderApp(backend, '/tasks');
    await screen.findByText('Nightly archive');
    await waitFor(() => {
      expect(backend.watchTaskList).toHaveBeenCalledTimes(1);
    });
    const visibility = vi.spyOn(document, 'visibilityState', 'get');
    visibility.mockReturnValue('hidden');
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor(() => {
      expect(backend.unwatchTaskList).toHaveBeenCalledTimes(1);
    });
    visibility.mockReturnValue('visible');
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor(() => {
      expect(backend.watchTaskList).toHaveBeenCalledTimes(2);
    });
    visibility.mockRestore();
  });

  it('shows the empty state and opens the wizard', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend, '/tasks');
    expect(await screen.findByText('No tasks yet')).toBeInTheDocument();
    await user.click(screen.getAllByRole('button', { name: 'Create task' })[0] as HTMLElement);
    expect(await screen.findByText('What to copy')).toBeInTheDocument();
  });
});
