import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { EmptyState } from './EmptyState';

/** One CloudFormation stack Transfer Hub deployed (cloud/docs/architecture.md). */
export interface DeploymentRow {
  stackId: string;
  name: string;
  kind: 'control-plane' | 'task';
  account: string;
  region: string;
  status: string;
  updated: string;
}

const noDeployYet = 'Cloud deployment arrives in a later release; local tasks need none.';

const columns: TableProps.ColumnDefinition<DeploymentRow>[] = [
  { id: 'name', header: 'Stack', cell: (d) => d.name, isRowHeader: true },
  { id: 'kind', header: 'Kind', cell: (d) => (d.kind === 'control-plane' ? 'Control plane' : 'Task') },
  { id: 'account', header: 'Account', cell: (d) => d.account },
  { id: 'region', header: 'Region', cell: (d) => d.region },
  { id: 'status', header: 'Status', cell: (d) => d.status },
  { id: 'updated', header: 'Last updated', cell: (d) => d.updated },
];

export function DeploymentsPage() {
  const deployments: DeploymentRow[] = [];
  return (
    <Table<DeploymentRow>
      variant="full-page"
      items={deployments}
      columnDefinitions={columns}
      trackBy="stackId"
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={`(${deployments.length})`}
          description="CloudFormation stacks Transfer Hub runs in your AWS accounts: one control plane per account and Region, and one stack per cloud task."
          actions={
            <Button variant="primary" disabled disabledReason={noDeployYet}>
              Deploy control plane
            </Button>
          }
        >
          Deployments
        </Header>
      }
      empty={
        <EmptyState title="No deployments">
          Cloud deployment is optional: tasks that run on this computer need no AWS set-up. When a task outgrows this
          computer, Transfer Hub deploys the stacks it needs into your AWS account and lists them here with their live
          status.
        </EmptyState>
      }
    />
  );
}
