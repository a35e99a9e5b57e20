// The Backend implemented on the generated Wails bindings (frontend/wailsjs).
import * as AppService from '../../wailsjs/go/app/AppService';
import * as CredentialsService from '../../wailsjs/go/app/CredentialsService';
import * as SettingsService from '../../wailsjs/go/app/SettingsService';
import { app, credentials, invalid, settings as models } from '../../wailsjs/go/models';
import { asCredentialKind, asTheme, type Backend, type CredentialProfile, type Settings, type TestResult } from './backend';
import { wailsTasksBackend } from './wailsTasks';

function toTestResult(r: credentials.TestResult): TestResult {
  return {
    ok: r.ok,
    code: r.code,
    message: r.message,
    detail: r.detail,
    account: r.account,
    arn: r.arn,
    buckets: r.buckets,
    at: String(r.at),
    durationMs: r.durationMs,
  };
}

function toProfile(p: credentials.Profile): CredentialProfile {
  return {
    id: p.id,
    name: p.name,
    kind: asCredentialKind(p.kind),
    sharedProfile: p.sharedProfile,
    partition: p.partition,
    roleArn: p.roleArn,
    externalId: p.externalId,
    region: p.region,
    accessKeyId: p.accessKeyId,
    provider: p.provider,
    endpoint: p.endpoint,
    pathStyle: p.pathStyle,
    testBucket: p.testBucket,
    host: p.host,
    username: p.username,
    insecureHttp: p.insecureHttp,
    caFile: p.caFile,
    secretSet: p.secretSet,
    lastTest: p.lastTest ? toTestResult(p.lastTest) : undefined,
    createdAt: String(p.createdAt),
    updatedAt: String(p.updatedAt),
  };
}

function toSettings(s: models.Settings): Settings {
  return { theme: asTheme(s.theme), concurrency: s.concurrency, dataDir: s.dataDir };
}

export const wailsBackend: Backend = {
  ...wailsTasksBackend,
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
    // Go encodes an empty slice as null.
    const fieldErrors = (res.fieldErrors as invalid.FieldError[] | null) ?? [];
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
    const fieldErrors = (res.fieldErrors as invalid.FieldError[] | null) ?? [];
    if (fieldErrors.length > 0) return { ok: false, fieldErrors };
    return { ok: true, profile: toProfile(res.profile) };
  },
  deleteCredentials: (id) => CredentialsService.Delete(id),
  async testCredentials(id) {
    return toTestResult(await CredentialsService.Test(id));
  },
  async credentialFormOptions() {
    const o = await CredentialsService.FormOptions();
    return {
      partitions: o.partitions,
      regions: o.regions,
      providers: o.providers,
      sharedProfiles: o.sharedProfiles,
    };
  },
};
