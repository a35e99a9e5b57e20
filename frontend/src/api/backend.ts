// The calls the UI makes into the Go side, as plain types. Components talk to this
// interface (from BackendContext), never to the generated Wails bindings directly, so
// unit tests can hand them an in-memory fake.

import type { TasksBackend } from './tasks';

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

// --- Credentials (backend/credentials via app.CredentialsService) ---------------------

export type CredentialKind = 'aws' | 's3compat' | 'registry';

export const credentialKinds: readonly CredentialKind[] = ['aws', 's3compat', 'registry'];

/** The outcome of Test connection, worded for the user; never holds a secret. */
export interface TestResult {
  ok: boolean;
  /** 'ok' or a problem code such as 'wrong-secret', 'unreachable', 'tls-unknown-authority'. */
  code: string;
  message: string;
  /** The raw error, for the curious and for support. */
  detail?: string;
  account?: string;
  arn?: string;
  /** Buckets the keys can list; -1 when not applicable. */
  buckets: number;
  /** RFC 3339 time of the test. */
  at: string;
  durationMs: number;
}

/** The non-secret settings of a credentials profile, as the form edits them. */
export interface CredentialFields {
  /** '' for a new profile. */
  id: string;
  name: string;
  kind: CredentialKind;
  sharedProfile?: string;
  partition?: string;
  roleArn?: string;
  externalId?: string;
  region?: string;
  accessKeyId?: string;
  provider?: string;
  endpoint?: string;
  pathStyle?: boolean;
  testBucket?: string;
  host?: string;
  username?: string;
  insecureHttp?: boolean;
  caFile?: string;
}

/** A stored profile: the UI never receives a secret, only whether it is set. */
export interface CredentialProfile extends CredentialFields {
  secretSet: boolean;
  lastTest?: TestResult;
  createdAt: string;
  updatedAt: string;
}

/** What goes to the keychain; sent on save, never received. */
export interface CredentialSecret {
  secretAccessKey?: string;
  sessionToken?: string;
  password?: string;
}

export interface CredentialsView {
  profiles: CredentialProfile[];
  file: string;
  /** Why the keychain could not be read (secrets then show as not set); empty when all is well. */
  problem: string;
}

export type CredentialSaveResult =
  | { ok: true; profile: CredentialProfile }
  | { ok: false; fieldErrors: FieldError[] };

export interface ProviderOption {
  name: string;
  label: string;
  needsEndpoint: boolean;
  defaultRegion: string;
  endpointExample: string;
  pathStyle: boolean;
}

export interface CredentialFormOptions {
  partitions: string[];
  /** Known regions per partition. */
  regions: Record<string, string[]>;
  providers: ProviderOption[];
  /** AWS CLI profiles found on this computer. */
  sharedProfiles: string[];
}

export interface Backend extends TasksBackend {
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

/** Wails rejects a promise with the Go error's text (a string), other failures with an Error. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return String(err);
}
