import { vi } from 'vitest';
import {
  zeroCounters,
  type ExportFormat,
  type ItemCounts,
  type ItemsPage,
  type ItemsQuery,
  type ItemStatus,
  type Live,
  type LogPage,
  type PlanResult,
  type TaskDefinition,
  type TaskFormOptions,
  type TaskItem,
  type TaskResult,
  type TaskRow,
  type TasksBackend,
  type TaskUpdate,
  type TaskView,
} from '../api/tasks';
import type { FieldError } from '../api/models';

export const testTaskOptions: TaskFormOptions = {
  compareModes: ['size+etag', 'size', 'checksum', 'none'],
  serverSides: ['auto', 'never', 'always'],
  storageClasses: ['STANDARD', 'STANDARD_IA', 'GLACIER'],
  cannedAcls: ['private', 'bucket-owner-full-control'],
  sseModes: ['AES256', 'aws:kms'],
  minConcurrency: 1,
  maxConcurrency: 256,
  defaultConcurrency: 16,
  defaultImageConcurrency: 8,
  minIntervalMinutes: 1,
  maxNameLength: 128,
  taskFolder: '/home/u/.local/share/transfer-hub/tasks',
};

export const idleLive: Live = { counters: zeroCounters, finderDone: false, bytesPerSec: 0, objectsPerSec: 0, etaSeconds: -1, elapsedSeconds: 0 };

export function testTask(over: Partial<TaskView> = {}): TaskView {
  return {
    id: 's3-aaaa',
    type: 'S3',
    name: 'Photos',
    engine: 'local',
    status: 'COMPLETED',
    spec: { v: 1, s3: { source: { kind: 'local', path: '/data/photos' }, destination: { kind: 's3', profileId: 'p1', bucket: 'archive', prefix: '' } } },
    source: '/data/photos',
    destination: 's3://archive/',
    counters: { ...zeroCounters, foundObjects: 3, foundBytes: 3000, doneObjects: 3, doneBytes: 3000 },
    runId: 'r1',
    finderDone: true,
    lastError: '',
    createdAt: '2026-01-01T10:00:00Z',
    startedAt: '2026-01-02T10:00:00Z',
    finishedAt: '2026-01-02T10:05:00Z',
    nextRun: '0001-01-01T00:00:00Z',
    active: false,
    canStart: true,
    canStop: false,
    canResume: false,
    canRetry: false,
    stateFile: '/home/u/.local/share/transfer-hub/tasks/s3-aaaa.db',
    ...over,
  };
}

/** n records key-000000.. with every 10th FAILED. */
/** A deployed cloud task's view of its stack (the task page's cloud part). */
export function testCloudView(over: Partial<NonNullable<TaskView['cloud']>> = {}): NonNullable<TaskView['cloud']> {
  return {
    profileId: 'aws1',
    region: 'eu-west-1',
    controlPlane: 'thub',
    profileName: 'Main account',
    stack: 'thub-task-c-1',
    deployed: true,
    busy: false,
    readAt: '2026-01-02T10:01:00Z',
    scheduled: false,
    canEdit: true,
    canRedeploy: false,
    canDelete: true,
    ...over,
  };
}

export function testItems(n: number): TaskItem[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `photos/img-${String(i).padStart(6, '0')}.jpg`,
    size: 1000 + i,
    status: i % 10 === 3 ? 'FAILED' : 'DONE',
    attempts: 1,
    error: i % 10 === 3 ? 'access denied (AccessDenied)' : undefined,
    etag: 'abc',
    updatedAt: '2026-01-02T10:01:00Z',
  }));
}

export interface FakeTasksOptions {
  rows?: TaskRow[];
  items?: TaskItem[];
  /** validateTask/createTask return these. */
  fieldErrors?: FieldError[];
  /** Or what the Go side answers for a request (overrides fieldErrors). */
  validate?: (name: string, definition: TaskDefinition) => FieldError[];
  plan?: PlanResult;
}

/** An in-memory task side of the Backend; pushes are triggered with push/pushList. */
export function fakeTasks(opts: FakeTasksOptions = {}) {
  let rows: TaskRow[] = opts.rows ?? [];
  const items = opts.items ?? [];
  const updateListeners = new Set<(u: TaskUpdate) => void>();
  const listListeners = new Set<(r: TaskRow[]) => void>();
  const find = (id: string) => rows.find((r) => r.task.id === id);
  const created: { name: string; definition: TaskDefinition; start: boolean }[] = [];
  const check = (name: string, definition: TaskDefinition) => opts.validate?.(name, definition) ?? opts.fieldErrors ?? [];

  const api = {
    taskFormOptions: vi.fn(() => Promise.resolve(testTaskOptions)),
    validateTask: vi.fn((name: string, definition: TaskDefinition) => Promise.resolve(check(name, definition))),
    planTask: vi.fn((_def: TaskDefinition): Promise<PlanResult> =>
      Promise.resolve(
        opts.plan ?? {
          ok: true,
          plan: {
            found: 12,
            foundBytes: 12 * 1024 * 1024,
            toCopy: 10,
            toCopyBytes: 10 * 1024 * 1024,
            unchanged: 2,
            unchangedBytes: 2 * 1024 * 1024,
            toDelete: 0,
            archived: 0,
            errors: 0,
            estRequests: 24,
            serverSide: false,
            partial: false,
            seconds: 0.4,
          },
        },
      ),
    ),
    createTask: vi.fn((name: string, definition: TaskDefinition, start: boolean): Promise<TaskResult> => {
      const fieldErrors = check(name, definition);
      if (fieldErrors.length > 0) return Promise.resolve({ ok: false, fieldErrors });
      created.push({ name, definition, start });
      const task = testTask({ id: `s3-new${created.length}`, name, spec: definition, status: start ? 'RUNNING' : 'DRAFT', runId: '' });
      rows = [{ task, live: idleLive }, ...rows];
      return Promise.resolve({ ok: true, task });
    }),
    startTask: vi.fn((_id: string) => Promise.resolve()),
    stopTask: vi.fn((_id: string) => Promise.resolve()),
    resumeTask: vi.fn((_id: string) => Promise.resolve()),
    retryFailed: vi.fn((_id: string) => Promise.resolve()),
    cloneTask: vi.fn((id: string, _name: string): Promise<TaskResult> => {
      const r = find(id);
      if (!r) return Promise.reject(new Error('task not found'));
      const task = { ...r.task, id: `${id}-copy`, name: `Copy of ${r.task.name}`, status: 'DRAFT' as const };
      rows = [{ task, live: idleLive }, ...rows];
      return Promise.resolve({ ok: true, task });
    }),
    deleteTask: vi.fn((id: string) => {
      rows = rows.filter((r) => r.task.id !== id);
      return Promise.resolve();
    }),
    listTasks: vi.fn(() => Promise.resolve(rows)),
    taskDetail: vi.fn((id: string): Promise<TaskUpdate> => {
      const r = find(id);
      if (!r) return Promise.reject(new Error(`task not found: ${id}`));
      return Promise.resolve({ task: r.task, live: r.live, points: [], logSeq: 2 });
    }),
    taskItems: vi.fn((q: ItemsQuery): Promise<ItemsPage> => {
      const all = items.filter((i) => (q.status === '' || i.status === q.status) && i.key.startsWith(q.prefix));
      const pages = Math.max(1, Math.ceil(all.length / q.pageSize));
      const page = Math.min(Math.max(q.page, 1), pages);
      return Promise.resolve({
        items: all.slice((page - 1) * q.pageSize, page * q.pageSize),
        page,
        pageSize: q.pageSize,
        pagesCount: Math.min(pages, page + 1),
        openEnd: page + 1 < pages,
      });
    }),
    taskCounts: vi.fn((_id: string): Promise<ItemCounts> => {
      const byStatus: Partial<Record<ItemStatus, number>> = {};
      for (const i of items) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
      return Promise.resolve({ total: items.length, byStatus });
    }),
    taskLogs: vi.fn(
      (_id: string, after: number, _limit: number): Promise<LogPage> =>
        Promise.resolve({
          records:
            after > 0
              ? []
              : [
                  { seq: 1, time: '2026-01-02T10:00:00Z', level: 'INFO', message: 'run begins', attrs: 'mode=start' },
                  { seq: 2, time: '2026-01-02T10:05:00Z', level: 'INFO', message: 'run finished', attrs: 'status=COMPLETED found=3' },
                ],
          seq: 2,
        }),
    ),
    exportReport: vi.fn((_id: string, _format: ExportFormat, _status: ItemStatus | '') => Promise.resolve({ path: '/tmp/report.csv', rows: items.length })),
    watchTask: vi.fn((_id: string) => Promise.resolve()),
    unwatchTask: vi.fn((_id: string) => Promise.resolve()),
    watchTaskList: vi.fn(() => Promise.resolve()),
    unwatchTaskList: vi.fn(() => Promise.resolve()),
    onTaskUpdate: vi.fn((l: (u: TaskUpdate) => void) => {
      updateListeners.add(l);
      return () => {
        updateListeners.delete(l);
      };
    }),
    onTaskList: vi.fn((l: (r: TaskRow[]) => void) => {
      listListeners.add(l);
      return () => {
        listListeners.delete(l);
      };
    }),
  } satisfies TasksBackend;

  return {
    api,
    created,
    /** Pushes a task update as the Go side would. */
    push(u: TaskUpdate) {
      for (const l of updateListeners) l(u);
    },
    pushList(next: TaskRow[]) {
      rows = next;
      for (const l of listListeners) l(next);
    },
    rows: () => rows,
  };
}
