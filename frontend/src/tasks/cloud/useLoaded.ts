// An answer loaded for a key, without setting state inside an effect's body.
import { useEffect, useState } from 'react';
import { whenSettled } from '../../api/backend';

export type Loaded<T> = { state: 'idle' } | { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; message: string };

/**
 * What load answers for key (null: nothing to load): loading until the answer for this
 * key arrives; an answer for an older key never shows.
 */
export function useLoaded<T>(key: string | null, load: (key: string) => Promise<T>): Loaded<T> {
  const [answer, setAnswer] = useState<{ key: string; loaded: Loaded<T> } | null>(null);
  useEffect(() => {
    if (key === null) return;
    return whenSettled(
      load(key),
      (value) => {
        setAnswer({ key, loaded: { state: 'done', value } });
      },
      (message) => {
        setAnswer({ key, loaded: { state: 'error', message } });
      },
    );
    // load is read with its key: the key says what it loads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  if (key === null) return { state: 'idle' };
  return answer?.key === key ? answer.loaded : { state: 'loading' };
}

