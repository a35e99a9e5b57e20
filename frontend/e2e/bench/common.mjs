// What the UI benchmarks (ui-bench.mjs: local task pages; ui-cloud-bench.mjs: cloud task
// pages) share: the environment, the browser, the in-page instruments (long tasks, frame
// gaps, step marks), timing a step until the table shows a text, scrolling, and the
// summary of long tasks by step.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** A setting from the environment (bench-ui.sh passes them), else fallback, else an error. */
export const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set (run through build/scripts/bench-ui.sh)`);
  return v;
};

/** Rows a page in the benches' task tables. */
export const pageSize = 25;

/**
 * The rows of the task's object table (in its tab): a cloud task's page has other
 * tables above it (log lines, stack events), whose rows never change with the pager.
 */
export const rowsSelector = '[role="tabpanel"] table tbody tr';

/**
 * The pager's "Previous page" button. A CSS selector, not getByRole: Playwright finds a
 * role by name in the page's main thread, computing the accessible name of every button
 * there; on a cloud task's page that search alone was a long task (up to 60 ms on a
 * loaded machine) counted as the app's in the step it ran in.
 */
const previousPageButton = 'button[aria-label="Previous page"]';

/** Clicks the pager's "Previous page" and waits until the object table's first row changes (ms). */
export async function previousPage(page) {
  const rows = page.locator(rowsSelector);
  const before = await rows.first().innerText();
  const t = Date.now();
  await page.locator(previousPageButton).click();
  await page.waitForFunction(([sel, b]) => document.querySelector(sel)?.innerText !== b, [rowsSelector, before]);
  return Date.now() - t;
}

export const launch = () =>
  chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/** Opens the app's task list; right after start the dev server may answer an error while it warms up: retried. */
export async function openTasks(page, url) {
  for (let i = 0; ; i++) {
    try {
      await page.goto(`${url}/#/tasks`, { waitUntil: 'load' });
      break;
    } catch (e) {
      if (i >= 30) throw e;
      await new Promise((res) => setTimeout(res, 2000));
    }
  }
  await page.getByRole('heading', { level: 1, name: /^Tasks/ }).waitFor();
}

/** Long tasks and frame gaps, collected in the page from now on. */
export async function instrument(page) {
  await page.evaluate(() => {
    const b = { long: [], marks: [], maxGap: 0, frames: 0, on: true };
    window.__bench = b;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) b.long.push({ at: e.startTime, ms: Math.round(e.duration) });
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t) => {
      if (!b.on) return;
      b.maxGap = Math.max(b.maxGap, t - last);
      b.frames++;
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Marks the start of a step: long tasks after it count for it. */
export const mark = (page, name) => page.evaluate((n) => window.__bench.marks.push({ name: n, at: performance.now() }), name);

/** In the page: run act (JavaScript source), then time until the table shows text (ms). */
export async function timeUntil(page, act, text) {
  return page.evaluate(
    async ([actSrc, txt]) => {
      const t0 = performance.now();
      new Function(actSrc)();
      const shown = () => [...document.querySelectorAll('table td, table th')].some((c) => c.textContent === txt);
      await new Promise((resolve) => {
        if (shown()) return resolve();
        const mo = new MutationObserver(() => {
          if (shown()) {
            mo.disconnect();
            resolve();
          }
        });
        mo.observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      // until the frame with the rows is painted
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    },
    [act, text],
  );
}

/** Scrolls the page down and up a frame at a time; returns the time taken (ms). */
export const scrollPage = (page) =>
  page.evaluate(async () => {
    const t = performance.now();
    const h = document.documentElement.scrollHeight;
    for (let y = 0; y <= h; y += 120) {
      window.scrollTo(0, y);
      await new Promise((res) => requestAnimationFrame(res));
    }
    for (let y = h; y >= 0; y -= 240) {
      window.scrollTo(0, y);
      await new Promise((res) => requestAnimationFrame(res));
    }
    return Math.round(performance.now() - t);
  });

/** Waits until the "Failed (n)" filter shows only failed rows after clicking it (ms). */
export async function failedFilter(page, click) {
  const t = Date.now();
  await click();
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].length > 0 &&
    [...document.querySelectorAll(sel)].every((tr) => tr.innerText.includes('AccessDenied')), rowsSelector);
  return Date.now() - t;
}

/**
 * Stops the instruments and adds their figures to r: long tasks (count, longest, by the
 * step they fell in) and the longest frame gap.
 */
export async function collect(page, r) {
  const b = await page.evaluate(() => {
    window.__bench.on = false;
    return window.__bench;
  });
  r.longTasks = b.long.length;
  r.longestLongTaskMs = b.long.length ? Math.max(...b.long.map((l) => l.ms)) : 0;
  // Which step each long task belongs to (the last mark before it).
  r.longTasksByStep = {};
  for (const l of b.long) {
    const step = [...b.marks].reverse().find((m) => m.at <= l.at)?.name ?? 'before';
    (r.longTasksByStep[step] ??= []).push(l.ms);
  }
  r.maxFrameGapMs = Math.round(b.maxGap);
  return b;
}

/** The long-tasks cell of a results table. */
export const longTasksText = (r) =>
  `${r.longTasks}${r.longTasks ? ` (longest ${r.longestLongTaskMs} ms; by step: ${Object.entries(r.longTasksByStep).map(([k, v]) => `${k} ${v.join('/')} ms`).join('; ')})` : ''}`;

/** A target's verdict. */
export const ok = (x) => (x ? 'met' : '**missed**');

/**
 * Records a CPU profile of the page's main thread while fn runs (Chrome DevTools
 * protocol) into file (open it in Chrome's DevTools, Performance panel), and returns fn's
 * result with the heaviest functions by self time.
 */
export async function profiled(page, file, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  let result;
  try {
    result = await fn();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    await cdp.detach();
    result = { result, top: topSelf(profile) };
  }
  return result;
}

/** The functions with the most self time in a CPU profile (ms), heaviest first. */
function topSelf(profile, n = 8) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const f = node.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + dt);
  }
  return [...self.entries()].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'))
    .sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => ({ fn: k, ms: Math.round(ms) }));
}
