// Step 4's cloud options: the worker fleet (or image copiers), alarms, the network the
// agents run in (the Region's default VPC unless another is chosen) and S3 events.
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Multiselect from '@cloudscape-design/components/multiselect';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Toggle from '@cloudscape-design/components/toggle';
import { useBackend } from '../../api/BackendContext';
import { useLoaded } from '../cloud/useLoaded';
import type { Draft } from './draft';
import { binder, SelectField, TextField, type StepProps } from './fields';

const eventLabels: Record<string, { label: string; description: string }> = {
  none: { label: 'No events', description: 'Runs start on the schedule, or when you start them.' },
  create: { label: 'New objects', description: 'Each object written to the source is copied within seconds.' },
  'create-and-delete': { label: 'New and deleted objects', description: 'Deletes in the source are deleted in the destination too.' },
};

export function CloudOptions({ d, update, profiles, cloudOptions, fp }: StepProps) {
  const c = d.cloud;
  const set = (fn: (o: Draft['cloud']) => void) => {
    update((x) => {
      fn(x.cloud);
    });
  };
  const text = binder(c, set);
  const profile = profiles.find((p) => p.id === c.profileId);
  const backend = useBackend();
  const region = c.region || profile?.region || '';
  // The VPCs of the chosen account and Region, read again when they change.
  const nets = useLoaded(c.profileId && region ? JSON.stringify([c.profileId, region]) : null, (k) => {
    const [p, r] = JSON.parse(k) as [string, string];
    return backend.cloudNetworks(p, r);
  });
  const list = nets.state === 'done' ? nets.value : [];
  const def = list.find((n) => n.default);
  const vpc = list.find((n) => n.vpcId === c.vpcId);
  const types = cloudOptions?.instanceTypes ?? [];
  const defaults = cloudOptions?.defaultInstanceTypes ?? [];
  const chosenTypes = c.instanceTypes.length > 0 ? c.instanceTypes : defaults;
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h3" description="The agents run on their own in your account; they scale to zero when there is nothing to do.">Cloud run</Header>}>
        <SpaceBetween size="l">
          {d.type === 'S3' ? (
            <ColumnLayout columns={2}>
              <TextField
                {...fp}
                {...text('maxWorkers')}
                field="cloud.maxWorkers"
                label="Worker fleet: maximum size"
                constraint={`Instances at most, 1 to ${String(cloudOptions?.maxWorkers ?? 1000)}; empty: ${String(cloudOptions?.defaultMaxWorkers ?? 10)}.`}
                placeholder={String(cloudOptions?.defaultMaxWorkers ?? 10)}
              />
              <FormField
                label="Instance types"
                description="Up to 3 of one architecture, the first preferred. Graviton (arm64) costs less for the same work."
                errorText={fp.error('cloud.instanceTypes')}
              >
                <Multiselect
                  ariaLabel="Instance types"
                  selectedOptions={chosenTypes.map((t) => ({ label: t, value: t }))}
                  options={types.map((t) => ({ label: t, value: t, tags: defaults.includes(t) ? ['Graviton, default'] : undefined }))}
                  onChange={(e) => {
                    set((o) => {
                      o.instanceTypes = e.detail.selectedOptions.map((x) => x.value ?? '').filter(Boolean);
                    });
                  }}
                />
              </FormField>
              <Toggle
                checked={c.spot}
                description="Up to 90% cheaper; an interrupted worker's objects are copied by another."
                onChange={(e) => {
                  set((o) => {
                    o.spot = e.detail.checked;
                  });
                }}
              >
                Use Spot capacity
              </Toggle>
            </ColumnLayout>
          ) : (
            <TextField
              {...fp}
              {...text('maxCopiers')}
              field="cloud.maxCopiers"
              label="Copiers at once"
              constraint={`1 to ${String(cloudOptions?.maxCopiers ?? 40)}; empty: ${String(cloudOptions?.defaultMaxCopiers ?? 10)}.`}
              placeholder={String(cloudOptions?.defaultMaxCopiers ?? 10)}
            />
          )}
          <TextField
            {...fp}
            {...text('alarmEmail')}
            field="cloud.alarmEmail"
            label="Alarm e-mail - optional"
            description="Receives the task's alarms (failed objects, dead letters). AWS asks the address to confirm first."
            placeholder="ops@example.com"
          />
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h3" description="Where the agents run when this task deploys the control plane; a deployed control plane keeps its own network.">Network</Header>}>
        <SpaceBetween size="l">
          {nets.state === 'loading' && <StatusIndicator type="loading">Reading the VPCs</StatusIndicator>}
          {nets.state === 'error' && <StatusIndicator type="warning">The VPCs could not be read: {nets.message}</StatusIndicator>}
          <ColumnLayout columns={2}>
            <SelectField
              label="VPC"
              ariaLabel="VPC"
              errorText={fp.error('cloud.network.vpcId')}
              options={[
                { value: '', label: def ? `${def.vpcId} (default VPC)` : 'The default VPC', description: def?.cidr },
                ...list.filter((n) => !n.default).map((n) => ({ value: n.vpcId, label: n.name ? `${n.name} (${n.vpcId})` : n.vpcId, description: n.cidr })),
              ]}
              value={c.vpcId}
              showUnlisted
              onChange={(v) => {
                set((o) => {
                  o.vpcId = v;
                  o.subnetIds = (list.find((n) => n.vpcId === v)?.subnets ?? []).map((s) => s.subnetId);
                });
              }}
            />
            {c.vpcId && (
              <FormField label="Subnets" description="At least one; two zones or more keep the fleet running when a zone fails." errorText={fp.error('cloud.network.subnetIds')}>
                <Multiselect
                  ariaLabel="Subnets"
                  selectedOptions={c.subnetIds.map((id) => {
                    const s = vpc?.subnets.find((x) => x.subnetId === id);
                    return { value: id, label: s?.name ? `${s.name} (${id})` : id };
                  })}
                  options={(vpc?.subnets ?? []).map((s) => ({
                    value: s.subnetId,
                    label: s.name ? `${s.name} (${s.subnetId})` : s.subnetId,
                    description: `${s.zone} · ${s.cidr}${s.public ? ' · public' : ' · private'}`,
                  }))}
                  onChange={(e) => {
                    set((o) => {
                      o.subnetIds = e.detail.selectedOptions.map((x) => x.value ?? '').filter(Boolean);
                    });
                  }}
                />
              </FormField>
            )}
          </ColumnLayout>
        </SpaceBetween>
      </Container>
      {d.type === 'S3' && (
        <Container header={<Header variant="h3">S3 events</Header>}>
          <FormField label="Copy as objects change" errorText={fp.error('s3.events')}>
            <RadioGroup
              ariaLabel="S3 events"
              value={c.events}
              onChange={(e) => {
                set((o) => {
                  o.events = e.detail.value;
                });
              }}
              items={(cloudOptions?.eventModes ?? ['none', 'create', 'create-and-delete']).map((m) => ({
                value: m,
                label: eventLabels[m]?.label ?? m,
                description: eventLabels[m]?.description,
              }))}
            />
          </FormField>
        </Container>
      )}
    </SpaceBetween>
  );
}
