// Raft's client panel and settings: a command sent from a simulated client to a follower is
// redirected to the leader and answered; bad input is refused with a clear message; the
// settings replay the run; the leader's log strip shows commits and where followers stand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot, openTab } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const logText = (page) => page.evaluate(() => [...document.querySelectorAll('.log-lines .line')].map((l) => l.textContent).join('\n'));


async function send(page, { client = 'c1', node, op, key = 'x', value = '', expected = '' }) {
  if (!(await page.locator('form.client-form').count())) await openTab(page, 'clients');
  const form = page.locator('form.client-form');
  await form.locator('select[name="client"]').selectOption(client);
  await form.locator('select[name="node"]').selectOption(node);
  await form.locator('select[name="op"]').selectOption(op);
  await form.locator('input[name="key"]').fill(key);
  if (op === 'put' || op === 'cas') await form.locator('input[name="value"]').fill(value);
  if (op === 'cas') await form.locator('input[name="expected"]').fill(expected);
  await form.locator('button[type="submit"]').click();
}

test('a command sent to a follower is redirected to the leader and answered', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  // Faster, so the round trips finish quickly.
  await page.locator('.controls input[type="range"]').fill('60');
  const leader = await page.evaluate(() => document.querySelector('.node[data-role="leader"]').dataset.node);
  const follower = await page.evaluate(() => document.querySelector('.node[data-role="follower"]').dataset.node);
  assert.equal(await page.locator('.node[data-role="client"]').count(), 2, 'two clients drawn');
  await send(page, { node: follower, op: 'put', value: '42' });
  await until(page, () => [...document.querySelectorAll('.client-log li')].some((l) => /c1 #1 put x 42 → ok/.test(l.textContent)), 'the put to finish', 30000);
  // Two hops: the follower redirected c1 to the leader.
  const done = await page.evaluate(() => [...document.querySelectorAll('.client-log li')].map((l) => l.textContent).find((t) => /c1 #1 put x 42/.test(t)));
  assert.match(done, new RegExp(`via ${follower}→${leader}\\)`));
  await send(page, { client: 'c2', node: leader, op: 'get' });
  await until(page, () => [...document.querySelectorAll('.client-log li')].some((l) => /c2 #1 get x → "42"/.test(l.textContent)), 'the read', 30000);
  await send(page, { client: 'c2', node: leader, op: 'cas', key: 'nope', value: '1', expected: '5' });
  await until(page, () => [...document.querySelectorAll('.client-log li')].some((l) => /cas failed: nope is missing/.test(l.textContent)), 'the failed cas', 30000);
  // The leader's log strip: committed entries, follower markers (selecting a node shows it).
  await page.click(`.node[data-node="${leader}"]`);
  await until(page, () => document.querySelectorAll('.inspector .log-strip .cell.committed').length >= 2, 'committed cells');
  assert.ok(await page.locator('.inspector .followers li').count() >= 4, 'one line per follower');
  await screenshot(page, 'raft-clients.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad commands are refused with a clear message and change nothing', async () => {
  const { page, errors } = await open(browser, server.url);
  await send(page, { node: 'n1', op: 'put', key: '', value: '1' });
  await until(page, () => /cannot send: the key is empty/.test(document.body.textContent), 'the empty-key error');
  // The reason is next to the field, which says it is invalid.
  assert.equal(await page.getAttribute('form.client-form input[name="key"]', 'aria-invalid'), 'true');
  await send(page, { node: 'n1', op: 'put', key: 'x', value: 'v'.repeat(300) });
  await until(page, () => /at most 256 allowed/.test(document.body.textContent), 'the size error');
  assert.doesNotMatch(await logText(page), /submits/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('settings replay the run with PreVote off', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await openTab(page, 'settings');
  const form = page.locator('.settings-form');
  await form.locator('input[name="pre_vote"]').uncheck();
  await until(page, () => /replayed to t=\d+ ms with the new settings/.test(document.body.textContent), 'the replay notice');
  assert.equal(await form.locator('input[name="pre_vote"]').isChecked(), false);
  // Without PreVote, elections are real at once: a candidate, never a pre-candidate.
  await form.locator('select[name="read_mode"]').selectOption('lease');
  await until(page, () => /assumes bounded clock drift/.test(document.querySelector('.raft-settings').textContent) && /drift less than/.test(document.body.textContent), 'the lease note');
  assert.deepEqual(errors, []);
  await page.close();
});
