// Step 1's engine choice: this computer, or an AWS account and Region (a cloud task).
import Alert from '@cloudscape-design/components/alert';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { CredentialProfile } from '../../api/backend';
import type { TaskEngine } from '../../api/tasks';
import type { Draft } from './draft';
import { AddCredentialsHint, binder, KindTiles, profileOptions, regionOptions, SelectField, TextField, type StepProps } from './fields';

/** "AWS account 123456789012 / eu-west-1" for a profile (its name when the account is not known yet). */
export function accountLabel(profile: CredentialProfile | undefined, region: string): string {
  if (!profile) return 'AWS account';
  const account = profile.lastTest?.account || profile.name;
  const r = region || profile.region || 'its default Region';
  return `AWS account ${account} / ${r}`;
}

export function CloudPlacement({ d, update, profiles, regions, cloudOptions, fp }: StepProps) {
  const aws = profiles.filter((p) => p.kind === 'aws');
  const chosen = aws.find((p) => p.id === d.cloud.profileId);
  const set = (fn: (c: Draft['cloud']) => void) => {
    update((x) => {
      fn(x.cloud);
    });
  };
  return (
    <SpaceBetween size="l">
      <KindTiles
        label="Where it runs"
        ariaLabel="Engine"
        value={d.engine}
        onChange={(v) => {
          update((x) => {
            x.engine = v as TaskEngine;
            const first = aws[0];
            if (v === 'cloud' && !x.cloud.profileId && first) x.cloud.profileId = first.id;
          });
        }}
        items={[
          { value: 'local', label: 'This computer', description: 'Runs in Transfer Hub while it is open.' },
          {
            value: 'cloud',
            label: chosen ? accountLabel(chosen, d.cloud.region) : 'An AWS account',
            description: 'Runs in your AWS account on its own fleet, with the computer off. Its stack is deployed when you create it.',
            disabled: aws.length === 0,
          },
        ]}
      />
      {aws.length === 0 && (
        <Alert type="info">
          To run a task in AWS, add an AWS credential profile first. <AddCredentialsHint />
        </Alert>
      )}
      {d.engine === 'cloud' && (
        <ColumnLayout columns={2}>
          <SelectField
            label="AWS account"
            description="The credential profile of the account the task is deployed to."
            errorText={fp.error('cloud.profileId')}
            ariaLabel="AWS account"
            options={profileOptions(profiles, ['aws'])}
            value={d.cloud.profileId}
            onChange={(v) => {
              set((c) => {
                c.profileId = v;
                c.vpcId = '';
                c.subnetIds = [];
              });
            }}
          />
          <SelectField
            label="Region"
            errorText={fp.error('cloud.region')}
            ariaLabel="Cloud Region"
            options={regionOptions(chosen, regions)}
            value={d.cloud.region}
            filtering
            onChange={(v) => {
              set((c) => {
                c.region = v;
                c.vpcId = '';
                c.subnetIds = [];
              });
            }}
          />
          <TextField
            {...fp}
            {...binder(d.cloud, set)('controlPlane')}
            field="cloud.controlPlane"
            label="Control plane - optional"
            description="The account's shared stack the task joins; most accounts have one."
            placeholder={cloudOptions?.defaultControlPlane ?? 'thub'}
          />
        </ColumnLayout>
      )}
    </SpaceBetween>
  );
}
