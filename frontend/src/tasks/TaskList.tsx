import { useCallback, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useCollection } from '@cloudscape-design/collection-hooks';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ButtonDropdown from '@cloudscape-design/components/button-dropdown';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Flashbar from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import PropertyFilter, { type PropertyFilterProps } from '@cloudscape-design/components/property-filter';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { TaskRow, TaskView } from '../api/tasks';
import { EmptyState } from '../pages/EmptyState';
import { href } from '../shell/sections';
import { actionLabel, disabledReason, useTaskActions, type TaskAction } from './actions';
import {
  bytesText,
  engineLabel,
  etaText,
  formatRate,
  formatRelative,
  formatTime,
  objectsText,
  progressPercent,
  taskStatusLabel,
  taskStatusType,
  taskTypeShort,
} from './format';
import { useTaskList } from './live';

/** A list row flattened for filtering and sorting. */
interface Item extends TaskRow {
  id: string;
  name: string;
  typeLabel: string;
  engineLabel: string;
  statusLabel: string;
  progress: number;
  throughput: number;
  lastRun: string;
}

function lastRunOf(t: TaskView): string {
  return t.finishedAt && !t.active ? t.finishedAt : t.startedAt;
}

function TaskName({ task }: { task: TaskView }) {
  const navigate = useNavigate();
  return (
    <Link
      href={href(`/tasks/${task.id}`)}
      onFollow={(e) => {
        e.preventDefault();
        void navigate(`/tasks/${task.id}`);
      }}
    >
      {task.name}
    </Link>
  );
}

function StatusCell({ item }: { item: Item }) {
  const t = item.task;
  return (
    <StatusIndicator type={taskStatusType(t.status)}>
      {item.statusLabel}
      {t.status === 'FAILED' && t.counters.failedObjects > 0 ? ` (${t.counters.failedObjects})` : ''}
    </StatusIndicator>
  );
}

const columns: TableProps.ColumnDefinition<Item>[] = [
  { id: 'name', header: 'Name', cell: (i) => <TaskName task={i.task} />, sortingField: 'name', isRowHeader: true, width: 200 },
  { id: 'type', header: 'Type', cell: (i) => i.typeLabel, sortingField: 'typeLabel', width: 110 },
  { id: 'engine', header: 'Engine', cell: (i) => i.engineLabel, sortingField: 'engineLabel', width: 115 },
  { id: 'status', header: 'Status', cell: (i) => <StatusCell item={i} />, sortingField: 'statusLabel', width: 150 },
  {
    id: 'progress',
    header: 'Progress',
    width: 150,
    cell: (i) => (i.task.runId ? <ProgressBar value={i.progress} ariaLabel={`Progress of ${i.name}`} /> : '–'),
    sortingField: 'progress',
  },
  { id: 'objects', header: 'Objects done', cell: (i) => (i.task.runId ? objectsText(i.live.counters) : '–'), width: 140 },
  { id: 'bytes', header: 'Bytes done', cell: (i) => (i.task.runId ? bytesText(i.live.counters) : '–'), width: 170 },
  {
    id: 'throughput',
    header: 'Throughput',
    cell: (i) => (i.task.active ? formatRate(i.live.bytesPerSec) : '–'),
    sortingField: 'throughput',
    width: 120,
  },
  { id: 'eta', header: 'ETA', cell: (i) => etaText(i.live, i.task.status), width: 100 },
  {
    id: 'lastRun',
    header: 'Last run',
    cell: (i) => <span title={formatTime(i.lastRun)}>{formatRelative(i.lastRun)}</span>,
    sortingField: 'lastRun',
    width: 120,
  },
];

const filteringProperties: PropertyFilterProps.FilteringProperty[] = [
  { key: 'name', propertyLabel: 'Name', groupValuesLabel: 'Names', operators: [':', '!:', '=', '!='] },
  { key: 'typeLabel', propertyLabel: 'Type', groupValuesLabel: 'Types', operators: ['=', '!='] },
  { key: 'statusLabel', propertyLabel: 'Status', groupValuesLabel: 'Statuses', operators: ['=', '!='] },
  { key: 'engineLabel', propertyLabel: 'Engine', groupValuesLabel: 'Engines', operators: ['=', '!='] },
];

const actions: TaskAction[] = ['start', 'stop', 'resume', 'retry', 'clone', 'delete'];

function TasksEmpty({ onCreate }: { onCreate: () => void }) {
  const navigate = useNavigate();
  return (
    <EmptyState
      title="No tasks yet"
      actions={
        <SpaceBetween direction="horizontal" size="xs" alignItems="center">
          <Button
            onClick={() => {
              void navigate('/credentials');
            }}
          >
            Add credentials
          </Button>
          <Button variant="primary" onClick={onCreate}>
            Create task
          </Button>
        </SpaceBetween>
      }
    >
      A task copies S3 objects or container images from a source to a destination. Add credentials for both ends
      first, then create a task that runs on this computer: no AWS set-up is needed.
    </EmptyState>
  );
}

function GettingStarted() {
  return (
    <Container header={<Header variant="h2">Getting started</Header>}>
      <ColumnLayout columns={3} variant="text-grid">
        <div>
          <Box variant="awsui-key-label">1. Add credentials</Box>
          <Box variant="p">
            One profile for each place you copy from or to: an AWS account, an S3-compatible store or a container
            registry. Secrets stay in your operating system&apos;s keychain.
          </Box>
        </div>
        <div>
          <Box variant="awsui-key-label">2. Create a task on this computer</Box>
          <Box variant="p">
            Pick the source and destination, review the plan (objects and bytes to copy) and start. Local tasks run
            inside this app with an embedded store: no AWS set-up needed.
          </Box>
        </div>
        <div>
          <Box variant="awsui-key-label">3. Scale out when you need to</Box>
          <Box variant="p">
            A task that outgrows this computer can run in your AWS account on EC2 and Fargate. The stacks it needs
            appear under Deployments.
          </Box>
        </div>
      </ColumnLayout>
    </Container>
  );
}

export function TaskList() {
  const navigate = useNavigate();
  const { rows, error, reload } = useTaskList();
  const [selected, setSelected] = useState<Item[]>([]);
  const onDone = useCallback(
    (action: TaskAction, _t: TaskView, newId?: string) => {
      if (action === 'delete') setSelected([]);
      if (action === 'clone' && newId) void navigate(`/tasks/${newId}`);
      reload();
    },
    [navigate, reload],
  );
  const taskActions = useTaskActions(onDone);
  const create = useCallback(() => {
    void navigate('/tasks/new');
  }, [navigate]);

  const items = useMemo<Item[]>(
    () =>
      (rows ?? []).map((r) => ({
        ...r,
        id: r.task.id,
        name: r.task.name,
        typeLabel: taskTypeShort[r.task.type],
        engineLabel: engineLabel(r.task.engine),
        statusLabel: taskStatusLabel[r.task.status],
        progress: progressPercent(r.live.counters),
        throughput: r.task.active ? r.live.bytesPerSec : 0,
        lastRun: lastRunOf(r.task),
      })),
    [rows],
  );

  const collection = useCollection(items, {
    propertyFiltering: {
      filteringProperties,
      empty: <TasksEmpty onCreate={create} />,
      noMatch: <EmptyState title="No matching tasks">No task matches the filter.</EmptyState>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'lastRun' }, isDescending: true } },
    pagination: { pageSize: 25 },
    selection: { keepSelection: true, trackBy: 'id' },
  });
  const { collectionProps, propertyFilterProps, paginationProps, filteredItemsCount } = collection;

  // The selection follows the live rows (status changes enable other actions).
  const current = selected.length > 0 ? items.find((i) => i.id === selected[0]?.id) : undefined;

  return (
    <SpaceBetween size="l">
      {taskActions.flashes.length > 0 && <Flashbar items={taskActions.flashes} />}
      {error && (
        <Alert type="error" header="The tasks could not be loaded" action={<Button onClick={reload}>Retry</Button>}>
          {error}
        </Alert>
      )}
      <Table<Item>
        {...collectionProps}
        variant="full-page"
        loading={rows === null && !error}
        loadingText="Loading tasks"
        items={collection.items}
        columnDefinitions={columns}
        trackBy="id"
        selectionType="single"
        selectedItems={current ? [current] : []}
        onSelectionChange={(e) => {
          setSelected(e.detail.selectedItems);
        }}
        ariaLabels={{
          selectionGroupLabel: 'Task selection',
          itemSelectionLabel: (_s, i) => `Select ${i.name}`,
          allItemsSelectionLabel: () => 'Select all',
        }}
        enableKeyboardNavigation
        resizableColumns
        stickyColumns={{ first: 1 }}
        wrapLines={false}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={rows ? `(${rows.length})` : undefined}
            description="Copy S3 objects and container images between clouds, on this computer or in your AWS account."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button
                  disabled={!current}
                  onClick={() => {
                    if (current) void navigate(`/tasks/${current.id}`);
                  }}
                >
                  View details
                </Button>
                <ButtonDropdown
                  disabled={!current || taskActions.busy}
                  items={actions.map((a) => {
                    const reason = current ? disabledReason(current.task, a) : '';
                    return { id: a, text: actionLabel[a], disabled: reason !== '', disabledReason: reason };
                  })}
                  onItemClick={(e) => {
                    if (current) taskActions.run(current.task, e.detail.id as TaskAction);
                  }}
                >
                  Actions
                </ButtonDropdown>
                <Button variant="primary" onClick={create}>
                  Create task
                </Button>
              </SpaceBetween>
            }
          >
            Tasks
          </Header>
        }
        filter={
          <PropertyFilter
            {...propertyFilterProps}
            i18nStrings={propertyFilterStrings}
            filteringPlaceholder="Find tasks by name, type, status or engine"
            filteringAriaLabel="Filter tasks"
            countText={filteredItemsCount === undefined ? '' : `${filteredItemsCount} matches`}
            expandToViewport
          />
        }
        pagination={<Pagination {...paginationProps} />}
      />
      {rows !== null && rows.length === 0 && <GettingStarted />}
      {taskActions.confirm}
    </SpaceBetween>
  );
}

const propertyFilterStrings: PropertyFilterProps.I18nStrings = {
  dismissAriaLabel: 'Dismiss',
  clearAriaLabel: 'Clear',
  groupValuesText: 'Values',
  groupPropertiesText: 'Properties',
  operatorsText: 'Operators',
  operationAndText: 'and',
  operationOrText: 'or',
  operatorLessText: 'Less than',
  operatorLessOrEqualText: 'Less than or equal',
  operatorGreaterText: 'Greater than',
  operatorGreaterOrEqualText: 'Greater than or equal',
  operatorContainsText: 'Contains',
  operatorDoesNotContainText: 'Does not contain',
  operatorEqualsText: 'Equals',
  operatorDoesNotEqualText: 'Does not equal',
  editTokenHeader: 'Edit filter',
  propertyText: 'Property',
  operatorText: 'Operator',
  valueText: 'Value',
  cancelActionText: 'Cancel',
  applyActionText: 'Apply',
  allPropertiesLabel: 'All properties',
  tokenLimitShowMore: 'Show more',
  tokenLimitShowFewer: 'Show fewer',
  clearFiltersText: 'Clear filters',
  removeTokenButtonAriaLabel: (t) => `Remove token ${t.propertyKey ?? ''} ${t.operator} ${t.value}`,
  enteredTextLabel: (text) => `Use: "${text}"`,
};

