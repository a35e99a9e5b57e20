import { useNavigate } from 'react-router';
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { EmptyState } from './EmptyState';

/** One row of the tasks list (DESIGN.md §5). */
export interface TaskRow {
  id: string;
  name: string;
  type: 'S3' | 'IMAGE';
  engine: 'local' | 'cloud';
  status: string;
  lastRun: string;
}

const noTaskWizardYet = 'Creating tasks arrives with the task wizard in the next release.';

const columns: TableProps.ColumnDefinition<TaskRow>[] = [
  { id: 'name', header: 'Name', cell: (t) => t.name, sortingField: 'name', isRowHeader: true },
  { id: 'type', header: 'Type', cell: (t) => (t.type === 'S3' ? 'S3 objects' : 'Container images'), sortingField: 'type' },
  { id: 'engine', header: 'Runs', cell: (t) => (t.engine === 'local' ? 'On this computer' : 'In AWS'), sortingField: 'engine' },
  { id: 'status', header: 'Status', cell: (t) => t.status, sortingField: 'status' },
  { id: 'lastRun', header: 'Last run', cell: (t) => t.lastRun, sortingField: 'lastRun' },
];

function TasksEmpty() {
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
          <Button variant="primary" disabled disabledReason={noTaskWizardYet}>
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

export function TasksPage() {
  // No task store is wired to the desktop app yet, so the list is honestly empty.
  const tasks: TaskRow[] = [];
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(tasks, {
    filtering: {
      empty: <TasksEmpty />,
      noMatch: <EmptyState title="No matching tasks">No task name matches the filter.</EmptyState>,
      filteringFunction: (t, text) => t.name.toLowerCase().includes(text.toLowerCase()),
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
    pagination: { pageSize: 25 },
  });

  return (
    <SpaceBetween size="l">
      <Table<TaskRow>
        {...collectionProps}
        variant="full-page"
        items={items}
        columnDefinitions={columns}
        trackBy="id"
        enableKeyboardNavigation
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${tasks.length})`}
            description="Copy S3 objects and container images between clouds, on this computer or in your AWS account."
            actions={
              <Button variant="primary" disabled disabledReason={noTaskWizardYet}>
                Create task
              </Button>
            }
          >
            Tasks
          </Header>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find tasks by name"
            filteringAriaLabel="Find tasks by name"
            disabled={tasks.length === 0}
            countText={filteredItemsCount === undefined ? '' : `${filteredItemsCount} matches`}
          />
        }
        pagination={tasks.length > 0 ? <Pagination {...paginationProps} /> : undefined}
      />
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
    </SpaceBetween>
  );
}
