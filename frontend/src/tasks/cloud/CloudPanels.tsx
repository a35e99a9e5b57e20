// The cloud panels of a cloud task's page: its stack operation under way (deploy,
// update, delete) with live progress, the queue and dead-letter queue, the fleet, recent
// log lines and stack events. The panels are what the monitor last read (it keeps to its
// AWS call budget); this page asks the facade for them while it is visible.
import { useEffect, useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { whenSettled } from '../../api/backend';
import { useBackend } from '../../api/BackendContext';
import type { CloudPanels as Panels, LogLine, ResourceEvent, StackOperation } from '../../api/cloud';
import type { TaskView } from '../../api/tasks';
import { formatCount, formatTime } from '../format';
import { usePageVisible } from '../live';
import { DeployProgress } from '../../deployments/DeployProgress';
import { operationLabel, stackStatusType } from './cloudFormat';
import { ExecutionsPanel } from './ExecutionsPanel';

/** How often a visible page asks for the panels (the monitor reads AWS at its own pace). */
export const panelsEveryMs = 5000;

/** The task's panels, asked for now and every panelsEveryMs while the page is visible. */
export function useCloudPanels(taskId: string, enabled: boolean): { panels: Panels | null; error: string | null } {
  const backend = useBackend();
  const visible = usePageVisible();
  const [panels, setPanels] = useState<Panels | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled || !visible) return undefined;
    let cancel: () => void = () => undefined;
    const ask = () => {
      cancel();
      cancel = whenSettled(
        backend.cloudPanels(taskId),
        (p) => {
          // The same panels again (the monitor reads AWS every 20 s or more; this asks
          // every 5 s) keep the state: the tables do not render again for nothing.
          setPanels((prev) => (prev !== null && JSON.stringify(prev) === JSON.stringify(p) ? prev : p));
          setError(null);
        },
        setError,
      );
    };
    ask();
    const timer = window.setInterval(ask, panelsEveryMs);
    return () => {
      window.clearInterval(timer);
      cancel();
    };
  }, [backend, taskId, enabled, visible]);
  return { panels, error };
}

/** How many log lines the panel shows. */
export const shownLogLines = 15;

/** The newest lines first, at most shownLogLines. */
export function recentLines(lines: LogLine[]): LogLine[] {
  return [...lines].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0)).slice(0, shownLogLines);
}

/** "worker i-0abc" of a stream "<task>/worker/i-0abc". */
export function agentOf(stream: string): string {
  const parts = stream.split('/');
  return parts.length >= 3 ? `${parts[parts.length - 2] ?? ''} ${parts[parts.length - 1] ?? ''}` : stream;
}

/** An agent's JSON log line as "WARN copy failed: key=a.jpg err=..."; other lines as they are. */
export function logText(message: string): string {
  let rec: unknown;
  try {
    rec = JSON.parse(message);
  } catch {
    return message;
  }
  if (rec === null || typeof rec !== 'object' || !('msg' in rec)) return message;
  const r = rec as Record<string, unknown>;
  const skip = new Set(['time', 'level', 'msg', 'task', 'role', 'run']);
  const attrs = Object.entries(r)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const level = typeof r.level === 'string' ? r.level : '';
  const msg = typeof r.msg === 'string' ? r.msg : JSON.stringify(r.msg);
  return `${level} ${msg}${attrs.length > 0 ? `: ${attrs.join(' ')}` : ''}`.trim();
}

function Stamp({ at, problem }: { at: string; problem?: string }) {
  if (problem) return <StatusIndicator type="warning">{problem}</StatusIndicator>;
  return <Box color="text-body-secondary" fontSize="body-s">Read {formatTime(at)}</Box>;
}

function EventsTable({ events, empty }: { events: ResourceEvent[]; empty: string }) {
  return (
    <Table
      variant="embedded"
      items={events}
      wrapLines
      empty={<Box color="text-body-secondary">{empty}</Box>}
      columnDefinitions={[
        { id: 'time', header: 'Time', cell: (e) => formatTime(e.time), width: 170 },
        { id: 'resource', header: 'Resource', cell: (e) => e.logicalId },
        { id: 'type', header: 'Type', cell: (e) => e.type },
        { id: 'status', header: 'Status', cell: (e) => <StatusIndicator type={stackStatusType(e.status)}>{e.status}</StatusIndicator>, width: 230 },
        { id: 'reason', header: 'Reason', cell: (e) => e.reason ?? '' },
      ]}
    />
  );
}

/**
 * The stack operation under way or the last one (shown as the Deployments page shows
 * its own: N of M, each resource, the elapsed time, the first failure pinned); one that
 * succeeded can be dismissed.
 */
export function StackOperationView({ task, onRedeploy, busy }: { task: TaskView; onRedeploy: () => void; busy: boolean }) {
  const [dismissed, setDismissed] = useState('');
  const cloud = task.cloud;
  // The backend sends one of the operation kinds.
  const op = cloud?.operation as StackOperation | undefined;
  if (!cloud || !op || (op.done && op.succeeded && dismissed === op.id)) return null;
  const what = operationLabel[op.kind] ?? op.kind;
  const failed = op.done && !op.succeeded;
  return (
    <DeployProgress
      op={op}
      title={failed ? `${what}: failed` : op.done ? `${what}: complete` : what}
      description={`Stack ${op.stack} in ${cloud.region}`}
      failureHeader={(f) => (failed ? `${f.logicalId} (${f.type}): ${f.status}` : `First failure: ${f.logicalId}`)}
      headerActions={
        <SpaceBetween direction="horizontal" size="xs">
          {cloud.canRedeploy && (
            <Button onClick={onRedeploy} loading={busy}>
              Deploy again
            </Button>
          )}
          {op.done && op.succeeded && (
            <Button variant="icon" iconName="close" ariaLabel={`Dismiss ${op.stack}`} onClick={() => { setDismissed(op.id); }} />
          )}
        </SpaceBetween>
      }
    >
      {failed && op.deleteAndRetry && <Box>The failed stack is deleted before it is deployed again.</Box>}
    </DeployProgress>
  );
}

/**
 * Queue, dead letters and fleet (S3 tasks: an image task has neither); an image task's
 * state machine executions; log lines and stack events.
 */
export function CloudPanelsView({ task }: { task: TaskView }) {
  const deployed = Boolean(task.cloud?.deployed);
  const { panels, error } = useCloudPanels(task.id, deployed);
  if (!task.cloud) return null;
  if (!deployed) return null;
  const q = panels?.queue;
  const f = panels?.fleet;
  const problems = panels?.problems ?? {};
  return (
    <SpaceBetween size="l">
      {error && <StatusIndicator type="warning">The cloud panels could not be read: {error}</StatusIndicator>}
      {task.type === 'S3' && <ColumnLayout columns={2}>
        <Container header={<Header variant="h2" description="Work waiting for the workers, and what they hold now.">Queue</Header>}>
          <SpaceBetween size="s">
            <KeyValuePairs
              columns={3}
              items={[
                { id: 'visible', label: 'Queue depth', value: q ? formatCount(q.visible + q.delayed) : '–' },
                { id: 'inFlight', label: 'In flight', value: q ? formatCount(q.inFlight) : '–' },
                {
                  id: 'dlq',
                  label: 'Dead-letter queue',
                  value: q ? q.deadLetters > 0 ? <StatusIndicator type="warning">{formatCount(q.deadLetters)}</StatusIndicator> : '0' : '–',
                },
              ]}
            />
            {panels && <Stamp at={panels.queueAt} problem={problems.queue} />}
          </SpaceBetween>
        </Container>
        <Container header={<Header variant="h2" description="Instances copying; the fleet scales to zero when idle.">Fleet</Header>}>
          <SpaceBetween size="s">
            <KeyValuePairs
              columns={3}
              items={[
                { id: 'running', label: 'Running', value: f ? `${formatCount(f.running)} of ${formatCount(f.max)}` : '–' },
                { id: 'desired', label: 'Desired', value: f ? formatCount(f.desired) : '–' },
                { id: 'changing', label: 'Starting / stopping', value: f ? `${formatCount(f.starting)} / ${formatCount(f.stopping)}` : '–' },
              ]}
            />
            {panels && <Stamp at={panels.fleetAt} problem={problems.fleet} />}
          </SpaceBetween>
        </Container>
      </ColumnLayout>}
      {task.type === 'IMAGE' && <ExecutionsPanel panels={panels} />}
      <Container header={<Header variant="h2" description="The agents' latest lines in CloudWatch Logs, newest first.">Recent log lines</Header>}>
        <SpaceBetween size="s">
          <Table
            variant="embedded"
            items={recentLines(panels?.logs ?? [])}
            wrapLines
            empty={<Box color="text-body-secondary">No log lines yet.</Box>}
            columnDefinitions={[
              { id: 'time', header: 'Time', cell: (l) => formatTime(l.time), width: 190 },
              { id: 'stream', header: 'Agent', cell: (l) => agentOf(l.stream), width: 230 },
              { id: 'message', header: 'Message', cell: (l) => logText(l.message) },
            ]}
          />
          {panels && <Stamp at={panels.logsAt} problem={problems.logs} />}
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2">Stack events</Header>}>
        <SpaceBetween size="s">
          <EventsTable events={panels?.events ?? []} empty="No stack events." />
          {panels && <Stamp at={panels.eventsAt} problem={problems.events} />}
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}
