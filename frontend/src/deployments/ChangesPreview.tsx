// A change set's preview: what the deploy adds, changes, replaces or removes, the IAM
// changes, the parameters that change and, for an upgrade, the versions.
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { Plan, ResourceChange } from './api';
import { changeCounts, changeSummary } from './format';

function actionIndicator(c: ResourceChange) {
  if (c.action === 'Add') return <StatusIndicator type="success">Add</StatusIndicator>;
  if (c.action === 'Remove') return <StatusIndicator type="error">Remove</StatusIndicator>;
  if (c.replacement === 'True') return <StatusIndicator type="warning">Replace</StatusIndicator>;
  return <StatusIndicator type="info">{c.action}</StatusIndicator>;
}

const columns: TableProps.ColumnDefinition<ResourceChange>[] = [
  { id: 'action', header: 'Action', cell: actionIndicator },
  { id: 'logicalId', header: 'Resource', cell: (c) => c.logicalId, isRowHeader: true },
  { id: 'type', header: 'Type', cell: (c) => c.type },
  { id: 'replacement', header: 'Replacement', cell: (c) => c.replacement ?? '-' },
  { id: 'iam', header: 'IAM', cell: (c) => (c.iam ? 'Yes' : '-') },
];

export function ChangesPreview({ plan }: { plan: Plan }) {
  const changes = plan.preview.changes;
  const c = changeCounts(changes);
  const iam = changes.filter((x) => x.iam).length;
  const version = plan.preview.versionChange;
  return (
    <SpaceBetween size="l">
      {plan.noChanges && <Alert type="info">Nothing to change: the stack already matches this app's template and settings.</Alert>}
      {plan.notes?.map((n) => (
        <Alert key={n} type="info">
          {n}
        </Alert>
      ))}
      <KeyValuePairs
        columns={4}
        items={[
          { label: 'Stack', value: plan.stack },
          { label: 'Operation', value: plan.preview.operation },
          { label: 'Changes', value: changeSummary(changes) },
          { label: 'IAM changes', value: String(iam) },
          ...(version ? [{ label: 'Version', value: `${version.old || '-'} → ${version.new}` }] : []),
        ]}
      />
      <Table<ResourceChange>
        variant="embedded"
        items={changes}
        columnDefinitions={columns}
        trackBy="logicalId"
        header={
          <Header variant="h3" counter={`(${String(c.add + c.modify + c.remove)})`} description="The change set CloudFormation will execute.">
            Resource changes
          </Header>
        }
        empty={<Box color="text-body-secondary">No resource changes.</Box>}
      />
      {plan.preview.parameters && plan.preview.parameters.length > 0 && (
        <ExpandableSection headerText={`Parameters that change (${String(plan.preview.parameters.length)})`}>
          <KeyValuePairs
            columns={2}
            items={plan.preview.parameters.map((p) => ({ label: p.name, value: `${p.old || '-'} → ${p.new}` }))}
          />
        </ExpandableSection>
      )}
    </SpaceBetween>
  );
}
