// End-to-end test of the desktop shell: Chromium (via playwright-core) against `wails dev`
// in browser mode, so every call reaches the real Go services. Started by
// build/scripts/e2e.sh, which sets the variables below and isolates the config dir.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { baseURL, env, openBrowser, screenshots, timeout } from './support.mjs';

const expectedVersion = env('TH_E2E_VERSION');
const settingsFile = env('TH_E2E_SETTINGS_FILE');
const newDataDir = env('TH_E2E_DATA_DIR');

const sections = [
  { id: 'tasks', title: 'Tasks', text: 'No tasks yet' },
  { id: 'deployments', title: 'Deployments', text: 'No deployments' },
  { id: 'credentials', title: 'Credentials', text: 'No credentials' },
  { id: 'settings', title: 'Settings', text: 'Default concurrency' },
];

let browser;
let page;
const pageErrors = [];

const { shot } = screenshots(() => page, '');

function sideNav() {
  return page.getByRole('navigation', { name: 'Side navigation' });
}

async function expectHeading(title) {
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${title}`) }).waitFor({ timeout });
}

async function visit(section) {
  await sideNav().getByRole('link', { name: section.title, exact: true }).click();
  await expectHeading(section.title);
  await page.getByText(section.text, { exact: true }).first().waitFor({ timeout });
  assert.equal(new URL(page.url()).hash, `#/${section.id}`);
  const current = await sideNav().locator('a[aria-current="page"]').allTextContents();
  assert.deepEqual(current.map((t) => t.trim()), [section.title], 'side navigation marks only the open section');
}

async function isDark() {
  return page.evaluate(() => document.body.classList.contains('awsui-dark-mode'));
}

describe('Transfer Hub shell', () => {
  before(async () => {
    // No colour scheme of our own: the page starts as the system (Xvfb: light) says.
    ({ browser, page } = await openBrowser({ height: 820, colorScheme: null, pageErrors }));
  });

  after(async () => {
    await browser?.close();
  });

  it('loads with the app name, the version from the Go side and the Tasks empty state', async () => {
    await page.goto(baseURL, { waitUntil: 'load' });
    await expectHeading('Tasks');
    assert.equal(new URL(page.url()).hash, '#/tasks', 'the app opens on Tasks');
    // The version text is only there once AppService.Info answered over the Wails bridge.
    await page.getByRole('link', { name: `Version ${expectedVersion}` }).first().waitFor({ timeout });
    // TopNavigation also renders a hidden copy for narrow windows: look at the visible one.
    await page.locator('#th-top-nav').getByText('Transfer Hub', { exact: true }).filter({ visible: true }).first().waitFor();
    await page.getByText('No tasks yet').waitFor();
    await page.getByText(/no AWS set-up is needed/).waitFor();
    assert.equal(await isDark(), false, 'a fresh config starts in light mode under Xvfb (system theme = light)');
    await shot('01-tasks-light');
  });

  it('navigates all four sections and checks each header', async () => {
    let n = 2;
    for (const s of [...sections.slice(1), sections[0]]) {
      await visit(s);
      await shot(`${String(n++).padStart(2, '0')}-${s.id}-light`);
    }
  });

  it('rejects invalid settings with messages that say what to fix, and writes nothing', async () => {
    await visit(sections[3]);
    const concurrency = page.getByLabel('Default concurrency');
    await concurrency.fill('0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Enter a whole number from 1 to 256.').waitFor();

    await concurrency.fill('8');
    await page.getByLabel('Data location').fill('relative/folder');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // This message comes from backend/settings validation via SettingsService.Save.
    await page.getByText(/"relative\/folder" is a relative path; enter a full path/).waitFor();
    assert.equal(existsSync(settingsFile), false, 'an invalid save must not create the settings file');
    await shot('06-settings-invalid');

    await page.getByRole('button', { name: 'Discard changes' }).click();
  });

  it('saves theme, concurrency and data location, applies dark mode, and keeps them after a reload', async () => {
    await visit(sections[3]);
    await page.getByRole('radio', { name: 'Dark' }).check();
    await page.getByLabel('Default concurrency').fill('24');
    await page.getByLabel('Data location').fill(newDataDir);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Settings saved to /).waitFor();
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'), null, { timeout });

    const onDisk = JSON.parse(readFileSync(settingsFile, 'utf8'));
    assert.deepEqual(onDisk, { version: 1, theme: 'dark', concurrency: 24, dataDir: newDataDir });

    await page.reload({ waitUntil: 'load' });
    await expectHeading('Settings');
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'), null, { timeout });
    assert.equal(await page.getByRole('radio', { name: 'Dark' }).isChecked(), true);
    assert.equal(await page.getByLabel('Default concurrency').inputValue(), '24');
    assert.equal(await page.getByLabel('Data location').inputValue(), newDataDir);
    await page.getByText(expectedVersion, { exact: true }).first().waitFor(); // About section
    await shot('07-settings-dark');
  });

  it('shows every section in dark mode', async () => {
    let n = 8;
    for (const s of sections) {
      await visit(s);
      assert.equal(await isDark(), true);
      await shot(`${String(n++).padStart(2, '0')}-${s.id}-dark`);
    }
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
