import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { TasksBackend } from '../../api/tasks';
import { errorsOf, toDefinition, type Draft, type Errors } from './draft';

/** How long typing may pause before the Go side checks the form again. */
const pauseMs = 250;

/** What Go checks, as its field paths name it: the name, and the definition's fields. */
function requestOf(d: Draft): Record<string, unknown> {
  return { name: d.name, ...toDefinition(d) };
}

function valueAt(request: Record<string, unknown>, path: string): string | undefined {
  let v: unknown = request;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return JSON.stringify(v);
}

/** Go's answer for one request. */
interface Answer {
  request: Record<string, unknown>;
  errors: Errors;
}

/**
 * The Go side's field errors for the wizard's draft (TasksService.Validate, the rules
 * the task is created with): checked again once typing pauses, and at once with check()
 * when a step's Next needs the answer. Only the newest answer counts, and a field edited
 * since loses its message until the next answer: a message never stands for a value that
 * is no longer there.
 */
export function useTaskValidation(backend: Pick<TasksBackend, 'validateTask'>, draft: Draft, ready: boolean) {
  const [answer, setAnswer] = useState<Answer>({ request: {}, errors: {} });
  const asked = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  /** Records Go's field errors for d (from a check, or from a create that was refused). */
  const answered = useCallback((d: Draft, errors: Errors) => {
    setAnswer({ request: requestOf(d), errors });
  }, []);

  const check = useCallback(
    async (d: Draft): Promise<Errors> => {
      clearTimeout(timer.current);
      const n = ++asked.current;
      const errs = errorsOf(d, await backend.validateTask(d.name, toDefinition(d)));
      if (n === asked.current) answered(d, errs);
      return errs;
    },
    [backend, answered],
  );

  useEffect(() => {
    if (!ready) return;
    timer.current = setTimeout(() => {
      // A failed check shows when Next asks again.
      check(draft).catch(() => undefined);
    }, pauseMs);
    return () => {
      clearTimeout(timer.current);
    };
  }, [draft, ready, check]);

  const errors = useMemo(() => {
    const now = requestOf(draft);
    return Object.fromEntries(Object.entries(answer.errors).filter(([field]) => valueAt(answer.request, field) === valueAt(now, field)));
  }, [answer, draft]);

  return { errors, answered, check };
}
