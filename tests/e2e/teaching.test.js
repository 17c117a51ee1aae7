// A page built for teaching (issue 14), at 1280×800, 1024×768 and 390×844, light and dark:
// the side panel's tabs by keyboard and by touch, each scrolling on its own and back at the
// top after a protocol switch; the 2PC participants table fits; presentation mode's graph
// takes at least 60% of the viewport's shorter side; every destructive change keeps the old
// session to go back to (and digits typed after a menu change select nodes); errors inline at
// their field; the election reason and a split vote named; a minority write's fate; islands
// of a split network; a crashed leader's role pill; stacked timeline marks all clickable;
// a damaged link explained in plain words; timer countdowns while paused; an axe audit of the
// new views.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serve, launch, until, screenshot } from './harness.js';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const SIZES = [
  ['1280x800', { width: 1280, height: 800 }],
  ['1024x768', { width: 1024, height: 768 }],
  ['390x844', { width: 390, height: 844 }],
];
const SCHEMES = ['light', 'dark'];

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** A page in its own context (viewport, colour scheme, touch), with console errors collected. */
async function openPage(viewport, colorScheme = 'light', extra = {}) {
  const context = await browser.newContext({ viewport, colorScheme, ...extra });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(extra.url ?? server.url);
  await page.waitForSelector('.node[data-node="n1"]');
  return { page, errors, context };
}

const selectedTab = (page) => page.getAttribute('.tab[aria-selected="true"]', 'data-tab');
const fingerprint = (page) =>
  until(page, () => document.querySelector('.clock')?.dataset.fingerprint, 'a paused state')
    .then(() => page.getAttribute('.clock', 'data-fingerprint'));
const leader = () => document.querySelector('.node[data-role="leader"]');

async function openTab(page, name) {
  await page.click(`.tab[data-tab="${name}"]`);
  await until(page, (n) => document.querySelector(`.tab[data-tab="${n}"]`)?.getAttribute('aria-selected') === 'true', `the ${name} tab`, 5000, name);
}

async function switchProtocol(page, protocol) {
  await page.selectOption('select[aria-label="Protocol"]', protocol);
  await until(page, (p) => document.querySelector('select[aria-label="Protocol"]').value === p, `${protocol} running`, 10000, protocol);
}

/** Open a gallery scenario as a plain run: gallery scenarios are narrated and open as tours
 * (tours.test.js tests those); these tests are about the page around them, so close the tour.
 * Returns the status line as the scenario opened (its description). */
async function openGallery(page, title) {
  await page.selectOption('select.gallery', { label: title });
  await until(page, (t) => document.querySelector('.scenario-name')?.textContent === t, title, 10000, title);
  const status = await page.textContent('.status');
  if (await page.$('.tour-close')) {
    await page.click('.tour-close');
    await until(page, () => !document.querySelector('.tour-close'), 'the tour closed', 5000);
  }
  return status;
}

for (const [size, viewport] of SIZES) {
  for (const scheme of SCHEMES) {
    test(`${size} ${scheme}: tabs by keyboard and by tap; the 2PC table fits; presentation mode`, async () => {
      const { page, errors, context } = await openPage(viewport, scheme, { hasTouch: true });
      await until(page, leader, 'a leader');
      const names = await page.$$eval('.tab', (ts) => ts.map((t) => t.dataset.tab));
      assert.deepEqual(names, ['node', 'clients', 'settings', 'protocol']);
      assert.equal(await page.textContent('.tab[data-tab="protocol"]'), 'Elections');

      // Keyboard: the selected tab is the one in the Tab order; arrows move and select.
      await page.focus('.tab[aria-selected="true"]');
      for (const expected of ['clients', 'settings', 'protocol', 'node']) {
        await page.keyboard.press('ArrowRight');
        await until(page, (n) => document.activeElement?.dataset?.tab === n && document.activeElement.getAttribute('aria-selected') === 'true', `focus on ${expected}`, 5000, expected);
        const panel = await page.getAttribute('[role="tabpanel"]', 'aria-labelledby');
        assert.equal(panel, `tab-${expected}`);
      }
      await page.keyboard.press('End');
      assert.equal(await selectedTab(page), 'protocol');
      await page.keyboard.press('Home');
      assert.equal(await selectedTab(page), 'node');

      // Touch: a tap opens each tab; each tab body scrolls on its own.
      for (const name of ['clients', 'settings', 'protocol', 'node']) {
        await page.tap(`.tab[data-tab="${name}"]`);
        await until(page, (n) => document.querySelector('.tab[aria-selected="true"]')?.dataset.tab === n, `tapped ${name}`, 5000, name);
        const overflow = await page.$eval('.tab-body', (b) => getComputedStyle(b).overflowY);
        assert.equal(overflow, 'auto', `${name} scrolls on its own`);
      }
      // A long tab scrolled down starts at the top again after a protocol switch.
      await page.keyboard.press('2');
      await until(page, () => document.querySelector('[data-inspecting="n2"]'), 'n2 inspected');
      const scrolled = await page.$eval('.tab-body', (b) => { b.scrollTop = 400; return b.scrollTop; });
      assert.ok(scrolled > 0, 'the Node tab is taller than its box');

      // 2PC: the participants table fits, every button inside the panel.
      await switchProtocol(page, '2pc');
      assert.equal(await selectedTab(page), 'node', 'back to the Node tab');
      assert.equal(await page.$eval('.tab-body', (b) => b.scrollTop), 0, 'scrolled to the top');
      await openTab(page, 'protocol');
      assert.equal(await page.textContent('.tab[data-tab="protocol"]'), 'Commit');
      const fit = await page.$eval('table.participants', (t) => {
        const body = t.closest('.tab-body').getBoundingClientRect();
        const table = t.getBoundingClientRect();
        const buttons = [...t.querySelectorAll('button')].map((b) => b.getBoundingClientRect());
        return {
          table: [table.left, table.right], body: [body.left, body.right],
          buttons: buttons.map((b) => [b.left, b.right]), scroll: t.scrollWidth - t.clientWidth,
        };
      });
      assert.ok(fit.table[1] <= fit.body[1] + 0.5, `the table fits: ${JSON.stringify(fit)}`);
      assert.equal(fit.buttons.length, 3);
      for (const [l, r] of fit.buttons) assert.ok(l >= fit.body[0] && r <= fit.body[1] + 0.5, `a refuse button is clipped: ${JSON.stringify(fit)}`);
      await screenshot(page, `teach-${size}-${scheme}-2pc.png`);

      // Presentation mode (f): the graph takes at least 60% of the viewport's shorter side;
      // panels and the log are folded away; f again brings them back.
      await switchProtocol(page, 'raft');
      await until(page, leader, 'a leader');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.keyboard.press('f');
      await until(page, () => document.querySelector('.app.present'), 'presentation mode');
      assert.equal(await page.locator('.side').count(), 0);
      assert.equal(await page.locator('.log-lines').count(), 0);
      assert.equal(await page.getAttribute('button.present', 'aria-pressed'), 'true');
      const graph = await page.$eval('.graph', (g) => g.getBoundingClientRect().width);
      const shorter = Math.min(viewport.width, viewport.height);
      assert.ok(graph >= 0.6 * shorter, `graph ${graph}px < 60% of ${shorter}px`);
      const inView = await page.$eval('.graph', (g) => { const r = g.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight + 1; });
      assert.ok(inView, 'the whole graph is on screen');
      const nameSize = await page.$eval('.node[data-node="n1"] .name', (t) => t.getBoundingClientRect().height);
      assert.ok(nameSize >= 0.035 * shorter, `node names are ${nameSize}px tall`);
      await screenshot(page, `teach-${size}-${scheme}-present.png`);
      await page.keyboard.press('f');
      await until(page, () => !document.querySelector('.app.present') && document.querySelector('.side'), 'back from presentation');
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}

test('every destructive change keeps the old session; digits after a menu change select nodes', async () => {
  const { page, errors, context } = await openPage({ width: 1280, height: 800 });
  await until(page, leader, 'a leader');
  await page.keyboard.press('2');
  await page.keyboard.press('c');
  await page.waitForTimeout(300);
  await page.keyboard.press(' ');
  const before = await fingerprint(page);
  const back = async (how) => {
    await until(page, () => document.querySelector('.banner.kept'), 'the banner saying the session is kept');
    assert.match(await page.textContent('.banner.kept'), /The session you left is kept: .*Raft · 5 nodes · seed 7 · 1 action/);
    if (how === 'key') await page.keyboard.press('u');
    else await page.click('.banner.kept .go-back');
    await until(page, () => document.querySelectorAll('.tl-mark').length === 1, 'the old session back');
    assert.equal(await fingerprint(page), before, 'exactly where it was');
    assert.equal(await page.getAttribute('.node[data-node="n2"]', 'data-status'), 'crashed');
  };
  // The protocol menu.
  await switchProtocol(page, 'dynamo');
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'BODY', 'the menu lets go of the focus');
  await back('button');
  // The node count; then a digit selects a node instead of choosing another count.
  await page.selectOption('select[aria-label="Number of nodes"]', '3');
  await until(page, () => document.querySelectorAll('.node:not(.client)').length === 3, 'three nodes');
  await page.keyboard.press('1');
  await until(page, () => document.querySelector('[data-inspecting="n1"]'), 'n1 selected by its digit');
  assert.equal(await page.locator('.node:not(.client)').count(), 3, 'no rebuild');
  await back('key');
  // The seed box.
  await page.fill('.seed-form input[name="seed"]', '42');
  await page.press('.seed-form input[name="seed"]', 'Enter');
  await until(page, () => document.querySelector('.seed-form input').value === '42' && document.querySelector('.banner.kept'), 'seed 42');
  await back('button');
  // The gallery.
  await openGallery(page, 'Raft: the leader crashes');
  await back('key');
  // Back twice toggles between the two sessions; earlier ones are listed.
  assert.ok(await page.locator('select.kept option').count() >= 3);
  assert.deepEqual(errors, []);
  await context.close();
});

test('bad values are refused next to their field, in full, with aria-invalid', async () => {
  const { page, errors, context } = await openPage({ width: 1280, height: 800 });
  // The seed box.
  await page.fill('.seed-form input[name="seed"]', '12ab');
  await page.press('.seed-form input[name="seed"]', 'Enter');
  await until(page, () => document.querySelector('.seed-form input').getAttribute('aria-invalid') === 'true', 'aria-invalid on the seed');
  const described = await page.getAttribute('.seed-form input', 'aria-describedby');
  const message = await page.textContent(`#${described}`);
  assert.match(message, /"12ab" is not a seed: use a whole number from 0 to 18446744073709551615/);
  assert.ok(await page.isVisible(`#${described}`));
  assert.equal(await page.inputValue('.seed-form input'), '12ab', 'the text stays');
  assert.doesNotMatch(await page.textContent('.status'), /\(seed\)|\(link\)/);
  assert.equal(await page.locator('.banner.kept').count(), 0, 'nothing restarted');
  // The network settings.
  await openTab(page, 'settings');
  await page.fill('.net-form input[name="loss"]', 'lots');
  await page.click('.net-form button[type="submit"]');
  await until(page, () => document.querySelector('.net-form input[name="loss"]').getAttribute('aria-invalid') === 'true', 'aria-invalid on loss');
  assert.match(await page.textContent('.net-form'), /loss must be a percentage from 0 to 100, not "lots"/);
  await page.fill('.net-form input[name="loss"]', '10');
  await page.click('.net-form button[type="submit"]');
  await until(page, () => /10% lost/.test(document.querySelector('.net-settings').textContent), 'the new network');
  // A client command that does not parse.
  await openTab(page, 'clients');
  await page.fill('form.client-form input[name="key"]', '');
  await page.click('form.client-form button[type="submit"]');
  await until(page, () => document.querySelector('form.client-form input[name="key"]').getAttribute('aria-invalid') === 'true', 'aria-invalid on the key');
  await screenshot(page, 'teach-inline-errors.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a damaged link is explained in plain words next to the top bar', async () => {
  const { page, errors, context } = await openPage({ width: 1280, height: 800 }, 'light', { url: `${server.url}#s1.not-base64-%%%` });
  await until(page, () => document.querySelector('.banner.link-error'), 'the banner');
  const text = await page.textContent('.banner.link-error p');
  assert.equal(text, 'This link cannot be opened: it is damaged (not valid base64); copy the whole link.');
  await page.click('.banner.link-error button');
  await until(page, () => !document.querySelector('.banner.link-error'), 'dismissed');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the split vote and the election reason are named, and countdowns show while paused', async () => {
  const { page, errors, context } = await openPage({ width: 1280, height: 800 });
  await openGallery(page, 'Raft: a split vote, then a winner');
  for (let i = 0; i < 6; i++) await page.keyboard.press(']');
  await until(page, () => document.querySelector('.explain-strip .explanation[data-kind="won"]'), 'the election explained', 30000);
  const won = await page.textContent('.explain-strip .explanation[data-kind="won"] .what');
  assert.match(won, /^n3 won term 2: its election timeout \(180 ms\) expired first — n2's would have expired 41 ms later; votes from n1, n2, n3 \(3 of 5, 3 needed\)$/);
  await openTab(page, 'protocol');
  const listed = await page.$$eval('.explanations li', (ls) => ls.map((l) => [l.dataset.kind, l.textContent]));
  assert.equal(listed[0][0], 'won');
  assert.equal(listed[1][0], 'split-vote');
  assert.match(listed[1][1], /split vote in term 1: n3 got 2 votes \(n1, n3\), n4 got 1 vote \(n4\), n2 got 1 vote \(n2\), n5 got 1 vote \(n5\); 3 needed, so nobody won/);
  // Clicking the explanation selects the winner.
  await page.click('.explain-strip .explanation[data-kind="won"] button');
  await until(page, () => document.querySelector('[data-inspecting="n3"]'), 'n3 selected');
  // Paused: each follower says how long its election timer has left.
  await page.keyboard.press(' ');
  await until(page, () => document.querySelectorAll('.node .countdown').length >= 4, 'countdowns');
  const left = await page.$$eval('.node .countdown text', (ts) => ts.map((t) => t.textContent));
  for (const l of left) assert.match(l, /^\d+ ms$/);
  await page.keyboard.press(' ');
  await until(page, () => document.querySelectorAll('.node .countdown').length === 0, 'no countdowns while playing');
  await screenshot(page, 'teach-split-vote.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a write to a cut-off leader: the islands, the fate of the entry, the crashed leader', async () => {
  const { page, errors, context } = await openPage({ width: 1280, height: 800 });
  const status = await openGallery(page, 'Raft: a write to a cut-off leader is never committed');
  assert.match(status, /never committed/);
  for (let i = 0; i < 8; i++) await page.keyboard.press(']');
  // After the heal and c2's read, c1's put is told as appended at 2@T2 by n3, later discarded.
  await until(page, () => Number(document.querySelector('.clock').textContent.match(/[\d.]+/)[0]) > 3.7, 'the end of the story', 60000);
  await page.keyboard.press(' ');
  await until(page, () => document.querySelectorAll('.island').length === 0, 'one network again');
  // Back at t=2 s the partition is drawn as two islands.
  await page.$eval('.tl-slider', (el) => { el.value = '2000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await until(page, () => document.querySelectorAll('.island').length === 2, 'two islands');
  const islands = await page.$$eval('.island', (is) => is.map((i) => [i.dataset.island, i.textContent]));
  assert.deepEqual(islands, [['n1,n3', '2 of 5 · minority'], ['n2,n4,n5', '3 of 5 · majority']]);
  await screenshot(page, 'teach-islands.png');
  await page.focus('.tl-slider');
  await page.keyboard.press('End');
  await until(page, () => document.querySelectorAll('.island').length === 0, 'the end again');
  await openTab(page, 'clients');
  const c1 = await page.$$eval('.client-log li', (ls) => ls.map((l) => l.textContent).find((t) => /c1 #1 put x 1/.test(t)));
  assert.match(c1, /gave up: outcome unknown/);
  assert.match(c1, /log: appended at 2@T2 by n3, later discarded/);
  const c2 = await page.$$eval('.client-log li', (ls) => ls.map((l) => l.textContent).find((t) => /c2 #1 put x 2/.test(t)));
  assert.match(c2, /log: appended at 3@T6 by n2, committed/);
  await screenshot(page, 'teach-minority-write.png');
  // A crashed leader's pill says it is crashed and what it restarts as.
  const l = await page.evaluate(() => document.querySelector('.node[data-role="leader"]').dataset.node);
  await page.keyboard.press(l.slice(1));
  await page.keyboard.press('c');
  await until(page, (id) => document.querySelector(`.node[data-node="${id}"]`).dataset.status === 'crashed', 'the crash', 5000, l);
  assert.match(await page.textContent('.side h2'), /crashed/);
  assert.equal(await page.textContent('.side h2 .pill.role'), 'restarts as follower');
  assert.deepEqual(errors, []);
  await context.close();
});

test('actions at the same instant fan out on the timeline, each one clickable', async () => {
  const { page, errors, context } = await openPage({ width: 1024, height: 768 });
  await until(page, leader, 'a leader');
  await page.keyboard.press(' ');
  for (const n of ['1', '2', '4']) {
    await page.keyboard.press(n);
    await page.keyboard.press('p');
  }
  await until(page, () => document.querySelectorAll('.tl-mark').length === 3, 'three marks');
  const ats = await page.$$eval('.tl-mark', (ms) => ms.map((m) => Number(m.dataset.at)));
  assert.ok(Math.max(...ats) - Math.min(...ats) <= 2, `at one instant: ${ats}`);
  const boxes = await page.$$eval('.tl-mark > g > rect:first-child', (rs) => rs.map((r) => { const b = r.getBoundingClientRect(); return [b.left, b.right, b.top, b.bottom]; }));
  for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i][0] >= boxes[i - 1][1] - 0.5, `marks ${i - 1} and ${i} overlap: ${JSON.stringify(boxes)}`);
  for (let i = 0; i < 3; i++) {
    // Selecting a mark opens its editor, which may move the bar: measure again each time.
    const [l, r, t, b] = await page.$$eval('.tl-mark > g > rect:first-child', (rs, k) => {
      const x = rs[k].getBoundingClientRect();
      return [x.left, x.right, x.top, x.bottom];
    }, i);
    const hit = await page.evaluate(([x, y]) => {
      const el = document.elementFromPoint(x, y);
      return [...document.querySelectorAll('.tl-mark')].indexOf(el?.closest('.tl-mark'));
    }, [(l + r) / 2, (t + b) / 2]);
    assert.equal(hit, i, `mark ${i} is the one under its centre`);
    await page.mouse.click((l + r) / 2, (t + b) / 2);
    await until(page, (k) => document.querySelectorAll('.tl-mark')[k].getAttribute('aria-pressed') === 'true', `mark ${i} selected`, 5000, i);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

async function audit(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const scheme of SCHEMES) {
  test(`axe: every tab, errors, banners, the analysis region and presentation mode (${scheme})`, async () => {
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await until(page, leader, 'a leader');
    await page.keyboard.press(' ');
    const check = async (what) => {
      const found = await audit(page);
      assert.deepEqual(found, [], `${what}: ${JSON.stringify(found, null, 2)}`);
    };
    for (const name of ['clients', 'settings', 'protocol']) {
      await openTab(page, name);
      await check(`the ${name} tab`);
    }
    await page.fill('.seed-form input[name="seed"]', 'x');
    await page.press('.seed-form input[name="seed"]', 'Enter');
    await until(page, () => document.querySelector('.seed-form .field-error'), 'the seed error');
    await page.click('.an-toggle');
    await until(page, () => document.querySelector('.an-body'), 'the analysis region');
    await page.focus('.an-resize');
    await page.keyboard.press('ArrowUp');
    await check('the seed error and the analysis region');
    await switchProtocol(page, 'dynamo');
    await page.keyboard.press(' ');
    await openTab(page, 'protocol');
    await check('the session banner and the store tab');
    await page.keyboard.press('f');
    await until(page, () => document.querySelector('.app.present'), 'presentation mode');
    await check('presentation mode');
    await context.close();
  });
}
