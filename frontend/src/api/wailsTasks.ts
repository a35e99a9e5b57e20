// The task calls of the Backend on the generated Wails bindings and runtime events.
import * as MonitorService from '../../wailsjs/go/app/MonitorService';
import * as TasksService from '../../wailsjs/go/app/TasksService';
import { monitor, tasks } from '../../wailsjs/go/models';
import { EventsOn } from '../../wailsjs/runtime/runtime';
import { fieldErrorsOf, plain } from './models';
import type { ExportResult, ItemCounts, ItemsPage, LogPage, TaskFormOptions, TaskPlan, TaskRow, TasksBackend, TaskUpdate, TaskView } from './tasks';

/** Event names of backend/monitor. */
export const taskListEvent = 'tasks:list';
export const taskUpdateEvent = 'task:update';

export const wailsTasksBackend: TasksBackend = {
  async taskFormOptions() {
    return plain(await TasksService.FormOptions()) as TaskFormOptions;
  },
  async validateTask(name, definition) {
    return fieldErrorsOf(await TasksService.Validate(tasks.CreateRequest.createFrom({ name, definition, start: false })));
  },
  async planTask(definition) {
    const res = await TasksService.Plan(tasks.Definition.createFrom(definition));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, plan: plain(res.plan) as TaskPlan };
  },
  async createTask(name, definition, start) {
    const res = await TasksService.Create(tasks.CreateRequest.createFrom({ name, definition, start }));
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, task: plain(res.task) as TaskView };
  },
  startTask: (id) => TasksService.Start(id),
  stopTask: (id) => TasksService.Stop(id),
  resumeTask: (id) => TasksService.Resume(id),
  retryFailed: (id) => TasksService.RetryFailed(id),
  async cloneTask(id, name) {
    const res = await TasksService.Clone(id, name);
    const fe = fieldErrorsOf(res.fieldErrors);
    if (fe.length > 0) return { ok: false, fieldErrors: fe };
    return { ok: true, task: plain(res.task) as TaskView };
  },
  deleteTask: (id) => TasksService.Delete(id),

  async listTasks() {
    return (plain(await MonitorService.List()) as TaskRow[] | undefined) ?? [];
  },
  async taskDetail(id) {
    const u = plain(await MonitorService.Detail(id)) as Partial<TaskUpdate> & Pick<TaskUpdate, 'task' | 'live' | 'logSeq'>;
    return { ...u, points: u.points ?? [] };
  },
  async taskItems(query) {
    const page = plain(await MonitorService.Items(monitor.ItemsQuery.createFrom(query))) as Partial<ItemsPage> & Omit<ItemsPage, 'items'>;
    return { ...page, items: page.items ?? [] };
  },
  async taskCounts(id) {
    const c = plain(await MonitorService.Counts(id)) as Partial<ItemCounts>;
    return { total: c.total ?? 0, byStatus: c.byStatus ?? {} };
  },
  async taskLogs(id, after, limit) {
    const p = plain(await MonitorService.Logs(id, after, limit)) as Partial<LogPage>;
    return { records: p.records ?? [], seq: p.seq ?? 0 };
  },
  async exportReport(id, format, status) {
    return plain(await MonitorService.Export(id, format, status)) as ExportResult;
  },
  watchTask: (id) => MonitorService.Watch(id),
  unwatchTask: (id) => MonitorService.Unwatch(id),
  watchTaskList: () => MonitorService.WatchList(),
  unwatchTaskList: () => MonitorService.UnwatchList(),
  onTaskUpdate(listener) {
    return EventsOn(taskUpdateEvent, (u: unknown) => {
      const x = plain(u) as Partial<TaskUpdate> & Pick<TaskUpdate, 'task' | 'live' | 'logSeq'>;
      listener({ ...x, points: x.points ?? [] });
    });
  },
  onTaskList(listener) {
    return EventsOn(taskListEvent, (rows: unknown) => {
      listener((plain(rows) as TaskRow[] | undefined) ?? []);
    });
  },
};
