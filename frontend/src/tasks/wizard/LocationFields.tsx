// One side of an S3 task (the Source and Destination steps): a bucket with credentials,
// or a folder on this computer.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { LocationKind } from '../../api/tasks';
import type { LocationDraft } from './draft';
import { AddCredentialsHint, binder, KindTiles, profileOptions, regionOptions, SelectField, TextField, type StepProps } from './fields';

const kindItems = [
  { value: 's3', label: 'A bucket', description: 'Amazon S3 or an S3-compatible store, with saved credentials.' },
  { value: 'local', label: 'A folder on this computer', description: 'A local or mounted directory.' },
];

export function LocationFields({ side, d, update: updateDraft, profiles, regions, fp }: StepProps & { side: 'source' | 'destination' }) {
  const loc = d.s3[side];
  const update = (fn: (l: LocationDraft) => void) => {
    updateDraft((x) => {
      fn(x.s3[side]);
    });
  };
  const f = `s3.${side}`;
  const profile = profiles.find((p) => p.id === loc.profileId);
  const text = binder(loc, update);
  return (
    <SpaceBetween size="l">
      <KindTiles
        label={side === 'source' ? 'Copy from' : 'Copy to'}
        errorText={fp.error(`${f}.kind`)}
        ariaLabel={`${side} kind`}
        value={loc.kind}
        items={kindItems}
        onChange={(v) => {
          update((l) => {
            l.kind = v as LocationKind;
          });
        }}
      />
      {loc.kind === 'local' ? (
        <TextField
          {...fp}
          {...text('path')}
          field={`${f}.path`}
          label="Folder"
          description={side === 'source' ? 'The folder to copy.' : 'Created when it does not exist yet.'}
          placeholder="/home/you/data"
        />
      ) : (
        <>
          <SelectField
            label="Credentials"
            description={<AddCredentialsHint />}
            errorText={fp.error(`${f}.profileId`)}
            options={profileOptions(profiles, ['aws', 's3compat'])}
            value={loc.profileId}
            placeholder="Choose an AWS or S3-compatible profile"
            empty="No AWS or S3-compatible credentials yet"
            ariaLabel={`${side} credentials`}
            onChange={(v) => {
              update((l) => {
                l.profileId = v;
                l.region = '';
              });
              fp.touch(`${f}.profileId`);
            }}
          />
          <ColumnLayout columns={2}>
            <TextField {...fp} {...text('bucket')} field={`${f}.bucket`} label="Bucket" placeholder="my-bucket" />
            <TextField
              {...fp}
              {...text('prefix')}
              field={`${f}.prefix`}
              label="Prefix - optional"
              description="Only keys under it; leave empty for the whole bucket."
              placeholder="photos/2024/"
            />
          </ColumnLayout>
          {profile?.kind === 'aws' ? (
            <SelectField
              label="Region"
              description={`Regions of the ${profile.partition || 'aws'} partition.`}
              errorText={fp.error(`${f}.region`)}
              options={regionOptions(profile, regions)}
              value={loc.region}
              showUnlisted
              filtering
              ariaLabel={`${side} region`}
              onChange={text('region').onChange}
            />
          ) : (
            <TextField
              {...fp}
              {...text('region')}
              field={`${f}.region`}
              label="Region - optional"
              description="Overrides the profile's region for this bucket."
              placeholder={profile?.region || 'us-east-1'}
            />
          )}
        </>
      )}
    </SpaceBetween>
  );
}
