// The sides of an image task: a registry or Amazon ECR, and for ECR the AWS credentials,
// region and account.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { Draft } from './draft';
import { AddCredentialsHint, profileOptions, regionOptions, SelectField, TextField, type StepProps } from './fields';

/** The kinds an image side can be. */
export const imageKindItems = (side: 'source' | 'destination') => [
  {
    value: 'registry',
    label: 'A container registry',
    description: side === 'source' ? 'Any OCI registry: Docker Hub, GHCR, Harbor, a private registry…' : 'Any OCI registry.',
  },
  { value: 'ecr', label: 'Amazon ECR', description: 'Through AWS credentials; repositories are created on demand.' },
];

/** The draft's fields of one ECR side. */
const sides = {
  source: { profileId: 'sourceProfileId', region: 'sourceRegion', account: 'sourceAccount' },
  destination: { profileId: 'destProfileId', region: 'destRegion', account: 'destAccount' },
} as const satisfies Record<string, Record<string, keyof Draft['image']>>;

export function EcrFields({ side, d, update, profiles, regions, fp }: StepProps & { side: 'source' | 'destination' }) {
  const keys = sides[side];
  const im = d.image;
  const profile = profiles.find((p) => p.id === im[keys.profileId]);
  const f = `image.${side}`;
  const set = (key: (typeof keys)[keyof typeof keys]) => (v: string) => {
    update((x) => {
      x.image[key] = v;
    });
  };
  return (
    <SpaceBetween size="l">
      <SelectField
        label="AWS credentials"
        description={<AddCredentialsHint />}
        errorText={fp.error(`${f}.profileId`)}
        options={profileOptions(profiles, ['aws'])}
        value={im[keys.profileId]}
        placeholder="Choose an AWS profile"
        empty="No AWS credentials yet"
        ariaLabel={`${side} AWS credentials`}
        onChange={set(keys.profileId)}
      />
      <ColumnLayout columns={2}>
        <SelectField
          label="Region"
          errorText={fp.error(`${f}.region`)}
          options={regionOptions(profile, regions)}
          value={im[keys.region]}
          showUnlisted
          filtering
          ariaLabel={`${side} ECR region`}
          onChange={set(keys.region)}
        />
        <TextField
          {...fp}
          field={`${f}.account`}
          label="Account - optional"
          description="12 digits; default: the credentials' account."
          placeholder="123456789012"
          value={im[keys.account]}
          onChange={set(keys.account)}
        />
      </ColumnLayout>
    </SpaceBetween>
  );
}
