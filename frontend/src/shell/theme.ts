import { useEffect } from 'react';
import { applyMode, Mode } from '@cloudscape-design/global-styles';
import type { Theme } from '../api/backend';

export function resolveMode(theme: Theme, prefersDark: boolean): Mode {
  switch (theme) {
    case 'dark':
      return Mode.Dark;
    case 'light':
      return Mode.Light;
    case 'system':
      return prefersDark ? Mode.Dark : Mode.Light;
  }
}

/** Applies the theme to the document and, for "system", follows the OS while it changes. */
export function useTheme(theme: Theme): void {
  useEffect(() => {
    // matchMedia is missing in some embedded webviews and in jsdom.
    const mq = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    const apply = () => {
      const mode = resolveMode(theme, mq?.matches ?? false);
      applyMode(mode);
      // Native parts (scrollbars, form controls) follow the same scheme.
      document.documentElement.style.colorScheme = mode;
    };
    apply();
    if (theme !== 'system' || !mq) return undefined;
    mq.addEventListener('change', apply);
    return () => {
      mq.removeEventListener('change', apply);
    };
  }, [theme]);
}
