// The live progress of a CloudFormation operation (a deploy, an update, a delete, a
// removal) as backend/stackop follows it: N of M resources, each resource's status and
// reason, the elapsed time, the first failure pinned with its reason. The Deployments
// page and a cloud task's page both show their operations with it.
import { useEffect, useState, type ReactNode } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import ProgressBar from '@cloudscape-design/components/progress-bar';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import type { Failure, Operation, ResourceEvent } from './api';
import { formatSeconds, nanosToSeconds, operationSeconds, operationTitle, statusLabel, statusType } from './format';

const resourceColumns: TableProps.ColumnDefinition<ResourceEvent>[] = [
  { id: 'logicalId', header: 'Resource', cell: (r) => r.logicalId, isRowHeader: true },
  { id: 'type', header: 'Type', cell: (r) => r.type },
  {
    id: 'status',
    header: 'Status',
    cell: (r) => <StatusIndicator type={statusType(r.status)}>{statusLabel(r.status)}</StatusIndicator>,
  },
  { id: 'reason', header: 'Reason', cell: (r) => r.reason ?? '-' },
  { id: 'elapsed', header: 'Elapsed', cell: (r) => formatSeconds(nanosToSeconds(r.elapsed)) },
];

/** Re-renders once a second while running, so the elapsed time moves between reports. */
function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => { setNow(Date.now()); }, 1000);
    return () => { clearInterval(t); };
  }, [running]);
  return now;
}

/** The words of the progress bar: "3 of 7 resources". */
export function progressLabel(op: Operation): string {
  const p = op.progress;
  if (!p) return 'Starting';
  return `${String(p.done)} of ${String(p.total)} resources`;
}

function outcome(op: Operation): { type: 'success' | 'error' | 'in-progress' | 'warning'; text: string } {
  if (!op.done) return { type: 'in-progress', text: op.progress?.rollingBack ? 'Rolling back' : 'In progress' };
  if (op.succeeded) return { type: 'success', text: 'Complete' };
  return { type: 'error', text: 'Failed' };
}

export interface DeployProgressProps {
  op: Operation;
  /** Shown in the failure's alert (delete and retry). */
  actions?: ReactNode;
  headerActions?: ReactNode;
  /** The page's own wording: the headline, the line under it, the failure's alert header. */
  title?: string;
  description?: string;
  failureHeader?: (f: Failure) => string;
  /** More words under the failure. */
  children?: ReactNode;
}

const firstFailureHeader = (f: Failure) => `First failure: ${f.logicalId} (${f.type}) ${f.status}`;

export function DeployProgress({ op, actions, headerActions, title, description, failureHeader = firstFailureHeader, children }: DeployProgressProps) {
  const now = useNow(!op.done);
  const p = op.progress;
  const total = p?.total ?? 0;
  const done = p?.done ?? 0;
  const state = outcome(op);
  const failure = op.firstFailure ?? p?.firstFailure;
  return (
    <Container
      header={
        <Header variant="h2" actions={headerActions} description={description ?? `${op.region} · started ${new Date(op.started).toLocaleTimeString()}`}>
          {title ?? operationTitle(op)}
        </Header>
      }
    >
      <SpaceBetween size="l">
        {failure && (
          <Alert type="error" header={failureHeader(failure)} action={actions}>
            {failure.reason}
          </Alert>
        )}
        {!failure && op.done && !op.succeeded && (
          <Alert type="error" header="The operation failed" action={actions}>
            {op.error}
          </Alert>
        )}
        {op.done && !op.succeeded && failure && op.error && <Box variant="small">{op.error}</Box>}
        {children}
        {!p && !op.done && <StatusIndicator type="loading">Preparing: the agents are uploaded and the change set made before CloudFormation reports.</StatusIndicator>}
        {p?.rollingBack && !op.done && (
          <Alert type="warning" header="Rolling back">
            CloudFormation is undoing what the operation made.
          </Alert>
        )}
        <ProgressBar
          value={total > 0 ? Math.round((done / total) * 100) : op.done ? 100 : 0}
          label="Resources"
          description={progressLabel(op)}
          status={op.done ? (op.succeeded ? 'success' : 'error') : 'in-progress'}
          resultText={op.succeeded ? `${progressLabel(op)}: complete` : `${progressLabel(op)}: ${p?.stackStatus ?? 'failed'}`}
          additionalInfo={p?.inProgress && p.inProgress.length > 0 && !op.done ? `At work: ${p.inProgress.join(', ')}` : undefined}
        />
        <KeyValuePairs
          columns={4}
          items={[
            { label: 'State', value: <StatusIndicator type={state.type}>{state.text}</StatusIndicator> },
            { label: 'Stack status', value: p ? <StatusIndicator type={statusType(p.stackStatus)}>{p.stackStatus}</StatusIndicator> : '-' },
            { label: 'Resources', value: progressLabel(op) },
            { label: 'Elapsed', value: formatSeconds(operationSeconds(op, now)) },
          ]}
        />
        {p?.stackReason && <Box variant="small">{p.stackReason}</Box>}
        <Table<ResourceEvent>
          variant="embedded"
          items={op.resources}
          columnDefinitions={resourceColumns}
          trackBy="logicalId"
          wrapLines
          header={
            <Header variant="h3" counter={`(${String(op.resources.length)})`}>
              Resources
            </Header>
          }
          empty={<Box color="text-body-secondary">{op.done ? 'CloudFormation reported no resource events.' : 'No resource has moved yet.'}</Box>}
        />
        {op.removed && (
          <KeyValuePairs
            columns={2}
            items={[
              { label: 'Deleted', value: op.removed.removes.map((i) => `${i.what} ${i.name}`).join(', ') || '-' },
              { label: 'Kept', value: op.removed.survives.map((i) => `${i.what} ${i.name}`).join(', ') || '-' },
            ]}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}
