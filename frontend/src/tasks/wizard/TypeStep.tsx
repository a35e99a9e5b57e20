// Step 1: what the task copies, and its name.
import Container from '@cloudscape-design/components/container';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { TaskType } from '../../api/tasks';
import { CloudPlacement } from './CloudPlacement';
import { binder, KindTiles, TextField, type StepProps } from './fields';

const typeItems = [
  { value: 'S3', label: 'S3 objects', description: 'Between buckets (AWS, other clouds, S3-compatible stores) and local folders.' },
  { value: 'IMAGE', label: 'Container images', description: 'Between OCI registries and Amazon ECR, with tags, platforms and signatures.' },
];

export function TypeStep(props: StepProps) {
  const { d, update, options, fp } = props;
  const text = binder(d, update);
  return (
    <Container>
      <SpaceBetween size="l">
        <KindTiles
          label="What to copy"
          errorText={fp.error('type')}
          ariaLabel="Task type"
          value={d.type}
          items={typeItems}
          onChange={(v) => {
            update((x) => {
              x.type = v as TaskType;
            });
          }}
        />
        <CloudPlacement {...props} />
        <TextField
          {...fp}
          {...text('name')}
          field="name"
          label="Name"
          constraint={`Up to ${String(options.maxNameLength)} characters; unique among your tasks.`}
          placeholder={d.type === 'S3' ? 'Photos to archive' : 'Mirror base images'}
        />
      </SpaceBetween>
    </Container>
  );
}
