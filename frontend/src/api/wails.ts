// The Backend implemented on the generated Wails bindings (frontend/wailsjs).
import * as AppService from '../../wailsjs/go/app/AppService';
import * as CredentialsService from '../../wailsjs/go/app/CredentialsService';
import * as SettingsService from '../../wailsjs/go/app/SettingsService';
import { app, settings as models, type credentials } from '../../wailsjs/go/models';
import { asCredentialKind, asTheme, type Backend, type CredentialProfile, type Settings, type TestResult } from './backend';
import { fieldErrorsOf, plain } from './models';
import { wailsDeploymentsBackend } from '../deployments/wailsDeployments';
import { wailsCloudBackend } from './wailsCloud';
import { wailsTasksBackend } from './wailsTasks';

function toProfile(p: credentials.Profile): CredentialProfile {
  return { ...(plain(p) as CredentialProfile), kind: asCredentialKind(p.kind) };
}

function toSettings(s: models.Settings): Settings {
  return { theme: asTheme(s.theme), concurrency: s.concurrency, dataDir: s.dataDir };
}

export const wailsBackend: Backend = {
  ...wailsTasksBackend,
  ...wailsDeploymentsBackend,
  ...wailsCloudBackend,
  appInfo: () => AppService.Info(),
  async getSettings() {
    const v = await SettingsService.Get();
    return {
      settings: toSettings(v.settings),
      defaults: toSettings(v.defaults),
      file: v.file,
      minConcurrency: v.minConcurrency,
      maxConcurrency: v.maxConcurrency,
      problem: v.problem,
    };
  },
  async saveSettings(s) {
    const res = await SettingsService.Save(models.Settings.createFrom(s));
    const fieldErrors = fieldErrorsOf(res.fieldErrors);
    if (fieldErrors.length > 0) return { ok: false, fieldErrors };
    return { ok: true, settings: toSettings(res.settings) };
  },
  chooseDataDir: (current) => SettingsService.ChooseDataDir(current),

  async listCredentials() {
    const v = await CredentialsService.List();
    return { profiles: (v.profiles as credentials.Profile[] | null)?.map(toProfile) ?? [], file: v.file, problem: v.problem };
  },
  async saveCredentials(fields, secret) {
    const res = await CredentialsService.Save(
      app.CredentialsInput.createFrom({ profile: fields, secret: secret ?? {}, replaceSecret: secret !== null }),
    );
    const fieldErrors = fieldErrorsOf(res.fieldErrors);
    if (fieldErrors.length > 0) return { ok: false, fieldErrors };
    return { ok: true, profile: toProfile(res.profile) };
  },
  deleteCredentials: (id) => CredentialsService.Delete(id),
  async testCredentials(id) {
    return plain(await CredentialsService.Test(id)) as TestResult;
  },
  credentialFormOptions: () => CredentialsService.FormOptions(),
};
