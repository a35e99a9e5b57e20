import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { whenSettled, type AppInfo, type Settings, type SettingsView } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import { useTheme } from './theme';

export interface AppState {
  info: AppInfo | null;
  infoError: string | null;
  settings: SettingsView | null;
  settingsError: string | null;
  /** Called by the Settings page after a successful save. */
  settingsSaved: (settings: Settings) => void;
}

const AppStateContext = createContext<AppState | null>(null);

/** Loads what every page needs once (app info, settings) and applies the theme. */
export function AppStateProvider({ children }: { children: ReactNode }) {
  const backend = useBackend();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);

  useEffect(() => {
    const cancels = [whenSettled(backend.appInfo(), setInfo, setInfoError), whenSettled(backend.getSettings(), setSettings, setSettingsError)];
    return () => {
      for (const cancel of cancels) cancel();
    };
  }, [backend]);

  useTheme(settings?.settings.theme ?? 'system');

  const settingsSaved = useCallback((s: Settings) => {
    setSettings((v) => (v ? { ...v, settings: s, problem: '' } : v));
  }, []);

  const value = useMemo(
    () => ({ info, infoError, settings, settingsError, settingsSaved }),
    [info, infoError, settings, settingsError, settingsSaved],
  );
  return <AppStateContext.Provider value={value}>{children}</AppStateContext.Provider>;
}

export function useAppState(): AppState {
  const s = useContext(AppStateContext);
  if (!s) throw new Error('useAppState must be used inside <AppStateProvider>');
  return s;
}
