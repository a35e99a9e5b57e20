import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { zeroCounters, type ItemsPage, type ItemsQuery, type TaskRow } from '../api/tasks';
import { fakeBackend } from '../test/fakeBackend';
import { idleLive, testItems, testTask } from '../test/fakeTasks';
import { renderApp } from '../test/render';

const counters = { ...zeroCounters, foundObjects: 120, foundBytes: 120_000, doneObjects: 108, doneBytes: 108_000, failedObjects: 12, failedBytes: 12_000 };
const failedTask: TaskRow = {
  task: testTask({ id: 's3-f', name: 'Archive', status: 'FAILED', canRetry: true, counters, lastError: '12 objects failed' }),
  live: { ...idleLive, counters, finderDone: true },
};

function rowsOf(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((r) => r.querySelector('th, td:nth-child(1)')?.textContent ?? '');
}

describe('Task detail', () => {
  it('shows progress, pages the object table from the store and filters by status', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ tasks: { rows: [failedTask], items: testItems(120) } });
    renderApp(backend, '/tasks/s3-f');
    expect(await screen.findByRole('heading', { name: 'Archive', level: 1 })).toBeInTheDocument();
    // The progress mounts after the object table's first rows.
    expect((await screen.findAllByText('12 objects failed')).length).toBeGreaterThan(0);
    expect(screen.getByText('108 (105 KiB)')).toBeInTheDocument();
    expect(backend.watchTask).toHaveBeenCalledWith('s3-f');

    const objects = (await screen.findByText('photos/img-000000.jpg')).closest('table') as HTMLElement;
    // The first rows come in a commit of their own, the rest of the page in the next.
    await waitFor(() => {
      expect(rowsOf(objects)).toHaveLength(25);
    });
    expect(backend.taskItems).toHaveBeenLastCalledWith({ taskId: 's3-f', status: '', prefix: '', page: 1, pageSize: 25 });
    // With the counts known, every page is offered: jump to the last one.
    await user.click(await screen.findByRole('button', { name: 'Page 5' }));
    expect(await screen.findByText('photos/img-000119.jpg')).toBeInTheDocument();
    expect(backend.taskItems).toHaveBeenLastCalledWith({ taskId: 's3-f', status: '', prefix: '', page: 5, pageSize: 25 });

    await user.click(screen.getByRole('button', { name: /Failed \(12\)/ }));
    await waitFor(() => {
      expect(backend.taskItems).toHaveBeenLastCalledWith({ taskId: 's3-f', status: 'FAILED', prefix: '', page: 1, pageSize: 25 });
    });
    // The last page's rows stay until the failed ones come (not for long): wait for those.
    await waitFor(() => {
      expect(screen.getAllByText('access denied (AccessDenied)').length).toBe(12);
    });
  });

  it('keeps the rows shown while the next page is on its way, then shows its loading state', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ tasks: { rows: [failedTask], items: testItems(120) } });
    const pageOf = backend.taskItems.getMockImplementation();
    let release: () => void = () => undefined;
    backend.taskItems.mockImplementation((q: ItemsQuery) => {
      const p = pageOf?.(q) ?? Promise.reject(new Error('no fake'));
      return q.page === 2 ? new Promise<ItemsPage>((res) => (release = () => { res(p); })) : p;
    });
    renderApp(backend, '/tasks/s3-f');
    const objects = (await screen.findByText('photos/img-000000.jpg')).closest('table') as HTMLElement;
    await waitFor(() => {
      expect(rowsOf(objects)).toHaveLength(25);
    });
    await user.click(await screen.findByRole('button', { name: 'Page 2' }));
    // Page 2 is the current one; its rows are not in yet: the first page's stay.
    await waitFor(() => {
      expect(screen.getByRole('button', { name: 'Page 2' })).toHaveAttribute('aria-current', 'true');
    });
    expect(rowsOf(objects)[0]).toBe('photos/img-000000.jpg');
    expect(rowsOf(objects)).toHaveLength(25);
    // A page that takes long: the loading state.
    expect(await screen.findByText('Loading records')).toBeInTheDocument();
    act(() => {
      release();
    });
    expect(await screen.findByText('photos/img-000025.jpg')).toBeInTheDocument();
    expect(screen.queryByText('Loading records')).not.toBeInTheDocument();
  });

  it('lists failed items with their errors and retries them', async () => {
    const user = userEvent.setup();
    const { backend, tasks } = fakeBackend({ tasks: { rows: [failedTask], items: testItems(120) } });
    renderApp(backend, '/tasks/s3-f');
    await user.click(await screen.findByRole('tab', { name: 'Failed (12)' }));
    await waitFor(() => {
      expect(screen.getAllByText('access denied (AccessDenied)')).toHaveLength(12);
    });
    await user.click(screen.getByRole('button', { name: 'Retry failed' }));
    expect(backend.retryFailed).toHaveBeenCalledWith('s3-f');

    // The Go side pushes the run's progress; the page follows it.
    act(() => {
      tasks.push({
        task: { ...failedTask.task, status: 'RUNNING', active: true, canRetry: false, canStop: true, canStart: false },
        live: { ...failedTask.live, bytesPerSec: 2048, etaSeconds: 3 },
        points: [{ t: Date.now(), bytesPerSec: 2048, objectsPerSec: 2 }],
        logSeq: 3,
      });
    });
    expect((await screen.findAllByText('2.0 KiB/s')).length).toBeGreaterThan(0);
    expect(screen.getByText('3 s')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Stop' })).toBeEnabled();
  });

  it('shows the log and exports the report', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ tasks: { rows: [failedTask], items: testItems(120) } });
    renderApp(backend, '/tasks/s3-f');
    await user.click(await screen.findByRole('tab', { name: 'Log' }));
    expect(await screen.findByText('run finished')).toBeInTheDocument();
    expect(screen.getByText('status=COMPLETED found=3')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Export' }));
    await user.click(screen.getByRole('menuitem', { name: 'All records as JSON' }));
    expect(backend.exportReport).toHaveBeenCalledWith('s3-f', 'json', '');
    expect(await screen.findByText('Exported 120 records to /tmp/report.csv.')).toBeInTheDocument();
  });

  it('says so when the task does not exist', async () => {
    const { backend } = fakeBackend();
    renderApp(backend, '/tasks/nope');
    expect(await screen.findByText('task not found: nope')).toBeInTheDocument();
  });
});
