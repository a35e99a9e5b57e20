// End-to-end test of a cloud image task: Chromium (playwright-core) against `wails dev` in
// browser mode, with the AWS emulator of the test services as the account and
// thub-harness playing AWS's compute (both started by build/scripts/e2e.sh): the harness
// interprets the task's state machine, runs its list Lambda under aws-lambda-rie and its
// Fargate copiers as processes (cloud/docs/deploy.md, "the harness").
//
// An image task is created through the wizard between two plain-HTTP registries of the
// test services (reg-open, behind a proxy of this spec that can slow it down, to reg-oci):
// the review offers the control plane in the same click; the task page shows the deploy,
// then the run to FAILED with exact counts and the image whose tag is missing at the
// source in the failed list with its reason, the log lines and stack events; retry failed
// completes it once the tag is pushed; a run stopped while it copies (the source slowed
// down) has its execution ABORTED (the harness honours StopExecution) and resumes with a
// new execution to COMPLETED; the state machine executions panel shows the runs' executions
// as Step Functions lists them; delete keeps the data. Every image at the destination has
// its source's digest.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseURL, deleteKeepingTable, leaveAsFound, loadTestEnv, needs, openApp, openBrowser, repoRoot, run, screenshots, ui } from './support.mjs';

// Bounded waits, not speed assertions: a deploy into the emulator, and a run whose failing
// batch the state machine retries after 1 and 2 minutes (its defaults), take minutes.
const deployTimeout = 6 * 60_000;
const runTimeout = 8 * 60_000;

const testEnv = loadTestEnv();
const skip = needs('cloud image', ['TH_REG_OPEN', 'TH_REG_OCI', 'TH_AWS_REGION', 'TH_KEYRING', 'TH_E2E_CLOUD_PREFIX', 'TH_E2E_AWS_ENDPOINT'], testEnv);

const rnd = Math.random().toString(16).slice(2, 8);
// Its own control plane, whatever the S3 cloud spec left (the harness plays every stack
// whose name starts with the prefix).
const controlPlane = `${testEnv.TH_E2E_CLOUD_PREFIX}-img`;
const region = testEnv.TH_AWS_REGION;
const names = { acct: `Image account ${rnd}`, src: `Open registry ${rnd}`, dst: `OCI registry ${rnd}`, task: `Cloud images ${rnd}` };
const repo = `th-e2e-${rnd}/app`;
const tags = ['v1', 'v2', 'v3'];
const ghost = 'v4'; // in the task's list, pushed only before "Retry failed"
const origin = (tag) => `${testEnv.TH_REG_OPEN}/${repo}:${tag}`; // pushed and read here
let srcHost = ''; // the proxy's host:port: the task's source registry
const src = (tag) => `${srcHost}/${repo}:${tag}`;
const dst = (tag) => `${testEnv.TH_REG_OCI}/mirror/${repo}:${tag}`;

let browser;
let page;
let work;
let pushimage;
let proxy;
const upstream = new Set(); // the proxy's requests to reg-open still open
let delay = 0; // ms the proxy waits before each request it forwards
let taskId = '';
let profileId = '';
const pageErrors = [];
const pushed = {}; // tag → digest at the source

const { shots, failShot } = screenshots(() => page, 'cloudimage-');
const { modal, next, heading, choose, addCredentials, addEmulatorAccount, openTaskId, task, statusShown, reaches: waitUntil } = ui(() => page, { failShot });

function pushImage(tag, seed) {
  const out = run(pushimage, ['-ref', origin(tag), '-insecure', '-seed', String(seed)]).trim();
  pushed[tag] = out.split(' ').pop();
  assert.match(pushed[tag], /^sha256:[0-9a-f]{64}$/, out);
}

/** The digest of the manifest a registry serves for a reference: the SHA-256 of its bytes. */
function digestAt(reference) {
  const raw = run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`], { encoding: 'buffer' });
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

function sameDigests(list) {
  for (const tag of list) assert.equal(digestAt(dst(tag)), pushed[tag], `${dst(tag)} has the digest of ${origin(tag)}`);
}

const reaches = (id, status, limit = runTimeout, notRun = '') => waitUntil(id, status, limit, notRun);

/** The AWS CLI against the emulator that is the app's account (it takes any key). */
function awsEmulator(...args) {
  const out = run('/usr/bin/aws', ['--endpoint-url', testEnv.TH_E2E_AWS_ENDPOINT, '--region', region, '--output', 'json', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_PAGER: '', AWS_ENDPOINT_URL: '' },
  });
  return JSON.parse(out);
}

/** The task's state machine executions as Step Functions lists them, newest first. */
async function executionsInAWS() {
  const stack = (await task(taskId)).cloud?.stack;
  assert.ok(stack, 'the task names its stack');
  const outputs = awsEmulator('cloudformation', 'describe-stacks', '--stack-name', stack).Stacks[0].Outputs ?? [];
  const sm = outputs.find((o) => o.OutputKey === 'StateMachineArn')?.OutputValue;
  assert.ok(sm, `stack ${stack} names its state machine`);
  return awsEmulator('stepfunctions', 'list-executions', '--state-machine-arn', sm).executions;
}

/** The executions panel's row of an execution, once it shows the status (as the panel words it). */
const executionRow = (name, status) => page.getByRole('row').filter({ hasText: name }).filter({ hasText: status }).first();

describe('Cloud image tasks', { skip }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'th-e2e-cloudimage-'));
    // A small dev tool pushes generated test images (cloud/image/imagetest).
    pushimage = join(work, 'pushimage');
    run('go', ['build', '-o', pushimage, './backend/tasks/internal/pushimage'], { cwd: repoRoot, env: { ...process.env, CGO_ENABLED: '0' } });
    tags.forEach((tag, i) => pushImage(tag, 40 + i));
    // The source registry as the task reaches it: reg-open, each request after `delay`.
    const [host, port] = testEnv.TH_REG_OPEN.split(':');
    proxy = createServer((req, res) => {
      setTimeout(() => {
        // A copier stopped mid-request leaves its request here: once the spec is done,
        // nothing may stay open (an upstream request waiting for a body that never comes
        // kept this test file's process alive, and with it the whole e2e run).
        if (!proxy?.listening || req.destroyed) {
          res.destroy();
          return;
        }
        const up = request({ host, port, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        upstream.add(up);
        up.on('close', () => upstream.delete(up));
        up.on('error', (e) => res.destroy(e));
        res.on('close', () => { if (!res.writableFinished) up.destroy(); });
        req.pipe(up);
      }, delay);
    });
    await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
    srcHost = `127.0.0.1:${String(proxy.address().port)}`;
    ({ browser, page } = await openBrowser({ pageErrors }));
    await openApp(page, 'tasks', 'Tasks');
  });

  after(async () => {
    await leaveAsFound(page, { profileId, region, controlPlane, names: Object.values(names) });
    await browser?.close();
    proxy?.closeAllConnections();
    proxy?.close();
    for (const up of upstream) up.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('adds the emulator account and both registries', async () => {
    profileId = await addEmulatorAccount(names.acct, region);
    // Both registries take anyone; the form asks for a login all the same.
    for (const [name, host] of [[names.src, srcHost], [names.dst, testEnv.TH_REG_OCI]]) {
      await addCredentials({ name, kind: /Container registry/, fill: { 'Registry host': host, 'User name': 'anonymous', 'Password or token': 'unused' }, check: ['Plain HTTP (no TLS)'] });
    }
  });

  it('creates a cloud image task through the wizard: the control plane offered, deploy with live progress', async () => {
    await page.goto(`${baseURL}/#/tasks`);
    await page.getByRole('button', { name: 'Create task' }).first().click();
    await heading(/^Choose a task type/).waitFor();
    await page.getByRole('radio', { name: /Container images/ }).check();
    await page.getByRole('radio', { name: /AWS account/ }).check();
    await choose(/^AWS account/, new RegExp(names.acct));
    await page.getByRole('textbox', { name: 'Control plane - optional' }).fill(controlPlane);
    await page.getByRole('textbox', { name: 'Name' }).fill(names.task);
    await next();
    await heading(/^Source/).waitFor();
    await choose(/source credentials/, new RegExp(names.src));
    await page.getByRole('textbox', { name: 'Images' }).fill([...tags, ghost].map((t) => `${repo}:${t}`).join('\n'));
    await next();
    await heading(/^Destination/).waitFor();
    await choose(/destination credentials/, new RegExp(names.dst));
    await page.getByRole('textbox', { name: 'Repository prefix - optional' }).fill('mirror');
    await next();
    await heading(/^Options/).waitFor();
    await page.getByRole('textbox', { name: 'Copiers at once' }).fill('2');
    await shots('01-wizard-cloud-options');
    await next();
    await heading(/^Review and create/).waitFor();
    await page.getByText(`${tags.length + 1} images`).first().waitFor({ timeout: 60_000 });
    const plan = await page.locator('[class*="key-value-pairs"]').filter({ hasText: 'To copy' }).last().innerText();
    assert.match(plan, new RegExp(`To copy\\s+${tags.length} images\\b`));
    assert.match(plan, /Cannot be read\s+1/);
    await page.getByText(new RegExp(`No control plane "${controlPlane}" in`)).waitFor({ timeout: 120_000 });
    await page.getByText(/^Control plane ".*": \d+ to add/).waitFor();
    await shots('02-wizard-review');
    await page.getByRole('button', { name: 'Deploy control plane and task' }).click();
    await heading(new RegExp(names.task)).waitFor({ timeout: 60_000 });
    taskId = openTaskId();
    await statusShown('Deploying', deployTimeout);
    await failShot('03-deploying', page.getByRole('heading', { level: 2, name: /^Deploying/ }).first().waitFor({ timeout: 60_000 }));
    await shots('03-task-deploying');
  });

  it('runs in the cloud to FAILED with exact counts, the missing tag in the failed list, log lines and stack events', async () => {
    const t = await failShot('04-run', reaches(taskId, 'FAILED', deployTimeout + runTimeout));
    assert.equal(t.engine, 'cloud');
    assert.equal(t.type, 'IMAGE');
    assert.equal(t.counters.foundObjects, tags.length + 1);
    assert.equal(t.counters.doneObjects, tags.length);
    assert.equal(t.counters.failedObjects, 1);
    assert.equal(t.lastError, `1 of ${tags.length + 1} images failed`);
    sameDigests(tags);
    await statusShown('Failed', runTimeout);
    await page.getByRole('tab', { name: /^Failed \(1\)/ }).click({ timeout: 60_000 });
    const row = page.getByRole('row').filter({ hasText: src(ghost) });
    await row.waitFor({ timeout: 60_000 });
    assert.ok((await row.innerText()).length > src(ghost).length + 20, 'the row carries the reason');
    await page.getByRole('heading', { name: 'Recent log lines' }).waitFor();
    await page.getByRole('heading', { name: 'Stack events' }).waitFor();
    await page.getByText('CREATE_COMPLETE').first().waitFor({ timeout: 60_000 });
    // An image task has no queue and no fleet: no panels for them.
    assert.equal(await page.getByRole('heading', { name: 'Queue' }).count(), 0);
    assert.equal(await page.getByRole('heading', { name: 'Fleet' }).count(), 0);
    await failShot('04-logs', page.getByText('No log lines yet.').waitFor({ state: 'detached', timeout: 90_000 }));
    // The run is a state machine execution, shown in its panel (still retrying the failed
    // batch, or failed with the state machine's error).
    await page.getByRole('heading', { name: 'State machine executions' }).waitFor();
    const [execution] = await executionsInAWS();
    assert.ok(execution, 'the run started an execution');
    await failShot('04-executions', executionRow(execution.name, /Running|Failed/).waitFor({ timeout: 90_000 }));
    await shots('04-task-failed');
  });

  it('retries the failed image once its tag is pushed: COMPLETED, every digest the source one', async () => {
    pushImage(ghost, 50);
    await page.getByRole('button', { name: 'Retry failed' }).click();
    const t = await failShot('05-retry', reaches(taskId, 'COMPLETED'));
    assert.equal(t.counters.failedObjects, 0);
    assert.equal(t.counters.foundObjects, tags.length + 1);
    assert.equal(t.counters.doneObjects + t.counters.skippedObjects, tags.length + 1);
    assert.ok(t.counters.doneObjects >= 1, JSON.stringify(t.counters));
    await statusShown('Completed', runTimeout);
    sameDigests([...tags, ghost]);
    await page.getByRole('tab', { name: /^Images/ }).click();
    await page.getByRole('row').filter({ hasText: dst(ghost) }).first().waitFor({ timeout: 60_000 });
    await shots('05-task-completed');
  });

  it('stops a run while it copies and resumes it to COMPLETED', async () => {
    const before = (await task(taskId)).runId;
    // A slow source keeps the run going until it is stopped: 10 s a request, since a run
    // of a few small images that skips them all otherwise ends within the page's refresh.
    delay = 10_000;
    await page.getByRole('button', { name: 'Start new run' }).click();
    await page.getByRole('button', { name: 'Stop', exact: true }).click({ timeout: 120_000 });
    let t = await failShot('06-stop', reaches(taskId, 'STOPPED'));
    assert.ok(t.canResume);
    const stoppedRun = t.runId;
    await statusShown('Stopped', runTimeout);
    // The stop aborted the execution, as Step Functions does: its copiers stopped, what
    // they had not copied left for the resume.
    const [stopped] = await executionsInAWS();
    assert.equal(stopped?.status, 'ABORTED', JSON.stringify(stopped));
    assert.ok(stopped.stopDate, 'an aborted execution has its stop date');
    await failShot('06-aborted', executionRow(stopped.name, 'Aborted').waitFor({ timeout: 90_000 }));
    await shots('06-task-stopped');
    delay = 0;
    await page.getByRole('button', { name: 'Actions' }).click();
    await page.getByRole('menuitem', { name: 'Resume' }).click();
    t = await failShot('07-resume', reaches(taskId, 'COMPLETED', runTimeout, before));
    assert.equal(t.counters.failedObjects, 0, JSON.stringify(t.counters));
    assert.equal(t.counters.doneObjects + t.counters.skippedObjects, tags.length + 1);
    // A new execution listed again what the stopped one left: a new run.
    assert.notEqual(t.runId, stoppedRun, 'the resumed run is a new execution\'s');
    const [resumed, aborted] = await executionsInAWS();
    assert.equal(resumed?.status, 'SUCCEEDED', JSON.stringify(resumed));
    assert.equal(aborted?.executionArn, stopped.executionArn, 'the stopped execution stays ABORTED');
    assert.equal(aborted?.status, 'ABORTED');
    sameDigests([...tags, ghost]);
    await failShot('07-executions', executionRow(resumed.name, 'Succeeded').waitFor({ timeout: 90_000 }));
    await executionRow(stopped.name, 'Aborted').waitFor();
    await shots('07-task-resumed');
  });

  it('deletes the task, keeping its table', async () => {
    await deleteKeepingTable(page, taskId, { modal, limit: deployTimeout });
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
