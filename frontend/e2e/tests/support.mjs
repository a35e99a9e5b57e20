// What every e2e spec sets up the same way: the variables build/scripts/e2e.sh exports,
// the test services' env file, the services a spec needs (under CI=true a missing one
// fails the run, elsewhere the spec skips loudly, like cloud/testenv), Chromium with one
// page that records uncaught errors, screenshots in light and dark, the AWS CLI against
// the S3 gateways, and the UI steps several specs take (credentials, the wizard).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

/** A variable e2e.sh exports; without a fallback its absence is an error. */
export function env(name, fallback) {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set (run through build/scripts/e2e.sh)`);
  return v;
}

export const baseURL = env('TH_E2E_URL', 'http://localhost:34115');
export const artifacts = env('TH_E2E_ARTIFACTS', 'artifacts/e2e');
export const chromiumPath = env('CHROMIUM', '/usr/bin/chromium');
export const repoRoot = resolve(import.meta.dirname, '../../..');
export const timeout = 20_000; // per wait

/** The test services' endpoints and keys (build/scripts/testenv.sh writes them), then TH_* of the environment. */
export function loadTestEnv() {
  const file = process.env.TH_TESTENV_FILE ?? join(repoRoot, '.testenv/env');
  const out = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) out[m[1]] = m[2];
    }
  }
  return { ...out, ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('TH_'))) };
}

/**
 * The describe's skip for a spec that needs these variables (of vars: the test env by
 * default): false when all are set. Under CI=true a missing one throws: a missing
 * service is a failure there, never a skip.
 */
export function needs(spec, needed, vars = loadTestEnv()) {
  const missing = needed.filter((k) => !vars[k]);
  if (missing.length > 0 && process.env.CI === 'true') {
    throw new Error(`${spec} e2e: ${missing.join(', ')} not set: start the test services (make testenv-up) and run through build/scripts/e2e.sh (inside with-keyring.sh)`);
  }
  return missing.length > 0 ? `SKIPPED: ${missing.join(', ')} not set (make testenv-up; run through build/scripts/e2e.sh)` : false;
}

/** Chromium with one page; uncaught page errors go to pageErrors. */
export async function openBrowser({ height = 860, colorScheme = 'light', pageErrors = [] } = {}) {
  mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height }, ...(colorScheme ? { colorScheme } : {}) });
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { browser, page, pageErrors };
}

/**
 * Opens a section and waits for its heading (the first load after wails dev starts
 * waits for Vite to bundle the dependencies); then lets the theme follow the system, so
 * that light and dark come from the browser's colour scheme. Returns the settings to
 * restore, or null when the theme followed the system already.
 */
export async function openApp(page, section, title, { reload = true } = {}) {
  await page.goto(`${baseURL}/#/${section}`, { waitUntil: 'load' });
  await page.getByRole('heading', { level: 1, name: new RegExp(`^${title}`) }).waitFor({ timeout: 120_000 });
  const view = await page.evaluate(() => window.go.app.SettingsService.Get());
  if (view.settings.theme === 'system') return null;
  await page.evaluate((s) => window.go.app.SettingsService.Save({ ...s, theme: 'system' }), view.settings);
  if (reload) await page.reload({ waitUntil: 'load' });
  return view.settings;
}

/** Saves settings again (those openApp returned), if any. */
export async function restoreSettings(page, settings) {
  if (settings && page) await page.evaluate((s) => window.go.app.SettingsService.Save(s), settings).catch(() => {});
}

/** Screenshots into artifacts/e2e/<prefix><name>.png. */
export function screenshots(getPage, prefix) {
  /** From the top: a full-page capture of a scrolled page repeats the sticky top bar. */
  async function shot(name) {
    const page = getPage();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, `${prefix}${name}.png`), fullPage: true });
  }
  /** Light, then dark (the theme follows the browser while it is "system"). */
  async function shots(name) {
    const page = getPage();
    await shot(`${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'));
    await shot(`${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => !document.body.classList.contains('awsui-dark-mode'));
  }
  /** Awaits p; on failure, a screenshot of the page first. */
  async function failShot(name, p) {
    try {
      return await p;
    } catch (e) {
      await getPage()?.screenshot({ path: join(artifacts, `${prefix}failed-${name}.png`), fullPage: true }).catch(() => {});
      throw e;
    }
  }
  return { shot, shots, failShot };
}

/** Runs a command to its end; its stdout, or an error with what it printed. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The AWS CLI v2 against one S3 gateway of the test services (gw: 'A' or 'B'). */
export function gatewayCLI(testEnv, gw, ...args) {
  const p = `TH_S3_${gw}_`;
  return run('/usr/bin/aws', ['--endpoint-url', testEnv[`${p}ENDPOINT`], ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: testEnv[`${p}ACCESS_KEY`], AWS_SECRET_ACCESS_KEY: testEnv[`${p}SECRET_KEY`],
      AWS_DEFAULT_REGION: testEnv[`${p}REGION`] ?? 'us-east-1', AWS_PAGER: '', AWS_ENDPOINT_URL: '' },
  });
}

/** The Credentials form's fields for one S3 gateway of the test services (gw: 'A' or 'B'). */
export function gatewayFields(testEnv, gw) {
  const p = `TH_S3_${gw}_`;
  return { 'Endpoint URL': testEnv[`${p}ENDPOINT`], 'Access key ID': testEnv[`${p}ACCESS_KEY`], 'Secret key': testEnv[`${p}SECRET_KEY`] };
}

/** Removes buckets ([gw, bucket] pairs) with their objects, best effort: the gateways are wiped with the test environment. */
export function removeBuckets(testEnv, buckets) {
  for (const [gw, b] of buckets) {
    try {
      gatewayCLI(testEnv, gw, 's3', 'rb', `s3://${b}`, '--force');
    } catch {
      // best effort
    }
  }
}

/** UI steps on one page (getPage: the page once the browser is open). */
export function ui(getPage, { failShot } = {}) {
  const page = () => getPage();
  const modal = () => page().getByRole('dialog');
  const next = () => page().getByRole('button', { name: 'Next', exact: true }).click();
  const heading = (re) => page().getByRole('heading', { level: 1, name: re });

  async function choose(selectName, option) {
    await page().getByRole('button', { name: selectName }).click();
    await page().getByRole('option', { name: option }).first().click();
  }

  /** Adds credentials through the Credentials page: kind, picks (label → option), fills, checkboxes. */
  async function addCredentials({ name, kind, choose: picks, fill, check }) {
    const p = page();
    await p.goto(`${baseURL}/#/credentials`);
    await p.getByRole('heading', { level: 1, name: /^Credentials/ }).waitFor();
    await p.getByRole('button', { name: 'Add credentials' }).first().click();
    await modal().waitFor();
    await modal().getByLabel('Name').fill(name);
    if (kind) {
      await modal().getByLabel('Kind').click();
      await p.getByRole('option', { name: kind }).click();
    }
    for (const [label, option] of Object.entries(picks ?? {})) {
      await modal().getByLabel(label).click();
      await p.getByRole('option', { name: option, exact: true }).click();
    }
    for (const [label, value] of Object.entries(fill)) await modal().getByLabel(label, { exact: true }).fill(value);
    for (const label of check ?? []) await modal().getByText(label).click();
    await modal().getByRole('button', { name: 'Add credentials' }).click();
    const added = p.getByText(`Credentials ${name} added`).waitFor();
    await (failShot ? failShot('credentials', added) : added);
    await modal().waitFor({ state: 'detached' });
  }

  /** Adds the AWS emulator as the account name in region and returns its profile id. */
  async function addEmulatorAccount(name, region) {
    await addCredentials({
      name,
      kind: /AWS account/,
      choose: { 'Default region': region },
      // The emulator takes any key; the form wants AWS-shaped ones.
      fill: { 'Access key ID': 'AKIAIOSFODNN7EXAMPLE', 'Secret access key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    const list = await page().evaluate(() => window.go.app.CredentialsService.List());
    const id = list.profiles.find((p) => p.name === name)?.id ?? '';
    assert.ok(id, 'the AWS profile is stored');
    return id;
  }

  /** Opens a fresh wizard (a goto to the same hash would keep the old one). */
  async function newWizard() {
    await page().goto(`${baseURL}/#/tasks`);
    await page().getByRole('heading', { level: 1, name: /^Tasks/ }).waitFor();
    await page().getByRole('button', { name: 'Create task' }).first().click();
    await heading(/^Choose a task type/).waitFor();
  }

  /** The id of the task whose page is open. */
  function openTaskId() {
    const m = /#\/tasks\/([^/?]+)$/.exec(page().url());
    assert.ok(m, `a task page is open (${page().url()})`);
    return m[1];
  }

  const task = (id) => page().evaluate((i) => window.go.app.TasksService.Get(i), id);

  /** Waits for a status label next to the page's title. */
  async function statusShown(label, limit) {
    await page().locator('h1').locator('..').getByText(label, { exact: true }).first().waitFor({ timeout: limit });
  }

  /**
   * Waits (bounded) until a cloud task is in status and settled (no deploy or run under
   * way), and returns it; with notRun, only once a run other than that one got there.
   */
  async function reaches(id, status, limit, notRun = '') {
    const deadline = Date.now() + limit;
    let t;
    while (Date.now() < deadline) {
      t = await task(id);
      if (t.status === status && !t.active && !t.cloud?.busy && (!notRun || t.runId !== notRun)) return t;
      await page().waitForTimeout(1000);
    }
    const { resources: _r, ...cloud } = t?.cloud ?? {};
    throw new Error(`task ${id} never became ${status}: ${JSON.stringify({ status: t?.status, runId: t?.runId, counters: t?.counters, lastError: t?.lastError, cloud })}` +
      `\nthe harness: ${await harnessView(t?.cloud?.stack)}`);
  }

  return { modal, next, heading, choose, addCredentials, addEmulatorAccount, newWizard, openTaskId, task, statusShown, reaches };
}

/**
 * What thub-harness (TH_E2E_HARNESS_API) says of a stack, for a failure message: its
 * problems, fleet, tasks, executions and processes, with the last lines of each process's
 * log. A run that never ends is otherwise a mystery in CI, whose artifacts are not kept.
 */
export async function harnessView(stack) {
  const api = process.env.TH_E2E_HARNESS_API;
  if (!api || !stack) return '(no harness or no stack)';
  try {
    const res = await fetch(`${api}/status`, { signal: AbortSignal.timeout(10_000) });
    const st = await res.json();
    const s = (st.stacks ?? []).find((x) => x.name === stack);
    const out = [`problems: ${JSON.stringify(st.problems)}`, `stacks played: ${(st.stacks ?? []).map((x) => x.name).join(', ') || 'none'}`];
    if (!s) return [...out, `${stack} is not played`].join('\n');
    out.push(`fleet: ${JSON.stringify(s.fleet)}`, `tasks: ${JSON.stringify(s.tasks ?? [])}`, `executions: ${JSON.stringify(s.executions ?? [])}`);
    for (const p of s.processes ?? []) {
      let tail = '';
      try {
        tail = readFileSync(p.logFile, 'utf8').trimEnd().split('\n').slice(-12).join('\n  ');
      } catch (e) {
        tail = `(log unreadable: ${e.message})`;
      }
      out.push(`${p.kind} ${p.name} running=${p.running} exit=${p.exitCode ?? '-'}:\n  ${tail}`);
    }
    return out.join('\n');
  } catch (e) {
    return `(the harness did not answer: ${e.message})`;
  }
}

/**
 * Leaves the app as a cloud spec found it (the specs after it expect no credentials and
 * no deployments): the control plane removed and waited for, then the credentials named.
 */
export async function leaveAsFound(page, { profileId, region, controlPlane, names }) {
  if (!page) return;
  if (profileId) {
    await page
      .evaluate(([p, r, cp]) => window.go.app.DeploymentsService.Remove({ profileId: p, region: r, controlPlane: cp, keepData: false }), [profileId, region, controlPlane])
      .catch(() => {});
    for (let i = 0; i < 60; i++) {
      const listed = await page
        .evaluate(([p, r, cp]) => window.go.app.DeploymentsService.List(p, r).then((l) => (l.deployments ?? []).some((d) => d.controlPlane === cp)), [profileId, region, controlPlane])
        .catch(() => false);
      if (!listed) break;
      await page.waitForTimeout(2000);
    }
  }
  const list = await page.evaluate(() => window.go.app.CredentialsService.List()).catch(() => ({ profiles: [] }));
  const ours = new Set(names);
  for (const p of list.profiles ?? []) {
    if (ours.has(p.name)) await page.evaluate((i) => window.go.app.CredentialsService.Delete(i), p.id).catch(() => {});
  }
}

/** Deletes a cloud task through its page (Actions, Delete, keep the table) and waits until it is gone. */
export async function deleteKeepingTable(page, id, { modal, limit, beforeDelete = async () => {} }) {
  await page.getByRole('button', { name: 'Actions' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await modal().getByRole('radio', { name: /Keep the task table/ }).waitFor();
  await beforeDelete();
  await modal().getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { level: 1, name: /^Tasks/ }).waitFor();
  const deadline = Date.now() + limit;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    gone = await page.evaluate((i) => window.go.app.TasksService.Get(i).then(() => false, () => true), id);
    if (!gone) await page.waitForTimeout(1000);
  }
  assert.ok(gone, 'the task is gone once its stack is deleted');
}
