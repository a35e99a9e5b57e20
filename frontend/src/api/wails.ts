// The Backend implemented on the generated Wails bindings (frontend/wailsjs).
import * as AppService from '../../wailsjs/go/app/AppService';
import * as SettingsService from '../../wailsjs/go/app/SettingsService';
import { settings as models } from '../../wailsjs/go/models';
import { asTheme, type Backend, type Settings } from './backend';

function toSettings(s: models.Settings): Settings {
  return { theme: asTheme(s.theme), concurrency: s.concurrency, dataDir: s.dataDir };
}

export const wailsBackend: Backend = {
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
    const fieldErrors = (res.fieldErrors as models.FieldError[] | null) ?? [];
    if (fieldErrors.length > 0) return { ok: false, fieldErrors };
    return { ok: true, settings: toSettings(res.settings) };
  },
  chooseDataDir: (current) => SettingsService.ChooseDataDir(current),
};
