import { screen, waitFor, within } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import createWrapper from '@cloudscape-design/components/test-utils/dom';
import { describe, expect, it } from 'vitest';
import type { Backend, CredentialProfile, TestResult } from '../api/backend';
import { fakeBackend } from '../test/fakeBackend';
import { renderApp } from '../test/render';

const at = '2026-03-04T05:06:07Z';

const gateway: CredentialProfile = {
  id: 'gw', name: 'Gateway A', kind: 's3compat', provider: 'other', endpoint: 'http://127.0.0.1:7070', region: 'us-east-1',
  accessKeyId: 'thtestA', secretSet: true, createdAt: at, updatedAt: at,
};
const account: CredentialProfile = {
  id: 'acct', name: 'Prod account', kind: 'aws', partition: 'aws-cn', region: 'cn-north-1', sharedProfile: 'china',
  secretSet: false, createdAt: at, updatedAt: at,
  lastTest: { ok: true, code: 'ok', message: 'Signed in to AWS as arn:aws-cn:iam::123456789012:user/me (account 123456789012).', buckets: -1, at, durationMs: 40 },
};
const registry: CredentialProfile = {
  id: 'reg', name: 'Registry', kind: 'registry', host: 'registry.example.com:5000', username: 'robot', secretSet: false,
  createdAt: at, updatedAt: at,
};

const wrongSecret: TestResult = {
  ok: false, code: 'wrong-secret', buckets: -1, at, durationMs: 8,
  message: 'Wrong secret key: http://127.0.0.1:7070 knows the access key ID but the secret does not match it. Enter the secret key again.',
  detail: 'operation error S3: ListBuckets, https response error StatusCode: 403, api error SignatureDoesNotMatch',
};

function table() {
  const t = createWrapper().findTable();
  if (!t) throw new Error('no table');
  return t;
}

async function rows() {
  await waitFor(() => {
    expect(table().findRows().length).toBeGreaterThan(0);
  });
  return table().findRows();
}

function selectRow(n: number) {
  const area = table().findRowSelectionArea(n);
  if (!area) throw new Error(`no row ${String(n)}`);
  area.click();
}

/** The Credentials page on backend, with action clicked for its first profile. */
async function onFirstProfile(user: UserEvent, backend: Backend, action: 'Edit' | 'Delete') {
  renderApp(backend, '/credentials');
  await rows();
  selectRow(1);
  await user.click(screen.getByRole('button', { name: action }));
}

function modal() {
  const m = createWrapper().findModal();
  if (!m) throw new Error('no modal');
  return m;
}

/** Opens the Add credentials form (once the form options have loaded). */
async function openAddForm(user: UserEvent) {
  const add = screen.getAllByRole('button', { name: 'Add credentials' })[0];
  if (!add) throw new Error('no add button');
  await waitFor(() => {
    expect(add).toBeEnabled();
  });
  await user.click(add);
}

function field(label: string) {
  return within(modal().getElement()).getByLabelText(label);
}

async function chooseSelect(label: string, option: string) {
  const user = userEvent.setup();
  await user.click(within(modal().getElement()).getByLabelText(label));
  await user.click(await screen.findByRole('option', { name: new RegExp(option) }));
}

describe('Credentials page', () => {
  it('lists the profiles with kind, target, region, secret state and last test; never a secret', async () => {
    const { backend } = fakeBackend({ credentials: { profiles: [registry, gateway, account] } });
    renderApp(backend, '/credentials');
    const r = await rows();
    expect(r).toHaveLength(3);
    const text = r.map((row) => row.getElement().textContent);
    // Sorted by name.
    expect(text[0]).toContain('Gateway A');
    expect(text[0]).toContain('S3-compatible store');
    expect(text[0]).toContain('http://127.0.0.1:7070');
    expect(text[0]).toContain('Set');
    expect(text[0]).toContain('Not tested');
    expect(text[1]).toContain('Prod account');
    expect(text[1]).toContain('AWS China (Beijing, Ningxia) · AWS CLI profile china');
    expect(text[1]).toContain('From the AWS CLI profile');
    expect(text[1]).toContain('Connected');
    expect(text[2]).toContain('registry.example.com:5000');
    expect(text[2]).toContain('Not set');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Credentials');
    expect(screen.getByText('(3)')).toBeInTheDocument();
  });

  it('filters by text', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ credentials: { profiles: [registry, gateway, account] } });
    renderApp(backend, '/credentials');
    await rows();
    await user.type(screen.getByLabelText('Find credentials'), 'registry.example');
    await waitFor(() => {
      expect(table().findRows()).toHaveLength(1);
    });
    expect(screen.getAllByText('1 match').length).toBeGreaterThan(0);
  });

  it('tests the selected profile and explains a failure in words, with the raw error under Details', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ credentials: { profiles: [gateway], results: { gw: wrongSecret } } });
    renderApp(backend, '/credentials');
    await rows();
    const testButton = screen.getByRole('button', { name: 'Test connection' });
    expect(testButton).toBeDisabled();
    selectRow(1);
    await user.click(testButton);
    expect(backend.testCredentials).toHaveBeenCalledWith('gw');
    const flash = await screen.findByText('Gateway A: Wrong secret key');
    expect(flash).toBeInTheDocument();
    expect(screen.getAllByText(/knows the access key ID but the secret does not match it/).length).toBeGreaterThan(0);
    expect(screen.getByText('Details')).toBeInTheDocument();
    await waitFor(() => {
      expect(table().findRows()[0]?.getElement().textContent).toContain('Wrong secret key');
    });
  });

  it('adds an S3-compatible profile: inline errors first, then the secret goes to the backend once', async () => {
    const user = userEvent.setup();
    const { backend, creds } = fakeBackend();
    renderApp(backend, '/credentials');
    expect(await screen.findByText('No credentials')).toBeInTheDocument();
    await openAddForm(user);

    // Save with nothing filled in: every missing field says what to do, nothing is sent.
    await user.click(within(modal().findFooter()?.getElement() ?? document.body).getByRole('button', { name: 'Add credentials' }));
    expect(await screen.findByText(/Enter a name for these credentials/)).toBeInTheDocument();
    expect(screen.getByText(/Enter the endpoint URL of your store/)).toBeInTheDocument();
    expect(screen.getByText(/Enter the access key ID your provider gave you/)).toBeInTheDocument();
    expect(screen.getByText('Enter the secret key.')).toBeInTheDocument();
    expect(backend.saveCredentials).not.toHaveBeenCalled();

    await user.type(field('Name'), 'Gateway B');
    await user.type(field('Endpoint URL'), 'ftp://x');
    expect(screen.getByText(/must start with http:\/\/ or https:\/\//)).toBeInTheDocument();
    await user.clear(field('Endpoint URL'));
    await user.type(field('Endpoint URL'), 'http://127.0.0.1:7071');
    await user.type(field('Access key ID'), 'thtestB');
    const secret = field('Secret key');
    expect(secret).toHaveAttribute('type', 'password');
    await user.type(secret, 'b-secret-value');
    await user.click(within(modal().findFooter()?.getElement() ?? document.body).getByRole('button', { name: 'Add credentials' }));

    await waitFor(() => {
      expect(backend.saveCredentials).toHaveBeenCalledTimes(1);
    });
    const [fields, sent] = backend.saveCredentials.mock.calls[0] ?? [];
    expect(fields).toMatchObject({ id: '', name: 'Gateway B', kind: 's3compat', provider: 'other', endpoint: 'http://127.0.0.1:7071', accessKeyId: 'thtestB' });
    expect(JSON.stringify(fields)).not.toContain('b-secret-value');
    expect(sent).toEqual({ secretAccessKey: 'b-secret-value', sessionToken: '' });
    expect(await screen.findByText('Credentials Gateway B added')).toBeInTheDocument();
    expect(creds.profiles()).toHaveLength(1);
    await waitFor(() => {
      expect(table().findRows()).toHaveLength(1);
    });
  });

  it('shows the Go side field errors on their fields', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({
      credentials: { fieldErrors: [{ field: 'accessKeyId', message: 'an access key ID has no spaces and at most 128 characters; check what you pasted' }] },
    });
    renderApp(backend, '/credentials');
    await screen.findByText('No credentials');
    await openAddForm(user);
    await user.type(field('Name'), 'x');
    await user.type(field('Endpoint URL'), 'http://h:1');
    await user.type(field('Access key ID'), 'k');
    await user.type(field('Secret key'), 's');
    await user.click(within(modal().findFooter()?.getElement() ?? document.body).getByRole('button', { name: 'Add credentials' }));
    expect(await screen.findByText('An access key ID has no spaces and at most 128 characters; check what you pasted.')).toBeInTheDocument();
    expect(createWrapper().findModal()).not.toBeNull();
  });

  it('switches the form by kind: AWS with partition regions, registry with host and password', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend();
    renderApp(backend, '/credentials');
    await screen.findByText('No credentials');
    await openAddForm(user);

    await chooseSelect('Kind', 'AWS account');
    expect(field('Access key ID')).toBeInTheDocument();
    expect(field('Secret access key')).toHaveAttribute('type', 'password');
    await chooseSelect('Partition', 'AWS China');
    await user.click(within(modal().getElement()).getByLabelText('Default region'));
    const regionOptions = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(regionOptions).toEqual(expect.arrayContaining(['cn-north-1', 'cn-northwest-1']));
    expect(regionOptions).not.toContain('us-east-1');
    await user.keyboard('{Escape}');

    await user.click(screen.getByLabelText(/AWS CLI profile/, { selector: 'input[type="radio"]' }));
    expect(screen.getByText(/Found on this computer: default, sso-dev/)).toBeInTheDocument();

    await chooseSelect('Kind', 'Container registry');
    expect(field('Registry host')).toBeInTheDocument();
    expect(field('Password or token')).toHaveAttribute('type', 'password');
  });

  it('edits without receiving the secret: the field says it is stored, and an untouched secret is kept', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ credentials: { profiles: [gateway] } });
    await onFirstProfile(user, backend, 'Edit');
    expect(screen.getByText('Edit Gateway A')).toBeInTheDocument();
    const secret = field('Secret key');
    expect(secret).toHaveValue('');
    expect(secret).toHaveAttribute('placeholder', '•••••••• stored in the keychain');
    expect(screen.getByText(/Leave empty to keep it/)).toBeInTheDocument();
    await user.clear(field('Name'));
    await user.type(field('Name'), 'Gateway A2');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => {
      expect(backend.saveCredentials).toHaveBeenCalledTimes(1);
    });
    expect(backend.saveCredentials.mock.calls[0]?.[0]).toMatchObject({ id: 'gw', name: 'Gateway A2' });
    expect(backend.saveCredentials.mock.calls[0]?.[1]).toBeNull();
  });

  it('deletes after confirmation, and shows why when tasks still use the profile', async () => {
    const user = userEvent.setup();
    const inUse = 'credentials "Gateway A" are used by task "nightly": delete those tasks or switch them to other credentials first';
    const blocked = fakeBackend({ credentials: { profiles: [gateway], deleteError: inUse } });
    await onFirstProfile(user, blocked.backend, 'Delete');
    expect(screen.getByText('Delete Gateway A?')).toBeInTheDocument();
    await user.click(within(modal().findFooter()?.getElement() ?? document.body).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText(inUse)).toBeInTheDocument();
    expect(table().findRows()).toHaveLength(1);
  });

  it('deletes and the list becomes empty again', async () => {
    const user = userEvent.setup();
    const { backend } = fakeBackend({ credentials: { profiles: [gateway] } });
    await onFirstProfile(user, backend, 'Delete');
    await user.click(within(modal().findFooter()?.getElement() ?? document.body).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('Credentials Gateway A deleted')).toBeInTheDocument();
    expect(backend.deleteCredentials).toHaveBeenCalledWith('gw');
    expect(await screen.findByText('No credentials')).toBeInTheDocument();
  });

  it('warns when the keychain cannot be read', async () => {
    const { backend } = fakeBackend({ credentials: { profiles: [gateway], problem: 'list credentials: read the secret: the system keychain could not be used' } });
    renderApp(backend, '/credentials');
    expect(await screen.findByText('The system keychain could not be read')).toBeInTheDocument();
  });
});
