// The operations the page follows: those under way when it opened and those started
// from it, kept current by the "deployments:operation" event.
import { useCallback, useEffect, useState } from 'react';
import { useBackend } from '../api/BackendContext';
import type { Operation } from './api';

/** ops newest first; add shows one started here; dismiss hides an ended one. onEnded fires once per operation that ends. */
export function useOperations(onEnded: (op: Operation) => void) {
  const backend = useBackend();
  const [ops, setOps] = useState<Operation[]>([]);

  const put = useCallback((op: Operation) => {
    setOps((list) => {
      const i = list.findIndex((o) => o.id === op.id);
      if (i < 0) return [op, ...list];
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
