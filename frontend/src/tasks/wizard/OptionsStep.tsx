// Step 4: the task's options (all optional) and its schedule.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Toggle from '@cloudscape-design/components/toggle';
import type { ScheduleKind } from '../../api/tasks';
import type { Draft } from './draft';
import { binder, LinesField, TextField, type StepProps } from './fields';
import { CloudOptions } from './CloudOptions';
import { S3Options } from './S3Options';

export function OptionsStep(props: StepProps) {
  return (
    <SpaceBetween size="l">
      {props.d.type === 'S3' ? <S3Options {...props} /> : <ImageOptions {...props} />}
      {props.d.engine === 'cloud' && <CloudOptions {...props} />}
      <ScheduleFields {...props} />
    </SpaceBetween>
  );
}

function ImageOptions({ d, update, options, fp }: StepProps) {
  const im = d.image;
  const set = (fn: (o: Draft['image']) => void) => {
    update((x) => {
      fn(x.image);
    });
  };
  const text = binder(im, set);
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3" description="They narrow ALL_TAGS sources and whole-ECR selections; explicit tags are always copied.">Tags</Header>}>
        <ColumnLayout columns={2}>
          <LinesField
            {...fp}
            {...text('tagInclude')}
            field="image.tagInclude"
            label="Include tags - optional"
            description="Regular expressions matching the whole tag, one per line."
            placeholder={'v\\d+\\.\\d+\\.\\d+\nlatest'}
          />
          <LinesField {...fp} {...text('tagExclude')} field="image.tagExclude" label="Exclude tags - optional" placeholder={'.*-rc\\d*\n.*-debug'} />
          <TextField
            {...fp}
            {...text('semver')}
            field="image.semver"
            label="Version range - optional"
            description="Keeps version tags in this range; others are dropped."
            placeholder=">=1.2, <2"
          />
          <TextField
            {...fp}
            {...text('latest')}
            field="image.latest"
            label="Only the newest - optional"
            description="Keep the N most recent tags (0 or empty: all)."
            placeholder="10"
          />
        </ColumnLayout>
      </Container>
      <Container header={<Header variant="h3">How to copy</Header>}>
        <SpaceBetween size="l">
          <LinesField
            {...fp}
            {...text('platforms')}
            field="image.platforms"
            label="Platforms - optional"
            description="Copy only these platforms of multi-platform images, one per line. Empty copies every platform and keeps the image digest."
            placeholder={'linux/amd64\nlinux/arm64'}
          />
          <Toggle
            checked={im.referrers}
            description="Signatures, SBOMs and attestations attached to each image."
            onChange={(e) => {
              set((o) => {
                o.referrers = e.detail.checked;
              });
            }}
          >
            Copy referrers
          </Toggle>
          <TextField
            {...fp}
            {...text('concurrency')}
            field="image.concurrency"
            label="Concurrency"
            constraint={`Images copied at once, ${String(options.minConcurrency)} to ${String(options.maxConcurrency)}.`}
          />
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

function ScheduleFields({ d, update, fp }: StepProps) {
  const cloud = d.engine === 'cloud';
  const s = d.schedule;
  const text = binder(s, (fn) => {
    update((x) => {
      fn(x.schedule);
    });
  });
  return (
    <Container
      header={
        <Header variant="h3" description={cloud ? 'Runs in your account, with this computer off.' : 'Repeat runs while Transfer Hub is open.'}>
          Schedule
        </Header>
      }
    >
      <SpaceBetween size="l">
        <FormField label="Runs" errorText={fp.error('schedule.kind')}>
          <RadioGroup
            value={s.kind}
            ariaLabel="Schedule"
            onChange={(e) => {
              update((x) => {
                x.schedule.kind = e.detail.value as ScheduleKind;
              });
            }}
            items={[
              { value: '', label: 'Only when I start it' },
              { value: 'interval', label: 'Every…', description: 'A fixed interval, e.g. 30m, 6h, 24h.' },
              { value: 'cron', label: 'On a cron schedule', description: 'minute hour day-of-month month day-of-week, local time.' },
              ...(cloud ? [{ value: 'once', label: 'Once, at a set time', description: 'One run at that time, local time (or RFC 3339 with a zone).' }] : []),
            ]}
          />
        </FormField>
        {s.kind === 'interval' && <TextField {...fp} {...text('every')} field="schedule.every" label="Interval" placeholder="6h" />}
        {s.kind === 'cron' && <TextField {...fp} {...text('cron')} field="schedule.cron" label="Cron expression" placeholder="0 2 * * *" />}
        {s.kind === 'once' && <TextField {...fp} {...text('at')} field="schedule.at" label="Run at" placeholder="2026-05-01T02:00" />}
      </SpaceBetween>
    </Container>
  );
}
