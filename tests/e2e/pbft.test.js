// PBFT in the page: boot it from the Protocol menu, send a write and watch every replica
// execute it (the log matrix) and the client accept it on f + 1 matching replies; make the
// primary faulty with the per-replica picker (drawn by outline and label, recorded in the
// share link's scenario); crash the primary and watch a view change install a new one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot, openTab } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });


async function boot(page) {
  await page.selectOption('select[aria-label="Protocol"]', 'pbft');
  await openTab(page, 'protocol');
  await until(page, () => document.querySelectorAll('.node:not(.client)').length === 4 && document.querySelector('.pbft-panel'), 'four replicas and the PBFT panel', 10000);
  await page.locator('.controls input[type="range"]').fill('60');
}

async function send(page, { node, value }) {
  if (!(await page.locator('.pbft-clients form.client-form').count())) await openTab(page, 'clients');
  const form = page.locator('.pbft-clients form.client-form');
  await form.locator('select[name="node"]').selectOption(node);
  await form.locator('input[name="value"]').fill(value);
  await form.locator('button[type="submit"]').click();
}

const answered = (page, pattern, what) => until(page, (p) => [...document.querySelectorAll('.pbft-clients .client-log li')].some((l) => new RegExp(p).test(l.textContent)), what, 60000, pattern);

// The log matrix: replica → its cells, oldest sequence number first.
const matrix = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.pbft-matrix tbody tr')].map((tr) => {
  const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
  return [cells[0].split(' ')[0], cells.slice(1)];
})));

test('a write is executed by every replica and accepted on f + 1 matching replies', async () => {
  const { page, errors } = await open(browser, server.url);
  await boot(page);
  assert.equal(await page.locator('.node[data-role="primary"][data-node="n1"]').count(), 1, 'n1 is primary of view 0');
  await send(page, { node: 'n2', value: '42' });
  await answered(page, 'c1 #1 put x 42 → ok in \\d+ ms \\(matching replies from n\\d( n\\d)+\\)', 'the put to be accepted');
  await openTab(page, 'protocol');
  await until(page, () => [...document.querySelectorAll('.pbft-matrix tbody tr')].every((tr) => tr.lastElementChild.textContent.trim() === 'E'), 'n=1 executed on every replica', 30000);
  const rows = await matrix(page);
  assert.deepEqual(Object.keys(rows), ['n1', 'n2', 'n3', 'n4']);
  // The inspector of a backup: its standing, water marks and stable checkpoint from typed state.
  await page.click('.node[data-node="n3"]');
  await until(page, () => /backup in view 0 \(primary n1\)/.test(document.querySelector('.inspector')?.textContent ?? ''), 'n3 standing');
  const inspector = await page.textContent('.inspector');
  assert.match(inspector, /water marks/);
  assert.match(inspector, /stable checkpoint/);
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  await screenshot(page, 'pbft-normal.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a faulty primary is picked per replica, drawn by outline and label, and recorded in the scenario', async () => {
  const { page, errors } = await open(browser, server.url);
  await boot(page);
  await page.locator('form.faults-form select[name="n1"]').selectOption('equivocate');
  await until(page, () => /replayed to t=\d+ ms with the new settings/.test(document.body.textContent), 'the replay notice');
  await until(page, () => document.querySelector('.node[data-node="n1"]')?.dataset.role === 'byzantine-primary', 'n1 drawn as a faulty primary');
  assert.match(await page.textContent('.node[data-node="n1"] .sub'), /☠ equivocate/);
  assert.match(await page.textContent('.node[data-node="n1"] title'), /byzantine-primary.*☠ equivocate/);
  // More than f = 1 faulty replicas are refused, and the reason given.
  await page.locator('form.faults-form select[name="n2"]').selectOption('silent');
  await until(page, () => /at most f = 1/.test(document.body.textContent), 'the f limit');
  await page.locator('form.faults-form select[name="n2"]').selectOption('correct');
  await until(page, () => !/at most f = 1/.test(document.querySelector('.faults-form').textContent), 'the error cleared');
  // The write still completes: the correct replicas mask the equivocating primary.
  await send(page, { node: 'n1', value: '5' });
  await answered(page, 'c1 #1 put x 5 → ok', 'the put despite the faulty primary');
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  await screenshot(page, 'pbft-equivocate.png');
  // The share link's scenario carries the faulty replica.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(' ');
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const other = await open(browser, await page.inputValue('.share-link'));
  await until(other.page, () => document.querySelector('.node[data-node="n1"]')?.dataset.role === 'byzantine-primary', 'the faulty primary in the shared scenario');
  await openTab(other.page, 'protocol');
  assert.equal(await other.page.inputValue('form.faults-form select[name="n1"]'), 'equivocate');
  assert.deepEqual(other.errors, []);
  await other.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('the primary crashes and a view change installs n2 as primary of view 1', async () => {
  const { page, errors } = await open(browser, server.url);
  await boot(page);
  await page.click('.node[data-node="n1"]');
  await page.locator('.inspector .actions button', { hasText: 'Crash' }).click();
  await until(page, () => document.querySelector('.node[data-node="n1"]')?.dataset.status === 'crashed', 'n1 crashed');
  await send(page, { node: 'n1', value: '9' });
  // The client resends to every replica, the backups time out and change views.
  await until(page, () => document.querySelector('.node[data-node="n2"]')?.dataset.role === 'primary' && document.querySelector('.node[data-node="n2"]').dataset.term === '1', 'n2 primary of view 1', 60000);
  await answered(page, 'c1 #1 put x 9 → ok', 'the put after the view change');
  assert.match(await page.textContent('.pbft-clients'), /resent to all/);
  // The replicas' table: view 1, "primary", and the full standing as the cell's tooltip.
  await openTab(page, 'protocol');
  assert.match(await page.textContent('.pbft-replicas tr[data-replica="n2"]'), /^n21primary/);
  assert.equal(await page.getAttribute('.pbft-replicas tr[data-replica="n2"] td[title]', 'title'), 'primary of view 1');
  assert.equal(await page.locator('[data-violations="0"]').count(), 1, 'no violations');
  await screenshot(page, 'pbft-view-change.png');
  assert.deepEqual(errors, []);
  await page.close();
});
