// End-to-end test of local tasks: Chromium (playwright-core) against `wails dev` in browser
// mode, so every call reaches the real Go services, the real keychain and the real local
// servers of the test environment (two S3 gateways, a TLS registry with basic auth and a
// plain-HTTP registry). Started by build/scripts/e2e.sh, after the credentials spec.
//
// Credentials are added through the Credentials page; tasks are created through the wizard;
// the runs are the real engines inside the app. Failures are real too: the destination
// gateway refuses a key whose parent is a file in its data directory, and an image tag that
// does not exist yet cannot be read; after the cause is fixed, "Retry failed" finishes them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, gatewayCLI, gatewayFields, loadTestEnv, needs, openApp, openBrowser, repoRoot, removeBuckets, restoreSettings as restore, run, screenshots, ui } from './support.mjs';

const runTimeout = 120_000; // a run: bounded wait, not a speed assertion

const testEnv = loadTestEnv();
const skip = needs('tasks', ['TH_S3_A_ENDPOINT', 'TH_S3_B_ENDPOINT', 'TH_S3_B_DATA_DIR', 'TH_REG_AUTH', 'TH_REG_AUTH_CA', 'TH_REG_OPEN', 'TH_KEYRING'], testEnv);

const rnd = Math.random().toString(16).slice(2, 8);
const names = {
  a: `Tasks gateway A ${rnd}`,
  b: `Tasks gateway B ${rnd}`,
  wrong: `Tasks wrong secret ${rnd}`,
  regAuth: `Auth registry ${rnd}`,
  regOpen: `Open registry ${rnd}`,
  s3Task: `Gateway A to B ${rnd}`,
  imgTask: `Registry mirror ${rnd}`,
  badTask: `Wrong secret ${rnd}`,
};
const buckets = { src: `th-e2e-src-${rnd}`, dst: `th-e2e-dst-${rnd}` };
const repo = `th-e2e-${rnd}/app`;

let browser;
let page;
let work;
let pushimage;
let restoreSettings = null;
const pageErrors = [];
const ids = {};

const { shot } = screenshots(() => page, 'tasks-');
/** The AWS CLI v2 against one gateway. */
const aws = (gw, ...args) => gatewayCLI(testEnv, gw, ...args);

function pushImage(tag, seed) {
  run(pushimage, ['-ref', `${testEnv.TH_REG_AUTH}/${repo}:${tag}`, '-user', testEnv.TH_REG_AUTH_USER ?? 'AWS',
    '-pass', testEnv.TH_REG_AUTH_PASS, '-ca', testEnv.TH_REG_AUTH_CA, '-seed', String(seed)]);
}

const blocker = () => join(testEnv.TH_S3_B_DATA_DIR, buckets.dst, 'blocked');

// --- UI helpers ------------------------------------------------------------------------------

const { next, heading, choose, addCredentials, newWizard, openTaskId, task, statusShown: shown } = ui(() => page);

async function testConnection(name, expect) {
  const row = page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });
  await row.getByRole('radio').check();
  await page.getByRole('button', { name: 'Test connection', exact: true }).click();
  await row.getByText(expect, { exact: true }).waitFor();
}

/** Waits (bounded) until the task's run is over and returns it. */
async function settled(id, status) {
  const deadline = Date.now() + runTimeout;
  let t;
  while (Date.now() < deadline) {
    t = await task(id);
    if (!t.active && t.status === status) return t;
    await page.waitForTimeout(250);
  }
  throw new Error(`task ${id} never became ${status}: ${JSON.stringify({ status: t?.status, counters: t?.counters, lastError: t?.lastError })}`);
}

const statusShown = (label) => shown(label, runTimeout);

async function openTab(name) {
  await page.getByRole('tab', { name }).click();
}

describe('Local tasks', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'th-e2e-tasks-'));
    // A small dev tool pushes generated test images (cloud/image/imagetest).
    pushimage = join(work, 'pushimage');
    run('go', ['build', '-o', pushimage, './backend/tasks/internal/pushimage'], { cwd: repoRoot, env: { ...process.env, CGO_ENABLED: '0' } });

    // Source bucket on gateway A with 12 objects; an empty destination bucket on B.
    aws('A', 's3', 'mb', `s3://${buckets.src}`);
    aws('B', 's3', 'mb', `s3://${buckets.dst}`);
    const seed = join(work, 'seed');
    mkdirSync(join(seed, 'photos'), { recursive: true });
    for (let i = 0; i < 12; i++) writeFileSync(join(seed, 'photos', `img-${String(i).padStart(2, '0')}.jpg`), `photo ${i} `.repeat(100 + i * 50));
    aws('A', 's3', 'cp', '--recursive', '--quiet', seed, `s3://${buckets.src}/`);
    pushImage('v1', 1);

    ({ browser, page } = await openBrowser({ pageErrors }));
    // Screenshots in light, then dark: the theme follows the browser while it is "system".
    restoreSettings = await openApp(page, 'tasks', 'Tasks');
  });

  after(async () => {
    await restore(page, restoreSettings);
    await browser?.close();
    if (existsSync(blocker()) && statSync(blocker()).isFile()) rmSync(blocker());
    removeBuckets(testEnv, [['A', buckets.src], ['B', buckets.dst]]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('adds credentials for both gateways and both registries, and they connect', async () => {
    await addCredentials({ name: names.a, fill: gatewayFields(testEnv, 'A') });
    await addCredentials({ name: names.b, fill: gatewayFields(testEnv, 'B') });
    await addCredentials({ name: names.wrong, fill: { ...gatewayFields(testEnv, 'A'), 'Secret key': 'not-the-secret' } });
    await addCredentials({
      name: names.regAuth, kind: /Container registry/,
      fill: { 'Registry host': testEnv.TH_REG_AUTH, 'User name': testEnv.TH_REG_AUTH_USER ?? 'AWS', 'Password or token': testEnv.TH_REG_AUTH_PASS, 'CA certificate file - optional': testEnv.TH_REG_AUTH_CA },
    });
    // The open registry takes anyone; the form asks for a login all the same.
    await addCredentials({
      name: names.regOpen, kind: /Container registry/,
      fill: { 'Registry host': testEnv.TH_REG_OPEN, 'User name': 'anonymous', 'Password or token': 'unused' }, check: ['Plain HTTP (no TLS)'],
    });
    await testConnection(names.a, 'Connected');
    await testConnection(names.b, 'Connected');
    await testConnection(names.regAuth, 'Connected');
    await testConnection(names.regOpen, 'Connected');
    await shot('01-credentials');
  });

  it('creates an S3 task through the wizard: review shows the dry-run plan, the run completes with the right counts', async () => {
    await newWizard();
    await page.getByRole('textbox', { name: 'Name' }).fill(names.s3Task);
    await shot('02-wizard-type');
    await next();
    await heading(/^Source/).waitFor();
    await choose(/source credentials/, new RegExp(names.a));
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.src);
    await shot('03-wizard-source');
    await next();
    await heading(/^Destination/).waitFor();
    await choose(/destination credentials/, new RegExp(names.b));
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.dst);
    await shot('04-wizard-destination');
    await next();
    await heading(/^Options/).waitFor();
    await shot('05-wizard-options');
    await next();
    await heading(/^Review and create/).waitFor();
    // The plan: 12 objects found, all to copy (nothing at the destination yet).
    await page.getByText(/^12 objects \(/).first().waitFor({ timeout: 60_000 });
    const plan = await page.locator('[class*="key-value-pairs"]').last().innerText();
    assert.match(plan, /To copy\s+12 objects/);
    assert.match(plan, /Already there\s+0 objects/);
    await shot('06-wizard-review-plan');
    await page.getByRole('button', { name: 'Create task' }).click();
    await heading(new RegExp(names.s3Task)).waitFor();
    ids.s3 = openTaskId();

    const t = await settled(ids.s3, 'COMPLETED');
    assert.equal(t.counters.foundObjects, 12);
    assert.equal(t.counters.doneObjects, 12);
    assert.equal(t.counters.failedObjects, 0);
    await statusShown('Completed');
    await page.getByText('12 (').first().waitFor();
    await page.getByRole('row').filter({ hasText: 'photos/img-00.jpg' }).first().waitFor();
    const listed = JSON.parse(aws('B', 's3api', 'list-objects-v2', '--bucket', buckets.dst, '--output', 'json'));
    assert.equal(listed.Contents.length, 12, 'the destination holds the 12 objects');
    await shot('07-detail-completed');
  });

  it('lists a failing object with its error, then retries it after the cause is fixed', async () => {
    // A new source object whose key the destination refuses: its parent is a file there.
    const file = join(work, 'blocked.txt');
    writeFileSync(file, 'blocked content');
    aws('A', 's3', 'cp', '--quiet', file, `s3://${buckets.src}/blocked/obj.txt`);
    writeFileSync(blocker(), 'in the way');

    await page.getByRole('button', { name: 'Start new run' }).click();
    let t = await settled(ids.s3, 'FAILED');
    assert.equal(t.counters.foundObjects, 13);
    assert.equal(t.counters.skippedObjects, 12, 'the 12 copied objects are recognised');
    assert.equal(t.counters.failedObjects, 1);
    await statusShown('Failed');
    await openTab(/^Failed \(1\)/);
    const failedRow = page.getByRole('row').filter({ hasText: 'blocked/obj.txt' });
    await failedRow.waitFor();
    assert.match(await failedRow.innerText(), /ObjectParentIsFile|parent/i, 'the error is in the row');
    await shot('08-detail-failed-object');

    rmSync(blocker());
    await page.getByRole('button', { name: 'Retry failed' }).click();
    t = await settled(ids.s3, 'COMPLETED');
    assert.equal(t.counters.failedObjects, 0);
    assert.equal(t.counters.doneObjects, 1);
    assert.equal(t.counters.foundObjects, 13);
    await statusShown('Completed');
    await page.getByText('No failed items in this task.').waitFor();
    const o = JSON.parse(aws('B', 's3api', 'head-object', '--bucket', buckets.dst, '--key', 'blocked/obj.txt', '--output', 'json'));
    assert.equal(o.ContentLength, 15);
    await openTab('Log');
    await page.getByText('retrying failed objects').first().waitFor();
    await shot('09-detail-log');

    // The per-object report (what Export writes after the save dialog).
    const report = join(work, 'report.csv');
    const res = await page.evaluate(([i, p]) => window.go.app.MonitorService.ExportTo(i, 'csv', '', p), [ids.s3, report]);
    assert.equal(res.rows, 13);
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'key,size,status,attempts,error,etag,dest_etag,checksum,updated');
    assert.ok(lines.some((l) => l.startsWith('blocked/obj.txt,15,DONE,')));
  });

  it('creates an image task between the registries; a missing tag fails, then is retried once pushed', async () => {
    await newWizard();
    await page.getByRole('radio', { name: /Container images/ }).check();
    await page.getByRole('textbox', { name: 'Name' }).fill(names.imgTask);
    await next();
    await heading(/^Source/).waitFor();
    await choose(/source credentials/, new RegExp(names.regAuth));
    await page.getByRole('textbox', { name: 'Images' }).fill(`${repo}:v1\n${repo}:v2`);
    await shot('10-wizard-image-source');
    await next();
    await heading(/^Destination/).waitFor();
    await choose(/destination credentials/, new RegExp(names.regOpen));
    await page.getByRole('textbox', { name: 'Repository prefix - optional' }).fill('mirror');
    await next();
    await heading(/^Options/).waitFor();
    await next();
    await heading(/^Review and create/).waitFor();
    await page.getByText('2 images').first().waitFor({ timeout: 60_000 });
    const plan = await page.locator('[class*="key-value-pairs"]').last().innerText();
    assert.match(plan, /To copy\s+1 image\b/);
    assert.match(plan, /Cannot be read\s+1/);
    await shot('11-wizard-image-review');
    await page.getByRole('button', { name: 'Create task' }).click();
    await heading(new RegExp(names.imgTask)).waitFor();
    ids.img = openTaskId();

    let t = await settled(ids.img, 'FAILED');
    assert.equal(t.counters.foundObjects, 2);
    assert.equal(t.counters.doneObjects, 1);
    assert.equal(t.counters.failedObjects, 1);
    assert.equal(t.lastError, '1 of 2 images failed');
    await openTab(/^Failed \(1\)/);
    const row = page.getByRole('row').filter({ hasText: `${repo}:v2` });
    await row.waitFor();
    assert.ok((await row.innerText()).length > `${testEnv.TH_REG_AUTH}/${repo}:v2`.length + 20, 'the row carries the error');
    await shot('12-image-failed');

    pushImage('v2', 2);
    await page.getByRole('button', { name: 'Retry failed' }).click();
    t = await settled(ids.img, 'COMPLETED');
    assert.equal(t.counters.doneObjects, 2);
    assert.equal(t.counters.failedObjects, 0);
    await statusShown('Completed');
    await openTab('Images');
    await page.getByRole('row').filter({ hasText: `${testEnv.TH_REG_OPEN}/mirror/${repo}:v2` }).first().waitFor();
    await shot('13-image-completed');
    const tags = run('skopeo', ['list-tags', '--tls-verify=false', `docker://${testEnv.TH_REG_OPEN}/mirror/${repo}`]);
    assert.deepEqual(JSON.parse(tags).Tags.sort(), ['v1', 'v2']);
  });

  it('shows a wrong credential as a readable error on the task', async () => {
    await newWizard();
    await page.getByRole('textbox', { name: 'Name' }).fill(names.badTask);
    await next();
    await choose(/source credentials/, new RegExp(names.wrong));
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.src);
    await next();
    await page.getByRole('radio', { name: /A folder on this computer/ }).check();
    await page.getByRole('textbox', { name: 'Folder' }).fill(join(work, 'never-written'));
    await next();
    await next();
    await heading(/^Review and create/).waitFor();
    await page.getByText(/wrong secret key \(SignatureDoesNotMatch\)/).first().waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Create task' }).click();
    await heading(new RegExp(names.badTask)).waitFor();
    const t = await settled(openTaskId(), 'FAILED');
    assert.equal(t.lastError, `source: credentials rejected for s3://${buckets.src}/ at ${testEnv.TH_S3_A_ENDPOINT}: wrong secret key (SignatureDoesNotMatch)`);
    await page.getByText(t.lastError).first().waitFor();
    const body = await page.locator('body').innerText();
    assert.ok(!/goroutine|panic|\.go:\d+/.test(body), 'no stack trace on the page');
    await shot('14-wrong-credential');
  });

  it('rejects invalid values in every wizard field with a specific message', async () => {
    const shows = (text) => page.getByText(text).first().waitFor();
    await newWizard();
    await next();
    await shows('enter a name for the task');
    await page.getByRole('textbox', { name: 'Name' }).fill(names.s3Task.toUpperCase());
    await next();
    await shows(/a task called ".*" already exists; choose another name/);
    await page.getByRole('textbox', { name: 'Name' }).fill(`Bad input ${rnd}`);
    await next();
    await heading(/^Source/).waitFor();
    await next();
    await shows('choose the credentials for the source bucket');
    await shows('enter the source bucket name');
    await choose(/source credentials/, new RegExp(names.a));
    for (const [value, message] of [
      ['ab', 'it must be 3 to 63 characters long'],
      ['Bad_Bucket', 'use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit'],
      ['a..b', 'no two adjacent dots'],
      ['192.168.0.1', 'it must not look like an IP address'],
    ]) {
      await page.getByRole('textbox', { name: 'Bucket' }).fill(value);
      await next();
      await shows(message);
    }
    await page.getByRole('textbox', { name: 'Region - optional' }).fill('Not A Region');
    await next();
    await shows(/"Not A Region" is not a region name/);
    await page.getByRole('textbox', { name: 'Region - optional' }).fill('');
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.src);
    await next();
    await heading(/^Destination/).waitFor();
    await page.getByRole('radio', { name: /A folder on this computer/ }).check();
    await page.getByRole('textbox', { name: 'Folder' }).fill('relative/folder');
    await next();
    await shows(/"relative\/folder" is a relative path/);
    await page.getByRole('textbox', { name: 'Folder' }).fill(join(work, 'bad-input-out'));
    await next();
    await heading(/^Options/).waitFor();
    const field = (label) => page.getByRole('textbox', { name: label, exact: true });
    await field('Prefix list - optional').fill('photos/\n/absolute/');
    await field('Include - optional').fill('[abc');
    await field('Exclude - optional').fill('tmp\\');
    await field('Smallest size - optional').fill('huge');
    await field('Largest size - optional').fill('10 parsecs');
    await field('Modified after - optional').fill('yesterday');
    await field('Modified before - optional').fill('31/12/2024');
    await field('Concurrency').fill('1000');
    // Leave the last field first: its error appears on blur and moves the radios down.
    await page.evaluate(() => document.activeElement?.blur());
    await page.getByRole('radio', { name: /Every…/ }).check();
    await field('Interval').fill('10s');
    await next();
    await shows('line 2 ("/absolute/") starts with "/"; prefixes are relative to the source, e.g. photos/2024/');
    await shows('glob "[abc": unclosed [');
    await shows('glob "tmp\\": trailing backslash');
    await shows(/"huge" is not a size/);
    await shows(/"10 parsecs" is not a size/);
    await shows(/"yesterday" is not a date/);
    await shows(/"31\/12\/2024" is not a date/);
    await shows('1000 is out of range; enter a whole number from 1 to 256');
    await shows('10s is too often; runs must be at least 1m0s apart');
    await shot('15-wizard-bad-input-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'));
    await shot('15-wizard-bad-input-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.evaluate(() => document.activeElement?.blur());
    await page.getByRole('radio', { name: /On a cron schedule/ }).check();
    await field('Cron expression').fill('61 * * * *');
    await field('Prefix list - optional').fill('');
    await field('Include - optional').fill('');
    await field('Exclude - optional').fill('');
    await field('Smallest size - optional').fill('2MB');
    await field('Largest size - optional').fill('1MB');
    await field('Modified after - optional').fill('2024-05-02');
    await field('Modified before - optional').fill('2024-05-01');
    await field('Concurrency').fill('8');
    await next();
    await shows(/"61 \* \* \* \*" is not a cron expression/);
    await shows('the largest size (1MB) is below the smallest (2MB)');
    await shows('2024-05-01 is not after 2024-05-02; no object could match');

    // Image fields.
    await newWizard();
    await page.getByRole('radio', { name: /Container images/ }).check();
    await page.getByRole('textbox', { name: 'Name' }).fill(`Bad images ${rnd}`);
    await next();
    await next();
    await shows('enter at least one image reference, e.g. registry.example.com/team/app:v1');
    await page.getByRole('textbox', { name: 'Images' }).fill('Upper/Case:v1');
    await next();
    await shows(/invalid source reference "Upper\/Case:v1"/);
    await page.getByRole('textbox', { name: 'Images' }).fill('registry.example.com/app@sha256:123');
    await next();
    await shows(/digest must be sha256:<64 hex>/);
    await choose(/source credentials/, new RegExp(names.regAuth));
    await page.getByRole('textbox', { name: 'Images' }).fill('other.example.com/team/app:v1');
    await next();
    await shows(/names a registry host; the registry is/);
    await page.getByRole('textbox', { name: 'Images' }).fill(`${repo}:v1`);
    await next();
    await heading(/^Destination/).waitFor();
    await next();
    await shows(/choose the destination registry's credentials, or enter its host/);
    await page.getByRole('textbox', { name: 'Registry host' }).fill('bad host name');
    await next();
    await shows(/"bad host name" is not a registry host/);
    await page.getByRole('textbox', { name: 'Registry host' }).fill(testEnv.TH_REG_OPEN);
    await page.getByRole('textbox', { name: 'Repository prefix - optional' }).fill('Mirror!');
    await next();
    await shows(/"Mirror!" is not a repository prefix/);
    await page.getByRole('textbox', { name: 'Repository prefix - optional' }).fill('mirror');
    await next();
    await heading(/^Options/).waitFor();
    await field('Include tags - optional').fill('v[0-9');
    await field('Version range - optional').fill('newest');
    await field('Only the newest - optional').fill('-3');
    await field('Platforms - optional').fill('linux/amd46\nlinx/arm64');
    await field('Concurrency').fill('0');
    await next();
    await shows(/"v\[0-9" is not a regular expression/);
    await shows(/"newest" is not a version range/);
    await shows('-3 is out of range; enter 0 (all tags) to 10000');
    await shows(/unknown architecture "amd46"/);
    await shows('0 is out of range; enter a whole number from 1 to 256');
    await field('Platforms - optional').fill('linx/arm64');
    await next();
    await shows(/unknown operating system "linx"/);
    await shot('16-wizard-image-bad-input');
  });

  it('lists the tasks with status, progress and counts, in light and dark', async () => {
    await page.goto(`${baseURL}/#/tasks`);
    await page.getByRole('heading', { level: 1, name: /^Tasks/ }).waitFor();
    const s3Row = page.getByRole('row').filter({ hasText: names.s3Task });
    await s3Row.getByText('Completed').waitFor();
    assert.match(await s3Row.innerText(), /13 of 13/);
    const badRow = page.getByRole('row').filter({ hasText: names.badTask });
    await badRow.getByText('Failed').waitFor();
    await shot('17-list-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.body.classList.contains('awsui-dark-mode'));
    await shot('17-list-dark');
    await page.goto(`${baseURL}/#/tasks/${ids.s3}`);
    await heading(new RegExp(names.s3Task)).waitFor();
    await page.getByRole('row').filter({ hasText: 'photos/img-00.jpg' }).first().waitFor();
    await shot('18-detail-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
