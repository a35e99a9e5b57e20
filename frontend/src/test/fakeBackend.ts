import { vi } from 'vitest';
import type { AppInfo, Backend, FieldError, SaveResult, Settings, SettingsView } from '../api/backend';
import { fakeDeployments, type FakeDeploymentsOptions } from './fakeDeployments';
import { fakeCloud, type FakeCloudOptions } from './fakeCloud';
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
    cloud?: FakeCloudOptions;
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
  const cloud = fakeCloud(opts.cloud);
  // A cloud task is created like a local one (in the same list), engine cloud, DEPLOYING.
  cloud.api.createCloudTask.mockImplementation(async (name, definition, start, deployControlPlane) => {
    if (opts.cloud?.fieldErrors) return { ok: false, fieldErrors: opts.cloud.fieldErrors };
    const res = await tasks.api.createTask(name, definition, start);
    if (!res.ok) return res;
    cloud.created.push({ name, definition, start, deployControlPlane });
    const task = { ...res.task, engine: 'cloud' as const, status: 'DEPLOYING' as const };
    tasks.pushList(tasks.rows().map((r) => (r.task.id === task.id ? { ...r, task } : r)));
    return { ok: true, task };
  });
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
    ...cloud.api,
  } satisfies Backend;
  return { backend, stored: () => stored, creds, tasks, deps, cloud };
}
