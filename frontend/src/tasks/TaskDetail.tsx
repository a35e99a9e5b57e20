import { memo, startTransition, useCallback, useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ButtonDropdown from '@cloudscape-design/components/button-dropdown';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Tabs from '@cloudscape-design/components/tabs';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { ExportFormat, Live, TaskView } from '../api/tasks';
import { actionLabel, disabledReason, useTaskActions, type TaskAction } from './actions';
import {
  countOf,
  etaText,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatTime,
  progressPercent,
  taskStatusLabel,
  taskStatusType,
  taskTypeLabel,
  withIds,
} from './format';
import { CloudPanelsView, StackOperationView } from './cloud/CloudPanels';
import { ItemsTable, prefetchFirstPage } from './ItemsTable';
import { useStages } from './stages';
import { useTask } from './live';
import { TaskLog } from './TaskLog';
import { ThroughputChart } from './ThroughputChart';

function Progress({ task, live }: { task: TaskView; live: Live }) {
  const c = live.counters;
  const unit = task.type === 'S3' ? 'object' : 'image';
  const pct = progressPercent(c);
  const running = task.status === 'RUNNING';
  return (
    <Container header={<Header variant="h2">Progress</Header>}>
      <SpaceBetween size="l">
        {task.lastError && task.status === 'FAILED' && (
          <Alert type="error" header={task.counters.failedObjects > 0 ? 'Some items failed' : 'The run failed'}>
            {task.lastError}
          </Alert>
        )}
        {task.problem && (
          <Alert type="error" header="This task cannot be used">
            {task.problem}
          </Alert>
        )}
        {task.runId ? (
          <ProgressBar
            value={pct}
            label="Settled"
            description={running && !live.finderDone ? `Listing… ${countOf(c.foundObjects, unit)} found so far` : undefined}
            additionalInfo={`${formatCount(c.doneObjects)} copied, ${formatCount(c.skippedObjects)} already there, ${formatCount(c.failedObjects)} failed`}
            status={task.status === 'COMPLETED' || task.status === 'IDLE' ? 'success' : task.status === 'FAILED' && !task.active ? 'error' : 'in-progress'}
            resultText={task.status === 'FAILED' ? `${formatCount(c.failedObjects)} failed` : 'Completed'}
          />
        ) : (
          <Box color="text-body-secondary">
            {task.status === 'FAILED' ? 'No run could start: fix the problem above, then start the task again.' : 'Not started yet. Start the task to copy.'}
          </Box>
        )}
        <KeyValuePairs
          columns={4}
          items={withIds([
            { label: `Found`, value: `${countOf(c.foundObjects, unit)}${c.foundBytes > 0 ? ` (${formatBytes(c.foundBytes)})` : ''}` },
            { label: 'Copied', value: `${formatCount(c.doneObjects)} (${formatBytes(c.doneBytes)})` },
            { label: 'Already there', value: `${formatCount(c.skippedObjects)} (${formatBytes(c.skippedBytes)})` },
            { label: 'Failed', value: `${formatCount(c.failedObjects)}${c.failedBytes > 0 ? ` (${formatBytes(c.failedBytes)})` : ''}` },
            { label: 'Throughput', value: task.active ? formatRate(live.bytesPerSec) : '–' },
            { label: 'Time left', value: etaText(live, task.status) },
            { label: 'Elapsed', value: formatDuration(live.elapsedSeconds) },
            { label: task.active ? 'Started' : 'Last run', value: formatTime(task.active ? task.startedAt : task.finishedAt || task.startedAt) },
          ])}
        />
      </SpaceBetween>
    </Container>
  );
}

function Definition({ task }: { task: TaskView }) {
  const s3 = task.spec.s3;
  const im = task.spec.image;
  const sched = task.spec.schedule;
  const items: { label: string; value: React.ReactNode; id?: string }[] = [
    { label: 'Type', value: taskTypeLabel[task.type] },
    { label: 'Engine', value: task.engine === 'cloud' ? 'In your AWS account' : 'On this computer (local)' },
    { label: 'Source', value: task.source },
    { label: 'Destination', value: task.destination },
    {
      label: 'Schedule',
      value:
        sched?.kind === 'interval'
          ? `Every ${sched.every ?? ''}`
          : sched?.kind === 'cron'
            ? `Cron ${sched.cron ?? ''}`
            : sched?.kind === 'once'
              ? `Once at ${sched.at ?? ''}`
              : task.spec.s3?.events && task.spec.s3.events !== 'none'
                ? `On S3 events (${task.spec.s3.events})`
                : 'Only when started',
    },
    { label: 'Next run', value: formatTime(task.nextRun) },
    { label: 'Created', value: formatTime(task.createdAt) },
    task.cloud
      ? { label: 'Stack', value: `${task.cloud.stack} (${task.cloud.profileName || task.cloud.profileId} / ${task.cloud.region}, control plane ${task.cloud.controlPlane})` }
      : { label: 'State file', value: <Box variant="code">{task.stateFile}</Box> },
  ];
  const c = task.spec.cloud;
  if (c) {
    items.push(
      s3
        ? { label: 'Worker fleet', value: `Up to ${String(c.maxWorkers ?? 'the default')} × ${(c.instanceTypes ?? []).join(', ') || 'Graviton (default)'}${c.spot ? ', Spot' : ''}` }
        : { label: 'Copiers', value: String(c.maxCopiers ?? 'Default') },
      { label: 'Alarm e-mail', value: c.alarmEmail || 'None' },
    );
  }
  if (s3) {
    items.push(
      { label: 'Compare', value: s3.compare ?? 'size+etag' },
      { label: 'Selection', value: [...(s3.prefixes ?? []), ...(s3.include ?? []).map((g) => `+${g}`), ...(s3.exclude ?? []).map((g) => `-${g}`)].join(', ') || 'Everything' },
      { label: 'Delete extra objects', value: s3.delete ? 'Yes' : 'No' },
      { label: 'Concurrency', value: s3.concurrency ?? 'Default' },
    );
  }
  if (im) {
    items.push(
      { label: 'Images', value: (im.source.references ?? []).join(', ') || 'Every repository' },
      { label: 'Platforms', value: (im.platforms ?? []).join(', ') || 'All' },
      { label: 'Referrers', value: im.referrers ? 'Copied' : 'Not copied' },
      { label: 'Concurrency', value: im.concurrency ?? 'Default' },
    );
  }
  return (
    <Container header={<Header variant="h2">Definition</Header>}>
      <KeyValuePairs columns={3} items={withIds(items)} />
    </Container>
  );
}

/**
 * The cloud panels render from the task's id and whether its stack is deployed (they
 * poll their own figures): a push of the task's progress does not render their tables
 * again.
 */
const CloudPanelsSlot = memo(CloudPanelsView, (a, b) =>
  a.task.id === b.task.id && Boolean(a.task.cloud) === Boolean(b.task.cloud) && Boolean(a.task.cloud?.deployed) === Boolean(b.task.cloud?.deployed));

const headerActions: TaskAction[] = ['resume', 'retry', 'clone', 'delete'];
const cloudHeaderActions: TaskAction[] = ['resume', 'retry', 'edit', 'redeploy', 'delete'];
const localHeaderActions: TaskAction[] = [...headerActions.slice(0, 3), 'move', 'delete'];

/**
 * What the header and the tabs show of a task: all but its progress. A running task is
 * pushed a few times a second; these parts render again only when this changes.
 */
function shownFields(t: TaskView): unknown[] {
  return [
    t.id, t.name, t.type, t.engine, t.status, t.source, t.destination, t.runId, t.active, t.problem,
    t.canStart, t.canStop, t.canResume, t.canRetry, t.createdAt, t.nextRun, t.stateFile, t.spec,
    t.cloud?.canEdit, t.cloud?.canRedeploy, t.cloud?.canDelete, t.cloud?.deployed, t.cloud?.busy,
  ];
}

function sameShown(a: TaskView, b: TaskView): boolean {
  return a === b || JSON.stringify(shownFields(a)) === JSON.stringify(shownFields(b));
}

interface TaskHeaderProps {
  task: TaskView;
  busy: boolean;
  run: (task: TaskView, action: TaskAction) => void;
  exportReport: (format: ExportFormat, failedOnly: boolean) => void;
}

/** The page's title with its actions. */
const TaskHeader = memo(function TaskHeader({ task, busy, run, exportReport }: TaskHeaderProps) {
  const primary: TaskAction = task.canStop ? 'stop' : 'start';
  return (
    <Header
      variant="h1"
      description={`${taskTypeLabel[task.type]} · ${task.source} → ${task.destination}`}
      info={<StatusIndicator type={taskStatusType(task.status)}>{taskStatusLabel[task.status]}</StatusIndicator>}
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          <ButtonDropdown
            items={[
              { id: 'csv', text: 'All records as CSV' },
              { id: 'json', text: 'All records as JSON' },
              { id: 'csv-failed', text: 'Failed records as CSV' },
            ]}
            onItemClick={(e) => {
              const [format, only] = e.detail.id.split('-');
              exportReport(format === 'json' ? 'json' : 'csv', only === 'failed');
            }}
          >
            Export
          </ButtonDropdown>
          <ButtonDropdown
            disabled={busy}
            items={(task.engine === 'cloud' ? cloudHeaderActions : localHeaderActions).map((a) => {
              const reason = disabledReason(task, a);
              return { id: a, text: actionLabel[a], disabled: reason !== '', disabledReason: reason };
            })}
            onItemClick={(e) => {
              run(task, e.detail.id as TaskAction);
            }}
          >
            Actions
          </ButtonDropdown>
          <Button
            variant="primary"
            loading={busy}
            disabled={disabledReason(task, primary) !== ''}
            disabledReason={disabledReason(task, primary)}
            onClick={() => {
              run(task, primary);
            }}
          >
            {task.canStop ? 'Stop' : 'Start new run'}
          </Button>
        </SpaceBetween>
      }
    >
      {task.name}
    </Header>
  );
}, (a, b) => a.busy === b.busy && a.run === b.run && a.exportReport === b.exportReport && sameShown(a.task, b.task));

interface TaskTabsProps {
  task: TaskView;
  /** Changes when the task's records may have changed: the tables reload. */
  version: string;
  failedCount: number;
  logSeq: number;
  run: (task: TaskView, action: TaskAction) => void;
  onFirstPage: () => void;
}

/** Objects (or images), failed items, log and definition. */
const TaskTabs = memo(function TaskTabs({ task, version, failedCount, logSeq, run, onFirstPage }: TaskTabsProps) {
  const [tab, setTab] = useState('items');
  const itemsTitle = task.type === 'S3' ? 'Objects' : 'Images';
  const retryReason = disabledReason(task, 'retry');
  return (
    <Tabs
      activeTabId={tab}
      onChange={(e) => {
        setTab(e.detail.activeTabId);
      }}
      tabs={[
        {
          id: 'items',
          label: itemsTitle,
          content: <ItemsTable taskId={task.id} type={task.type} version={version} title={itemsTitle} onFirstPage={onFirstPage} />,
        },
        {
          id: 'failed',
          label: `Failed (${formatCount(failedCount)})`,
          content: (
            <ItemsTable
              taskId={task.id}
              type={task.type}
              status="FAILED"
              version={version}
              title="Failed items"
              description="Fix the cause (permissions, a missing tag, a full disk…), then retry them: the same run continues."
              actions={
                <Button
                  disabled={retryReason !== ''}
                  disabledReason={retryReason}
                  onClick={() => {
                    run(task, 'retry');
                  }}
                >
                  Retry failed
                </Button>
              }
            />
          ),
        },
        { id: 'log', label: 'Log', content: <TaskLog key={task.id} taskId={task.id} seq={logSeq} /> },
        { id: 'definition', label: 'Definition', content: <Definition task={task} /> },
      ]}
    />
  );
}, (a, b) =>
  a.version === b.version && a.failedCount === b.failedCount && a.logSeq === b.logSeq && a.run === b.run &&
  a.onFirstPage === b.onFirstPage && sameShown(a.task, b.task));

export function TaskDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const backend = useBackend();
  // The object table's first page loads alongside the task, not after the page renders.
  useEffect(() => {
    prefetchFirstPage(backend, id);
  }, [backend, id]);
  const { update, points, error } = useTask(id);
  // The page mounts in slices (no commit blocks for long): the header, then the tabs with
  // the object table (the table itself in slices); once its first rows are shown (or after
  // a second at most) the progress, then the chart.
  const tabsIn = useStages(update ? 1 : 0, false) >= 1;
  const [tableIn, setTableIn] = useState(false);
  const onFirstPage = useCallback(() => {
    startTransition(() => {
      setTableIn(true);
    });
  }, []);
  useEffect(() => {
    const t = window.setTimeout(onFirstPage, 1000);
    return () => {
      window.clearTimeout(t);
    };
  }, [onFirstPage]);
  const stage = useStages(update && tableIn ? 2 : 0);
  const [exportFlash, setExportFlash] = useState<FlashbarProps.MessageDefinition[]>([]);
  const onDone = useCallback(
    (action: TaskAction, _t: TaskView, newId?: string) => {
      if (action === 'delete') void navigate('/tasks');
      if ((action === 'clone' || action === 'move') && newId) void navigate(`/tasks/${newId}`);
    },
    [navigate],
  );
  const actions = useTaskActions(onDone);

  const exportReport = useCallback(
    (format: ExportFormat, failedOnly: boolean) => {
      backend.exportReport(id, format, failedOnly ? 'FAILED' : '').then(
        (res) => {
          if (!res.path) return;
          setExportFlash([
            {
              id: 'export',
              type: 'success',
              content: `Exported ${formatCount(res.rows)} records to ${res.path}.`,
              dismissible: true,
              onDismiss: () => {
                setExportFlash([]);
              },
            },
          ]);
        },
        (e: unknown) => {
          setExportFlash([
            {
              id: 'export',
              type: 'error',
              content: errorMessage(e),
              dismissible: true,
              onDismiss: () => {
                setExportFlash([]);
              },
            },
          ]);
        },
      );
    },
    [backend, id],
  );

  if (error && !update) {
    return (
      <Alert type="error" header="The task could not be shown" action={<Button onClick={() => void navigate('/tasks')}>Back to tasks</Button>}>
        {error}
      </Alert>
    );
  }
  if (!update) return <StatusIndicator type="loading">Loading the task</StatusIndicator>;

  const { task, live } = update;
  const c = live.counters;
  // Tables reload when the run or its settled counts change.
  const version = `${task.runId}:${task.status}:${c.doneObjects + c.failedObjects + c.skippedObjects}`;
  return (
    <ContentLayout header={<TaskHeader task={task} busy={actions.busy} run={actions.run} exportReport={exportReport} />}>
      <SpaceBetween size="l">
        {(actions.flashes.length > 0 || exportFlash.length > 0) && <Flashbar items={[...actions.flashes, ...exportFlash]} />}
        {task.engine === 'cloud' && (
          <StackOperationView
            task={task}
            busy={actions.busy}
            onRedeploy={() => {
              actions.run(task, 'redeploy');
            }}
          />
        )}
        {stage >= 1 && <Progress task={task} live={live} />}
        {stage >= 2 && (
          <Container header={<Header variant="h2" description="Bytes per second over the current or last run.">Throughput</Header>}>
            <ThroughputChart points={points} running={task.active} />
          </Container>
        )}
        {stage >= 2 && task.engine === 'cloud' && <CloudPanelsSlot task={task} />}
        {tabsIn && <TaskTabs task={task} version={version} failedCount={c.failedObjects} logSeq={update.logSeq} run={actions.run} onFirstPage={onFirstPage} />}
      </SpaceBetween>
      {actions.confirm}
    </ContentLayout>
  );
}
