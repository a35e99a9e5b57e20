import { useCallback, useEffect, useState } from 'react';
import { useCollection } from '@cloudscape-design/collection-hooks';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Flashbar, { type FlashbarProps } from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import Modal from '@cloudscape-design/components/modal';
import Popover from '@cloudscape-design/components/popover';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { errorMessage, whenSettled, type CredentialFormOptions, type CredentialProfile, type TestResult } from '../api/backend';
import { useBackend } from '../api/BackendContext';
import { CredentialForm } from '../credentials/CredentialForm';
import { formatTime, kindLabels, targetOf, testTitle } from '../credentials/labels';
import { EmptyState } from './EmptyState';
import { ModalFooter } from '../shell/ModalFooter';

type FormState = { mode: 'closed' } | { mode: 'create' } | { mode: 'edit'; profile: CredentialProfile };

/** The outcome of a test in words: what happened, what to do, and the raw error on demand. */
function TestDetails({ result }: { result: TestResult }) {
  return (
    <SpaceBetween size="xs">
      <Box>{result.message}</Box>
      {result.detail && (
        <ExpandableSection headerText="Details" variant="footer">
          <Box variant="code" fontSize="body-s">
            {result.detail}
          </Box>
        </ExpandableSection>
      )}
      <Box variant="small" color="text-body-secondary">
        Tested {formatTime(result.at)} ({result.durationMs} ms)
      </Box>
    </SpaceBetween>
  );
}

function LastTest({ profile, testing }: { profile: CredentialProfile; testing: boolean }) {
  if (testing) return <StatusIndicator type="loading">Testing</StatusIndicator>;
  const r = profile.lastTest;
  if (!r) return <StatusIndicator type="not-started">Not tested</StatusIndicator>;
  return (
    <Popover
      header={testTitle(r)}
      content={<TestDetails result={r} />}
      size="large"
      triggerType="text"
      dismissAriaLabel="Close"
    >
      <StatusIndicator type={r.ok ? 'success' : 'error'}>{testTitle(r)}</StatusIndicator>
    </Popover>
  );
}

function SecretState({ profile }: { profile: CredentialProfile }) {
  if (profile.kind === 'aws' && profile.sharedProfile) {
    return <StatusIndicator type="info">From the AWS CLI profile</StatusIndicator>;
  }
  return profile.secretSet ? (
    <StatusIndicator type="success">Set</StatusIndicator>
  ) : (
    <StatusIndicator type="warning">Not set</StatusIndicator>
  );
}

function columns(options: CredentialFormOptions | null, testing: ReadonlySet<string>): TableProps.ColumnDefinition<CredentialProfile>[] {
  return [
    { id: 'name', header: 'Name', cell: (p) => p.name, sortingField: 'name', isRowHeader: true },
    { id: 'kind', header: 'Kind', cell: (p) => kindLabels[p.kind], sortingField: 'kind' },
    { id: 'target', header: 'Endpoint or host', cell: (p) => targetOf(p, options) },
    { id: 'region', header: 'Region', cell: (p) => (p.kind === 'registry' ? '-' : p.region || 'Default') },
    { id: 'secret', header: 'Secret', cell: (p) => <SecretState profile={p} /> },
    { id: 'test', header: 'Last test', cell: (p) => <LastTest profile={p} testing={testing.has(p.id)} /> },
  ];
}

export function CredentialsPage() {
  const backend = useBackend();
  const [profiles, setProfiles] = useState<CredentialProfile[]>([]);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [problem, setProblem] = useState('');
  const [options, setOptions] = useState<CredentialFormOptions | null>(null);
  const [optionsError, setOptionsError] = useState<string | null>(null);
  const [form, setForm] = useState<FormState>({ mode: 'closed' });
  const [deleting, setDeleting] = useState<CredentialProfile | null>(null);
  const [testing, setTesting] = useState<ReadonlySet<string>>(new Set());
  const [flash, setFlash] = useState<FlashbarProps.MessageDefinition[]>([]);

  const reload = useCallback(async () => {
    try {
      const v = await backend.listCredentials();
      setProfiles(v.profiles);
      setProblem(v.problem);
      setLoadError(null);
    } catch (e) {
      setLoadError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, [backend]);

  useEffect(() => {
    const cancels = [
      whenSettled(
        backend.listCredentials(),
        (v) => {
          setProfiles(v.profiles);
          setProblem(v.problem);
          setLoading(false);
        },
        (msg) => {
          setLoadError(msg);
          setLoading(false);
        },
      ),
      whenSettled(backend.credentialFormOptions(), setOptions, setOptionsError),
    ];
    return () => {
      for (const cancel of cancels) cancel();
    };
  }, [backend]);

  const notify = (m: Omit<FlashbarProps.MessageDefinition, 'id' | 'dismissible' | 'onDismiss'> & { id: string }) => {
    const item: FlashbarProps.MessageDefinition = {
      ...m,
      dismissible: true,
      dismissLabel: 'Dismiss',
      onDismiss: () => {
        setFlash((f) => f.filter((x) => x.id !== m.id));
      },
    };
    // One message per subject (a new test of a profile replaces the last one, and its
    // "added, test it" note), and only the latest few.
    const subject = m.id.slice(m.id.indexOf('-') + 1);
    setFlash((f) => [item, ...f.filter((x) => x.id !== m.id && !(m.id.startsWith('test-') && x.id === `saved-${subject}`))].slice(0, 3));
  };

  const runTest = async (p: CredentialProfile) => {
    setTesting((s) => new Set(s).add(p.id));
    try {
      const r = await backend.testCredentials(p.id);
      notify({
        id: `test-${p.id}`,
        type: r.ok ? 'success' : 'error',
        header: r.ok ? `${p.name}: connected` : `${p.name}: ${testTitle(r)}`,
        content: <TestDetails result={r} />,
      });
    } catch (e) {
      notify({ id: `test-${p.id}`, type: 'error', header: `${p.name}: the test could not run`, content: errorMessage(e) });
    } finally {
      setTesting((s) => {
        const n = new Set(s);
        n.delete(p.id);
        return n;
      });
      await reload();
    }
  };

  const { items, collectionProps, filterProps, filteredItemsCount, actions } = useCollection(profiles, {
    filtering: {
      empty: (
        <EmptyState
          title="No credentials"
          actions={
            <Button
              onClick={() => {
                setForm({ mode: 'create' });
              }}
              disabled={!options}
            >
              Add credentials
            </Button>
          }
        >
          Add a profile for each place you copy from or to: an AWS account (access keys, an AWS CLI profile or SSO), an
          S3-compatible store such as Alibaba Cloud OSS, Tencent COS or Google Cloud Storage, or a container registry.
          Each profile can be tested before you use it.
        </EmptyState>
      ),
      noMatch: <EmptyState title="No matches">No credentials match the filter. Clear it to see them all.</EmptyState>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
    selection: { trackBy: 'id' },
  });
  const selected = collectionProps.selectedItems?.[0];
  // The selection keeps the object from the last list: use the fresh one.
  const current = selected ? profiles.find((p) => p.id === selected.id) : undefined;

  return (
    <SpaceBetween size="m">
      {flash.length > 0 && <Flashbar items={flash} stackItems />}
      {problem && (
        <Alert type="warning" header="The system keychain could not be read">
          Secrets show as not set until it can: unlock your keychain (or, on Linux, start a Secret Service such as
          gnome-keyring) and reload this page. {problem}
        </Alert>
      )}
      {optionsError && (
        <Alert type="error" header="The form could not be prepared">
          {optionsError}
        </Alert>
      )}
      <Table<CredentialProfile>
        {...collectionProps}
        variant="full-page"
        items={items}
        columnDefinitions={columns(options, testing)}
        trackBy="id"
        selectionType="single"
        loading={loading}
        loadingText="Loading credentials"
        ariaLabels={{
          selectionGroupLabel: 'Credentials',
          itemSelectionLabel: (_, p) => `Select ${p.name}`,
          allItemsSelectionLabel: () => 'Select all',
        }}
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find credentials"
            filteringAriaLabel="Find credentials"
            countText={`${String(filteredItemsCount ?? 0)} ${filteredItemsCount === 1 ? 'match' : 'matches'}`}
          />
        }
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${String(profiles.length)})`}
            description="Where your data comes from and goes to. Secrets are kept in your operating system's keychain, never in files."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button
                  disabled={!current || testing.has(current.id)}
                  onClick={() => {
                    if (current) void runTest(current);
                  }}
                >
                  Test connection
                </Button>
                <Button
                  disabled={!current || !options}
                  onClick={() => {
                    if (current) setForm({ mode: 'edit', profile: current });
                  }}
                >
                  Edit
                </Button>
                <Button
                  disabled={!current}
                  onClick={() => {
                    if (current) setDeleting(current);
                  }}
                >
                  Delete
                </Button>
                <Button
                  variant="primary"
                  disabled={!options}
                  disabledReason="Preparing the form"
                  onClick={() => {
                    setForm({ mode: 'create' });
                  }}
                >
                  Add credentials
                </Button>
              </SpaceBetween>
            }
          >
            Credentials
          </Header>
        }
        empty={
          loadError ? (
            <Alert type="error" header="The credentials could not be loaded">
              {loadError}
            </Alert>
          ) : (
            collectionProps.empty
          )
        }
      />
      {form.mode !== 'closed' && options && (
        <CredentialForm
          profile={form.mode === 'edit' ? form.profile : undefined}
          options={options}
          otherNames={profiles.filter((p) => form.mode !== 'edit' || p.id !== form.profile.id).map((p) => p.name)}
          onDismiss={() => {
            setForm({ mode: 'closed' });
          }}
          onSaved={(saved) => {
            const created = form.mode === 'create';
            setForm({ mode: 'closed' });
            actions.setSelectedItems([saved]);
            notify({
              id: `saved-${saved.id}`,
              type: 'success',
              header: created ? `Credentials ${saved.name} added` : `Credentials ${saved.name} saved`,
              content: 'Test the connection to check them.',
              action: (
                <Button
                  onClick={() => {
                    setFlash((f) => f.filter((x) => x.id !== `saved-${saved.id}`));
                    void runTest(saved);
                  }}
                >
                  Test now
                </Button>
              ),
            });
            void reload();
          }}
        />
      )}
      {deleting && (
        <DeleteModal
          profile={deleting}
          onDismiss={() => {
            setDeleting(null);
          }}
          onDeleted={() => {
            notify({ id: `deleted-${deleting.id}`, type: 'success', header: `Credentials ${deleting.name} deleted`, content: 'Their secret was removed from the keychain.' });
            setFlash((f) => f.filter((x) => !x.id?.endsWith(deleting.id) || x.id.startsWith('deleted-')));
            actions.setSelectedItems([]);
            setDeleting(null);
            void reload();
          }}
        />
      )}
    </SpaceBetween>
  );
}

function DeleteModal({ profile, onDismiss, onDeleted }: { profile: CredentialProfile; onDismiss: () => void; onDeleted: () => void }) {
  const backend = useBackend();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await backend.deleteCredentials(profile.id);
      onDeleted();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      visible
      onDismiss={onDismiss}
      header={`Delete ${profile.name}?`}
      footer={<ModalFooter action="Delete" busy={busy} onCancel={onDismiss} onAction={() => void remove()} />}
    >
      <SpaceBetween size="m">
        <Box>
          The profile <b>{profile.name}</b> ({kindLabels[profile.kind]}) is removed, and its secret is deleted from your
          keychain. This cannot be undone. Tasks that use it must be deleted or changed first.
        </Box>
        {error && (
          <Alert type="error" header="Not deleted">
            {error}
          </Alert>
        )}
      </SpaceBetween>
    </Modal>
  );
}
