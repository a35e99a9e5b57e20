import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CredentialProfile } from '../../api/backend';
import type { FieldError } from '../../api/models';
import type { TaskDefinition } from '../../api/tasks';
import { fakeBackend } from '../../test/fakeBackend';
import { renderApp } from '../../test/render';
import { choose, expectStep, next, shows } from '../../test/wizard';

const profiles: CredentialProfile[] = [
  { id: 'gw-a', name: 'Gateway A', kind: 's3compat', endpoint: 'http://127.0.0.1:7070', secretSet: true, createdAt: '', updatedAt: '' },
  { id: 'aws-cn', name: 'China', kind: 'aws', partition: 'aws-cn', region: 'cn-north-1', secretSet: true, createdAt: '', updatedAt: '' },
  { id: 'reg', name: 'Team registry', kind: 'registry', host: 'reg.example.com:5000', secretSet: true, createdAt: '', updatedAt: '' },
];

/**
 * The Go side's answers (TasksService.Validate) for what these tests type: each rule names a
 * field, when Go finds it wrong, and Go's message (app/tasks_validate_test.go checks them).
 */
type GoRule = [field: string, when: (name: string, d: TaskDefinition) => boolean, message: string];

function goSays(...rules: GoRule[]) {
  return (name: string, d: TaskDefinition): FieldError[] =>
    rules.filter(([, when]) => when(name, d)).map(([field, , message]) => ({ field, message }));
}

const s3Answers = goSays(
  ['name', (name) => name.trim() === '', 'enter a name for the task'],
  ['s3.source.path', (_, d) => d.s3?.source.path === 'relative/dir', '"relative/dir" is a relative path; enter a full path such as /home/you/data'],
  ['s3.destination.profileId', (_, d) => d.s3?.destination.kind === 's3' && !d.s3.destination.profileId, 'choose the credentials for the destination bucket'],
  ['s3.destination.bucket', (_, d) => d.s3?.destination.kind === 's3' && !d.s3.destination.bucket, 'enter the destination bucket name'],
  ['s3.destination.bucket', (_, d) => d.s3?.destination.bucket === 'Bad_Bucket', 'use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit'],
  ['s3.include', (_, d) => d.s3?.include?.includes('[oops') ?? false, 'glob "[oops": unclosed ['],
  ['s3.minSize', (_, d) => d.s3?.minSize === 'huge', '"huge" is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB'],
  // The wizard sends one past the largest it offers for a concurrency of 0 (0 would mean "the default").
  ['s3.concurrency', (_, d) => d.s3?.concurrency === 257, '257 is out of range; enter a whole number from 1 to 256'],
  ['schedule.every', (_, d) => d.schedule?.every === '10s', '10s is too often; runs must be at least 1m0s apart'],
);

const imageAnswers = goSays(
  [
    'image.source.references',
    (_, d) => d.image?.source.profileId === 'reg' && (d.image.source.references ?? []).includes('other.io/team/app:v1'),
    '"other.io/team/app:v1" names a registry host; the registry is reg.example.com:5000, so give the repository path only, e.g. team/app:v1',
  ],
  ['image.platforms', (_, d) => d.image?.platforms?.includes('linux/amd46') ?? false, '"linux/amd46": unknown architecture "amd46"; use e.g. amd64, arm64, arm, 386, ppc64le, s390x'],
);

describe('Create task wizard', () => {
  it('validates each field inline and creates an S3 task with a dry-run plan', async () => {
    const user = userEvent.setup();
    const { backend, tasks } = fakeBackend({ credentials: { profiles }, tasks: { validate: s3Answers } });
    renderApp(backend, '/tasks/new');
    await expectStep('Choose a task type');

    // Next with no name: a specific message, and the step does not change.
    await next(user);
    await shows('enter a name for the task');
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Gateways');
    await next(user);
    await expectStep('Source');

    await user.click(screen.getByRole('radio', { name: /A folder on this computer/ }));
    await user.type(screen.getByRole('textbox', { name: 'Folder' }), 'relative/dir');
    await next(user);
    await shows(/"relative\/dir" is a relative path/);
    await user.clear(screen.getByRole('textbox', { name: 'Folder' }));
    await user.type(screen.getByRole('textbox', { name: 'Folder' }), '/data/in');
    await next(user);
    await expectStep('Destination');

    // Destination: a bucket with credentials; bad names are named.
    await next(user);
    await shows('choose the credentials for the destination bucket');
    await shows('enter the destination bucket name');
    await choose(user, 'destination credentials', 'Gateway A');
    await user.type(screen.getByRole('textbox', { name: 'Bucket' }), 'Bad_Bucket');
    await user.tab();
    await shows(/use lowercase letters, digits, dots and hyphens/);
    await user.clear(screen.getByRole('textbox', { name: 'Bucket' }));
    await user.type(screen.getByRole('textbox', { name: 'Bucket' }), 'dest-bucket');
    await next(user);
    await expectStep('Options');

    await user.type(screen.getByRole('textbox', { name: 'Include - optional' }), '*.jpg{Enter}[[oops');
    await user.type(screen.getByRole('textbox', { name: 'Smallest size - optional' }), 'huge');
    await user.clear(screen.getByRole('textbox', { name: 'Concurrency' }));
    await user.type(screen.getByRole('textbox', { name: 'Concurrency' }), '0');
    await next(user);
    await shows('glob "[oops": unclosed [');
    await shows(/"huge" is not a size/);
    await shows('0 is out of range; enter a whole number from 1 to 256');
    await user.clear(screen.getByRole('textbox', { name: 'Include - optional' }));
    await user.type(screen.getByRole('textbox', { name: 'Include - optional' }), '*.jpg');
    await user.clear(screen.getByRole('textbox', { name: 'Smallest size - optional' }));
    await user.clear(screen.getByRole('textbox', { name: 'Concurrency' }));
    await user.type(screen.getByRole('textbox', { name: 'Concurrency' }), '8');
    await user.click(screen.getByRole('radio', { name: /Every…/ }));
    await user.type(screen.getByRole('textbox', { name: 'Interval' }), '10s');
    await next(user);
    await shows('10s is too often; runs must be at least 1m0s apart');
    await user.clear(screen.getByRole('textbox', { name: 'Interval' }));
    await user.type(screen.getByRole('textbox', { name: 'Interval' }), '6h');
    await next(user);
    await expectStep('Review and create');

    // The review shows the dry run's counts and bytes.
    await shows('10 objects (10 MiB)');
    await shows('12 objects (12 MiB)');
    expect(backend.planTask).toHaveBeenCalledTimes(1);
    expect(backend.validateTask).toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Create task' }));
    await waitFor(() => {
      expect(tasks.created).toHaveLength(1);
    });
    const created = tasks.created[0];
    expect(created?.name).toBe('Gateways');
    expect(created?.start).toBe(true);
    expect(created?.definition).toMatchObject({
      v: 1,
      s3: {
        source: { kind: 'local', path: '/data/in' },
        destination: { kind: 's3', profileId: 'gw-a', bucket: 'dest-bucket', prefix: '' },
        include: ['*.jpg'],
        concurrency: 8,
      },
      schedule: { kind: 'interval', every: '6h' },
    });
    // The new task's page opens.
    expect(await screen.findByRole('heading', { name: 'Gateways', level: 1 })).toBeInTheDocument();
  }, 90_000);

  it('shows the Go side\'s field errors on the step they belong to', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({
      credentials: { profiles },
      tasks: { fieldErrors: [{ field: 's3.source.path', message: 'the folder /data/none does not exist' }] },
    });
    renderApp(backend, '/tasks/new');
    await expectStep('Choose a task type');
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'x');
    await next(user);
    await expectStep('Source');
    await user.click(screen.getByRole('radio', { name: /A folder on this computer/ }));
    await user.type(screen.getByRole('textbox', { name: 'Folder' }), '/data/none');
    await next(user);
    await shows('the folder /data/none does not exist');
    await expectStep('Source');
  });

  it('checks image references and platforms, and regions of the partition for ECR', async () => {
    const user = userEvent.setup();
    const { backend, tasks } = fakeBackend({ credentials: { profiles }, tasks: { validate: imageAnswers } });
    renderApp(backend, '/tasks/new');
    await expectStep('Choose a task type');
    await user.click(screen.getByRole('radio', { name: /Container images/ }));
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Mirror');
    await next(user);
    await expectStep('Source');
    await choose(user, 'source credentials', 'Team registry');
    await user.type(screen.getByRole('textbox', { name: 'Images' }), 'other.io/team/app:v1');
    await next(user);
    await shows(/names a registry host; the registry is reg.example.com:5000/);
    await user.clear(screen.getByRole('textbox', { name: 'Images' }));
    await user.type(screen.getByRole('textbox', { name: 'Images' }), 'team/app:v1');
    await next(user);
    await expectStep('Destination');

    await user.click(screen.getByRole('radio', { name: /Amazon ECR/ }));
    await choose(user, 'destination AWS credentials', 'China');
    await choose(user, 'destination ECR region', 'cn-northwest-1');
    await next(user);
    await expectStep('Options');
    await user.type(screen.getByRole('textbox', { name: 'Platforms - optional' }), 'linux/amd46');
    await next(user);
    await shows(/unknown architecture "amd46"/);
    await user.clear(screen.getByRole('textbox', { name: 'Platforms - optional' }));
    await user.type(screen.getByRole('textbox', { name: 'Platforms - optional' }), 'linux/arm64');
    await next(user);
    await expectStep('Review and create');
    await user.click(screen.getByRole('checkbox', { name: 'Start the task when it is created' }));
    await user.click(screen.getByRole('button', { name: 'Create task' }));
    await waitFor(() => {
      expect(tasks.created).toHaveLength(1);
    });
    expect(tasks.created[0]?.start).toBe(false);
    expect(tasks.created[0]?.definition.image).toMatchObject({
      source: { kind: 'registry', profileId: 'reg', references: ['team/app:v1'] },
      destination: { kind: 'ecr', profileId: 'aws-cn', region: 'cn-northwest-1' },
      platforms: ['linux/arm64'],
      referrers: true,
    });
  }, 90_000);

  it('cancel returns to the list', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend, '/tasks/new');
    await expectStep('Choose a task type');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await shows('No tasks yet');
    expect(within(document.body).queryByText('What to copy')).not.toBeInTheDocument();
  });
});

