// The operations the page follows: those under way when it opened and those started
// from it, kept current by the "deployments:operation" event.
import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import type { Operation } from './api';

/**
 * Whether a snapshot of an operation is at least as recent as the one shown: the events
 * may arrive out of order (the bridge delivers each on its own), and an ended operation
 * never goes back to running.
 */
export function newer(op: Operation, shown: Operation): boolean {
  if (shown.done) return op.done;
  if (op.done) return true;
  return (op.progress?.elapsed ?? -1) >= (shown.progress?.elapsed ?? -1);
}

/** ops newest first; add shows one started here; dismiss hides an ended one. onEnded fires once per operation that ends. */
export function useOperations(onEnded: (op: Operation) => void) {
  const backend = useBackend();
  const [ops, setOps] = useState<Operation[]>([]);

  const put = useCallback((op: Operation) => {
    setOps((list) => {
      const i = list.findIndex((o) => o.id === op.id);
      if (i < 0) return [op, ...list];
      if (!newer(op, list[i] as Operation)) return list;
      const next = [...list];
      next[i] = op;
      return next;
    });
  }, []);

  useEffect(() => {
    let live = true;
    backend.deploymentOperations().then(
      (list) => {
        if (live) for (const op of list.filter((o) => !o.done).reverse()) put(op);
      },
      () => undefined,
    );
    const off = backend.onDeploymentOperation((op) => {
      put(op);
      if (op.done) onEnded(op);
    });
    return () => {
      live = false;
      off();
    };
  }, [backend, put, onEnded]);

  const dismiss = useCallback((id: string) => { setOps((list) => list.filter((o) => o.id !== id)); }, []);
  return { ops, add: put, dismiss };
}

/**
 * Starts an operation from a modal: busy while the call goes, then onStarted; an error
 * is shown in the modal (setError) and it stays open.
 */
export function useStartOperation(onStarted: (op: Operation) => void, setError: (message: string) => void) {
  const [busy, setBusy] = useState(false);
  const start = useCallback(
    async (call: () => Promise<Operation>) => {
      setBusy(true);
      try {
        onStarted(await call());
      } catch (e) {
        setError(errorMessage(e));
        setBusy(false);
      }
    },
    [onStarted, setError],
  );
  return { busy, start };
}
