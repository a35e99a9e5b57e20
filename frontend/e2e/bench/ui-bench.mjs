// UI benchmark of the Tasks pages (build/scripts/bench-ui.sh starts everything and passes
// the environment): Chromium (playwright-core) against `wails dev` in browser mode.
//
// Part A, a task with 1,000,000 object records: time from opening its page to the first
// rows, to the exact page count, to the last page (a keyset page index built on demand),
// back one page, a status filter; long tasks (PerformanceObserver 'longtask') and the
// longest frame (requestAnimationFrame gaps) throughout, scrolling included.
// Part B, a task running through a throttled link (one object trickling in) with its page
// visible: CPU and memory of the app (Go process and its WebKit processes) and of
// Chromium, sampled from /proc.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  collect, env, failedFilter, instrument, launch, longTasksText, mark as markIn, ok, openTasks, pageSize, previousPage, scrollPage,
  timeUntil as timeUntilIn,
} from './common.mjs';

const url = env('TH_BENCH_URL');
const out = env('TH_BENCH_OUT');
const bigTask = env('TH_BENCH_TASK');
const records = Number(env('TH_BENCH_RECORDS', '1000000'));
const firstKey = env('TH_BENCH_FIRST_KEY');
const lastKey = env('TH_BENCH_LAST_KEY');
const appRoot = Number(env('TH_BENCH_APP_ROOT'));
const sampleSeconds = Number(env('TH_BENCH_SAMPLE_SECONDS', '30'));
const slow = {
  endpoint: env('TH_BENCH_SLOW_ENDPOINT'),
  key: env('TH_BENCH_SLOW_KEY'),
  secret: env('TH_BENCH_SLOW_SECRET'),
  bucket: env('TH_BENCH_SLOW_BUCKET'),
  dst: env('TH_BENCH_SLOW_DST'),
};

const log = (...a) => console.error('bench-ui:', ...a);

// --- /proc sampling ----------------------------------------------------------------------------

const clk = 100; // USER_HZ on Linux
function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    return { pid, comm, ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}
function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function descendants(root) {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => procStat(Number(d))).filter(Boolean);
  const out = [];
  const walk = (pid) => {
    for (const p of all) {
      if (p.ppid === pid) {
        out.push(p);
        walk(p.pid);
      }
    }
  };
  walk(root);
  return out;
}

async function sample(groups, seconds) {
  const first = Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, pids.map((p) => procStat(p)?.cpu ?? 0)]));
  const rss = Object.fromEntries(Object.keys(groups).map((g) => [g, 0]));
  const t0 = Date.now();
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    for (const [g, pids] of Object.entries(groups)) rss[g] = Math.max(rss[g], pids.reduce((a, p) => a + rssKiB(p), 0));
  }
  const dt = (Date.now() - t0) / 1000;
  const res = {};
  for (const [g, pids] of Object.entries(groups)) {
    const ticks = pids.reduce((a, p, i) => a + ((procStat(p)?.cpu ?? 0) - first[g][i]), 0);
    res[g] = { cpuPercent: Math.round((ticks / clk / dt) * 1000) / 10, rssMiB: Math.round(rss[g] / 1024) };
  }
  return res;
}

// --- the page ----------------------------------------------------------------------------------

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(120_000);
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const mark = (name) => markIn(page, name);
const timeUntil = (act, text) => timeUntilIn(page, act, text);

const r = { records, pageSize };

log('opening the app');
await openTasks(page, url);
await instrument(page);

log('task page with 1,000,000 records: first rows');
await mark('open the task page');
r.firstRowsMs = Math.round(await timeUntil(`location.hash = '#/tasks/${bigTask}'`, firstKey));
const t0 = Date.now();
const lastPage = String(records / pageSize);
await page.getByRole('button', { name: `Page ${lastPage}` }).waitFor();
r.pageCountMs = Math.round(Date.now() - t0 + r.firstRowsMs);
log('to the end');
await mark('jump to the last page');
r.lastPageMs = Math.round(
  await timeUntil(`document.querySelector('button[aria-label="Page ${lastPage}"]').click()`, lastKey),
);
await mark('previous pages');
r.previousPageMs = [];
for (let i = 0; i < 3; i++) r.previousPageMs.push(await previousPage(page));
log('scrolling the page');
await mark('scroll');
r.scrollMs = await scrollPage(page);
log('status filter');
const failedButton = page.getByRole('button', { name: /^Failed \(/ });
await failedButton.waitFor();
// Found before the step (see previousPageButton in common.mjs): the click in it finds nothing.
const failedHandle = await failedButton.elementHandle();
await mark('status filter');
r.failedFilterMs = await failedFilter(page, () => failedHandle.click());
const b = await collect(page, r);
r.frames = b.frames;
await page.screenshot({ path: join(out, 'ui-1m-last-page.png'), fullPage: false });

log('cold load of the same page in a new tab');
const cold = await browser.newPage({ viewport: { width: 1280, height: 900 } });
cold.setDefaultTimeout(120_000);
const tc = Date.now();
await cold.goto(`${url}/#/tasks/${bigTask}`, { waitUntil: 'load' });
await cold.getByText(firstKey, { exact: true }).first().waitFor();
r.coldLoadFirstRowsMs = Date.now() - tc;
await cold.close();

log('a running task, visible: idle CPU and memory');
const ids = await page.evaluate(async (s) => {
  const p = await window.go.app.CredentialsService.Save({
    profile: { id: '', name: `Bench slow link ${Date.now()}`, kind: 's3compat', provider: 'other', endpoint: s.endpoint, accessKeyId: s.key, pathStyle: true },
    secret: { secretAccessKey: s.secret }, replaceSecret: true,
  });
  if (p.fieldErrors?.length) throw new Error(JSON.stringify(p.fieldErrors));
  const t = await window.go.app.TasksService.Create({
    name: `Bench running task ${Date.now()}`, start: true,
    definition: { v: 1, s3: { source: { kind: 's3', profileId: p.profile.id, bucket: s.bucket }, destination: { kind: 'local', path: s.dst }, concurrency: 2 } },
  });
  if (t.fieldErrors?.length) throw new Error(JSON.stringify(t.fieldErrors));
  return { task: t.task.id };
}, slow);
await page.goto(`${url}/#/tasks/${ids.task}`);
await page.locator('h1').locator('..').getByText('Running', { exact: true }).first().waitFor();
// Wait until the one object is in flight (listing done), then let things settle.
await page.waitForFunction(async (id) => (await window.go.app.TasksService.Get(id)).finderDone, ids.task, { polling: 500 });
await page.waitForTimeout(5000);
let app = descendants(appRoot);
if (!app.some((p) => p.comm.startsWith('transfer-hub'))) {
  log(`no app process under ${String(appRoot)}: ${JSON.stringify(app.map((p) => [p.pid, p.comm]))}`);
  // wails dev may have re-parented the app: find it by name, then its WebKit children.
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => procStat(Number(d))).filter(Boolean);
  const goPids = all.filter((p) => p.comm.startsWith('transfer-hub-de'));
  app = goPids.flatMap((g) => [g, ...descendants(g.pid)]);
}
const goApp = app.filter((p) => p.comm.startsWith('transfer-hub')).map((p) => p.pid);
const webkit = app.filter((p) => p.comm.startsWith('WebKit')).map((p) => p.pid);
// Chromium runs as children of this node process.
const chrome = descendants(process.pid).filter((p) => /chrom/i.test(p.comm)).map((p) => p.pid);
log(`sampling ${String(sampleSeconds)} s: app ${goApp.join(',')} webkit ${webkit.join(',')}`);
r.idle = await sample({ app: goApp, webkit, appTotal: [...goApp, ...webkit], chromium: chrome }, sampleSeconds);
const running = await page.evaluate((id) => window.go.app.TasksService.Get(id), ids.task);
r.idleTask = { status: running.status, active: running.active, found: running.counters.foundObjects };
await page.screenshot({ path: join(out, 'ui-running-task.png'), fullPage: false });
await page.evaluate((id) => window.go.app.TasksService.Stop(id), ids.task);
r.pageErrors = errors;
await browser.close();

r.targets = {
  firstRowsMs: { target: '< 300', ok: r.firstRowsMs < 300 },
  longestFrameMs: { target: '<= 50 (longest long task)', ok: r.longestLongTaskMs <= 50 },
  idleCpuPercent: { target: '< 2 (app: Go + WebKit)', ok: r.idle.appTotal.cpuPercent < 2 },
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'ui.json'), `${JSON.stringify(r, null, 2)}\n`);
writeFileSync(
  join(out, 'ui.md'),
  `## Desktop UI: Tasks pages (Chromium against \`wails dev\`)

A task with ${records.toLocaleString('en-US')} object records (state generated by thseed), ${pageSize} rows a page, keyset-paged from the task's SQLite store.

| measure | value | target |
|---|---|---|
| open the task page → first rows painted | ${r.firstRowsMs} ms | < 300 ms: ${ok(r.targets.firstRowsMs.ok)} |
| … → exact page count (${Number(lastPage).toLocaleString('en-US')} pages, counted in the background) | ${r.pageCountMs} ms | |
| jump to the last page (first time: builds the page index) | ${r.lastPageMs} ms | |
| previous page (each) | ${r.previousPageMs.join(', ')} ms | |
| status filter "Failed" → rows | ${r.failedFilterMs} ms | |
| scroll the page down and up | ${r.scrollMs} ms | |
| long tasks (> 50 ms) during all of the above | ${longTasksText(r)} | none over 50 ms: ${ok(r.targets.longestFrameMs.ok)} |
| longest frame (requestAnimationFrame gap) | ${r.maxFrameGapMs} ms | |
| cold load of the page (new tab) | ${r.coldLoadFirstRowsMs} ms | |

Idle with a running task visible (one object trickling through a 2 KB/s link; status ${r.idleTask.status}), sampled ${sampleSeconds} s from /proc:

| process | CPU | RSS |
|---|---|---|
| app (Go) | ${r.idle.app.cpuPercent} % | ${r.idle.app.rssMiB} MiB |
| app's WebKit processes (native window) | ${r.idle.webkit.cpuPercent} % | ${r.idle.webkit.rssMiB} MiB |
| **app total** | **${r.idle.appTotal.cpuPercent} %** (< 2 %: ${ok(r.targets.idleCpuPercent.ok)}) | ${r.idle.appTotal.rssMiB} MiB |
| Chromium (the page under test) | ${r.idle.chromium.cpuPercent} % | ${r.idle.chromium.rssMiB} MiB |

CPU is percent of one core. The machine has 2 shared cores: figures vary with other load.
`,
);
log(`results in ${out}/ui.{md,json}`);
if (errors.length) log('page errors:', errors);
