// The options of an S3 task: what to copy and how.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Toggle from '@cloudscape-design/components/toggle';
import type { Draft } from './draft';
import { binder, LinesField, optionList, SelectField, TextField, type StepProps } from './fields';

export const compareLabels: Record<string, string> = {
  'size+etag': 'Size and ETag (recommended)',
  size: 'Size only (fast; misses same-size changes)',
  checksum: 'Checksum (reads data where needed; slow, certain)',
  none: 'Copy everything',
};

const serverSideLabels: Record<string, string> = {
  auto: 'Automatic (when one set of credentials reaches both sides)',
  never: 'Never (stream through this computer)',
  always: 'Always (fail when not possible)',
};

export function S3Options({ d, update, options, fp }: StepProps) {
  const s = d.s3;
  const set = (fn: (o: Draft['s3']) => void) => {
    update((x) => {
      fn(x.s3);
    });
  };
  const text = binder(s, set);
  const none = { value: '', label: 'Default' };
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3">What to copy</Header>}>
        <SpaceBetween size="l">
          <SelectField
            label="Compare"
            description="How a destination object is recognised as already copied."
            errorText={fp.error('s3.compare')}
            options={optionList(options.compareModes, compareLabels)}
            value={s.compare}
            ariaLabel="Compare"
            onChange={(v) => {
              set((o) => {
                o.compare = v || 'size+etag';
              });
            }}
          />
          <LinesField
            {...fp}
            {...text('prefixes')}
            field="s3.prefixes"
            label="Prefix list - optional"
            description="Copy only keys under these prefixes, relative to the source; one per line."
            placeholder={'photos/2024/\ndocuments/'}
          />
          <ColumnLayout columns={2}>
            <LinesField
              {...fp}
              {...text('include')}
              field="s3.include"
              label="Include - optional"
              description="Glob patterns, one per line: * within a folder, ** across folders."
              placeholder={'*.jpg\nreports/**/*.pdf'}
            />
            <LinesField
              {...fp}
              {...text('exclude')}
              field="s3.exclude"
              label="Exclude - optional"
              description="Keys matching any of these are skipped."
              placeholder={'*.tmp\ncache/**'}
            />
            <TextField {...fp} {...text('minSize')} field="s3.minSize" label="Smallest size - optional" placeholder="1KiB" />
            <TextField {...fp} {...text('maxSize')} field="s3.maxSize" label="Largest size - optional" placeholder="5GiB" />
            <TextField {...fp} {...text('modifiedAfter')} field="s3.modifiedAfter" label="Modified after - optional" placeholder="2024-01-01" />
            <TextField
              {...fp}
              {...text('modifiedBefore')}
              field="s3.modifiedBefore"
              label="Modified before - optional"
              placeholder="2024-12-31T23:59:59Z"
            />
          </ColumnLayout>
          <Toggle
            checked={s.delete}
            description="Remove destination objects that the source no longer has (within the selection above)."
            onChange={(e) => {
              set((o) => {
                o.delete = e.detail.checked;
              });
            }}
          >
            Delete extra objects at the destination
          </Toggle>
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h3">How to copy</Header>}>
        <SpaceBetween size="l">
          <ColumnLayout columns={2}>
            <TextField
              {...fp}
              {...text('concurrency')}
              field="s3.concurrency"
              label="Concurrency"
              constraint={`Transfers in flight, ${String(options.minConcurrency)} to ${String(options.maxConcurrency)}.`}
            />
            <SelectField
              label="Server-side copy"
              errorText={fp.error('s3.serverSide')}
              options={optionList(options.serverSides, serverSideLabels)}
              value={s.serverSide}
              ariaLabel="Server-side copy"
              onChange={(v) => {
                set((o) => {
                  o.serverSide = v || 'auto';
                });
              }}
            />
          </ColumnLayout>
          {s.destination.kind === 's3' && (
            <ColumnLayout columns={2}>
              <SelectField
                label="Storage class"
                errorText={fp.error('s3.storageClass')}
                options={[none, ...optionList(options.storageClasses)]}
                ariaLabel="Storage class"
                {...text('storageClass')}
              />
              <SelectField label="Access control (ACL)" errorText={fp.error('s3.acl')} options={[none, ...optionList(options.cannedAcls)]} ariaLabel="ACL" {...text('acl')} />
              <SelectField
                label="Encryption"
                errorText={fp.error('s3.sse')}
                options={[{ value: '', label: 'Bucket default' }, ...optionList(options.sseModes)]}
                ariaLabel="Encryption"
                {...text('sse')}
              />
              {s.sse === 'aws:kms' || s.sseKmsKeyId ? (
                <TextField {...fp} {...text('sseKmsKeyId')} field="s3.sseKmsKeyId" label="KMS key - optional" placeholder="alias/my-key" />
              ) : (
                <div />
              )}
            </ColumnLayout>
          )}
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}
