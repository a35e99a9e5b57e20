// Live task data for the pages: an initial load, then pushed updates while the page is
// visible (the backend pushes only what a visible page watches, a few times a second).
import { startTransition, useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { TaskRow, TaskUpdate, ThroughputPoint } from '../api/tasks';

/** How often a visible page renews its watch (the backend drops it after 20 s). */
export const watchRenewMs = 5000;

/** Most chart points kept in the page (the backend keeps at most 720 per run). */
const maxPoints = 1500;

function subscribeVisibility(cb: () => void) {
  document.addEventListener('visibilitychange', cb);
  return () => {
    document.removeEventListener('visibilitychange', cb);
  };
}

/** True while the document is visible (the window is not minimised or hidden). */
export function usePageVisible(): boolean {
  return useSyncExternalStore(
    subscribeVisibility,
    () => document.visibilityState !== 'hidden',
    () => true,
  );
}

/** Keeps a watch alive while visible: watch now and every watchRenewMs, unwatch when hidden or gone. */
function useWatch(active: boolean, watch: () => Promise<void>, unwatch: () => Promise<void>) {
  useEffect(() => {
    if (!active) return undefined;
    const renew = () => {
      watch().catch(() => undefined);
    };
    renew();
    const timer = window.setInterval(renew, watchRenewMs);
    return () => {
      window.clearInterval(timer);
      unwatch().catch(() => undefined);
    };
  }, [active, watch, unwatch]);
}

export interface TaskListState {
  rows: TaskRow[] | null;
  error: string | null;
  reload: () => void;
}

/** All tasks with live progress. */
export function useTaskList(): TaskListState {
  const backend = useBackend();
  const visible = usePageVisible();
  const [rows, setRows] = useState<TaskRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    backend.listTasks().then(
      (r) => {
        if (live) {
          setRows(r);
          setError(null);
        }
      },
      (e: unknown) => {
        if (live) setError(errorMessage(e));
      },
    );
    const off = backend.onTaskList((r) => {
      if (live) {
        // Pushed updates render as transitions, in slices: they never block a frame for long.
        startTransition(() => {
          setRows(r);
        });
      }
    });
    return () => {
      live = false;
      off();
    };
  }, [backend, generation]);

  const watch = useCallback(() => backend.watchTaskList(), [backend]);
  const unwatch = useCallback(() => backend.unwatchTaskList(), [backend]);
  useWatch(visible, watch, unwatch);

  const reload = useCallback(() => {
    setGeneration((g) => g + 1);
  }, []);
  return { rows, error, reload };
}

export interface TaskState {
  update: TaskUpdate | null;
  points: ThroughputPoint[];
  error: string | null;
  reload: () => void;
}

/** One task with live progress and its throughput chart. */
export function useTask(id: string): TaskState {
  const backend = useBackend();
  const visible = usePageVisible();
  const [update, setUpdate] = useState<TaskUpdate | null>(null);
  const [points, setPoints] = useState<ThroughputPoint[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    let run = '';
    backend.taskDetail(id).then(
      (u) => {
        if (!live) return;
        run = u.task.runId;
        startTransition(() => {
          setUpdate(u);
          setPoints(u.points);
          setError(null);
        });
      },
      (e: unknown) => {
        if (live) setError(errorMessage(e));
      },
    );
    const off = backend.onTaskUpdate((u) => {
      if (!live || u.task.id !== id) return;
      if (u.deleted) {
        setError('This task was deleted.');
        return;
      }
      const newRun = u.task.runId !== run;
      run = u.task.runId;
      startTransition(() => {
        setUpdate(u);
        setPoints((prev) => {
          const base = newRun ? [] : prev;
          if (u.points.length === 0) return base;
          const last = base.length > 0 ? (base[base.length - 1]?.t ?? 0) : 0;
          const merged = base.concat(u.points.filter((p) => p.t > last));
          return merged.length > maxPoints ? merged.slice(merged.length - maxPoints) : merged;
        });
      });
    });
    return () => {
      live = false;
      off();
    };
  }, [backend, id, generation]);

  const watch = useCallback(() => backend.watchTask(id), [backend, id]);
  const unwatch = useCallback(() => backend.unwatchTask(id), [backend, id]);
  useWatch(visible, watch, unwatch);

  const reload = useCallback(() => {
    setGeneration((g) => g + 1);
  }, []);
  return { update, points, error, reload };
}
