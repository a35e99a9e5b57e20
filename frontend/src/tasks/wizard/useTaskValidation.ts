import { useCallback, useEffect, useRef, useState } from 'react';
import type { TasksBackend } from '../../api/tasks';
import { errorsOf, toDefinition, type Draft, type Errors } from './draft';

/** How long typing may pause before the Go side checks the form again. */
const pauseMs = 250;

/**
 * The Go side's field errors for the wizard's draft (TasksService.Validate, the rules
 * the task is created with): checked again once typing pauses, and at once with check()
 * when a step's Next needs the answer. Only the newest answer counts.
 */
export function useTaskValidation(backend: Pick<TasksBackend, 'validateTask'>, draft: Draft, ready: boolean) {
  const [errors, setErrors] = useState<Errors>({});
  const asked = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const check = useCallback(
    async (d: Draft): Promise<Errors> => {
      clearTimeout(timer.current);
      const n = ++asked.current;
      const errs = errorsOf(d, await backend.validateTask(d.name, toDefinition(d)));
      if (n === asked.current) setErrors(errs);
      return errs;
    },
    [backend],
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

  return { errors, setErrors, check };
}
