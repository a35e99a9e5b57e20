import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { TasksBackend } from '../../api/tasks';
import { errorsOf, toDefinition, type Draft, type Errors, type Offered } from './draft';

/** How long typing may pause before the Go side checks the form again. */
const pauseMs = 250;

/** What Go checks, as its field paths name it: the name, and the definition's fields. */
function requestOf(d: Draft, offered: Offered): Record<string, unknown> {
  return { name: d.name, ...toDefinition(d, offered) };
}

function valueAt(request: Record<string, unknown>, path: string): string | undefined {
  let v: unknown = request;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return JSON.stringify(v);
}

/** Go's answer for one request. */
interface Answer {
  request: Record<string, unknown>;
  offered: Offered;
  errors: Errors;
}

/**
 * The Go side's field errors for the wizard's draft (TasksService.Validate, the rules
 * the task is created with): checked again once typing pauses, and at once with check()
 * when a step's Next needs the answer. Only the newest answer counts, and a field edited
 * since loses its message until the next answer: a message never stands for a value that
 * is no longer there. Nothing is checked until the form's options (offered) are loaded.
 */
export function useTaskValidation(backend: Pick<TasksBackend, 'validateTask'>, draft: Draft, offered: Offered | null) {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const asked = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  /** Records Go's field errors for d (from a check, or from a create that was refused). */
  const answered = useCallback((d: Draft, o: Offered, errors: Errors) => {
    setAnswer({ request: requestOf(d, o), offered: o, errors });
  }, []);

  const check = useCallback(
    async (d: Draft, o: Offered): Promise<Errors> => {
      clearTimeout(timer.current);
      const n = ++asked.current;
      const errs = errorsOf(d, o, await backend.validateTask(d.name, toDefinition(d, o)));
      if (n === asked.current) answered(d, o, errs);
      return errs;
    },
    [backend, answered],
  );

  useEffect(() => {
    if (!offered) return;
    timer.current = setTimeout(() => {
      // A failed check shows when Next asks again.
      check(draft, offered).catch(() => undefined);
    }, pauseMs);
    return () => {
      clearTimeout(timer.current);
    };
  }, [draft, offered, check]);

  const errors = useMemo(() => {
    if (!answer) return {};
    const now = requestOf(draft, answer.offered);
    return Object.fromEntries(Object.entries(answer.errors).filter(([field]) => valueAt(answer.request, field) === valueAt(now, field)));
  }, [answer, draft]);

  return { errors, answered, check };
}
