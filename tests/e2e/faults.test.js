// Faults through the UI: crash the leader by mouse, cut and heal links by clicking them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const leaderId = (page) =>
  page.evaluate(() => document.querySelector('.node[data-role="leader"][data-status="up"]')?.dataset.node ?? null);

const logText = (page) => page.evaluate(() => [...document.querySelectorAll('.log-lines .line')].map((l) => l.textContent).join('\n'));

test('crashing the leader through the UI yields a new leader', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  const old = await leaderId(page);
  await page.click(`.node[data-node="${old}"]`);
  await page.click('.inspector .actions button:has-text("Crash")');
  await until(page, (id) => document.querySelector(`.node[data-node="${id}"]`).dataset.status === 'crashed', 'the crash', 5000, old);
  assert.match(await logText(page), new RegExp(`user: crash ${old}`));
  // The inspector says what a crash keeps and loses.
  assert.match(await page.textContent('.inspector'), /volatile state\) and timers are lost/);
  await until(
    page,
    (id) => {
      const l = document.querySelector('.node[data-role="leader"][data-status="up"]');
      return l && l.dataset.node !== id;
    },
    'a new leader',
    30000,
    old,
  );
  const fresh = await leaderId(page);
  assert.notEqual(fresh, old);
  const newTerm = Number(await page.getAttribute(`.node[data-node="${fresh}"]`, 'data-term'));
  const oldTerm = Number(await page.getAttribute(`.node[data-node="${old}"]`, 'data-term'));
  assert.ok(newTerm > oldTerm, `new leader's term ${newTerm} > crashed leader's ${oldTerm}`);
  // Restart it: it comes back as a follower and adopts the new term.
  await page.click('.inspector .actions button:has-text("Restart")');
  await until(page, (args) => {
    const n = document.querySelector(`.node[data-node="${args.old}"]`);
    return n.dataset.status === 'up' && n.dataset.role === 'follower' && Number(n.dataset.term) >= args.newTerm;
  }, 'the old leader to rejoin as a follower', 30000, { old, newTerm });
  await screenshot(page, 'after-crash.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking links cuts and heals them, and the trace says so', async () => {
  const { page, errors } = await open(browser, server.url);
  const link = page.locator('.link[data-link="n1-n2"]');
  assert.equal(await link.getAttribute('data-state'), 'up');
  await page.locator('.link[data-link="n1-n2"] .link-hit').click();
  await until(page, () => document.querySelector('.link[data-link="n1-n2"]').dataset.state === 'cut', 'the cut');
  assert.match(await logText(page), /user: cut n1 ↔ n2/);
  // Shift-click on another link cuts one direction only.
  await page.locator('.link[data-link="n1-n3"] .link-hit').click({ modifiers: ['Shift'] });
  await until(page, () => document.querySelector('.link[data-link="n1-n3"]').dataset.state.startsWith('only'), 'a one-way cut');
  assert.match(await logText(page), /user: cut n1 → n3/);
  // Messages on a cut link die: the trace shows the reason.
  await until(page, () => /dropped: link (down|cut in flight)/.test(document.querySelector('.log-lines').textContent), 'a dropped message', 20000);
  // Clicking a cut link heals it.
  await page.locator('.link[data-link="n1-n2"] .link-hit').click();
  await until(page, () => document.querySelector('.link[data-link="n1-n2"]').dataset.state === 'up', 'the heal');
  assert.match(await logText(page), /user: heal n1 ↔ n2/);
  // The split control partitions; heal all repairs everything.
  await page.selectOption('.split select', { index: 1 });
  await until(page, () => document.querySelectorAll('.link[data-state="cut"]').length >= 4, 'a partition');
  assert.match(await logText(page), /user: partition/);
  await page.click('button:has-text("Heal all")');
  await until(page, () => document.querySelectorAll('.link:not([data-state="up"])').length === 0, 'heal all');
  await screenshot(page, 'links.png');
  assert.deepEqual(errors, []);
  await page.close();
});
