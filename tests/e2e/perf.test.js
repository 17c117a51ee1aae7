// Slow frames change nothing that matters: with the CPU throttled 6×, the page keeps working
// (time flows, keys act), no spurious election happens (the same leader and term before and
// after), no task blocks the main thread for anywhere near half a second, and the state reached
// frame by frame is exactly the one a straight replay reaches (virtual time does not depend on
// the frame rate). No wall-clock budget is asserted here: how fast the page is, is measured by
// `cargo xtask bench --only page` (docs/benchmarks.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** A long task this long would freeze the page for the user: never acceptable, on any machine. */
const LONG_TASK_LIMIT_MS = 500;

const leaderAndTerm = (page) => page.evaluate(() => {
  const l = document.querySelector('.node[data-role="leader"]');
  return l ? `${l.dataset.node}@${l.dataset.term}` : null;
});
const clock = (page) => page.evaluate(() => Number(/t = ([\d.]+) s/.exec(document.querySelector('.clock').textContent)?.[1]));
/** Waits (on the page's own clock, never a sleep) until virtual time has passed `t` seconds. */
const virtualTimePasses = (page, t, what) => until(page, (t) => {
  const m = /t = ([\d.]+) s/.exec(document.querySelector('.clock').textContent);
  return m && Number(m[1]) >= t;
}, what, 120000, t);

test('throttled 6×, the page keeps working, elects no one, and reaches the same state', async () => {
  const { page, errors } = await open(browser, server.url);
  const cdp = await page.context().newCDPSession(page);
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  await virtualTimePasses(page, (await clock(page)) + 0.3, 'the election to settle');
  const before = await leaderAndTerm(page);
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longTasks.push(e.duration)))
      .observe({ type: 'longtask' });
  });

  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
  const t0 = await clock(page);
  // Time keeps flowing…
  await virtualTimePasses(page, t0 + 0.5, 'virtual time to flow while throttled');
  // …and the page answers: select a node by key, its inspector opens.
  await page.keyboard.press('1');
  await until(page, () => document.querySelector('[data-inspecting="n1"]'), 'the inspector of n1');
  await virtualTimePasses(page, (await clock(page)) + 0.5, 'more virtual time while throttled');
  // Pause: the state reached frame by frame, under slow frames.
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.clock').dataset.fingerprint, 'paused');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  const after = await leaderAndTerm(page);
  const pausedAt = await page.getAttribute('.clock', 'data-fingerprint');
  const longTasks = await page.evaluate(() => window.__longTasks);

  assert.equal(after, before, 'no spurious election while frames were slow');
  const worst = Math.max(0, ...longTasks);
  assert.ok(worst < LONG_TASK_LIMIT_MS, `a ${worst.toFixed(0)} ms task blocked the main thread`);

  // A share link of this moment replays it straight, at full speed: the same state.
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const link = await page.inputValue('.share-link');
  const replay = await open(browser, link);
  await until(replay.page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the replayed moment');
  assert.equal(await replay.page.getAttribute('.clock', 'data-fingerprint'), pausedAt,
    'frame-by-frame under throttling and a straight replay reach the same state');
  assert.deepEqual(replay.errors, []);
  await replay.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});
