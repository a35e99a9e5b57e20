// End-to-end test of cloud tasks: Chromium (playwright-core) against `wails dev` in browser
// mode, with the AWS emulator of the test services as the account and thub-harness playing
// AWS's compute for the task stacks (both started by build/scripts/e2e.sh, which points the
// app at them through THUB_TEST_* and AWS_ENDPOINT_URL, and names the control plane prefix
// the harness plays in TH_E2E_CLOUD_PREFIX).
//
// A cloud S3 task is created through the wizard between the two S3 gateways: the review
// shows the cost estimate and offers to deploy the missing control plane in the same
// click; the task page shows the deploy, then the run to FAILED with exact counts and the
// one object the destination refuses in the failed list, the queue and fleet panels;
// retry failed completes it once the cause is gone; stop and resume; delete keeps the data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, deleteKeepingTable, gatewayCLI, gatewayFields, leaveAsFound, loadTestEnv, needs, openApp, openBrowser, removeBuckets, screenshots, ui } from './support.mjs';

// Bounded waits, not speed assertions: a deploy into the emulator and a run on the
// harness's fleet (the wake alarm's minute is a second there) take a few minutes on 2 cores.
const deployTimeout = 6 * 60_000;
const runTimeout = 5 * 60_000;

const testEnv = loadTestEnv();
const skip = needs('cloud', ['TH_S3_A_ENDPOINT', 'TH_S3_B_ENDPOINT', 'TH_S3_B_DATA_DIR', 'TH_AWS_ENDPOINT', 'TH_AWS_REGION', 'TH_REG_AUTH', 'TH_KEYRING', 'TH_E2E_CLOUD_PREFIX'], testEnv);

const rnd = Math.random().toString(16).slice(2, 8);
const controlPlane = testEnv.TH_E2E_CLOUD_PREFIX;
const region = testEnv.TH_AWS_REGION;
const names = { acct: `Emulator account ${rnd}`, a: `Cloud gateway A ${rnd}`, b: `Cloud gateway B ${rnd}`, task: `Cloud copy ${rnd}` };
const buckets = { src: `th-e2e-csrc-${rnd}`, dst: `th-e2e-cdst-${rnd}` };
const objects = 20;

let browser;
let page;
let work;
let taskId = '';
let profileId = '';
const pageErrors = [];

const { shots, failShot } = screenshots(() => page, 'cloud-');
const { modal, next, heading, choose, addCredentials, addEmulatorAccount, task, statusShown: shown, reaches: waitUntil } = ui(() => page, { failShot });
const aws = (gw, ...args) => gatewayCLI(testEnv, gw, ...args);

const blocker = () => join(testEnv.TH_S3_B_DATA_DIR, buckets.dst, 'blocked');
const blocker2 = () => join(testEnv.TH_S3_B_DATA_DIR, buckets.dst, 'blocked2');

const reaches = (id, status, limit = runTimeout) => waitUntil(id, status, limit);
const statusShown = (label) => shown(label, runTimeout);
// deadLettersShown waits until the Queue panel's "Dead-letter queue" reads want (the
// panel refreshes on its own; SQS counts are approximate for a moment).
async function deadLettersShown(want, limit = 90_000) {
  const value = page.getByText('Dead-letter queue', { exact: true }).first().locator('xpath=../..');
  const deadline = Date.now() + limit;
  let text;
  do {
    text = (await value.textContent()).replace('Dead-letter queue', '').trim();
    if (text === want) return;
    await page.waitForTimeout(1000);
  } while (Date.now() < deadline);
  assert.equal(text, want, 'the Queue panel\'s dead-letter queue');
}

describe('Cloud tasks', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'th-e2e-cloud-'));
    aws('A', 's3', 'mb', `s3://${buckets.src}`);
    aws('B', 's3', 'mb', `s3://${buckets.dst}`);
    const seed = join(work, 'seed');
    mkdirSync(join(seed, 'data'), { recursive: true });
    mkdirSync(join(seed, 'blocked'), { recursive: true });
    for (let i = 0; i < objects; i++) writeFileSync(join(seed, 'data', `o${String(i).padStart(2, '0')}.bin`), `object ${i} `.repeat(50 + i * 10));
    writeFileSync(join(seed, 'blocked', 'obj.txt'), 'blocked content');
    aws('A', 's3', 'cp', '--recursive', '--quiet', seed, `s3://${buckets.src}/`);
    // The destination refuses blocked/obj.txt: its parent is a file there.
    writeFileSync(blocker(), 'in the way');

    ({ browser, page } = await openBrowser({ pageErrors }));
    await openApp(page, 'tasks', 'Tasks');
  });

  after(async () => {
    await leaveAsFound(page, { profileId, region, controlPlane, names: Object.values(names) });
    await browser?.close();
    for (const b of [blocker(), blocker2()]) if (existsSync(b) && statSync(b).isFile()) rmSync(b);
    removeBuckets(testEnv, [['A', buckets.src], ['B', buckets.dst]]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('adds the emulator account and both gateways', async () => {
    profileId = await addEmulatorAccount(names.acct, region);
    await addCredentials({ name: names.a, fill: gatewayFields(testEnv, 'A') });
    await addCredentials({ name: names.b, fill: gatewayFields(testEnv, 'B') });
  });

  it('creates a cloud S3 task through the wizard: estimate, control plane offered, deploy with live progress', async () => {
    await page.goto(`${baseURL}/#/tasks`);
    await page.getByRole('button', { name: 'Create task' }).first().click();
    await heading(/^Choose a task type/).waitFor();
    await page.getByRole('radio', { name: /AWS account/ }).check();
    await choose(/^AWS account/, new RegExp(names.acct));
    await page.getByRole('textbox', { name: 'Control plane - optional' }).fill(controlPlane);
    await page.getByRole('textbox', { name: 'Name' }).fill(names.task);
    await shots('01-wizard-engine');
    await next();
    await heading(/^Source/).waitFor();
    await choose(/source credentials/, new RegExp(names.a));
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.src);
    await next();
    await heading(/^Destination/).waitFor();
    await choose(/destination credentials/, new RegExp(names.b));
    await page.getByRole('textbox', { name: 'Bucket' }).fill(buckets.dst);
    await next();
    await heading(/^Options/).waitFor();
    await page.getByRole('textbox', { name: 'Worker fleet: maximum size' }).fill('2');
    await page.getByText(/\(default VPC\)|The default VPC/).first().waitFor();
    await shots('02-wizard-cloud-options');
    await next();
    await heading(/^Review and create/).waitFor();
    await page.getByText(`${objects + 1} objects (`).first().waitFor({ timeout: 60_000 });
    // The estimate: a total in USD, the price table's date, its assumptions.
    await page.getByText('Estimated cost of a run').waitFor({ timeout: 60_000 });
    await page.getByText(/^USD, .*, as of \d{4}-\d{2}-\d{2}/).first().waitFor();
    await page.getByRole('button', { name: /Assumptions and what is not included/ }).click();
    // The control plane is offered, with its preview.
    await page.getByText(new RegExp(`No control plane "${controlPlane}" in`)).waitFor({ timeout: 120_000 });
    await page.getByText(/^Control plane ".*": \d+ to add/).waitFor();
    await shots('03-wizard-review-estimate');
    await page.getByRole('button', { name: 'Deploy control plane and task' }).click();
    await heading(new RegExp(names.task)).waitFor({ timeout: 60_000 });
    const m = /#\/tasks\/([^/?]+)$/.exec(page.url());
    assert.ok(m, `the task page is open (${page.url()})`);
    taskId = m[1];
    await statusShown('Deploying');
    // The stack operation under way, live: the control plane's, then the task stack's.
    await failShot('04-task-deploying', page.getByRole('heading', { level: 2, name: /^Deploying/ }).first().waitFor({ timeout: 60_000 }));
    await shots('04-task-deploying');
    // The task stack's deploy as N of M resources; a finished deploy stays shown, so a fast emulator is caught too.
    await failShot('04-task-deployed', page.getByRole('heading', { level: 2, name: /^Deploying: complete$/ }).waitFor({ timeout: deployTimeout }));
    const [, done, total] = /^(\d+) of (\d+) resources$/.exec(await page.getByText(/^\d+ of \d+ resources$/).first().textContent());
    assert.ok(Number(total) > 0 && done === total, `${done} of ${total} resources`);
    const op = await page.evaluate((i) => window.go.app.CloudService.Operation(i), taskId);
    assert.ok(op && ['control-plane', 'create'].includes(op.kind), `an operation on the stack: ${JSON.stringify(op)}`);
  });

  it('runs in the cloud to FAILED with exact counts; the failed list, queue and fleet panels; retry completes it', async () => {
    let t = await failShot('05-run', reaches(taskId, 'FAILED', deployTimeout + runTimeout));
    assert.equal(t.engine, 'cloud');
    assert.equal(t.counters.foundObjects, objects + 1);
    assert.equal(t.counters.doneObjects, objects);
    assert.equal(t.counters.failedObjects, 1);
    await statusShown('Failed');
    await page.getByRole('heading', { name: 'Queue' }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.getByText('Queue depth').waitFor();
    await page.getByText(/ of 2$/).first().waitFor({ timeout: 60_000 }); // running of the fleet's max
    await page.getByRole('tab', { name: /^Failed \(1\)/ }).click();
    await page.getByText('blocked/obj.txt', { exact: true }).first().waitFor({ timeout: 60_000 });
    await failShot('05-dead-letter', deadLettersShown('1')); // the failed object's job
    await shots('05-task-failed-panels');

    rmSync(blocker());
    await page.getByRole('button', { name: 'Retry failed' }).click();
    t = await failShot('06-retry', reaches(taskId, 'COMPLETED'));
    assert.equal(t.counters.failedObjects, 0);
    assert.equal(t.counters.foundObjects, objects + 1);
    assert.equal(t.counters.doneObjects, objects + 1);
    await statusShown('Completed');
    const listed = JSON.parse(aws('B', 's3api', 'list-objects-v2', '--bucket', buckets.dst, '--output', 'json'));
    assert.equal(listed.Contents.length, objects + 1, 'every object is at the destination');
    // The retry made the dead-lettered job redundant: it is gone, not an open problem.
    await failShot('06-dead-letter', deadLettersShown('0'));
    await shots('06-task-completed');
  });

  it('stops and resumes a run', async () => {
    const before = (await task(taskId)).runId;
    // New objects, one of which the destination refuses for now: its retries keep the run
    // going until it is stopped (a run of small objects alone could end before the click).
    for (let i = 0; i < 10; i++) writeFileSync(join(work, `n${i}.bin`), `new ${i} `.repeat(40));
    for (let i = 0; i < 10; i++) aws('A', 's3', 'cp', '--quiet', join(work, `n${i}.bin`), `s3://${buckets.src}/more/n${i}.bin`);
    aws('A', 's3', 'cp', '--quiet', join(work, 'n0.bin'), `s3://${buckets.src}/blocked2/obj.txt`);
    writeFileSync(blocker2(), 'in the way');
    await page.getByRole('button', { name: 'Start new run' }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).click({ timeout: 120_000 });
    let t = await failShot('07-stop', reaches(taskId, 'STOPPED'));
    assert.ok(t.canResume);
    await statusShown('Stopped');
    await shots('07-task-stopped');
    rmSync(blocker2());
    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Resume' }).click();
    const deadline = Date.now() + runTimeout;
    do {
      t = await task(taskId);
      if (t.runId !== before && t.status === 'COMPLETED' && !t.active) break;
      await page.waitForTimeout(1000);
    } while (Date.now() < deadline);
    assert.equal(t.status, 'COMPLETED', JSON.stringify(t.counters));
    assert.equal(t.counters.foundObjects, objects + 12);
    assert.equal(t.counters.failedObjects, 0);
    assert.equal(t.counters.doneObjects + t.counters.skippedObjects, objects + 12);
  });

  it('deletes the task, keeping its table', async () => {
    await deleteKeepingTable(page, taskId, { modal, limit: deployTimeout, beforeDelete: () => shots('08-delete-modal') });
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
