// The control planes and task stacks of every account and Region the page shows.
import type { ReactNode } from 'react';
import Badge from '@cloudscape-design/components/badge';
import Box from '@cloudscape-design/components/box';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { EmptyState } from '../pages/EmptyState';
import type { Account, Deployment, Listing } from './api';
import { deploymentName, formatTime, kindLabels, statusLabel, statusType } from './format';

/** One deployment with the account and Region it is in. */
export interface DeploymentRow {
  key: string;
  profileId: string;
  profileName: string;
  accountId: string;
  region: string;
  d: Deployment;
}

/** The table's rows: each listing's deployments, control planes first as the backend orders them. */
export function rowsOf(listings: Listing[], accounts: Account[]): DeploymentRow[] {
  const names = new Map(accounts.map((a) => [a.profileId, a.name]));
  return listings.flatMap((l) =>
    l.deployments.map((d) => ({
      key: `${l.profileId}|${l.region}|${d.stack ?? ''}|${d.taskId ?? ''}`,
      profileId: l.profileId,
      profileName: names.get(l.profileId) ?? l.profileId,
      accountId: l.account,
      region: l.region,
      d,
    })),
  );
}

const columns: TableProps.ColumnDefinition<DeploymentRow>[] = [
  {
    id: 'name',
    header: 'Name',
    cell: (r) => (
      <SpaceBetween size="xxxs">
        <span>{deploymentName(r.d)}</span>
        {r.d.stack && <Box variant="small">{r.d.stack}</Box>}
      </SpaceBetween>
    ),
    isRowHeader: true,
  },
  { id: 'kind', header: 'Kind', cell: (r) => kindLabels[r.d.kind] },
  {
    id: 'account',
    header: 'Account',
    cell: (r) => (
      <SpaceBetween size="xxxs">
        <span>{r.profileName}</span>
        {r.accountId && <Box variant="small">{r.accountId}</Box>}
      </SpaceBetween>
    ),
  },
  { id: 'region', header: 'Region', cell: (r) => r.region },
  {
    id: 'status',
    header: 'Status',
    cell: (r) => (
      <SpaceBetween size="xxxs">
        <StatusIndicator type={statusType(r.d.status)}>{statusLabel(r.d.status)}</StatusIndicator>
        {r.d.deleteAndRetry && <Box variant="small">Failed to be created: delete and retry</Box>}
        {r.d.keptTable && <Box variant="small">Table {r.d.keptTable}</Box>}
      </SpaceBetween>
    ),
  },
  {
    id: 'version',
    header: 'Version',
    cell: (r) => (
      <SpaceBetween direction="horizontal" size="xs">
        <span>{r.d.version || '-'}</span>
        {r.d.upgradeAvailable && <Badge color="blue">Upgrade available</Badge>}
      </SpaceBetween>
    ),
  },
  { id: 'updated', header: 'Last update', cell: (r) => formatTime(r.d.updated && !r.d.updated.startsWith('0001-') ? r.d.updated : r.d.created) },
];

interface Props {
  rows: DeploymentRow[];
  loading: boolean;
  selected: DeploymentRow | null;
  onSelect: (r: DeploymentRow | null) => void;
  actions: ReactNode;
  emptyAction: ReactNode;
}

export function DeploymentsTable({ rows, loading, selected, onSelect, actions, emptyAction }: Props) {
  return (
    <Table<DeploymentRow>
      items={rows}
      columnDefinitions={columns}
      trackBy="key"
      loading={loading}
      loadingText="Reading the stacks of each account and Region"
      selectionType="single"
      selectedItems={selected ? [selected] : []}
      onSelectionChange={({ detail }) => { onSelect(detail.selectedItems[0] ?? null); }}
      ariaLabels={{ selectionGroupLabel: 'Deployments', itemSelectionLabel: (_s, r) => deploymentName(r.d), allItemsSelectionLabel: () => 'all' }}
      wrapLines
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={`(${String(rows.length)})`}
          description="CloudFormation stacks Transfer Hub runs in your AWS accounts: one control plane per account and Region, and one stack per cloud task."
          actions={actions}
        >
          Deployments
        </Header>
      }
      empty={
        <EmptyState title="No deployments" actions={emptyAction}>
          Cloud deployment is optional: tasks that run on this computer need no AWS set-up. Deploy a control plane into an account and
          Region to run cloud tasks there; its stacks are listed here with their live status.
        </EmptyState>
      }
    />
  );
}
