import { useEffect, useState } from 'react';

/**
 * Counts up to `last`, one step in the frame after each paint: a page mounts in slices,
 * the part most wanted first, so that no single commit blocks a frame for long.
 */
export function useStages(last: number): number {
  const [stage, setStage] = useState(0);
  useEffect(() => {
    if (stage >= last) return undefined;
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => {
        setStage((s) => s + 1);
      }, 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [stage, last]);
  return stage;
}
