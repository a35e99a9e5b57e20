// The calls the UI makes into the Go side, as plain types. Components talk to this
// interface (from BackendContext), never to the generated Wails bindings directly, so
// unit tests can hand them an in-memory fake.

import type { app, credentials, settings } from '../../wailsjs/go/models';
import type { FieldError, Narrowed, Plain } from './models';
import type { DeploymentsBackend } from '../deployments/api';
import type { CloudBackend } from './cloud';
import type { TasksBackend } from './tasks';

export type Theme = 'light' | 'dark' | 'system';

export const themes: readonly Theme[] = ['light', 'dark', 'system'];

export type AppInfo = Plain<app.AppInfo>;

export type Settings = Narrowed<settings.Settings, { theme: Theme }>;

/** problem says why the settings file could not be used as it was; empty when all is well. */
export type SettingsView = Narrowed<app.SettingsView, { settings: Settings; defaults: Settings }>;

export type { FieldError };

/** Either the stored settings, or the fields to fix (nothing was written). */
export type SaveResult =
  | { ok: true; settings: Settings }
  | { ok: false; fieldErrors: FieldError[] };

// --- Credentials (backend/credentials via app.CredentialsService) ---------------------

export type CredentialKind = 'aws' | 's3compat' | 'registry';

export const credentialKinds: readonly CredentialKind[] = ['aws', 's3compat', 'registry'];

/**
 * The outcome of Test connection, worded for the user; never holds a secret. code is 'ok'
 * or a problem code such as 'wrong-secret'; buckets is -1 when not applicable.
 */
export type TestResult = Narrowed<credentials.TestResult, { at: string }>;

/** A stored profile: the UI never receives a secret, only whether it is set. */
export type CredentialProfile = Narrowed<
  credentials.Profile,
  { kind: CredentialKind; lastTest?: TestResult; createdAt: string; updatedAt: string }
>;

/** The non-secret settings of a credentials profile, as the form edits them (id '' for a new one). */
export type CredentialFields = Omit<CredentialProfile, 'secretSet' | 'lastTest' | 'createdAt' | 'updatedAt'>;

/** What goes to the keychain; sent on save, never received. */
export type CredentialSecret = Plain<credentials.Secret>;

/** problem says why the keychain could not be read (secrets then show as not set). */
export type CredentialsView = Narrowed<app.CredentialsView, { profiles: CredentialProfile[] }>;

export type CredentialSaveResult =
  | { ok: true; profile: CredentialProfile }
  | { ok: false; fieldErrors: FieldError[] };

export type ProviderOption = Plain<app.ProviderOption>;

/** regions: the known regions per partition; sharedProfiles: AWS CLI profiles on this computer. */
export type CredentialFormOptions = Plain<app.CredentialsFormOptions>;

export interface Backend extends TasksBackend, DeploymentsBackend, CloudBackend {
  appInfo(): Promise<AppInfo>;
  getSettings(): Promise<SettingsView>;
  saveSettings(settings: Settings): Promise<SaveResult>;
  /** Opens a native folder chooser; resolves to '' when the user cancels. */
  chooseDataDir(current: string): Promise<string>;

  listCredentials(): Promise<CredentialsView>;
  /** secret null keeps the stored secret (an edit that leaves the secret fields empty). */
  saveCredentials(fields: CredentialFields, secret: CredentialSecret | null): Promise<CredentialSaveResult>;
  /** Rejects with a message naming the tasks when the profile is in use. */
  deleteCredentials(id: string): Promise<void>;
  testCredentials(id: string): Promise<TestResult>;
  credentialFormOptions(): Promise<CredentialFormOptions>;
}

export function asTheme(value: string): Theme {
  return (themes as readonly string[]).includes(value) ? (value as Theme) : 'system';
}

export function asCredentialKind(value: string): CredentialKind {
  return (credentialKinds as readonly string[]).includes(value) ? (value as CredentialKind) : 's3compat';
}

/**
 * Hands what promise settles to to onValue, or its error's message to onError, unless
 * the returned cancel was called first (an effect's clean-up: the page is gone).
 */
export function whenSettled<T>(promise: Promise<T>, onValue: (value: T) => void, onError: (message: string) => void): () => void {
  let live = true;
  promise.then(
    (v) => {
      if (live) onValue(v);
    },
    (e: unknown) => {
      if (live) onError(errorMessage(e));
    },
  );
  return () => {
    live = false;
  };
}

/** Wails rejects a promise with the Go error's text (a string), other failures with an Error. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}
