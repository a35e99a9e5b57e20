// The calls the UI makes into the Go side, as plain types. Components talk to this
// interface (from BackendContext), never to the generated Wails bindings directly, so
// unit tests can hand them an in-memory fake.

export type Theme = 'light' | 'dark' | 'system';

export const themes: readonly Theme[] = ['light', 'dark', 'system'];

export interface AppInfo {
  name: string;
  version: string;
  os: string;
  arch: string;
  platform: string;
  goVersion: string;
  wailsVersion: string;
}

export interface Settings {
  theme: Theme;
  concurrency: number;
  dataDir: string;
}

export interface SettingsView {
  settings: Settings;
  defaults: Settings;
  file: string;
  minConcurrency: number;
  maxConcurrency: number;
  /** Why the settings file could not be used as it was; empty when all is well. */
  problem: string;
}

export interface FieldError {
  field: string;
  message: string;
}

/** Either the stored settings, or the fields to fix (nothing was written). */
export type SaveResult =
  | { ok: true; settings: Settings }
  | { ok: false; fieldErrors: FieldError[] };

export interface Backend {
  appInfo(): Promise<AppInfo>;
  getSettings(): Promise<SettingsView>;
  saveSettings(settings: Settings): Promise<SaveResult>;
  /** Opens a native folder chooser; resolves to '' when the user cancels. */
  chooseDataDir(current: string): Promise<string>;
}

export function asTheme(value: string): Theme {
  return (themes as readonly string[]).includes(value) ? (value as Theme) : 'system';
}

/** Wails rejects a promise with the Go error's text (a string), other failures with an Error. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}
