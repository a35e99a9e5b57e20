// The state machine executions panel of a cloud image task's page: its newest runs in
// Step Functions (name, start, stop, status) and, for a failed one, the error and cause
// its failing state gave. What the monitor last read (ListExecutions and
// DescribeExecution, within the page's AWS call budget); no call of its own.
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import type { CloudPanels, Execution } from '../../api/cloud';
import { formatTime } from '../format';

/** Step Functions' execution statuses as its console words them. */
export const executionStatus: Record<string, { label: string; type: StatusIndicatorProps.Type }> = {
  RUNNING: { label: 'Running', type: 'in-progress' },
  SUCCEEDED: { label: 'Succeeded', type: 'success' },
  FAILED: { label: 'Failed', type: 'error' },
  TIMED_OUT: { label: 'Timed out', type: 'error' },
  ABORTED: { label: 'Aborted', type: 'stopped' },
  PENDING_REDRIVE: { label: 'Pending redrive', type: 'pending' },
};

/** "ImageBatchesFailed: 1 of 4 batches failed ..." for a failed execution; '' otherwise. */
export function executionProblem(e: Execution): string {
  if (e.status !== 'FAILED' && e.status !== 'TIMED_OUT') return '';
  const error = e.error ?? '';
  const cause = e.cause ?? '';
  if (error && cause) return `${error}: ${cause}`;
  return error || cause || 'Not read yet.';
}

function ExecutionStatus({ status }: { status: string }) {
  const s = executionStatus[status];
  return <StatusIndicator type={s?.type ?? 'info'}>{s?.label ?? status}</StatusIndicator>;
}

/** The panel; panels is null until the first read answered. */
export function ExecutionsPanel({ panels }: { panels: CloudPanels | null }) {
  const problem = panels?.problems?.executions;
  return (
    <Container
      header={
        <Header variant="h2" description="The task's runs in AWS Step Functions, newest first.">
          State machine executions
        </Header>
      }
    >
      <SpaceBetween size="s">
        <Table
          variant="embedded"
          items={panels?.executions ?? []}
          trackBy="arn"
          wrapLines
          empty={<Box color="text-body-secondary">{panels?.executionsAt ? 'No executions yet.' : 'Not read yet.'}</Box>}
          columnDefinitions={[
            { id: 'name', header: 'Name', cell: (e) => e.name },
            { id: 'start', header: 'Started', cell: (e) => formatTime(e.start), width: 200 },
            { id: 'stop', header: 'Stopped', cell: (e) => formatTime(e.stop), width: 200 },
            { id: 'status', header: 'Status', cell: (e) => <ExecutionStatus status={e.status} />, width: 140 },
            { id: 'problem', header: 'Error and cause', cell: (e) => executionProblem(e) },
          ]}
        />
        {problem ? (
          <StatusIndicator type="warning">{problem}</StatusIndicator>
        ) : (
          panels?.executionsAt && (
            <Box color="text-body-secondary" fontSize="body-s">
              Read {formatTime(panels.executionsAt)}
            </Box>
          )
        )}
      </SpaceBetween>
    </Container>
  );
}
