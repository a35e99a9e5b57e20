import { startTransition, useEffect, useState } from 'react';

/**
 * Counts up to `last`, one step after each commit: a page mounts in slices, the part most
 * wanted first, so that no single commit (and no task of the browser's) blocks for long.
 *
 * Each step is a transition (it renders time-sliced) started in a task of its own. With
 * `afterPaint` the step also waits for the next frame, so that what is already there is
 * painted first (slices after the content the user came for); without it the steps follow
 * each other as fast as they render (slices of that content itself).
 */
export function useStages(last: number, afterPaint = true): number {
  const [stage, setStage] = useState(0);
  useEffect(() => {
    if (stage >= last) return undefined;
    let timer = 0;
    const next = () => {
      timer = window.setTimeout(() => {
        startTransition(() => {
          setStage((s) => s + 1);
        });
      }, 0);
    };
    const frame = afterPaint ? requestAnimationFrame(next) : 0;
    if (!afterPaint) next();
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [stage, last, afterPaint]);
  return stage;
}
