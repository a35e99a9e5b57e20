// Local tasks and their live status, as plain types (backend/tasks and backend/monitor via
// app.TasksService and app.MonitorService). Field names follow the Go JSON names.

export type TaskType = 'S3' | 'IMAGE';
export type TaskEngine = 'local' | 'cloud';
/** cloud/state task statuses (DESIGN.md §5); cloud tasks will use the same values. */
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

export interface Counters {
  foundObjects: number;
  foundBytes: number;
  doneObjects: number;
  doneBytes: number;
  skippedObjects: number;
  skippedBytes: number;
  failedObjects: number;
  failedBytes: number;
}

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

export interface LocationDef {
  kind: LocationKind;
  profileId?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  path?: string;
}

export interface S3Def {
  source: LocationDef;
  destination: LocationDef;
  compare?: string;
  prefixes?: string[];
  include?: string[];
  exclude?: string[];
  minSize?: string;
  maxSize?: string;
  modifiedAfter?: string;
  modifiedBefore?: string;
  delete?: boolean;
  serverSide?: string;
  concurrency?: number;
  storageClass?: string;
  acl?: string;
  sse?: string;
  sseKmsKeyId?: string;
}

export type ImageSideKind = 'registry' | 'ecr';

export interface ImageSourceDef {
  kind: ImageSideKind;
  profileId?: string;
  references?: string[];
  region?: string;
  account?: string;
  repoPrefix?: string;
  repoRegex?: string;
}

export interface ImageDestinationDef {
  kind: ImageSideKind;
  profileId?: string;
  registry?: string;
  prefix?: string;
  region?: string;
  account?: string;
  scanOnPush?: boolean;
  immutableTags?: boolean;
  kmsKey?: string;
}

export interface ImageDef {
  source: ImageSourceDef;
  destination: ImageDestinationDef;
  tagInclude?: string[];
  tagExclude?: string[];
  semver?: string;
  latest?: number;
  platforms?: string[];
  referrers: boolean;
  concurrency?: number;
}

export type ScheduleKind = '' | 'interval' | 'cron';

export interface Schedule {
  kind?: ScheduleKind;
  every?: string;
  cron?: string;
}

export interface TaskDefinition {
  v: number;
  s3?: S3Def;
  image?: ImageDef;
  schedule?: Schedule;
}

// --- views -----------------------------------------------------------------------------------

export interface TaskView {
  id: string;
  type: TaskType;
  name: string;
  engine: TaskEngine;
  status: TaskStatus;
  spec: TaskDefinition;
  source: string;
  destination: string;
  counters: Counters;
  runId: string;
  finderDone: boolean;
  lastError: string;
  /** RFC 3339 times; '' or the zero time when unset. */
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  nextRun: string;
  /** A run is going on in this app right now. */
  active: boolean;
  /** Why the task cannot be used (unreadable file); absent when fine. */
  problem?: string;
  canStart: boolean;
  canStop: boolean;
  canResume: boolean;
  canRetry: boolean;
  stateFile: string;
}

export interface Live {
  counters: Counters;
  finderDone: boolean;
  bytesPerSec: number;
  objectsPerSec: number;
  /** -1: unknown (still listing, or not running). */
  etaSeconds: number;
  elapsedSeconds: number;
}

export interface TaskRow {
  task: TaskView;
  live: Live;
}

export interface ThroughputPoint {
  /** Unix milliseconds. */
  t: number;
  bytesPerSec: number;
  objectsPerSec: number;
}

export interface TaskUpdate {
  task: TaskView;
  live: Live;
  /** Chart points since the previous update (all of them from taskDetail). */
  points: ThroughputPoint[];
  logSeq: number;
  deleted?: boolean;
}

export interface TaskItem {
  /** Object key, or the image's source reference. */
  key: string;
  destination?: string;
  size: number;
  status: ItemStatus;
  attempts: number;
  error?: string;
  etag?: string;
  destEtag?: string;
  platforms?: string[];
  runId?: string;
  updatedAt: string;
}

export interface ItemsQuery {
  taskId: string;
  status: ItemStatus | '';
  prefix: string;
  page: number;
  pageSize: number;
}

export interface ItemsPage {
  items: TaskItem[];
  page: number;
  pageSize: number;
  pagesCount: number;
  openEnd: boolean;
}

export interface ItemCounts {
  total: number;
  byStatus: Partial<Record<ItemStatus, number>>;
}

export interface LogRecord {
  seq: number;
  time: string;
  level: string;
  message: string;
  attrs?: string;
}

export interface LogPage {
  records: LogRecord[];
  seq: number;
}

export interface PlanEntry {
  source: string;
  destination: string;
  /** copy, skip (up to date) or error. */
  action: string;
  error?: string;
}

export interface TaskPlan {
  found: number;
  foundBytes: number;
  toCopy: number;
  toCopyBytes: number;
  unchanged: number;
  unchangedBytes: number;
  toDelete: number;
  archived: number;
  errors: number;
  estRequests: number;
  serverSide: boolean;
  entries?: PlanEntry[];
  partial: boolean;
  seconds: number;
}

export interface TaskFormOptions {
  compareModes: string[];
  serverSides: string[];
  storageClasses: string[];
  cannedAcls: string[];
  sseModes: string[];
  minConcurrency: number;
  maxConcurrency: number;
  defaultConcurrency: number;
  defaultImageConcurrency: number;
  minIntervalMinutes: number;
  maxNameLength: number;
  taskFolder: string;
}

export interface ExportResult {
  /** '' when the user cancelled the save dialog. */
  path: string;
  rows: number;
}

export interface TaskFieldError {
  field: string;
  message: string;
}

export type TaskResult = { ok: true; task: TaskView } | { ok: false; fieldErrors: TaskFieldError[] };
export type PlanResult = { ok: true; plan: TaskPlan } | { ok: false; fieldErrors: TaskFieldError[] };

export type ExportFormat = 'csv' | 'json';

/** The task calls of the Backend. */
export interface TasksBackend {
  taskFormOptions(): Promise<TaskFormOptions>;
  /** Field errors of a wizard's content; empty when it can be created. */
  validateTask(name: string, definition: TaskDefinition): Promise<TaskFieldError[]>;
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
