// Every protocol runs in the page: switch with the Protocol menu, submit through the protocol's
// own panel, watch the outcome — no console errors, no violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot, openTab } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });


async function switchTo(page, protocol, servers) {
  await page.selectOption('select[aria-label="Protocol"]', protocol);
  await until(page, (n) => document.querySelectorAll('.node:not(.client)').length === n, `${servers} servers`, 10000, servers);
  await page.locator('.controls input[type="range"]').fill('45');
}

test('the Dynamo-style store answers a client write with the replicas that took it', async () => {
  const { page, errors } = await open(browser, server.url);
  await switchTo(page, 'dynamo', 5);
  assert.equal(await page.locator('.node[data-role="replica"]').count(), 5);
  await openTab(page, 'clients');
  await page.locator('form.kv-form button[type="submit"]').click();
  await until(page, () => /put cart book strong\s*n\d+\s*ok/.test(document.querySelector('.kv-client')?.textContent ?? ''), 'the put to succeed', 20000);
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  // CAP side by side: the same seed and faults under each consistency level (the Store tab),
  // every column defined with its unit in the table itself.
  await openTab(page, 'protocol');
  await page.locator('button:has-text("Compare LOCAL")').click();
  await until(page, () => document.querySelectorAll('.cap table tr').length >= 4, 'the comparison table', 60000);
  const cap = await page.textContent('.cap table');
  for (const level of ['local', 'eventual', 'strong']) assert.match(cap, new RegExp(level));
  for (const unit of ['% of ops', 'count', 'ms', 'per op']) assert.match(await page.textContent('.cap thead'), new RegExp(unit));
  assert.match(await page.textContent('.cap tfoot'), /stale reads \(count\): reads that missed a write acknowledged before the read began/);
  await screenshot(page, 'kv.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('two-phase commit commits a transaction and logs the decision', async () => {
  const { page, errors } = await open(browser, server.url);
  await switchTo(page, '2pc', 4);
  assert.equal(await page.locator('.node[data-role="coordinator"]').count(), 1);
  await openTab(page, 'clients');
  await page.locator('form.txn-form button[type="submit"]').click();
  await openTab(page, 'protocol');
  await until(page, () => /end t1/.test(document.querySelector('.commit-panel')?.textContent ?? ''), 'the end record', 20000);
  const text = await page.textContent('.commit-panel');
  assert.match(text, /commit t1/);
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  await screenshot(page, '2pc.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('three-phase commit boots from the menu', async () => {
  const { page, errors } = await open(browser, server.url);
  await switchTo(page, '3pc', 4);
  await openTab(page, 'clients');
  await page.locator('form.txn-form button[type="submit"]').click();
  await openTab(page, 'protocol');
  await until(page, () => /commit/.test(document.querySelector('.commit-panel')?.textContent ?? ''), 'a decision', 20000);
  assert.deepEqual(errors, []);
  await page.close();
});
