// End-to-end test of the Deployments page: Chromium (playwright-core) against `wails dev`
// in browser mode, every call reaching the real Go services. build/scripts/e2e.sh gives
// the app two AWS CLI profiles: th-e2e-emulator reaches the AWS emulator of the test
// environment (moto), th-e2e-replay the replaying CloudFormation fake
// (build/testenv/cfnfake), which plays what the emulator cannot: a control plane whose
// creation fails and rolls back, then, after "Delete and retry", one that succeeds.
//
// 1. A control plane deployed into the emulator account through the wizard (Region,
//    permission pre-check, change-set preview) to COMPLETE, with its progress shown;
//    listed with status and version; then removed without keeping its data.
// 2. A deploy that fails: the first failure pinned with its reason, each resource's
//    status, delete and retry, and the retried deploy to COMPLETE.
// Every screen is captured in light and dark (artifacts/e2e/deployments-*.png).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, baseURL, env, needs, openApp, openBrowser, screenshots } from './support.mjs';

const version = env('TH_E2E_VERSION', '');
const deployTimeout = 240_000; // a deploy: bounded wait, not a speed assertion

const skip = needs('deployments', ['TH_E2E_AWS_PROFILE', 'TH_E2E_REPLAY_PROFILE', 'TH_E2E_REPLAY_CONTROL_PLANE'], process.env);

const rnd = Math.random().toString(16).slice(2, 8);
const names = { emulator: `Emulator account ${rnd}`, replay: `Replay account ${rnd}` };
const cp = `e2e${rnd}`;
const cpStack = `${cp}-control-plane`;
const replayCp = process.env.TH_E2E_REPLAY_CONTROL_PLANE ?? 'thub-e2e';
const replayStack = `${replayCp}-control-plane`;

let browser;
let page;
let restoreSettings = null;
const pageErrors = [];
const profileIds = {};

/** The screen in light, then in dark (the theme follows the browser while it is "system"). */
const { shots } = screenshots(() => page, 'deployments-');

const heading = (re) => page.getByRole('heading', { name: re });
const next = () => page.getByRole('button', { name: 'Next', exact: true }).click();

async function openDeployments() {
  await page.goto(`${baseURL}/#/deployments`);
  await page.reload({ waitUntil: 'load' }); // a fresh page reads the accounts again
  await page.getByRole('heading', { level: 1, name: /^Deployments/ }).waitFor();
}

async function choose(label, option) {
  await page.getByRole('button', { name: new RegExp(`^${label}`) }).first().click();
  await page.getByRole('option', { name: option }).first().click();
}

async function addAWSProfile(name, sharedProfile) {
  const res = await page.evaluate(
    ([n, sp]) =>
      window.go.app.CredentialsService.Save({
        profile: { id: '', name: n, kind: 'aws', partition: 'aws', region: 'us-east-1', sharedProfile: sp },
        secret: {},
        replaceSecret: false,
      }),
    [name, sharedProfile],
  );
  assert.deepEqual(res.fieldErrors ?? [], [], `credentials ${name}`);
  return res.profile.id;
}

/** Steps through the wizard's pre-check to the preview. */
async function precheckAndPreview(shotPrefix) {
  await next();
  await heading(/Permission pre-check/).waitFor();
  // The checks (the emulator's identity cannot be simulated: its permissions say "Not checked").
  await page.getByText('permissions', { exact: true }).or(page.getByText('The pre-check could not run')).first().waitFor({ timeout: 60_000 });
  if (shotPrefix) await shots(`${shotPrefix}-2-precheck`);
  await next();
  await page.getByRole('heading', { name: /^Resource changes/ }).waitFor({ timeout: 120_000 });
}

describe('Deployments page', { skip }, () => {
  before(async () => {
    ({ browser, page } = await openBrowser({ pageErrors }));
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`page console: ${m.text()}`);
    });
    restoreSettings = await openApp(page, 'deployments', 'Deployments', { reload: false });
    // The accounts: AWS credentials that use the profiles e2e.sh wrote (their endpoints
    // are the emulator's and the fake's).
    profileIds.emulator = await addAWSProfile(names.emulator, process.env.TH_E2E_AWS_PROFILE);
    profileIds.replay = await addAWSProfile(names.replay, process.env.TH_E2E_REPLAY_PROFILE);
  });

  // What the page showed when a test ended (a failure's evidence).
  let ended = 0;
  afterEach(async () => {
    await page?.screenshot({ path: join(artifacts, `deployments-zz-after-test-${String(++ended)}.png`), fullPage: true }).catch(() => {});
  });

  after(async () => {
    if (page) {
      // Leave the app as found: the shell spec expects no credentials and no deployments.
      const leftover = await page
        .evaluate(
          ([id, name]) => window.go.app.DeploymentsService.List(id, 'us-east-1').then((l) => (l.deployments ?? []).some((d) => d.controlPlane === name)),
          [profileIds.emulator, cp],
        )
        .catch(() => false);
      if (leftover) {
        await page
          .evaluate(([id, name]) => window.go.app.DeploymentsService.Remove({ profileId: id, region: 'us-east-1', controlPlane: name, keepData: false }), [profileIds.emulator, cp])
          .catch(() => {});
        await page.waitForTimeout(5000);
      }
      for (const id of Object.values(profileIds)) {
        if (id) await page.evaluate((i) => window.go.app.CredentialsService.Delete(i), id).catch(() => {});
      }
      if (restoreSettings) await page.evaluate((s) => window.go.app.SettingsService.Save(s), restoreSettings).catch(() => {});
    }
    await browser?.close();
  });

  it('deploys a control plane into the emulator account, with its progress, to COMPLETE', async () => {
    await openDeployments();
    await page.getByRole('button', { name: 'Deploy control plane' }).first().click();
    await heading(/^Where to deploy/).waitFor();
    await choose('Account', names.emulator);
    await page.getByLabel('Control plane name').fill(cp);
    // The emulator has a default VPC: it and its default subnets are preselected.
    await page.getByText('Subnets', { exact: true }).waitFor({ timeout: 60_000 });
    await shots('10-wizard-1-account');
    await precheckAndPreview('10-wizard');
    const changes = await page.getByRole('heading', { name: /^Resource changes/ }).textContent();
    const m = /\((\d+)\)/.exec(changes);
    assert.ok(m && Number(m[1]) > 10, `the preview lists the control plane's resources: ${changes}`);
    await page.getByText(cpStack, { exact: true }).first().waitFor();
    await shots('10-wizard-3-preview');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();

    // The progress: N of M, then every resource done.
    await heading(new RegExp(`^(Deploying|Deployed) ${cpStack}`)).waitFor();
    await page.getByText(/\d+ of \d+ resources/).first().waitFor();
    await heading(new RegExp(`^Deployed ${cpStack}`)).waitFor({ timeout: deployTimeout });
    const label = await page.getByText(/^\d+ of \d+ resources$/).first().textContent();
    const [, done, total] = /^(\d+) of (\d+) resources$/.exec(label);
    assert.equal(done, total, `every resource done: ${label}`);
    assert.equal(Number(total), Number(m[1]), 'as many resources as the preview listed');
    await page.getByText('Complete', { exact: true }).first().waitFor();

    // Listed with its status, version and last update.
    const row = page.getByRole('row').filter({ has: page.getByText(cp, { exact: true }) });
    await row.getByText('Create complete').waitFor({ timeout: 60_000 });
    if (version) await row.getByText(version).waitFor();
    await row.getByText('Control plane').waitFor();
    await row.getByText(names.emulator).waitFor();
    await shots('11-deployed');
  });

  it('removes the control plane without keeping its data', async () => {
    await openDeployments();
    const row = page.getByRole('row').filter({ has: page.getByText(cp, { exact: true }) });
    await row.getByText('Create complete').waitFor({ timeout: 60_000 });
    await row.getByRole('radio').check();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const modal = page.getByRole('dialog');
    await modal.getByText('Deleted', { exact: true }).waitFor({ timeout: 60_000 });
    await shots('12-remove-keep-data');
    await modal.getByText(/^Keep the data/).click();
    await modal.getByRole('list', { name: 'Deleted' }).waitFor();
    await modal.getByRole('button', { name: 'Remove', exact: true }).click();
    await heading(new RegExp(`^Removed ${cpStack}`)).waitFor({ timeout: deployTimeout });
    await page.getByRole('row').filter({ has: page.getByText(cp, { exact: true }) }).waitFor({ state: 'detached', timeout: 60_000 });
    await shots('13-removed');
  });

  it('pins a failed deploy with its reason, follows the rollback, deletes and retries to COMPLETE', async () => {
    await openDeployments();
    await page.getByRole('button', { name: 'Deploy control plane' }).first().click();
    await heading(/^Where to deploy/).waitFor();
    await choose('Account', names.replay);
    await page.getByLabel('Control plane name').fill(replayCp);
    // The fake plays CloudFormation, IAM and STS only: the VPCs cannot be listed, so
    // they are typed.
    await page.getByText('The VPCs could not be listed').waitFor({ timeout: 60_000 });
    await page.getByLabel('VPC id').fill('vpc-0a1b2c3d');
    await page.getByLabel('Subnet ids').fill('subnet-0a1,subnet-0b2');
    await shots('20-wizard-typed-network');
    await precheckAndPreview('20-replay');
    await page.getByRole('heading', { name: /^Resource changes \(7\)/ }).waitFor();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();

    await heading(new RegExp(`^Deploy of ${replayStack} failed`)).waitFor({ timeout: deployTimeout });
    const pinned = page.getByText('First failure: AgentRepository (AWS::ECR::Repository) CREATE_FAILED');
    await pinned.waitFor();
    await page.getByText(/KMS key is pending deletion/).first().waitFor();
    // Each resource's latest status after the rollback: the retained key was skipped.
    await page.getByRole('row').filter({ has: page.getByText('AgentRepository', { exact: true }) }).waitFor();
    await page.getByRole('row').filter({ has: page.getByText('Key', { exact: true }) }).getByText('Delete skipped').waitFor();
    await page.getByText(/ROLLBACK_COMPLETE/).first().waitFor();
    await shots('21-failed');

    await page.getByRole('button', { name: 'Delete and retry' }).first().click();
    await heading(new RegExp(`^Deleted ${replayStack}`)).waitFor({ timeout: deployTimeout });
    await shots('22-deleted');
    await page.getByRole('button', { name: 'Deploy again' }).click();
    await heading(/^Where to deploy/).waitFor();
    assert.equal(await page.getByLabel('VPC id').inputValue(), 'vpc-0a1b2c3d', 'the retry keeps what was typed');
    assert.equal(await page.getByLabel('Control plane name').inputValue(), replayCp);
    await precheckAndPreview('');
    await page.getByRole('heading', { name: /^Resource changes \(12\)/ }).waitFor();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await heading(new RegExp(`^Deployed ${replayStack}`)).waitFor({ timeout: deployTimeout });
    await page.getByText('12 of 12 resources', { exact: true }).first().waitFor();
    await shots('23-retried');
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
