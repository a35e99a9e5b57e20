// Step 2: where the objects are, or which images to copy.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { ImageSide } from './ImageSide';
import { binder, LinesField, TextField, type StepProps } from './fields';
import { LocationFields } from './LocationFields';

export function SourceStep(props: StepProps) {
  return <Container>{props.d.type === 'S3' ? <LocationFields side="source" {...props} /> : <ImageSourceFields {...props} />}</Container>;
}

function ImageSourceFields(props: StepProps) {
  const { d, update, profiles, fp } = props;
  const im = d.image;
  const text = binder(im, (fn) => {
    update((x) => {
      fn(x.image);
    });
  });
  const profile = profiles.find((p) => p.id === im.sourceProfileId);
  const host = profile?.kind === 'registry' ? profile.host : '';
  return (
    <SpaceBetween size="l">
      <ImageSide side="source" {...props} />
      <LinesField
        {...fp}
        {...text('references')}
        field="image.source.references"
        label={im.sourceKind === 'ecr' ? 'Images - optional' : 'Images'}
        description={
          im.sourceKind === 'ecr'
            ? 'Repository paths on the ECR registry, one per line; leave empty to copy every repository.'
            : host
              ? `Repository paths on ${host}, one per line: repo:tag, repo@sha256:…, or repo:ALL_TAGS for every tag.`
              : 'Full references, one per line: registry/repo:tag, registry/repo@sha256:…, or registry/repo:ALL_TAGS.'
        }
        placeholder={host || im.sourceKind === 'ecr' ? 'team/app:v1\nteam/api:ALL_TAGS' : 'docker.io/library/alpine:3.20\nghcr.io/org/app:ALL_TAGS'}
        rows={5}
      />
      {im.sourceKind === 'ecr' && (
        <ColumnLayout columns={2}>
          <TextField {...fp} {...text('repoPrefix')} field="image.source.repoPrefix" label="Repository prefix - optional" placeholder="team/" />
          <TextField
            {...fp}
            {...text('repoRegex')}
            field="image.source.repoRegex"
            label="Repository pattern - optional"
            description="A regular expression."
            placeholder="^team/(app|api)$"
          />
        </ColumnLayout>
      )}
    </SpaceBetween>
  );
}
