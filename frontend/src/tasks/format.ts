// How task figures read in the UI.
import type { StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import { isSet, type Counters, type ItemStatus, type Live, type TaskStatus, type TaskType } from '../api/tasks';

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const unit = units[i] ?? 'B';
  return i === 0 ? `${v} ${unit}` : `${v.toFixed(v < 10 ? 1 : 0)} ${unit}`;
}

export function formatRate(bytesPerSec: number): string {
  return bytesPerSec > 0 ? `${formatBytes(bytesPerSec)}/s` : '–';
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** "1 image", "2 images" (the unit in singular). */
export function countOf(n: number, unit: string): string {
  return `${formatCount(n)} ${unit}${n === 1 ? '' : 's'}`;
}

/** 3725 -> "1 h 2 min"; negative: unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

// One formatter for every call: toLocaleString with options builds a new one each time
// (about a millisecond apiece, a table of times takes tens of them).
let timeFormat: Intl.DateTimeFormat | undefined;

/** An RFC 3339 time as local date and time; '–' when unset. */
export function formatTime(time: string | undefined): string {
  if (!isSet(time)) return '–';
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return '–';
  timeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return timeFormat.format(d);
}

/** "5 min ago", "in 2 h" relative to now. */
export function formatRelative(time: string | undefined, now: number = Date.now()): string {
  if (!isSet(time)) return '–';
  const t = new Date(time).getTime();
  if (Number.isNaN(t)) return '–';
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 45) text = 'seconds';
  else if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 48 * 3600) text = `${Math.round(abs / 3600)} h`;
  else text = `${Math.round(abs / 86400)} d`;
  if (text === 'seconds') return diff <= 0 ? 'just now' : 'in a few seconds';
  return diff <= 0 ? `${text} ago` : `in ${text}`;
}

export const taskTypeLabel: Record<TaskType, string> = { S3: 'S3 objects', IMAGE: 'Container images' };

/** Short type names for narrow table columns. */
export const taskTypeShort: Record<TaskType, string> = { S3: 'S3', IMAGE: 'Images' };

export function engineLabel(engine: string): string {
  return engine === 'cloud' ? 'AWS' : 'Local';
}

export const taskStatusLabel: Record<TaskStatus, string> = {
  DRAFT: 'Not started',
  DEPLOYING: 'Deploying',
  RUNNING: 'Running',
  IDLE: 'Idle (scheduled)',
  STOPPING: 'Stopping',
  STOPPED: 'Stopped',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  DELETING: 'Deleting',
};

export function taskStatusType(status: TaskStatus): StatusIndicatorProps.Type {
  switch (status) {
    case 'RUNNING':
    case 'DEPLOYING':
      return 'in-progress';
    case 'STOPPING':
    case 'DELETING':
      return 'loading';
    case 'COMPLETED':
      return 'success';
    case 'FAILED':
      return 'error';
    case 'STOPPED':
      return 'stopped';
    case 'IDLE':
      return 'pending';
    default:
      return 'not-started';
  }
}

export const itemStatusLabel: Record<ItemStatus, string> = {
  PENDING: 'Pending',
  IN_PROGRESS: 'In progress',
  DONE: 'Done',
  SKIPPED: 'Skipped',
  FAILED: 'Failed',
};

export function itemStatusType(status: ItemStatus): StatusIndicatorProps.Type {
  switch (status) {
    case 'DONE':
      return 'success';
    case 'FAILED':
      return 'error';
    case 'SKIPPED':
      return 'info';
    case 'IN_PROGRESS':
      return 'in-progress';
    default:
      return 'pending';
  }
}

/** Settled share of what was found, 0..100 (bytes when known, else items). */
export function progressPercent(c: Counters): number {
  if (c.foundBytes > 0) {
    const settled = c.doneBytes + c.skippedBytes + c.failedBytes;
    return Math.min(100, Math.floor((settled / c.foundBytes) * 100));
  }
  if (c.foundObjects > 0) {
    const settled = c.doneObjects + c.skippedObjects + c.failedObjects;
    return Math.min(100, Math.floor((settled / c.foundObjects) * 100));
  }
  return 0;
}

/** "120 of 1,000" (copied or already there, of found). */
export function objectsText(c: Counters): string {
  return `${formatCount(c.doneObjects + c.skippedObjects)} of ${formatCount(c.foundObjects)}`;
}

export function bytesText(c: Counters): string {
  return `${formatBytes(c.doneBytes + c.skippedBytes)} of ${formatBytes(c.foundBytes)}`;
}

export function etaText(live: Live, status: TaskStatus): string {
  if (status !== 'RUNNING') return '–';
  if (!live.finderDone) return 'Listing…';
  return formatDuration(live.etaSeconds);
}

/** KeyValuePairs items keyed by their labels (React keys). */
export function withIds<T extends { label: string }>(items: T[]): (T & { id: string })[] {
  return items.map((i) => ({ ...i, id: i.label }));
}
