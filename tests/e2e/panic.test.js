// The panic hook: a debug-only trigger (present in debug builds only) panics inside the wasm;
// the page shows the error panel with the scenario and a repro link instead of freezing, the
// repro link reopens the moment, and "Restart" brings back a working page.
// Needs the debug build in dist-debug/ (`cargo xtask test` builds it: step trunk-build-debug).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, open, until, screenshot, DEBUG_DIST } from './harness.js';

const haveDebug = fs.existsSync(path.join(DEBUG_DIST, 'index.html'));
// CI sets NETSPLIT_DEBUG_DIST and builds it, so there a missing build fails instead of skipping.
const skip = !haveDebug && !process.env.NETSPLIT_DEBUG_DIST
  ? 'no debug build in dist-debug/ (trunk build --offline --dist dist-debug)' : false;

let server, release, browser;
before(async () => {
  browser = await launch();
  release = await serve('/');
  if (!skip) server = await serve('/debug/', DEBUG_DIST);
});
after(async () => { await browser?.close(); await server?.close(); await release?.close(); });

test('release builds carry no debug trigger', async () => {
  const { page, errors } = await open(browser, release.url);
  assert.equal(await page.evaluate(() => typeof window.__netsplitDebugPanic), 'undefined');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a panic shows the error panel with a repro link, and restart recovers', { skip }, async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await page.keyboard.press('3');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n3"]').dataset.status === 'crashed', 'n3 crashed');
  assert.equal(await page.evaluate(() => typeof window.__netsplitDebugPanic), 'function');
  // The call throws (the wasm traps after the hook ran); the page must not be left blank.
  await page.evaluate(() => { try { window.__netsplitDebugPanic(); } catch (e) { /* expected */ } });
  await until(page, () => document.querySelector('.panic-panel'), 'the error panel');
  assert.match(await page.textContent('.panic-panel h2'), /hit a bug/);
  assert.match(await page.textContent('.panic-panel'), /debug panic triggered on purpose/);
  const scenario = JSON.parse(await page.inputValue('.panic-panel textarea'));
  assert.equal(scenario.format, 'netsplit-scenario');
  assert.deepEqual(scenario.actions.map((a) => a.control), [{ type: 'crash', node: 'n3' }]);
  const repro = await page.getAttribute('.panic-panel .repro-link', 'href');
  assert.match(repro, /^\/debug\/#s1\./);
  assert.ok(errors.some((e) => /netsplit panicked:[\s\S]*debug panic/.test(e)), 'the panic is logged');
  await screenshot(page, 'panic.png');

  // The repro link reopens the moment: n3 crashed, paused.
  const again = await open(browser, new URL(repro, server.url).href);
  await until(again.page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the reopened moment');
  assert.equal(await again.page.getAttribute('.node[data-node="n3"]', 'data-status'), 'crashed');
  assert.deepEqual(again.errors, []);
  await again.page.close();

  // Restart: a fresh, working playground.
  await Promise.all([page.waitForNavigation(), page.click('.panic-panel a.primary')]);
  await page.waitForSelector('.node[data-node="n1"]');
  assert.equal(await page.$('.panic-panel'), null);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader after restart');
  await page.keyboard.press('2');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n2"]').dataset.status === 'crashed', 'the page works');
  await page.close();
});
