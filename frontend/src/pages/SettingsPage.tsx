import { useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import RadioGroup from '@cloudscape-design/components/radio-group';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { asTheme, errorMessage, type Settings, type SettingsView } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import { useAppState } from '../shell/AppState';

type Field = keyof Settings;

interface Draft {
  theme: Settings['theme'];
  concurrency: string; // as typed, validated on save
  dataDir: string;
}

function draftOf(s: Settings): Draft {
  return { theme: s.theme, concurrency: String(s.concurrency), dataDir: s.dataDir };
}

/** Parses the concurrency as typed; undefined when it is not a whole number in range. */
export function parseConcurrency(text: string, min: number, max: number): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
}

export function SettingsPage() {
  const { settings, settingsError } = useAppState();
  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Preferences for this computer. They apply to new tasks; running tasks keep theirs.">
          Settings
        </Header>
      }
    >
      <SpaceBetween size="l">
        {settings ? (
          <SettingsForm view={settings} />
        ) : settingsError ? (
          <Alert type="error" header="Settings could not be loaded">
            {settingsError}
          </Alert>
        ) : (
          <Container>
            <StatusIndicator type="loading">Loading settings</StatusIndicator>
          </Container>
        )}
        <About />
      </SpaceBetween>
    </ContentLayout>
  );
}

function SettingsForm({ view }: { view: SettingsView }) {
  const backend = useBackend();
  const { settingsSaved } = useAppState();
  const [draft, setDraft] = useState<Draft>(() => draftOf(view.settings));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const saved0 = draftOf(view.settings);
  const dirty = draft.theme !== saved0.theme || draft.concurrency !== saved0.concurrency || draft.dataDir !== saved0.dataDir;

  const edit = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setSaved(false);
    // An edited field's old error no longer applies.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !(k in patch))));
  };

  const save = async () => {
    setSaveError(null);
    setSaved(false);
    const concurrency = parseConcurrency(draft.concurrency, view.minConcurrency, view.maxConcurrency);
    if (concurrency === undefined) {
      setErrors({ concurrency: `Enter a whole number from ${view.minConcurrency} to ${view.maxConcurrency}.` });
      return;
    }
    setSaving(true);
    try {
      const res = await backend.saveSettings({ theme: draft.theme, concurrency, dataDir: draft.dataDir });
      if (!res.ok) {
        const next: Partial<Record<Field, string>> = {};
        for (const fe of res.fieldErrors) next[fe.field as Field] = fe.message;
        setErrors(next);
        return;
      }
      setErrors({});
      setDraft(draftOf(res.settings));
      setSaved(true);
      settingsSaved(res.settings);
    } catch (e) {
      setSaveError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };

  const browse = async () => {
    try {
      const dir = await backend.chooseDataDir(draft.dataDir);
      if (dir) edit({ dataDir: dir });
    } catch (e) {
      setSaveError(errorMessage(e));
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Form
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button
              formAction="none"
              variant="link"
              disabled={!dirty || saving}
              onClick={() => {
                setDraft(draftOf(view.settings));
                setErrors({});
                setSaveError(null);
              }}
            >
              Discard changes
            </Button>
            <Button variant="primary" loading={saving} disabled={!dirty}>
              Save
            </Button>
          </SpaceBetween>
        }
        errorText={saveError}
      >
        <SpaceBetween size="l">
          {view.problem && !saved && (
            <Alert type="warning" header="Your settings file needed repair">
              {view.problem}. The values shown are used instead; saving replaces the file.
            </Alert>
          )}
          {saved && (
            <Alert type="success" dismissible onDismiss={() => { setSaved(false); }}>
              Settings saved to {view.file}.
            </Alert>
          )}
          <Container header={<Header variant="h2">Appearance</Header>}>
            <FormField label="Theme" errorText={errors.theme}>
              <RadioGroup
                value={draft.theme}
                onChange={(e) => {
                  edit({ theme: asTheme(e.detail.value) });
                }}
                items={[
                  { value: 'light', label: 'Light' },
                  { value: 'dark', label: 'Dark' },
                  { value: 'system', label: 'Same as the system', description: "Follows your operating system's light or dark mode." },
                ]}
              />
            </FormField>
          </Container>
          <Container header={<Header variant="h2">Transfers</Header>}>
            <SpaceBetween size="l">
              <FormField
                label="Default concurrency"
                description="How many objects or image blobs a new task copies at the same time. Each task can change it."
                constraintText={`From ${view.minConcurrency} to ${view.maxConcurrency}. Default ${view.defaults.concurrency}.`}
                errorText={errors.concurrency}
              >
                <Input
                  type="number"
                  inputMode="numeric"
                  value={draft.concurrency}
                  onChange={(e) => {
                    edit({ concurrency: e.detail.value });
                  }}
                />
              </FormField>
              <FormField
                label="Data location"
                description="The folder where tasks that run on this computer keep their state. Existing tasks stay where they are."
                constraintText={`A full path. Default ${view.defaults.dataDir}.`}
                errorText={errors.dataDir}
                secondaryControl={
                  <Button formAction="none" onClick={() => void browse()}>
                    Choose folder
                  </Button>
                }
              >
                <Input
                  value={draft.dataDir}
                  onChange={(e) => {
                    edit({ dataDir: e.detail.value });
                  }}
                />
              </FormField>
            </SpaceBetween>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}

function About() {
  const { info, infoError, settings } = useAppState();
  return (
    <Container header={<Header variant="h2">About</Header>}>
      {infoError ? (
        <StatusIndicator type="error">{infoError}</StatusIndicator>
      ) : !info ? (
        <StatusIndicator type="loading">Loading</StatusIndicator>
      ) : (
        <KeyValuePairs
          columns={2}
          items={[
            { label: 'Version', value: info.version },
            { label: 'Platform', value: info.platform },
            { label: 'Go', value: info.goVersion },
            { label: 'Wails', value: info.wailsVersion },
            { label: 'Settings file', value: settings ? <Box variant="code">{settings.file}</Box> : '-' },
          ]}
        />
      )}
    </Container>
  );
}
