// How the Deployments page words statuses, durations and kinds.
import type { StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { Deployment, DeploymentKind, Operation, OperationKind, ResourceChange } from './api';

/** The StatusIndicator type of a CloudFormation stack or resource status. */
export function statusType(status: string): StatusIndicatorProps.Type {
  if (status === '' || status === 'DATA_KEPT') return 'stopped';
  if (status.endsWith('_IN_PROGRESS')) return 'in-progress';
  if (status.endsWith('_FAILED') || status === 'ROLLBACK_COMPLETE') return 'error';
  if (status === 'UPDATE_ROLLBACK_COMPLETE' || status === 'DELETE_SKIPPED') return 'warning';
  if (status.endsWith('_COMPLETE')) return 'success';
  return 'info';
}

/** "CREATE_COMPLETE" → "Create complete". */
export function statusLabel(status: string): string {
  if (status === 'DATA_KEPT') return 'Deleted, data kept';
  if (status === '') return 'Unknown';
  const s = status.toLowerCase().replaceAll('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const kindLabels: Record<DeploymentKind, string> = {
  'control-plane': 'Control plane',
  's3-task': 'S3 task',
  'image-task': 'Image task',
};

/** What a deployment is called in the table: its control plane's or task's name. */
export function deploymentName(d: Deployment): string {
  if (d.kind === 'control-plane') return d.controlPlane;
  return d.taskName ? d.taskName : (d.taskId ?? d.stack ?? '');
}

/** A duration in nanoseconds (Go's time.Duration) or milliseconds, as "1 h 2 min", "3 min 4 s", "5 s". */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.floor(total));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${String(h)} h ${String(m)} min`;
  if (m > 0) return `${String(m)} min ${String(sec)} s`;
  return `${String(sec)} s`;
}

export const nanosToSeconds = (ns: number) => ns / 1e9;

/** A time as the page shows it ('' and Go's zero time: "-"). */
export function formatTime(t: string | undefined): string {
  if (!t || t.startsWith('0001-')) return '-';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return d.toLocaleString();
}

/** Seconds an operation has run: since it started while it goes on, then until it ended (else its newest report's). */
export function operationSeconds(op: Operation, now: number): number {
  const started = Date.parse(op.started);
  if (!op.done && !Number.isNaN(started)) return Math.max(0, (now - started) / 1000);
  const ended = op.ended ? Date.parse(op.ended) : NaN;
  if (!Number.isNaN(ended) && !Number.isNaN(started)) return Math.max(0, (ended - started) / 1000);
  if (op.progress) return nanosToSeconds(op.progress.elapsed);
  return 0;
}

/** The operation's headline, e.g. "Deploying thub-control-plane". */
export function operationTitle(op: Operation): string {
  const deploying: [string, string, string] = ['Deploying', 'Deployed', 'Deploy of'];
  const verbs: Record<OperationKind, [string, string, string]> = {
    deploy: deploying,
    'control-plane': deploying,
    create: deploying,
    update: ['Updating', 'Updated', 'Update of'],
    delete: ['Deleting', 'Deleted', 'Delete of'],
    'delete-failed': ['Deleting', 'Deleted', 'Delete of'],
    remove: ['Removing', 'Removed', 'Removal of'],
  };
  const verb = verbs[op.kind];
  if (!op.done) return `${verb[0]} ${op.stack}`;
  return op.succeeded ? `${verb[1]} ${op.stack}` : `${verb[2]} ${op.stack} failed`;
}

/** Counts of a preview's changes by action. */
export function changeCounts(changes: ResourceChange[]): { add: number; modify: number; remove: number } {
  const c = { add: 0, modify: 0, remove: 0 };
  for (const x of changes) {
    if (x.action === 'Add') c.add++;
    else if (x.action === 'Remove') c.remove++;
    else c.modify++;
  }
  return c;
}

/** "1 to add, 2 to change, 0 to remove". */
export function changeSummary(changes: ResourceChange[]): string {
  const c = changeCounts(changes);
  return `${String(c.add)} to add, ${String(c.modify)} to change, ${String(c.remove)} to remove`;
}
