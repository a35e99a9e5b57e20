import { vi } from 'vitest';
import type { AppInfo, Backend, FieldError, SaveResult, Settings, SettingsView } from '../api/backend';
import { fakeDeployments, type FakeDeploymentsOptions } from './fakeDeployments';
import { fakeCredentials, type FakeCredentialsOptions } from './fakeCredentials';
import { fakeTasks, type FakeTasksOptions } from './fakeTasks';

export const testInfo: AppInfo = {
  name: 'Transfer Hub',
  version: '1.2.3-test',
  os: 'linux',
  arch: 'amd64',
  platform: 'linux/amd64',
  goVersion: 'go1.26.8',
  wailsVersion: 'v2.9.2',
};

export const defaultSettings: Settings = { theme: 'light', concurrency: 16, dataDir: '/home/u/.local/share/transfer-hub' };

/** An in-memory Backend: saveSettings validates like the Go side's bounds and keeps the value. */
export function fakeBackend(
  opts: {
    settings?: Settings;
    problem?: string;
    fieldErrors?: FieldError[];
    credentials?: FakeCredentialsOptions;
    tasks?: FakeTasksOptions;
    deployments?: FakeDeploymentsOptions;
  } = {},
) {
  let stored: Settings = opts.settings ?? defaultSettings;
  const view = (): SettingsView => ({
    settings: stored,
    defaults: defaultSettings,
    file: '/home/u/.config/transfer-hub/settings.json',
    minConcurrency: 1,
    maxConcurrency: 256,
    problem: opts.problem ?? '',
  });
  const creds = fakeCredentials(opts.credentials);
  const tasks = fakeTasks(opts.tasks);
  const deps = fakeDeployments(opts.deployments);
  const backend = {
    appInfo: vi.fn(() => Promise.resolve(testInfo)),
    getSettings: vi.fn(() => Promise.resolve(view())),
    saveSettings: vi.fn((s: Settings): Promise<SaveResult> => {
      if (opts.fieldErrors) return Promise.resolve({ ok: false, fieldErrors: opts.fieldErrors });
      stored = s;
      return Promise.resolve({ ok: true, settings: s });
    }),
    chooseDataDir: vi.fn((_current: string): Promise<string> => Promise.resolve('/picked/folder')),
    ...creds.api,
    ...tasks.api,
    ...deps.api,
  } satisfies Backend;
  return { backend, stored: () => stored, creds, tasks, deps };
}
