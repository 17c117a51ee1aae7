// The built page boots, animates a 5-node Raft cluster and elects exactly one leader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('boots with no errors and elects exactly one leader', async () => {
  const { page, errors } = await open(browser, server.url);
  assert.equal(await page.locator('.node:not(.client)').count(), 5, 'five servers drawn');
  assert.equal(await page.locator('.node.client').count(), 2, 'two clients drawn');
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  // Stays at one leader while the cluster is healthy.
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('.node[data-role="leader"]').count(), 1);
  // Messages are flying (the canvas has been painted with something).
  const painted = await page.evaluate(() => {
    const c = document.querySelector('.graph-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  });
  assert.ok(painted, 'the canvas shows timers and messages');
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  const file = await screenshot(page, 'boot.png');
  console.log(`screenshot: ${file}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('is usable at phone width', async () => {
  const { page, errors } = await open(browser, server.url, { width: 390, height: 844 });
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
  await screenshot(page, 'phone.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a loading indicator shows while the wasm streams, and the app replaces it', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Hold the wasm back until the indicator has been seen: no race, no sleep.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(server.url);
  const boot = page.locator('#app .boot[role="status"]');
  await boot.waitFor({ state: 'visible' });
  assert.match(await boot.textContent(), /Loading the simulator/);
  release();
  await page.waitForSelector('.node[data-node="n1"]');
  assert.equal(await page.locator('.boot').count(), 0, 'the app replaced the indicator');
  assert.deepEqual(errors, []);
  await page.close();
});
