// The lock service in the page: chosen from the Protocol menu (the registry's entry), its own
// "Locks" tab with the lock table, the wait-for graph and the resource's writes; the fenced
// GC-pause scenario from the gallery shows a grant with its token and the resource turning the
// paused worker's stale token away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function tab(page, name) {
  await page.click(`.tab[data-tab="${name}"]`);
  await until(page, (n) => document.querySelector(`.tab[data-tab="${n}"]`).getAttribute('aria-selected') === 'true', `the ${name} tab`, 5000, name);
}

test('Lock service: grants carry tokens and the resource rejects a stale write', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.selectOption('select[aria-label="Protocol"]', 'locks');
  await until(page, () => document.querySelector('.tab[data-tab="protocol"]')?.textContent.includes('Locks'), 'the Locks tab');
  await page.selectOption('select.gallery', { label: 'Lock service: a GC pause outlives the lease — the resource rejects the stale token' });
  await until(page, () => /GC pause outlives the lease/.test(document.querySelector('.controls').textContent), 'the scenario name');
  await tab(page, 'protocol');
  await until(page, () => document.querySelector('.locks-panel'), 'the lock service panel');
  // c2 holds L with token 2 (the log index of its grant) while c3 queues behind it (at the
  // normal speed: the hold lasts from t=853 to the expiry after t=1400).
  await until(page, () => /c2 x token 2/.test(document.querySelector('.lock-table')?.textContent ?? ''), 'c2 holding L with token 2', 30000);
  for (let i = 0; i < 8; i++) await page.keyboard.press(']'); // 10× speed
  // c3's write with token 5 is accepted; c2 wakes from its pause and writes with token 2: rejected.
  await until(page, () => [...document.querySelectorAll('.resource-writes li.rejected')].some((l) => /c2 wrote under L with token 2: ✗ rejected \(seen 5\)/.test(l.textContent)), 'the stale write rejected', 60000);
  const accepted = await page.locator('.resource-writes li.accepted').allTextContents();
  assert.ok(accepted.some((t) => /c3 wrote under L with token 5: ✓ accepted/.test(t)), accepted.join(' | '));
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  await screenshot(page, 'locks-gc-pause.png');
  assert.deepEqual(errors, []);
  await page.close();
});
