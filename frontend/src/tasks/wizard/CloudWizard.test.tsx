import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CredentialProfile } from '../../api/backend';
import type { FieldError } from '../../api/models';
import type { TaskDefinition } from '../../api/tasks';
import { fakeBackend } from '../../test/fakeBackend';
import { renderApp } from '../../test/render';
import { choose, expectStep, next, shows } from '../../test/wizard';

const profiles: CredentialProfile[] = [
  {
    id: 'aws1',
    name: 'Main account',
    kind: 'aws',
    partition: 'aws',
    region: 'eu-west-1',
    secretSet: true,
    createdAt: '',
    updatedAt: '',
    lastTest: { ok: true, code: 'ok', message: 'Connected.', account: '123456789012', buckets: 2, at: '2026-03-04T05:06:07Z', durationMs: 12 },
  },
];

/** What Go says of a cloud definition (backend/tasks/clouddef.go words these). */
function cloudAnswers(_name: string, d: TaskDefinition): FieldError[] {
  const out: FieldError[] = [];
  if (d.cloud?.alarmEmail === 'ops-at-example') out.push({ field: 'cloud.alarmEmail', message: '"ops-at-example" is not an e-mail address' });
  if (d.cloud?.maxWorkers === 1_000_000) out.push({ field: 'cloud.maxWorkers', message: '1000000 is out of range; enter a whole number from 1 to 1000' });
  return out;
}

describe('Create a cloud task', () => {
  it('runs in an AWS account: fleet, alarms, network, events; review with cost estimate; deploys the control plane in one click', async () => {
    const user = userEvent.setup();
    const { backend, cloud } = fakeBackend({ credentials: { profiles }, tasks: { validate: cloudAnswers }, cloud: { controlPlaneMissing: true } });
    renderApp(backend, '/tasks/new');
    await expectStep('Choose a task type');
    await user.click(screen.getByRole('radio', { name: /An AWS account/ }));
    // The only AWS profile is chosen; the tile names its account and Region.
    expect(await screen.findByRole('radio', { name: /AWS account 123456789012 \/ eu-west-1/ })).toBeChecked();
    await user.type(screen.getByRole('textbox', { name: 'Name' }), 'Cloud photos');
    await next(user);
    await expectStep('Source');
    await choose(user, 'source credentials', 'Main account');
    await user.type(screen.getByRole('textbox', { name: 'Bucket' }), 'photos');
    await next(user);
    await expectStep('Destination');
    await choose(user, 'destination credentials', 'Main account');
    await user.type(screen.getByRole('textbox', { name: 'Bucket' }), 'archive');
    await next(user);
    await expectStep('Options');

    // The default VPC is preselected; the fleet's default is Graviton.
    await shows('vpc-0default0000000a (default VPC)');
    expect(backend.cloudNetworks).toHaveBeenCalledWith('aws1', 'eu-west-1');
    await shows('c7g.large');
    await user.type(screen.getByRole('textbox', { name: 'Worker fleet: maximum size' }), '0');
    await user.type(screen.getByRole('textbox', { name: 'Alarm e-mail - optional' }), 'ops-at-example');
    await next(user);
    // Go's messages on the fields, with what was typed.
    await shows('"ops-at-example" is not an e-mail address');
    await shows('0 is out of range; enter a whole number from 1 to 1000');
    await expectStep('Options');
    await user.clear(screen.getByRole('textbox', { name: 'Worker fleet: maximum size' }));
    await user.type(screen.getByRole('textbox', { name: 'Worker fleet: maximum size' }), '50');
    await user.clear(screen.getByRole('textbox', { name: 'Alarm e-mail - optional' }));
    await user.type(screen.getByRole('textbox', { name: 'Alarm e-mail - optional' }), 'ops@example.com');
    await user.click(screen.getByRole('checkbox', { name: /Use Spot capacity/ }));
    await user.click(screen.getByRole('radio', { name: /New objects/ }));
    await user.click(screen.getByRole('radio', { name: /Once, at a set time/ }));
    await user.type(screen.getByRole('textbox', { name: 'Run at' }), '2026-05-01T02:00');
    await next(user);
    await expectStep('Review and create');

    // The estimate: total, price table (date, currency) and its assumptions.
    await shows('0.04 USD');
    await shows('USD, eu-west-1, as of 2026-11-01');
    await user.click(screen.getByRole('button', { name: /Assumptions and what is not included/ }));
    await shows('A worker copies 100 MiB/s.');
    await shows('Free tiers and discounts.');
    expect(backend.estimateCost).toHaveBeenCalledTimes(1);
    // No control plane yet: offered, with its preview.
    await shows(/No control plane "thub" in AWS account 123456789012 \/ eu-west-1 yet/);
    expect(screen.getByRole('checkbox', { name: /Deploy the control plane as part of creating/ })).toBeChecked();
    await shows(/Control plane "thub": 14 to add, 0 to modify, 0 to remove/);

    await user.click(screen.getByRole('button', { name: 'Deploy control plane and task' }));
    await waitFor(() => {
      expect(cloud.created).toHaveLength(1);
    });
    const c = cloud.created[0];
    expect(c?.deployControlPlane).toBe(true);
    expect(c?.definition).toMatchObject({
      cloud: { profileId: 'aws1', maxWorkers: 50, spot: true, alarmEmail: 'ops@example.com' },
      s3: { source: { bucket: 'photos', profileId: 'aws1' }, destination: { bucket: 'archive' }, events: 'create' },
      schedule: { kind: 'once', at: '2026-05-01T02:00' },
    });
    expect(c?.definition.cloud?.network).toBeUndefined();
    // The new task's page opens, deploying.
    expect(await screen.findByRole('heading', { name: 'Cloud photos', level: 1 })).toBeInTheDocument();
    await shows('Deploying');
  }, 120_000);
});
