// UI benchmark of cloud task pages (build/scripts/bench-ui.sh starts everything and passes
// the environment): Chromium (playwright-core) against `wails dev` in browser mode, the
// app's DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB) being thdynamo
// (cloud/internal/benchtools/thdynamo), which serves one task's table from an in-memory
// fake of DynamoDB and passes the other task's to the AWS emulator, timing both.
//
// For each cloud task (1,000,000 records in the fake, 100,000 in the emulator): time
// from opening its page to the first rows, to the exact page count, to the last page,
// back one page, a status filter; long tasks (PerformanceObserver 'longtask') and the
// longest frame (requestAnimationFrame gaps) throughout, scrolling included; and for
// each step the time the DynamoDB endpoint was busy answering (its share of the step).
// With TH_BENCH_PROFILE=1, the first rows and the scrolling of each page are timed under
// Chromium's CPU profiler (which slows them a little): ui-cloud-<variant>-first-rows and
// -scroll.cpuprofile, and the heaviest functions in ui-cloud.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  collect, env, failedFilter, instrument, launch, longTasksText, mark as markIn, ok, openTasks, pageSize, previousPage, profiled,
  scrollPage, timeUntil as timeUntilIn,
} from './common.mjs';

const url = env('TH_BENCH_URL');
const out = env('TH_BENCH_OUT');
const stats = env('TH_BENCH_DYNAMO_STATS'); // thdynamo's base URL
/** @type {{name: string, label: string, backend: 'fake'|'upstream', task: string, records: number, firstKey: string, lastKey: string}[]} */
const variants = JSON.parse(env('TH_BENCH_CLOUD_VARIANTS'));
const profile = env('TH_BENCH_PROFILE', '') === '1';

const log = (...a) => console.error('bench-ui-cloud:', ...a);

const browser = await launch();

async function backendStats() {
  const r = await fetch(`${stats}/__stats`);
  return r.json();
}
async function resetStats() {
  await fetch(`${stats}/__stats/reset`, { method: 'POST' });
}

async function measure(v) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(180_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const mark = (name) => markIn(page, name);
  const timeUntil = (act, text) => timeUntilIn(page, act, text);

  /** Runs a step, returning its time (ms) and the DynamoDB endpoint's busy time in it. */
  const steps = {};
  async function step(name, fn) {
    await mark(name);
    await resetStats();
    const t = Date.now();
    const ms = Math.round(await fn());
    const wall = Date.now() - t;
    const s = (await backendStats())[v.backend];
    steps[name] = { ms, dynamoCalls: s.calls, dynamoBusyMs: Math.round(s.busyMs), dynamoShare: wall > 0 ? Math.min(1, s.busyMs / wall) : 0, wallMs: wall };
    return ms;
  }

  const r = { name: v.name, label: v.label, records: v.records, pageSize };
  log(`${v.label}: opening the app`);
  await openTasks(page, url);
  await page.getByText(v.taskName, { exact: true }).first().waitFor();
  // The task list's own first load (bundle parse, first calls) is not the task page's.
  await page.waitForTimeout(2000);
  await instrument(page);

  log(`${v.label}: first rows`);
  const open = () => timeUntil(`location.hash = '#/tasks/${v.task}'`, v.firstKey);
  if (profile) {
    const file = join(out, `ui-cloud-${v.name}-first-rows.cpuprofile`);
    r.firstRowsMs = await step('open the task page', async () => {
      const p = await profiled(page, file, open);
      r.firstRowsProfileTop = p.top;
      return p.result;
    });
  } else {
    r.firstRowsMs = await step('open the task page', open);
  }
  const lastPage = String(Math.ceil(v.records / pageSize));
  const t0 = Date.now();
  await page.getByRole('button', { name: `Page ${lastPage}` }).waitFor();
  r.pageCountMs = Math.round(Date.now() - t0 + r.firstRowsMs);
  log(`${v.label}: to the end`);
  r.lastPageMs = await step('jump to the last page', () =>
    timeUntil(`document.querySelector('button[aria-label="Page ${lastPage}"]').click()`, v.lastKey));
  r.previousPageMs = [];
  for (let i = 0; i < 3; i++) r.previousPageMs.push(await step(`previous page ${i + 1}`, () => previousPage(page)));
  log(`${v.label}: scrolling`);
  if (profile) {
    r.scrollMs = await step('scroll', async () => {
      const p = await profiled(page, join(out, `ui-cloud-${v.name}-scroll.cpuprofile`), () => scrollPage(page));
      r.scrollProfileTop = p.top;
      return p.result;
    });
  } else {
    r.scrollMs = await step('scroll', () => scrollPage(page));
  }
  log(`${v.label}: status filter`);
  const failedButton = page.getByRole('button', { name: /^Failed \(/ });
  await failedButton.waitFor();
  // Found before the step (see previousPageButton in common.mjs): the click in it finds nothing.
  const failedHandle = await failedButton.elementHandle();
  r.failedFilterMs = await step('status filter', () => failedFilter(page, () => failedHandle.click()));
  await collect(page, r);
  r.steps = steps;
  const totalWall = Object.values(steps).reduce((a, s) => a + s.wallMs, 0);
  const totalBusy = Object.values(steps).reduce((a, s) => a + s.dynamoBusyMs, 0);
  r.dynamo = { calls: Object.values(steps).reduce((a, s) => a + s.dynamoCalls, 0), busyMs: totalBusy, wallMs: totalWall,
    share: totalWall > 0 ? Math.round((totalBusy / totalWall) * 1000) / 1000 : 0 };
  r.targets = {
    firstRowsMs: { target: '< 300', ok: r.firstRowsMs < 300 },
    longestLongTaskMs: { target: '<= 50 (longest long task)', ok: r.longestLongTaskMs <= 50 },
  };
  await page.screenshot({ path: join(out, `ui-cloud-${v.name}.png`), fullPage: false });
  r.pageErrors = errors;
  await page.close();
  return r;
}

const results = [];
for (const v of variants) results.push(await measure(v));
await browser.close();

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'ui-cloud.json'), `${JSON.stringify(results, null, 2)}\n`);
const pct = (x) => `${Math.round(x * 100)} %`;
let md = `## Desktop UI: cloud task pages (Chromium against \`wails dev\`)

Cloud tasks whose records are in their stack's DynamoDB table, read by the app through its cloud runner and
\`cloud/state/dynamostore\` (the same code as against AWS), the app's DynamoDB endpoint set with
\`AWS_ENDPOINT_URL_DYNAMODB\`. The records were written through dynamostore as a cloud run writes them (job items of
200 objects). "DynamoDB busy" is the time the endpoint was answering at least one of the app's calls during the step
(its share of the step's wall time). ${pageSize} rows a page; the task page is opened from the task list, 2 s after the
list showed the task.
`;
for (const r of results) {
  const lastPage = Math.ceil(r.records / pageSize);
  const st = (n) => r.steps[n] ? ` | ${r.steps[n].dynamoCalls} calls, busy ${r.steps[n].dynamoBusyMs} ms (${pct(r.steps[n].dynamoShare)})` : ' | ';
  md += `
### ${r.label}

| measure | value | DynamoDB (calls, busy, share) | target |
|---|---|---|---|
| open the task page → first rows painted | ${r.firstRowsMs} ms${st('open the task page')} | < 300 ms: ${ok(r.targets.firstRowsMs.ok)} |
| … → exact page count (${lastPage.toLocaleString('en-US')} pages, from the task's counters) | ${r.pageCountMs} ms | | |
| jump to the last page (first time: skips every record before it) | ${r.lastPageMs} ms${st('jump to the last page')} | |
| previous page (each) | ${r.previousPageMs.join(', ')} ms${st('previous page 1')} (first) | |
| status filter "Failed" → rows (the sparse index) | ${r.failedFilterMs} ms${st('status filter')} | |
| scroll the page down and up | ${r.scrollMs} ms${st('scroll')} | |
| long tasks (> 50 ms) during all of the above | ${longTasksText(r)} | | none over 50 ms: ${ok(r.targets.longestLongTaskMs.ok)} |
| longest frame (requestAnimationFrame gap) | ${r.maxFrameGapMs} ms | | |
| **all steps: DynamoDB endpoint's share of the time** | | ${r.dynamo.calls} calls, busy ${r.dynamo.busyMs} of ${r.dynamo.wallMs} ms: **${pct(r.dynamo.share)}** | |
`;
}
md += `
The machine has 2 shared cores: figures vary with other load.
`;
writeFileSync(join(out, 'ui-cloud.md'), md);
log(`results in ${out}/ui-cloud.{md,json}`);
for (const r of results) if (r.pageErrors.length) log(`${r.label}: page errors:`, r.pageErrors);
