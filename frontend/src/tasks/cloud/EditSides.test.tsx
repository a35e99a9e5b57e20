import { screen, waitFor, within } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CredentialProfile } from '../../api/backend';
import { zeroCounters, type LocationDef, type TaskRow, type TaskView } from '../../api/tasks';
import { fakeBackend } from '../../test/fakeBackend';
import { testPreview } from '../../test/fakeCloud';
import { idleLive, testCloudView, testItems, testTask } from '../../test/fakeTasks';
import { renderApp } from '../../test/render';

const profiles: CredentialProfile[] = [
  { id: 'aws1', name: 'Main account', kind: 'aws', partition: 'aws', region: 'eu-west-1', secretSet: true, createdAt: '', updatedAt: '' },
  { id: 'oss', name: 'Aliyun OSS', kind: 's3compat', provider: 'aliyun', region: 'oss-cn-hangzhou', secretSet: true, createdAt: '', updatedAt: '' },
];

// The source side carries fields the wizard does not show (Go filled them in): an edit
// that leaves it alone must send it as it is, or Go takes it for a changed side.
const source: LocationDef = { kind: 's3', profileId: 'aws1', bucket: 'photos', prefix: 'raw/', requesterPays: true };
const destination: LocationDef = { kind: 's3', profileId: 'aws1', bucket: 'archive', prefix: '' };

function cloudTask(): TaskView {
  return testTask({
    id: 'c-1',
    name: 'Cloud photos',
    engine: 'cloud',
    status: 'COMPLETED',
    counters: { ...zeroCounters, foundObjects: 3, doneObjects: 3 },
    spec: { v: 1, s3: { source, destination }, cloud: { profileId: 'aws1', maxWorkers: 5 } },
    cloud: testCloudView(),
  });
}

const row = (task: TaskView): TaskRow => ({ task, live: { ...idleLive, counters: task.counters, finderDone: true } });

async function openEdit(user: UserEvent) {
  await screen.findByRole('heading', { name: 'Cloud photos', level: 1 });
  await user.click(screen.getByRole('button', { name: 'Actions' }));
  await user.click(await screen.findByRole('menuitem', { name: 'Edit' }));
  return screen.findByRole('dialog');
}

describe('Editing a cloud task', () => {
  it('changes the destination with the wizard fields, leaves the source as it was, and says what the update does to the records', async () => {
    const user = userEvent.setup();
    const plan = {
      id: 'edit-2',
      taskId: 'c-1',
      preview: { ...testPreview('thub-task-c-1', 0), operation: 'update', changes: [{ action: 'Modify', logicalId: 'WorkerLaunchTemplate', type: 'AWS::EC2::LaunchTemplate' }] },
      noChanges: false,
      sidesChanged: true,
    };
    const { backend } = fakeBackend({
      credentials: { profiles },
      tasks: { rows: [row(cloudTask())], items: testItems(3) },
      cloud: { edit: { ok: true, plan } },
    });
    renderApp(backend, '/tasks/c-1');
    const edit = await openEdit(user);
    await user.click(within(edit).getByRole('button', { name: 'Source and destination' }));
    const buckets = await within(edit).findAllByRole('textbox', { name: 'Bucket' });
    expect(buckets.map((b) => (b as HTMLInputElement).value)).toEqual(['photos', 'archive']);
    const dst = buckets[1];
    if (!dst) throw new Error('no destination bucket field');
    await user.clear(dst);
    await user.type(dst, 'archive-2026');
    await user.click(within(edit).getByRole('button', { name: /destination credentials/ }));
    await user.click(await within(edit).findByRole('option', { name: /Aliyun OSS/ }));
    await user.click(within(edit).getByRole('button', { name: 'Preview the update' }));

    expect(await within(edit).findByText('The source or destination changes')).toBeInTheDocument();
    expect(within(edit).getByText(/the next run copies everything the new destination lacks/)).toBeInTheDocument();
    const sent = backend.planEdit.mock.lastCall?.[1];
    expect(sent?.s3?.source).toEqual(source);
    expect(sent?.s3?.destination).toEqual({ kind: 's3', profileId: 'oss', bucket: 'archive-2026', prefix: '' });
    expect(sent?.cloud).toMatchObject({ profileId: 'aws1', maxWorkers: 5 });
    await user.click(within(edit).getByRole('button', { name: 'Update the stack' }));
    await waitFor(() => {
      expect(backend.applyEdit).toHaveBeenCalledWith('edit-2');
    });
  }, 60_000);

  it('sends both sides untouched for a fleet edit, and shows a side field message under its field', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({
      credentials: { profiles },
      tasks: { rows: [row(cloudTask())], items: testItems(3) },
      cloud: { edit: { ok: false, fieldErrors: [{ field: 's3.destination.bucket', message: 'the bucket name "Archive" has upper-case letters' }] } },
    });
    renderApp(backend, '/tasks/c-1');
    const edit = await openEdit(user);
    const workers = within(edit).getByRole('textbox', { name: 'Worker fleet: maximum size' });
    await user.clear(workers);
    await user.type(workers, '8');
    await user.click(within(edit).getByRole('button', { name: 'Preview the update' }));
    // The message belongs to a side: the section opens on the field, not in the list on top.
    expect(await within(edit).findByText('the bucket name "Archive" has upper-case letters')).toBeInTheDocument();
    expect(within(edit).queryByText('Fix these first')).toBeNull();
    expect(within(edit).getAllByRole('textbox', { name: 'Bucket' })).toHaveLength(2);
    const sent = backend.planEdit.mock.lastCall?.[1];
    expect(sent?.s3).toEqual({ source, destination });
    expect(sent?.cloud).toMatchObject({ maxWorkers: 8 });
  }, 60_000);
});
