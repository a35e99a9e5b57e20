// Step 5: what the task will do, the dry run's plan, and whether to start it.
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { TaskPlan, TaskType } from '../../api/tasks';
import { countOf, formatBytes, formatCount, formatDuration, withIds } from '../format';
import { lines, type LocationDraft } from './draft';
import type { StepProps } from './fields';
import { accountLabel } from './CloudPlacement';
import { CostEstimateView, DeployPreview, type CloudReviewState } from './CloudReview';
import { compareLabels } from './S3Options';

export type PlanState = { state: 'idle' } | { state: 'loading' } | { state: 'done'; plan: TaskPlan } | { state: 'error'; message: string };

function PlanView({ plan, type, cloud }: { plan: PlanState; type: TaskType; cloud: boolean }) {
  if (plan.state === 'idle') return <Box color="text-body-secondary">The dry run lists and compares both sides; it copies nothing.</Box>;
  if (plan.state === 'loading') return <StatusIndicator type="loading">Listing and comparing (dry run)…</StatusIndicator>;
  if (plan.state === 'error') {
    return (
      <Alert type="error" header="The dry run failed">
        {plan.message}
      </Alert>
    );
  }
  const p = plan.plan;
  const unit = type === 'S3' ? 'object' : 'image';
  return (
    <SpaceBetween size="m">
      {p.partial && (
        <Alert type="warning">The listing took too long to finish here: these counts are a lower bound. The first run lists everything.</Alert>
      )}
      <KeyValuePairs
        columns={4}
        items={[
          { label: `Found`, value: `${countOf(p.found, unit)}${type === 'S3' ? ` (${formatBytes(p.foundBytes)})` : ''}`, id: 'found' },
          { label: 'To copy', value: `${countOf(p.toCopy, unit)}${type === 'S3' ? ` (${formatBytes(p.toCopyBytes)})` : ''}`, id: 'toCopy' },
          { label: 'Already there', value: countOf(p.unchanged, unit), id: 'unchanged' },
          type === 'S3'
            ? { label: 'To delete', value: formatCount(p.toDelete), id: 'toDelete' }
            : { label: 'Cannot be read', value: formatCount(p.errors), id: 'errors' },
          ...(type === 'S3'
            ? [
                { label: 'Archived (skipped)', value: formatCount(p.archived), id: 'archived' },
                { label: 'Estimated requests', value: formatCount(p.estRequests), id: 'requests' },
                { label: 'Copy', value: p.serverSide ? 'Server-side' : cloud ? 'Through the workers' : 'Through this computer', id: 'serverSide' },
              ]
            : []),
          { label: 'Dry run took', value: formatDuration(p.seconds), id: 'seconds' },
        ]}
      />
      {type === 'IMAGE' && (p.entries?.length ?? 0) > 0 && (
        <ExpandableSection headerText={`Images (${formatCount(p.entries?.length ?? 0)}${p.found > (p.entries?.length ?? 0) ? ` of ${formatCount(p.found)}` : ''})`} defaultExpanded={p.errors > 0}>
          <Table
            variant="embedded"
            items={p.entries ?? []}
            wrapLines
            columnDefinitions={[
              { id: 'source', header: 'Source', cell: (e) => e.source, width: 220 },
              { id: 'destination', header: 'Destination', cell: (e) => e.destination, width: 220 },
              {
                id: 'action',
                header: 'Plan',
                // Wide enough for a reason to read as lines of words, not a column of letters.
                width: 300,
                minWidth: 300,
                cell: (e) =>
                  e.action === 'copy' ? (
                    <StatusIndicator type="pending">Copy</StatusIndicator>
                  ) : e.action === 'skip' ? (
                    <StatusIndicator type="success">Up to date</StatusIndicator>
                  ) : (
                    <StatusIndicator type="error">{e.error ?? 'Error'}</StatusIndicator>
                  ),
              },
            ]}
          />
        </ExpandableSection>
      )}
    </SpaceBetween>
  );
}

/** The review's lines of a cloud task: where it runs and on what. */
function cloudItems(d: StepProps['d'], props: Pick<StepProps, 'profiles' | 'cloudOptions'>): { label: string; value: string }[] {
  const c = d.cloud;
  const account = accountLabel(props.profiles.find((p) => p.id === c.profileId), c.region);
  const fleet =
    d.type === 'S3'
      ? `Up to ${c.maxWorkers || String(props.cloudOptions?.defaultMaxWorkers ?? 10)} × ${(c.instanceTypes.length > 0 ? c.instanceTypes : (props.cloudOptions?.defaultInstanceTypes ?? [])).join(', ')}${c.spot ? ' (Spot)' : ''}`
      : `${c.maxCopiers || String(props.cloudOptions?.defaultMaxCopiers ?? 10)} copiers at once`;
  return [
    { label: 'Runs in', value: account },
    { label: d.type === 'S3' ? 'Worker fleet' : 'Copiers', value: fleet },
    { label: 'Network', value: c.vpcId ? `${c.vpcId} (${c.subnetIds.join(', ')})` : 'The default VPC' },
    { label: 'Alarm e-mail', value: c.alarmEmail || 'None' },
    ...(d.type === 'S3' ? [{ label: 'S3 events', value: c.events === 'none' ? 'None' : c.events }] : []),
  ];
}

export function ReviewStep({ d, profiles, cloudOptions, plan, onPlan, update, cloud }: StepProps & { plan: PlanState; onPlan: () => void; cloud?: CloudReviewState }) {
  const name = (id: string) => profiles.find((p) => p.id === id)?.name ?? (id ? id : 'None');
  const loc = (l: LocationDraft) => (l.kind === 'local' ? l.path : `s3://${l.bucket}/${l.prefix} · ${name(l.profileId)}${l.region ? ` · ${l.region}` : ''}`);
  const im = d.image;
  const schedule =
    d.schedule.kind === 'interval'
      ? `Every ${d.schedule.every}`
      : d.schedule.kind === 'cron'
        ? `Cron: ${d.schedule.cron}`
        : d.schedule.kind === 'once'
          ? `Once at ${d.schedule.at}`
          : 'Only when started';
  const isCloud = d.engine === 'cloud';
  const items =
    d.type === 'S3'
      ? [
          { label: 'Source', value: loc(d.s3.source) },
          { label: 'Destination', value: loc(d.s3.destination) },
          { label: 'Compare', value: compareLabels[d.s3.compare] ?? d.s3.compare },
          {
            label: 'Selection',
            value:
              [
                lines(d.s3.prefixes, false).length ? `${lines(d.s3.prefixes, false).length} prefixes` : '',
                lines(d.s3.include).length ? `include ${lines(d.s3.include).join(', ')}` : '',
                lines(d.s3.exclude).length ? `exclude ${lines(d.s3.exclude).join(', ')}` : '',
                d.s3.minSize ? `≥ ${d.s3.minSize}` : '',
                d.s3.maxSize ? `≤ ${d.s3.maxSize}` : '',
                d.s3.modifiedAfter ? `after ${d.s3.modifiedAfter}` : '',
                d.s3.modifiedBefore ? `before ${d.s3.modifiedBefore}` : '',
              ]
                .filter(Boolean)
                .join('; ') || 'Everything',
          },
          { label: 'Delete extra objects', value: d.s3.delete ? 'Yes' : 'No' },
          { label: 'Concurrency', value: d.s3.concurrency },
          { label: 'Schedule', value: schedule },
        ]
      : [
          {
            label: 'Source',
            value: `${im.sourceKind === 'ecr' ? `Amazon ECR ${im.sourceRegion || ''}` : 'Registry'} · ${name(im.sourceProfileId)}`,
          },
          { label: 'Images', value: lines(im.references).join(', ') || 'Every repository' },
          {
            label: 'Destination',
            value: `${im.destKind === 'ecr' ? `Amazon ECR ${im.destRegion || ''}` : im.destProfileId ? name(im.destProfileId) : im.destRegistry}${im.destPrefix ? ` / ${im.destPrefix}` : ''}`,
          },
          { label: 'Platforms', value: lines(im.platforms).join(', ') || 'All' },
          { label: 'Referrers', value: im.referrers ? 'Copied' : 'Not copied' },
          { label: 'Concurrency', value: im.concurrency },
          { label: 'Schedule', value: schedule },
        ];
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3">{d.name || 'New task'}</Header>}>
        <KeyValuePairs columns={3} items={withIds(isCloud ? [...items, ...cloudItems(d, { profiles, cloudOptions })] : items)} />
      </Container>
      <Container
        header={
          <Header
            variant="h3"
            description="What a run would do now."
            actions={
              <Button onClick={onPlan} loading={plan.state === 'loading'} iconName="refresh">
                Run the dry run again
              </Button>
            }
          >
            Dry run plan
          </Header>
        }
      >
        <PlanView plan={plan} type={d.type} cloud={isCloud} />
      </Container>
      {isCloud && cloud && <CostEstimateView estimate={cloud.estimate} />}
      {isCloud && cloud && <DeployPreview review={cloud} account={accountLabel(profiles.find((p) => p.id === d.cloud.profileId), d.cloud.region)} />}
      <Checkbox
        checked={d.start}
        onChange={(e) => {
          update((x) => {
            x.start = e.detail.checked;
          });
        }}
      >
        {isCloud ? 'Start the task when its stack is deployed' : 'Start the task when it is created'}
      </Checkbox>
    </SpaceBetween>
  );
}
