// Step 3: where the copies go.
import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ImageSideKind } from '../../api/tasks';
import { EcrFields, imageKindItems } from './EcrFields';
import { AddCredentialsHint, binder, KindTiles, profileOptions, SelectField, TextField, type StepProps } from './fields';
import { LocationFields } from './LocationFields';

export function DestinationStep(props: StepProps) {
  return <Container>{props.d.type === 'S3' ? <LocationFields side="destination" {...props} /> : <ImageDestinationFields {...props} />}</Container>;
}

function ImageDestinationFields(props: StepProps) {
  const { d, update, profiles, fp } = props;
  const im = d.image;
  const text = binder(im, (fn) => {
    update((x) => {
      fn(x.image);
    });
  });
  return (
    <SpaceBetween size="l">
      <KindTiles
        label="Copy images to"
        errorText={fp.error('image.destination.kind')}
        ariaLabel="destination kind"
        value={im.destKind}
        items={imageKindItems('destination')}
        onChange={(v) => {
          update((x) => {
            x.image.destKind = v as ImageSideKind;
            x.image.destProfileId = '';
          });
        }}
      />
      {im.destKind === 'registry' ? (
        <>
          <SelectField
            label="Registry credentials"
            description={<AddCredentialsHint />}
            errorText={fp.error('image.destination.profileId')}
            options={[{ label: 'None (enter the registry host)', value: '', description: 'Anonymous access over TLS' }, ...profileOptions(profiles, ['registry'])]}
            value={im.destProfileId}
            ariaLabel="destination credentials"
            onChange={text('destProfileId').onChange}
          />
          {!im.destProfileId && (
            <TextField {...fp} {...text('destRegistry')} field="image.destination.registry" label="Registry host" placeholder="registry.example.com:5000" />
          )}
        </>
      ) : (
        <EcrFields side="destination" {...props} />
      )}
      <TextField
        {...fp}
        {...text('destPrefix')}
        field="image.destination.prefix"
        label="Repository prefix - optional"
        description="Prepended to each source repository path: team/app becomes mirror/team/app."
        placeholder="mirror"
      />
      {im.destKind === 'ecr' && (
        <SpaceBetween size="s">
          <Box variant="awsui-key-label">Repositories created by the task</Box>
          <Checkbox
            checked={im.scanOnPush}
            onChange={(e) => {
              update((x) => {
                x.image.scanOnPush = e.detail.checked;
              });
            }}
          >
            Scan images on push
          </Checkbox>
          <Checkbox
            checked={im.immutableTags}
            onChange={(e) => {
              update((x) => {
                x.image.immutableTags = e.detail.checked;
              });
            }}
          >
            Immutable tags
          </Checkbox>
          <TextField
            {...fp}
            {...text('kmsKey')}
            field="image.destination.kmsKey"
            label="KMS key - optional"
            description="Encrypt the repositories with this key (default AES256)."
          />
        </SpaceBetween>
      )}
    </SpaceBetween>
  );
}
