// Step 3: where the copies go.
import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ImageSide } from './ImageSide';
import { binder, TextField, type StepProps } from './fields';
import { LocationFields } from './LocationFields';

export function DestinationStep(props: StepProps) {
  return <Container>{props.d.type === 'S3' ? <LocationFields side="destination" {...props} /> : <ImageDestinationFields {...props} />}</Container>;
}

function ImageDestinationFields(props: StepProps) {
  const { d, update, fp } = props;
  const im = d.image;
  const text = binder(im, (fn) => {
    update((x) => {
      fn(x.image);
    });
  });
  return (
    <SpaceBetween size="l">
      <ImageSide side="destination" {...props} />
      {im.destKind === 'registry' && !im.destProfileId && (
        <TextField {...fp} {...text('destRegistry')} field="image.destination.registry" label="Registry host" placeholder="registry.example.com:5000" />
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
