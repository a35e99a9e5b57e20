// The sides of an image task (Source and Destination steps): a registry with optional
// credentials, or Amazon ECR with AWS credentials, region and account.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { Draft } from './draft';
import type { ImageSideKind } from '../../api/tasks';
import { AddCredentialsHint, KindTiles, profileOptions, regionOptions, SelectField, TextField, type StepProps } from './fields';

/** The kinds an image side can be. */
const imageKindItems = (side: 'source' | 'destination') => [
  {
    value: 'registry',
    label: 'A container registry',
    description: side === 'source' ? 'Any OCI registry: Docker Hub, GHCR, Harbor, a private registry…' : 'Any OCI registry.',
  },
  { value: 'ecr', label: 'Amazon ECR', description: 'Through AWS credentials; repositories are created on demand.' },
];

/** The draft's fields of one side. */
const sides = {
  source: { kind: 'sourceKind', profileId: 'sourceProfileId', region: 'sourceRegion', account: 'sourceAccount' },
  destination: { kind: 'destKind', profileId: 'destProfileId', region: 'destRegion', account: 'destAccount' },
} as const satisfies Record<string, Record<string, keyof Draft['image']>>;

/** What a side offers when no registry profile is chosen. */
const noProfile = {
  source: { label: 'None (public images)', value: '', description: 'Anonymous access' },
  destination: { label: 'None (enter the registry host)', value: '', description: 'Anonymous access over TLS' },
};

/** The kind of one side, then its registry credentials or its Amazon ECR. */
export function ImageSide(props: StepProps & { side: 'source' | 'destination' }) {
  const { side, d, update, profiles, fp } = props;
  const keys = sides[side];
  const kind = d.image[keys.kind];
  return (
    <SpaceBetween size="l">
      <KindTiles
        label={side === 'source' ? 'Copy images from' : 'Copy images to'}
        errorText={fp.error(`image.${side}.kind`)}
        ariaLabel={`${side} kind`}
        value={kind}
        items={imageKindItems(side)}
        onChange={(v) => {
          update((x) => {
            x.image[keys.kind] = v as ImageSideKind;
            x.image[keys.profileId] = '';
          });
        }}
      />
      {kind === 'registry' ? (
        <SelectField
          label="Registry credentials"
          description={<AddCredentialsHint />}
          errorText={fp.error(`image.${side}.profileId`)}
          options={[noProfile[side], ...profileOptions(profiles, ['registry'])]}
          value={d.image[keys.profileId]}
          ariaLabel={`${side} credentials`}
          onChange={(v) => {
            update((x) => {
              x.image[keys.profileId] = v;
            });
          }}
        />
      ) : (
        <EcrFields {...props} />
      )}
    </SpaceBetween>
  );
}

function EcrFields({ side, d, update, profiles, regions, fp }: StepProps & { side: 'source' | 'destination' }) {
  const keys = sides[side];
  const im = d.image;
  const profile = profiles.find((p) => p.id === im[keys.profileId]);
  const f = `image.${side}`;
  const set = (key: (typeof keys)['profileId' | 'region' | 'account']) => (v: string) => {
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
