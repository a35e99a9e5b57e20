// The cloud task's modal actions: delete (keep the data or not), edit (a stack update
// through its preview; its sides with the wizard's own fields) and Move to AWS (a local
// task becomes a cloud task).
import { useCallback, useMemo, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Modal from '@cloudscape-design/components/modal';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Toggle from '@cloudscape-design/components/toggle';
import { errorMessage, type CredentialProfile } from '../../api/backend';
import { useBackend } from '../../api/BackendContext';
import type { CloudOptionsDef, EditPlan, PreviewCreate } from '../../api/cloud';
import type { FieldError } from '../../api/models';
import type { ScheduleKind, TaskDefinition, TaskView } from '../../api/tasks';
import { ModalFooter } from '../../shell/ModalFooter';
import { DeployPreview } from '../wizard/CloudReview';
import { DestinationStep } from '../wizard/DestinationStep';
import { newDraft, stepOf, withEditedSides, withSidesOf, type Draft } from '../wizard/draft';
import { profileOptions, regionOptions, SelectField, type Check, type Update } from '../wizard/fields';
import { SourceStep } from '../wizard/SourceStep';
import { changeSummary } from './cloudFormat';
import { StackPreviewTable } from './StackPreviewTable';
import { useLoaded } from './useLoaded';

/** Messages by field path, the first of each. */
export function byField(errors: FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) out[e.field] ??= e.message;
  return out;
}

/** A number typed in a modal: '' is the default (absent); anything else is sent for Go to judge. */
export function typedNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return /^-?\d+$/.test(t) && Number.isSafeInteger(n) ? n : -1;
}

export function DeleteCloudModal({ task, busy, onCancel, onDelete }: { task: TaskView; busy: boolean; onCancel: () => void; onDelete: (keepData: boolean) => void }) {
  const [keep, setKeep] = useState('keep');
  return (
    <Modal
      visible
      header="Delete cloud task"
      onDismiss={onCancel}
      footer={
        <ModalFooter
          action="Delete"
          busy={busy}
          onCancel={onCancel}
          onAction={() => {
            onDelete(keep === 'keep');
          }}
        />
      }
    >
      <SpaceBetween size="m">
        <Box>
          Delete <b>{task.name}</b>? Its stack ({task.cloud?.stack}) and its stored secret are deleted from {task.cloud?.profileName || 'the account'} /{' '}
          {task.cloud?.region}. Objects and images already copied stay where they are.
        </Box>
        <RadioGroup
          ariaLabel="Task data"
          value={keep}
          onChange={(e) => {
            setKeep(e.detail.value);
          }}
          items={[
            { value: 'keep', label: 'Keep the task table', description: "The records of every object stay in the account's DynamoDB (you can delete the table later)." },
            { value: 'remove', label: 'Delete the task table too', description: 'Its records and counts are gone for good.' },
          ]}
        />
      </SpaceBetween>
    </Modal>
  );
}

/** What an edit changes besides the sides: the fleet, alarms and schedule. */
interface EditFields {
  maxWorkers: string;
  maxCopiers: string;
  spot: boolean;
  alarmEmail: string;
  scheduleKind: ScheduleKind;
  every: string;
  cron: string;
  at: string;
}

function editFieldsOf(t: TaskView): EditFields {
  const c = t.spec.cloud;
  const s = t.spec.schedule;
  // Go stores "none" for a task that runs only when started.
  const kind: string = s?.kind ?? '';
  return {
    maxWorkers: c?.maxWorkers ? String(c.maxWorkers) : '',
    maxCopiers: c?.maxCopiers ? String(c.maxCopiers) : '',
    spot: Boolean(c?.spot),
    alarmEmail: c?.alarmEmail ?? '',
    scheduleKind: (kind === 'none' ? '' : kind) as ScheduleKind,
    every: s?.every ?? '',
    cron: s?.cron ?? '',
    at: s?.at ?? '',
  };
}

/** The task's definition with the edit's fields. */
export function editedDefinition(t: TaskView, f: EditFields): TaskDefinition {
  const cloud: CloudOptionsDef = { ...(t.spec.cloud ?? { profileId: '' }) };
  if (t.type === 'S3') {
    cloud.maxWorkers = typedNumber(f.maxWorkers);
    cloud.spot = f.spot || undefined;
  } else {
    cloud.maxCopiers = typedNumber(f.maxCopiers);
  }
  cloud.alarmEmail = f.alarmEmail.trim() || undefined;
  const def: TaskDefinition = { ...t.spec, cloud };
  delete def.schedule;
  if (f.scheduleKind === 'interval') def.schedule = { kind: 'interval', every: f.every.trim() };
  if (f.scheduleKind === 'cron') def.schedule = { kind: 'cron', cron: f.cron.trim() };
  if (f.scheduleKind === 'once') def.schedule = { kind: 'once', at: f.at.trim() };
  return def;
}

function Text({ label, field, errors, value, onChange, placeholder }: { label: string; field: string; errors: Record<string, string>; value: string; onChange: (v: string) => void; placeholder?: string }) {
  return (
    <FormField label={label} errorText={errors[field]}>
      <Input
        ariaLabel={label}
        value={value}
        placeholder={placeholder}
        onChange={(e) => {
          onChange(e.detail.value);
        }}
      />
    </FormField>
  );
}

/** A field of a side (the Source and Destination fields). */
const sideField = (field: string) => ['source', 'destination'].includes(stepOf(field));

/**
 * Edit: the fleet, alarms and schedule, and under "Source and destination" the sides with
 * the wizard's own fields; then the stack update's preview, then the update (the task's
 * page follows its progress). Go validates the edit as it validates a new task.
 */
export function EditCloudModal({ task, onClose, onApplied }: { task: TaskView; onClose: () => void; onApplied: () => void }) {
  const backend = useBackend();
  const [f, setF] = useState<EditFields>(() => editFieldsOf(task));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [plan, setPlan] = useState<EditPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [sidesOpen, setSidesOpen] = useState(false);
  const loaded = useLoaded('edit', () => Promise.all([backend.listCredentials(), backend.credentialFormOptions(), backend.taskFormOptions()]));
  // The sides as the wizard's fields show them; `from` is the task's own.
  const [from] = useState<Draft>(() => withSidesOf(newDraft(null), task.spec));
  const [sides, setSides] = useState<Draft>(from);
  const dropPlan = () => {
    if (plan) void backend.discardEdit(plan.id).catch(() => undefined);
    setPlan(null);
  };
  const set = (patch: Partial<EditFields>) => {
    setF((x) => ({ ...x, ...patch }));
    dropPlan();
  };
  const updateSides: Update = (fn) => {
    setSides((d) => {
      const next = structuredClone(d);
      fn(next);
      return next;
    });
    dropPlan();
  };
  const error = useCallback((field: string) => errors[field], [errors]);
  const fp: Check = useMemo(() => ({ error, touch: () => undefined }), [error]);
  const close = () => {
    if (plan) void backend.discardEdit(plan.id).catch(() => undefined);
    onClose();
  };
  const act = async () => {
    setBusy(true);
    setProblem(null);
    try {
      if (!plan) {
        const res = await backend.planEdit(task.id, withEditedSides(editedDefinition(task, f), from, sides));
        if (!res.ok) {
          const errs = byField(res.fieldErrors);
          setErrors(errs);
          if (Object.keys(errs).some(sideField)) setSidesOpen(true);
          return;
        }
        setErrors({});
        setPlan(res.plan);
        return;
      }
      await backend.applyEdit(plan.id);
      onApplied();
    } catch (e: unknown) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const unplaced = Object.entries(errors).filter(
    ([k]) => !sideField(k) && !['cloud.maxWorkers', 'cloud.maxCopiers', 'cloud.alarmEmail', 'schedule.kind', 'schedule.every', 'schedule.cron', 'schedule.at'].includes(k),
  );
  const stepProps =
    loaded.state === 'done'
      ? { d: sides, update: updateSides, profiles: loaded.value[0].profiles, regions: loaded.value[1].regions, options: loaded.value[2], cloudOptions: null, fp }
      : null;
  return (
    <Modal
      visible
      size="large"
      header={`Edit ${task.name}`}
      onDismiss={close}
      footer={<ModalFooter action={plan ? (plan.noChanges ? 'Close' : 'Update the stack') : 'Preview the update'} busy={busy} onCancel={close} onAction={() => {
            if (plan?.noChanges) close();
            else void act();
          }} />}
    >
      <SpaceBetween size="l">
        {problem && <Alert type="error">{problem}</Alert>}
        {unplaced.length > 0 && (
          <Alert type="error" header="Fix these first">
            {unplaced.map(([k, m]) => (
              <div key={k}>{m}</div>
            ))}
          </Alert>
        )}
        <ColumnLayout columns={2}>
          {task.type === 'S3' ? (
            <Text label="Worker fleet: maximum size" field="cloud.maxWorkers" errors={errors} value={f.maxWorkers} placeholder="10" onChange={(v) => { set({ maxWorkers: v }); }} />
          ) : (
            <Text label="Copiers at once" field="cloud.maxCopiers" errors={errors} value={f.maxCopiers} placeholder="10" onChange={(v) => { set({ maxCopiers: v }); }} />
          )}
          <Text label="Alarm e-mail" field="cloud.alarmEmail" errors={errors} value={f.alarmEmail} onChange={(v) => { set({ alarmEmail: v }); }} />
          {task.type === 'S3' && (
            <Toggle checked={f.spot} onChange={(e) => { set({ spot: e.detail.checked }); }}>
              Use Spot capacity
            </Toggle>
          )}
        </ColumnLayout>
        <FormField label="Runs" errorText={errors['schedule.kind']}>
          <RadioGroup
            ariaLabel="Schedule"
            value={f.scheduleKind}
            onChange={(e) => { set({ scheduleKind: e.detail.value as ScheduleKind }); }}
            items={[
              { value: '', label: 'Only when started' },
              { value: 'interval', label: 'Every…' },
              { value: 'cron', label: 'On a cron schedule' },
              { value: 'once', label: 'Once, at a set time' },
            ]}
          />
        </FormField>
        {f.scheduleKind === 'interval' && <Text label="Interval" field="schedule.every" errors={errors} value={f.every} placeholder="6h" onChange={(v) => { set({ every: v }); }} />}
        {f.scheduleKind === 'cron' && <Text label="Cron expression" field="schedule.cron" errors={errors} value={f.cron} placeholder="0 2 * * *" onChange={(v) => { set({ cron: v }); }} />}
        {f.scheduleKind === 'once' && <Text label="Run at" field="schedule.at" errors={errors} value={f.at} placeholder="2026-05-01T02:00" onChange={(v) => { set({ at: v }); }} />}
        <ExpandableSection
          headerText="Source and destination"
          headerDescription="Changing either is refused while a run is under way. Its keys go to Secrets Manager; the next run starts afresh."
          expanded={sidesOpen}
          onChange={(e) => {
            setSidesOpen(e.detail.expanded);
          }}
        >
          {loaded.state === 'error' && <Alert type="error">{loaded.message}</Alert>}
          {loaded.state === 'loading' && <Box color="text-status-inactive">Loading the credential profiles…</Box>}
          {stepProps && (
            <SpaceBetween size="m">
              <Box variant="h4">Source</Box>
              <SourceStep {...stepProps} />
              <Box variant="h4">Destination</Box>
              <DestinationStep {...stepProps} />
            </SpaceBetween>
          )}
        </ExpandableSection>
        {plan && (
          <SpaceBetween size="s">
            <Box variant="h4">{plan.noChanges ? 'Nothing to update: the stack already matches.' : `Stack update: ${changeSummary(plan.preview)}`}</Box>
            {plan.sidesChanged && (
              <Alert type="warning" header="The source or destination changes">
                The task&apos;s records describe the old sides, so the update closes its current run: the next run copies everything the new destination lacks, whatever
                was copied before, and a stopped run cannot be resumed (start a new one). Earlier records stay in the task&apos;s table. Keys of the new sides are stored
                in Secrets Manager when you update the stack.
              </Alert>
            )}
            {!plan.noChanges && <StackPreviewTable preview={plan.preview} />}
            {(plan.notes ?? []).map((n) => (
              <Box key={n} color="text-body-secondary">
                {n}
              </Box>
            ))}
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Modal>
  );
}

/**
 * Move to AWS: the account and Region, then the deploy's preview (the control plane's
 * change set when the account and Region have none, else the task stack's), then the
 * move once the preview is seen.
 */
export function MoveToAWSModal({ task, onClose, onMoved }: { task: TaskView; onClose: () => void; onMoved: (t: TaskView) => void }) {
  const backend = useBackend();
  const loaded = useLoaded('move', () => Promise.all([backend.listCredentials(), backend.cloudFormOptions()]));
  const profiles: CredentialProfile[] = loaded.state === 'done' ? loaded.value[0].profiles.filter((p) => p.kind === 'aws') : [];
  const regions = loaded.state === 'done' ? loaded.value[1].regions : {};
  const [profileId, setProfileId] = useState('');
  const [region, setRegion] = useState('');
  const [maxWorkers, setMaxWorkers] = useState('');
  const [deployCP, setDeployCP] = useState(true);
  const [start, setStart] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const chosen = profileId || profiles[0]?.id || '';
  const cloud: CloudOptionsDef = { profileId: chosen, region: region || undefined };
  if (task.type === 'S3') cloud.maxWorkers = typedNumber(maxWorkers);
  // The preview asked for the options as they are; changing one asks again.
  const key = JSON.stringify(cloud);
  const [asked, setAsked] = useState<string | null>(null);
  const preview = useLoaded<PreviewCreate>(asked === key ? key : null, async (k) => {
    const res = await backend.previewMove(task.id, JSON.parse(k) as CloudOptionsDef);
    if (!res.ok) {
      setErrors(byField(res.fieldErrors));
      throw new Error('Fix the fields marked to preview the deploy.');
    }
    return res.preview;
  });
  const previewed = preview.state === 'done' ? preview.value : null;
  const move = async () => {
    if (previewed?.controlPlaneMissing && !deployCP) {
      setProblem('The task needs a control plane in this account and Region: deploy it too, or choose a place that has one.');
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const res = await backend.moveToAWS(task.id, cloud, deployCP, start);
      if (!res.ok) {
        setErrors(byField(res.fieldErrors));
        return;
      }
      onMoved(res.task);
    } catch (e: unknown) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const askPreview = () => {
    setErrors({});
    setProblem(null);
    setAsked(key);
  };
  const shown = ['cloud.profileId', 'cloud.region', 'cloud.maxWorkers'];
  const other = Object.entries(errors).filter(([k]) => !shown.includes(k));
  const account = `${profiles.find((p) => p.id === chosen)?.name ?? 'the account'} / ${previewed?.placement.region ?? (region || 'its Region')}`;
  return (
    <Modal
      visible
      size="large"
      header={`Move ${task.name} to AWS`}
      onDismiss={onClose}
      footer={
        previewed ? (
          <ModalFooter action="Move to AWS" busy={busy} onCancel={onClose} onAction={() => void move()} />
        ) : (
          <ModalFooter action="Preview the deploy" busy={preview.state === 'loading'} onCancel={onClose} onAction={askPreview} />
        )
      }
    >
      <SpaceBetween size="l">
        <Box>
          The task keeps its definition and name and runs in your AWS account from now on; its local file goes. The cloud run skips what the local runs already copied.
        </Box>
        {loaded.state === 'error' && <Alert type="error">{loaded.message}</Alert>}
        {problem && <Alert type="error">{problem}</Alert>}
        {other.length > 0 && (
          <Alert type="error" header="The task cannot run in AWS as it is">
            {other.map(([k, m]) => (
              <div key={k}>{m}</div>
            ))}
          </Alert>
        )}
        <ColumnLayout columns={2}>
          <SelectField label="AWS account" ariaLabel="AWS account" errorText={errors['cloud.profileId']} options={profileOptions(profiles, ['aws'])} value={chosen} onChange={setProfileId} empty="No AWS credential profiles" />
          <SelectField
            label="Region"
            ariaLabel="Cloud Region"
            errorText={errors['cloud.region']}
            options={regionOptions(profiles.find((p) => p.id === chosen), regions)}
            value={region}
            filtering
            onChange={setRegion}
          />
          {task.type === 'S3' && <Text label="Worker fleet: maximum size" field="cloud.maxWorkers" errors={errors} value={maxWorkers} placeholder="10" onChange={setMaxWorkers} />}
        </ColumnLayout>
        <Checkbox checked={start} onChange={(e) => { setStart(e.detail.checked); }}>
          Start a run once the stack is deployed
        </Checkbox>
        {asked === key && <DeployPreview review={{ preview, deployControlPlane: deployCP, setDeployControlPlane: setDeployCP }} account={account} action="Moving the task" />}
      </SpaceBetween>
    </Modal>
  );
}
