// A change set's preview: each resource to add, modify or remove, with replacements.
import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { StackPreview } from '../../api/cloud';

export function StackPreviewTable({ preview, header }: { preview: StackPreview; header?: React.ReactNode }) {
  return (
    <Table
      variant="embedded"
      header={header}
      items={preview.changes}
      trackBy="logicalId"
      wrapLines
      empty={<Box color="text-body-secondary">No changes.</Box>}
      columnDefinitions={[
        {
          id: 'action',
          header: 'Action',
          cell: (c) => (
            <StatusIndicator type={c.action === 'Add' ? 'success' : c.action === 'Remove' ? 'error' : 'info'} colorOverride={c.action === 'Add' ? 'green' : undefined}>
              {c.action}
            </StatusIndicator>
          ),
          width: 120,
        },
        { id: 'logicalId', header: 'Resource', cell: (c) => c.logicalId },
        { id: 'type', header: 'Type', cell: (c) => c.type },
        {
          id: 'replacement',
          header: 'Replacement',
          cell: (c) => (c.replacement === 'True' ? <StatusIndicator type="warning">Replaced</StatusIndicator> : c.replacement === 'Conditional' ? 'Maybe' : '–'),
          width: 130,
        },
      ]}
    />
  );
}
