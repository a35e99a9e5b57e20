// Local tasks and their live status (backend/tasks and backend/monitor via
// app.TasksService and app.MonitorService), as aliases of the generated bindings.
import type { app, monitor, spec, state, tasks } from '../../wailsjs/go/models';
import type { FieldError, Narrowed, Plain } from './models';

export type TaskType = 'S3' | 'IMAGE';
export type TaskEngine = 'local' | 'cloud';
/** cloud/state task statuses; cloud tasks will use the same values. */
export type TaskStatus =
  | 'DRAFT'
  | 'DEPLOYING'
  | 'RUNNING'
  | 'IDLE'
  | 'STOPPING'
  | 'STOPPED'
  | 'COMPLETED'
  | 'FAILED'
  | 'DELETING';
export type ItemStatus = 'PENDING' | 'IN_PROGRESS' | 'DONE' | 'SKIPPED' | 'FAILED';

export const itemStatuses: readonly ItemStatus[] = ['PENDING', 'IN_PROGRESS', 'DONE', 'SKIPPED', 'FAILED'];

export type Counters = Plain<state.Counters>;

export const zeroCounters: Counters = {
  foundObjects: 0,
  foundBytes: 0,
  doneObjects: 0,
  doneBytes: 0,
  skippedObjects: 0,
  skippedBytes: 0,
  failedObjects: 0,
  failedBytes: 0,
};

// --- definitions (versioned JSON, backend/tasks.Definition) ---------------------------------

export type LocationKind = 's3' | 'local';

export type LocationDef = Narrowed<tasks.Location, { kind: LocationKind }>;

export type S3Def = Narrowed<tasks.S3Spec, { source: LocationDef; destination: LocationDef }>;

export type ImageSideKind = 'registry' | 'ecr';

export type ImageSourceDef = Narrowed<tasks.ImageSource, { kind: ImageSideKind }>;
export type ImageDestinationDef = Narrowed<tasks.ImageDestination, { kind: ImageSideKind }>;
export type ImageDef = Narrowed<tasks.ImageSpec, { source: ImageSourceDef; destination: ImageDestinationDef }>;

/** once: a run at a set time (cloud tasks only). */
export type ScheduleKind = '' | 'interval' | 'cron' | 'once';

export type Schedule = Narrowed<spec.Schedule, { kind?: ScheduleKind }>;

/** The definition as the wizard sends it: no schedule means runs only when started. */
export type TaskDefinition = Narrowed<tasks.Definition, { s3?: S3Def; image?: ImageDef; schedule?: Schedule }>;

// --- views -----------------------------------------------------------------------------------

/** RFC 3339 times; '' or the zero time when unset. */
interface TaskTimes {
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  nextRun: string;
}

export type TaskView = Narrowed<
  tasks.View,
  { type: TaskType; engine: TaskEngine; status: TaskStatus; spec: TaskDefinition } & TaskTimes
>;

export type Live = Plain<monitor.Live>;

export type TaskRow = Narrowed<monitor.Row, { task: TaskView }>;

export type ThroughputPoint = Plain<monitor.Point>;

/** A pushed update; points are the chart points since the previous update (all of them from taskDetail). */
export type TaskUpdate = Narrowed<monitor.Update, { task: TaskView }>;

/** An object record; key is the object key or the image's source reference. */
export type TaskItem = Narrowed<monitor.Item, { status: ItemStatus; updatedAt: string }>;

export type ItemsQuery = Narrowed<monitor.ItemsQuery, { status: ItemStatus | '' }>;

export type ItemsPage = Narrowed<monitor.ItemsPage, { items: TaskItem[] }>;

export type ItemCounts = Narrowed<monitor.Counts, { byStatus: Partial<Record<ItemStatus, number>> }>;

export type LogRecord = Narrowed<tasks.LogRecord, { time: string }>;

export type LogPage = Narrowed<monitor.LogPage, { records: LogRecord[] }>;

/** One image of a dry run: action is copy, skip (up to date) or error. */
export type PlanEntry = Plain<tasks.PlanEntry>;

export type TaskPlan = Plain<tasks.Plan>;

export type TaskFormOptions = Plain<app.TaskFormOptions>;

/** path is '' when the user cancelled the save dialog. */
export type ExportResult = Plain<monitor.ExportResult>;

export type TaskResult = { ok: true; task: TaskView } | { ok: false; fieldErrors: FieldError[] };
export type PlanResult = { ok: true; plan: TaskPlan } | { ok: false; fieldErrors: FieldError[] };

export type ExportFormat = 'csv' | 'json';

/** The task calls of the Backend. */
export interface TasksBackend {
  taskFormOptions(): Promise<TaskFormOptions>;
  /** Field errors of a wizard's content; empty when it can be created. */
  validateTask(name: string, definition: TaskDefinition): Promise<FieldError[]>;
  /** A dry run (lists and compares, writes nothing). */
  planTask(definition: TaskDefinition): Promise<PlanResult>;
  createTask(name: string, definition: TaskDefinition, start: boolean): Promise<TaskResult>;
  startTask(id: string): Promise<void>;
  stopTask(id: string): Promise<void>;
  resumeTask(id: string): Promise<void>;
  retryFailed(id: string): Promise<void>;
  cloneTask(id: string, name: string): Promise<TaskResult>;
  deleteTask(id: string): Promise<void>;

  listTasks(): Promise<TaskRow[]>;
  taskDetail(id: string): Promise<TaskUpdate>;
  taskItems(query: ItemsQuery): Promise<ItemsPage>;
  taskCounts(id: string): Promise<ItemCounts>;
  taskLogs(id: string, after: number, limit: number): Promise<LogPage>;
  /** Opens a save dialog; resolves with path '' when the user cancels. */
  exportReport(id: string, format: ExportFormat, status: ItemStatus | ''): Promise<ExportResult>;

  /** Keep pushes coming while a page is visible: call again every few seconds. */
  watchTask(id: string): Promise<void>;
  unwatchTask(id: string): Promise<void>;
  watchTaskList(): Promise<void>;
  unwatchTaskList(): Promise<void>;
  /** Subscribes to pushed updates; returns the unsubscribe function. */
  onTaskUpdate(listener: (update: TaskUpdate) => void): () => void;
  onTaskList(listener: (rows: TaskRow[]) => void): () => void;
}

/** Go's zero time (time.Time{}) as JSON, and empty strings, mean "never". */
export function isSet(time: string | undefined | null): time is string {
  return Boolean(time) && !String(time).startsWith('0001-01-01');
}
