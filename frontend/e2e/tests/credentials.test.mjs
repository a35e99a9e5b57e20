// End-to-end test of the Credentials page: Chromium (playwright-core) against `wails dev`
// in browser mode, so every call reaches the real Go services, the real keychain (the
// session D-Bus of build/scripts/with-keyring.sh) and the two local S3 gateways of the
// test environment. Started by build/scripts/e2e.sh.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { env, loadTestEnv, needs, openApp, openBrowser, restoreSettings, screenshots } from './support.mjs';

const profilesFile = env('TH_E2E_PROFILES_FILE');

// The test services' endpoints and keys (build/scripts/testenv.sh writes them).
const testEnv = loadTestEnv();
const skip = needs('credentials', ['TH_S3_A_ENDPOINT', 'TH_S3_B_ENDPOINT', 'TH_KEYRING'], testEnv);

const gateways = {
  a: { name: 'Cloud A', endpoint: testEnv.TH_S3_A_ENDPOINT, key: testEnv.TH_S3_A_ACCESS_KEY, secret: testEnv.TH_S3_A_SECRET_KEY },
  b: { name: 'Cloud B', endpoint: testEnv.TH_S3_B_ENDPOINT, key: testEnv.TH_S3_B_ACCESS_KEY, secret: testEnv.TH_S3_B_SECRET_KEY },
};
const wrongName = 'Wrong secret for A';
const wrongSecret = `not-${gateways.a.secret ?? ''}`;

let browser;
let page;
let restoreTheme = null;
const pageErrors = [];

const { shot } = screenshots(() => page, 'credentials-');

const modal = () => page.getByRole('dialog');
const row = (name) => page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });

/** The keychain users (profile/<id>) go-keyring wrote to the Secret Service on this bus. */
function keychainEntries() {
  // secret-tool prints the secrets on stdout (never looked at) and the attributes on stderr;
  // it exits 1 when nothing matches.
  const r = spawnSync('secret-tool', ['search', '--all', 'service', 'transfer-hub'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`secret-tool search failed (${String(r.status)}): ${r.stderr}`);
  return r.stderr.split('\n').filter((l) => l.startsWith('attribute.username = ')).map((l) => l.slice('attribute.username = '.length));
}

async function select(name) {
  await row(name).getByRole('radio').check();
}

async function addGateway({ name, endpoint, key, secret }) {
  await page.getByRole('button', { name: 'Add credentials' }).first().click();
  await modal().waitFor();
  await modal().getByLabel('Name').fill(name);
  await modal().getByLabel('Endpoint URL').fill(endpoint);
  await modal().getByLabel('Access key ID').fill(key);
  const secretInput = modal().getByLabel('Secret key');
  assert.equal(await secretInput.getAttribute('type'), 'password', 'the secret is typed into a password field');
  await secretInput.fill(secret);
  await modal().getByRole('button', { name: 'Add credentials' }).click();
  await page.getByText(`Credentials ${name} added`).waitFor();
  await modal().waitFor({ state: 'detached' });
  await row(name).waitFor();
}

async function testConnection(name) {
  await select(name);
  await page.getByRole('button', { name: 'Test connection', exact: true }).click();
  await row(name).getByText(/^(Connected|Wrong secret key|Wrong access key ID|Endpoint unreachable|Test failed)$/).waitFor();
}

async function deleteProfile(name) {
  await select(name);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await modal().getByText(`Delete ${name}?`).waitFor();
  await modal().getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText(`Credentials ${name} deleted`).waitFor();
  await row(name).waitFor({ state: 'detached' });
}

describe('Credentials page', { skip }, () => {
  before(async () => {
    ({ browser, page } = await openBrowser({ height: 820, pageErrors }));
    // Light and dark come from the browser's colour scheme when the theme follows the
    // system; another spec may have saved a fixed theme: follow the system until we end.
    restoreTheme = await openApp(page, 'credentials', 'Credentials');
  });

  after(async () => {
    await restoreSettings(page, restoreTheme);
    await browser?.close();
  });

  it('starts empty, with nothing in the keychain', async () => {
    await page.getByText('No credentials', { exact: true }).waitFor();
    assert.deepEqual(keychainEntries(), []);
    await shot('01-empty-light');
  });

  it('rejects an empty form with a message on every field, and stores nothing', async () => {
    // An earlier spec may have left the file (with its profiles deleted): nothing changes.
    const profilesBefore = existsSync(profilesFile) ? readFileSync(profilesFile, 'utf8') : null;
    await page.getByRole('button', { name: 'Add credentials' }).first().click();
    await modal().waitFor();
    await modal().getByRole('button', { name: 'Add credentials' }).click();
    await modal().getByText(/Enter a name for these credentials/).waitFor();
    await modal().getByText(/Enter the endpoint URL of your store/).waitFor();
    await modal().getByText('Enter the access key ID your provider gave you.').waitFor();
    await modal().getByText('Enter the secret key.').waitFor();
    await modal().getByLabel('Endpoint URL').fill('ftp://example.com');
    await modal().getByText('The endpoint must start with http:// or https://.').waitFor();
    await shot('02-form-errors-light');
    await modal().getByRole('button', { name: 'Cancel' }).click();
    await modal().waitFor({ state: 'detached' });
    assert.equal(existsSync(profilesFile) ? readFileSync(profilesFile, 'utf8') : null, profilesBefore, 'an invalid form writes nothing');
  });

  it('adds an S3-compatible profile for each local gateway and for a wrong secret', async () => {
    await addGateway(gateways.a);
    await addGateway(gateways.b);
    await addGateway({ ...gateways.a, name: wrongName, secret: wrongSecret });
    for (const name of [gateways.a.name, gateways.b.name, wrongName]) {
      await row(name).getByText('Set', { exact: true }).waitFor();
      await row(name).getByText('Not tested').waitFor();
    }
    await row(gateways.a.name).getByText(gateways.a.endpoint).waitFor();

    // Secrets: three keychain entries, none in the file.
    assert.equal(keychainEntries().length, 3);
    const onDisk = readFileSync(profilesFile, 'utf8');
    for (const g of Object.values(gateways)) {
      assert.ok(onDisk.includes(g.name), `${g.name} is in ${profilesFile}`);
      assert.ok(!onDisk.includes(g.secret), 'no secret in the profiles file');
    }
    assert.ok(!onDisk.includes(wrongSecret));
    await shot('03-added-light');
  });

  it('tests both gateways: connected', async () => {
    for (const g of [gateways.a, gateways.b]) {
      await testConnection(g.name);
      await row(g.name).getByText('Connected', { exact: true }).waitFor();
      await page.getByText(`${g.name}: connected`).waitFor();
      await page.getByText(new RegExp(`Connected to ${g.endpoint.replace(/[.]/g, '\\.')}: the keys work and see \\d+ buckets?\\.`)).first().waitFor();
    }
    await shot('04-tested-ok-light');
  });

  it('tests the wrong secret: a readable error, the raw one under Details', async () => {
    await testConnection(wrongName);
    await row(wrongName).getByText('Wrong secret key', { exact: true }).waitFor();
    await page.getByText(`${wrongName}: Wrong secret key`).waitFor();
    await page.getByText(/knows the access key ID but the secret does not match it\. Enter the secret key again\./).first().waitFor();
    await page.getByText('Details').first().click();
    await page.getByText(/SignatureDoesNotMatch/).first().waitFor();
    const body = await page.locator('body').innerText();
    assert.ok(!body.includes(wrongSecret) && !body.includes(gateways.a.secret), 'no secret on the page');
    await shot('05-tested-wrong-secret-light');
  });

  it('edits without showing the secret: the field says it is stored', async () => {
    await select(gateways.b.name);
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await modal().getByText(`Edit ${gateways.b.name}`).waitFor();
    const secret = modal().getByLabel('Secret key');
    assert.equal(await secret.inputValue(), '', 'the UI never receives the secret');
    assert.equal(await secret.getAttribute('placeholder'), '•••••••• stored in the keychain');
    await shot('06-edit-light');
    await modal().getByRole('button', { name: 'Cancel' }).click();
    await modal().waitFor({ state: 'detached' });
  });

  it('offers the AWS form with partition regions and the registry form', async () => {
    await page.getByRole('button', { name: 'Add credentials' }).first().click();
    await modal().waitFor();
    await modal().getByLabel('Kind').click();
    await page.getByRole('option', { name: /AWS account/ }).click();
    await modal().getByLabel('Partition').click();
    await page.getByRole('option', { name: /AWS China/ }).click();
    await modal().getByLabel('Default region').click();
    await page.getByRole('option', { name: 'cn-northwest-1' }).click();
    await modal().getByLabel('Access key ID').fill('AKIA123');
    await modal().getByRole('button', { name: 'Add credentials' }).click();
    await modal().getByText(/An access key ID is 20 characters, like AKIAIOSFODNN7EXAMPLE; this one has 7\./).waitFor();
    await modal().getByText('Assume a role (optional)').click();
    await modal().getByLabel('Role ARN').fill('arn:aws:iam::123456789012:role/Mover');
    await modal().getByText(/The role is in the aws partition, but these credentials are for aws-cn\./).waitFor();
    await shot('10-form-aws-light');
    await modal().getByLabel('Kind').click();
    await page.getByRole('option', { name: /Container registry/ }).click();
    await modal().getByLabel('Registry host').fill('https://registry.example.com');
    await modal().getByRole('button', { name: 'Add credentials' }).click();
    await modal().getByText(/without http:\/\/ or https:\/\//).waitFor();
    assert.equal(await modal().getByLabel('Password or token').getAttribute('type'), 'password');
    await shot('11-form-registry-light');
    await modal().getByRole('button', { name: 'Cancel' }).click();
    await modal().waitFor({ state: 'detached' });
  });

  it('looks right in dark mode', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'));
    await shot('07-table-dark');
    await page.getByRole('button', { name: 'Add credentials' }).first().click();
    await modal().waitFor();
    await modal().getByRole('button', { name: 'Add credentials' }).click();
    await modal().getByText(/Enter a name for these credentials/).waitFor();
    await shot('08-form-errors-dark');
    await modal().getByRole('button', { name: 'Cancel' }).click();
    await modal().waitFor({ state: 'detached' });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => !document.body.classList.contains('awsui-dark-mode'));
  });

  it('deletes one after confirmation: its keychain entry goes too', async () => {
    await deleteProfile(wrongName);
    assert.equal(keychainEntries().length, 2);
    await shot('09-deleted-light');
  });

  it('keeps the test results after a reload, then cleans up', async () => {
    await page.reload({ waitUntil: 'load' });
    await row(gateways.a.name).getByText('Connected', { exact: true }).waitFor();
    await row(gateways.b.name).getByText('Connected', { exact: true }).waitFor();
    // Leave the app as we found it for the other specs.
    await deleteProfile(gateways.a.name);
    await deleteProfile(gateways.b.name);
    await page.getByText('No credentials', { exact: true }).waitFor();
    assert.deepEqual(keychainEntries(), []);
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
