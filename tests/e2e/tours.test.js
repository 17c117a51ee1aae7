// Narrated tours (issue 15): a tour plays through with Prev / Next (buttons and ← →), every
// claim of every step checked ✓; "Try it yourself" hands the moment to the sandbox and Back
// returns to the tour at that step; an authored caption survives export → import and a share
// link; a narrated scenario loaded through the embed's API shows its tour in the embed.
// Screenshots of the tour panel at desktop and phone width, light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serve, serveFolders, launch, open, until, screenshot, DIST } from './harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const CHALLENGE = '2pc-block';

/** Serious or critical axe violations on the page as it is. */
async function audit(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const TOUR = 'raft-leader-crash';
const CHAPTER = 'raft-election';
let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const progress = (page) => page.textContent('.tour-progress');
const current = (page) => page.getAttribute('.tour-progress', 'data-current');

/** Open the chapter from the Tours menu and wait for its first tour's panel. */
async function openTour(page) {
  await page.selectOption('select.tours', `chapter:${CHAPTER}`);
  await until(page, () => document.querySelector('.tour .tour-progress'), 'the tour panel');
}

test('a chapter plays through with Prev / Next, hands over to the sandbox and back', async () => {
  const { page, errors } = await open(browser, server.url);
  await openTour(page);
  // Step through every caption of every scenario of the chapter with Next (and Next
  // scenario): each step's claims all hold against the run.
  let scenarios = 1;
  for (;;) {
    const steps = Number(await page.getAttribute('.tour', 'data-steps'));
    assert.ok(steps >= 2, `${steps} steps`);
    await page.click('.tour-next');
    await until(page, () => document.querySelector('.tour-progress')?.dataset.current, 'a step');
    for (;;) {
      const k = Number(await current(page));
      assert.match(await progress(page), new RegExp(`^step ${k + 1} of ${steps}$`));
      const text = await page.getAttribute('.tour-caption', 'data-text');
      assert.ok(text && text.length > 20, `step ${k + 1} says something`);
      assert.equal(await page.locator('.tour-check[data-met="false"]').count(), 0, `scenario ${scenarios} step ${k + 1}: every claim met`);
      assert.equal(await page.getAttribute('.tour-caption', 'aria-live'), 'polite');
      if (k + 1 >= steps) break;
      await page.click('.tour-next');
      await until(page, (k) => document.querySelector('.tour-progress')?.dataset.current === String(k + 1), `step ${k + 2}`, 20000, k);
    }
    if (!(await page.locator('.tour-next-scenario').count())) break;
    const title = await page.textContent('.tour-title');
    await page.click('.tour-next-scenario');
    await until(page, (t) => document.querySelector('.tour-title')?.textContent !== t, 'the next scenario', 20000, title);
    scenarios += 1;
  }
  assert.ok(scenarios >= 2, 'the chapter has several scenarios');
  assert.match(await page.textContent('.tour-chapter'), new RegExp(`scenario ${scenarios} of ${scenarios}`));
  const steps = Number(await page.getAttribute('.tour', 'data-steps'));
  assert.ok(await page.locator('.tour-next[disabled]').count(), 'Next is off at the very end');
  // Prev, and the arrow keys (focus on the page, not in a field).
  await page.click('.tour-prev');
  await until(page, (n) => document.querySelector('.tour-progress').dataset.current === String(n - 2), 'Prev', 20000, steps);
  await page.locator('.tour-title').click();
  await page.keyboard.press('ArrowLeft');
  await until(page, (n) => document.querySelector('.tour-progress').dataset.current === String(n - 3), '←', 20000, steps);
  await page.keyboard.press('ArrowRight');
  await until(page, (n) => document.querySelector('.tour-progress').dataset.current === String(n - 2), '→', 20000, steps);
  // The highlight is drawn on the graph (a dashed ring, not hue alone) where the step points.
  const spotted = await page.locator('.node.spot').count();
  const spotText = await page.locator('.tour-spot').count();
  assert.ok(spotted > 0 || spotText === 0, 'nodes the caption names are ringed');

  // Try it yourself: the same moment in the sandbox, every control works, Back returns.
  const where = await progress(page);
  const fingerprint = await page.getAttribute('.clock', 'data-fingerprint');
  assert.ok(fingerprint, 'paused at the step');
  await page.click('.tour-try');
  await until(page, () => !document.querySelector('.tour') && document.querySelector('.banner.kept'), 'the sandbox');
  assert.equal(await page.getAttribute('.clock', 'data-fingerprint'), fingerprint, 'the same state');
  assert.match(await page.textContent('.banner.kept'), /tour/);
  await page.keyboard.press('2');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n2"]').dataset.status === 'crashed', 'a crash in the sandbox');
  await page.click('.banner.kept .go-back');
  await until(page, () => document.querySelector('.tour .tour-progress'), 'back in the tour');
  assert.equal(await progress(page), where, 'at the same step');
  assert.equal(await page.getAttribute('.clock', 'data-fingerprint'), fingerprint, 'and the same state');
  assert.deepEqual(errors, []);
  await page.close();
});

test("a caption's highlight is drawn in the space-time diagram; the top bar stays one row with Back", async () => {
  const { page, errors } = await open(browser, server.url);
  await page.waitForSelector('.node[data-node="n1"]');
  await page.evaluate((id) => window.netsplit.load(`gallery:${id}`), TOUR);
  await until(page, () => document.querySelector('.tour .tour-progress'), 'the tour');
  if (!(await page.$('.an-body'))) await page.click('.an-toggle');
  const CANVAS = '.pane-diagram canvas.st-canvas';
  await until(page, (sel) => document.querySelector(sel), 'the diagram', 5000, CANVAS);
  // Step 2 points at n3 and its heartbeats: n3's lane is spotted, heartbeats stand out and
  // every other arrow is faded.
  await page.click('.tour-next');
  await until(page, () => document.querySelector('.tour-progress').dataset.current === '0', 'step 1');
  await page.click('.tour-next');
  await until(page, () => document.querySelector('.tour-progress').dataset.current === '1', 'step 2');
  assert.match(await page.textContent('.tour-spot'), /n3 · Heartbeat messages/);
  await until(page, (sel) => /^lanes=n3 spotted=[1-9]\d* dimmed=[1-9]/.test(document.querySelector(sel).dataset.spot || ''),
    'n3 and its heartbeats spotted in the diagram', 10000, CANVAS);
  // Closing the tour clears it.
  await page.click('.tour-close');
  await until(page, (sel) => document.querySelector(sel).dataset.spot === 'lanes= spotted=0 dimmed=0',
    'nothing spotted without a tour', 10000, CANVAS);

  // Try it yourself from a tour puts Back in the top bar: at 1280 px it stays one row.
  await page.evaluate((id) => window.netsplit.load(`gallery:${id}`), TOUR);
  await until(page, () => document.querySelector('.tour .tour-progress'), 'the tour again');
  await page.click('.tour-try');
  await until(page, () => document.querySelector('.topbar .back'), 'Back in the top bar');
  // One row: every item's vertical centre within a few pixels of the others' (a wrapped item
  // sits a whole row, 40 px or more, lower).
  const spread = await page.evaluate(() => {
    const centres = [...document.querySelectorAll('.topbar .setup > *, .topbar .brand')]
      .filter((e) => e.getBoundingClientRect().width > 1)
      .map((e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
    return Math.max(...centres) - Math.min(...centres);
  });
  assert.ok(spread <= 4, `every item of the top bar on one row (centres ${spread} px apart)`);
  await screenshot(page, 'topbar-with-back-1280.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an authored caption survives export → import and a share link', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.clock')?.dataset.fingerprint, 'paused');
  await page.selectOption('select.tours', 'write');
  await until(page, () => document.querySelector('.cap-editor'), 'the caption editor');
  await page.click('.cap-add');
  await until(page, () => document.querySelector('.cap-text'), 'a new caption');
  const words = 'Here **n1** waits: `heartbeats` keep every follower quiet.';
  await page.fill('.cap-text', words);
  await until(page, (w) => document.querySelector('.tour-caption')?.dataset.text?.includes('heartbeats keep'), 'the caption shown', 20000, words);
  assert.equal(await page.locator('.tour-caption strong').textContent(), 'n1', 'markdown as elements');
  assert.equal(await page.locator('.tour-caption code').textContent(), 'heartbeats');

  // Export → import.
  await page.click('button:has-text("Export")');
  await until(page, () => document.querySelector('.scenario-json'), 'the export dialog');
  const json = await page.inputValue('.scenario-json');
  assert.match(json, /"captions"/);
  assert.ok(json.includes(JSON.stringify(words).slice(1, -1)), 'the caption is in the file');
  await page.keyboard.press('Escape');
  const other = await open(browser, server.url);
  await other.page.click('button:has-text("Import")');
  await other.page.fill('.scenario-json', json);
  await other.page.click('.dialog button:has-text("Open")');
  await until(other.page, () => document.querySelector('.tour-caption'), 'the imported tour');
  await until(other.page, () => document.querySelector('.tour-caption')?.dataset.text?.includes('heartbeats keep'), 'its caption');

  // Share link → a new page opens it as a tour.
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const link = await page.inputValue('.share-link');
  const third = await open(browser, link);
  await until(third.page, () => document.querySelector('.tour-caption')?.dataset.text?.includes('heartbeats keep'), 'the shared tour');
  assert.match(await third.page.textContent('.tour-progress'), /step 1 of 1/);
  for (const p of [page, other.page, third.page]) await p.close();
  assert.deepEqual([...errors, ...other.errors, ...third.errors], []);
});

test('the embed answers its API from another sub-path and plays a narrated scenario as a tour', async () => {
  const site = await serveFolders([['/sites/netsplit/', DIST]]);
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A course page at another sub-path of the same origin, framing the embed.
  await page.route('**/lessons/tours.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><title>lesson</title><iframe id="f" title="netsplit" src="../sites/netsplit/embed.html" width="960" height="600"></iframe>',
  }));
  await page.goto(`${site.url}lessons/tours.html`);
  await until(page, () => document.getElementById('f').contentWindow.netsplit, 'the API');
  const snap = await page.evaluate((id) => document.getElementById('f').contentWindow.netsplit.load(`gallery:${id}`), TOUR);
  assert.equal(snap.t, 0);
  const frame = page.frames().find((f) => f.url().includes('embed.html'));
  await until(frame, () => document.querySelector('.tour .tour-progress'), 'the tour in the embed');
  await frame.click('.tour-next');
  await until(frame, () => document.querySelector('.tour-progress').dataset.current === '0', 'step 1 in the embed');
  const after = await page.evaluate(() => document.getElementById('f').contentWindow.netsplit.snapshot());
  assert.ok(after.t > 0 && after.leader, `the first step elects a leader: ${JSON.stringify(after.leader)}`);
  assert.deepEqual(errors, []);
  await page.close();
  await site.close();
});

test('a challenge turns done ✓ when solved by clicking; its solution replay solves it; progress is kept', async () => {
  // One context: its pages share local storage.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(server.url);
  await page.waitForSelector('.node[data-node="n1"]');
  await page.selectOption('select.tours', `challenge:${CHALLENGE}`);
  await until(page, () => document.querySelector('.challenge .ch-status'), 'the challenge panel');
  assert.equal(await page.getAttribute('.ch-status', 'data-done'), 'false');
  assert.match(await page.textContent('.ch-status'), /not yet/);
  for (let i = 0; i < 6; i++) await page.keyboard.press(']'); // faster (kept by replays)
  assert.match(await page.textContent('.ch-goal'), /in doubt/);
  // The solution replay reaches the goal (and does not count as solved).
  await page.click('.ch-solution');
  await until(page, () => document.querySelector('.ch-status')?.dataset.done === 'true', 'the solution solves it', 30000);
  assert.match(await page.textContent('.ch-status'), /done ✓ .*by the solution/);
  // By hand: from the start, crash the coordinator just after the participants prepared.
  await page.click('.ch-restart');
  await until(page, () => document.querySelector('.ch-status')?.dataset.done === 'false', 'started over');
  await page.evaluate(() => window.netsplit.seek(125));
  await page.click('.node[data-node="n1"]');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n1"]').dataset.status === 'crashed', 'n1 crashed');
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.ch-status')?.dataset.done === 'true', 'done ✓ by hand', 30000);
  assert.doesNotMatch(await page.textContent('.ch-status'), /by the solution/);
  assert.match(await page.textContent('.challenge .tour-progress'), /^1 of \d+ solved$/);
  // Kept in local storage: a new page knows.
  const other = await context.newPage();
  await other.goto(server.url);
  await other.waitForSelector('.node[data-node="n1"]');
  assert.match(await other.textContent(`select.tours option[value="challenge:${CHALLENGE}"]`), /✓ .*\(done\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a browser that refuses storage still plays challenges', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
  });
  await page.goto(server.url);
  await page.waitForSelector('.node[data-node="n1"]');
  await page.selectOption('select.tours', `challenge:${CHALLENGE}`);
  await until(page, () => document.querySelector('.challenge .ch-status'), 'the challenge panel');
  await page.evaluate(() => window.netsplit.seek(125));
  await page.click('.node[data-node="n1"]');
  await page.keyboard.press('c');
  for (let i = 0; i < 6; i++) await page.keyboard.press(']');
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.ch-status')?.dataset.done === 'true', 'done ✓', 30000);
  assert.match(await page.textContent('.ch-warning'), /not saved .*full/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the tour panel, its editor and the challenge panel pass the accessibility audit, light and dark', async () => {
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('.node[data-node="n1"]');
    await openTour(page);
    await page.click('.tour-next');
    await until(page, () => document.querySelector('.tour-progress')?.dataset.current, 'a step');
    await page.click('.tour-edit');
    await until(page, () => document.querySelector('.cap-editor'), 'the editor');
    const found = await audit(page);
    assert.deepEqual(found, [], `${scheme}: ${JSON.stringify(found, null, 2)}`);
    await page.selectOption('select.tours', `challenge:${CHALLENGE}`);
    await until(page, () => document.querySelector('.challenge .ch-status'), 'the challenge panel');
    const challenge = await audit(page);
    assert.deepEqual(challenge, [], `${scheme}: ${JSON.stringify(challenge, null, 2)}`);
    await context.close();
  }
});

test('screenshots of the tour panel: desktop and phone, light and dark', async () => {
  for (const [w, h, name] of [[1280, 800, 'desktop'], [390, 844, 'phone']]) {
    for (const scheme of ['light', 'dark']) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      await page.goto(server.url);
      await page.waitForSelector('.node[data-node="n1"]');
      await openTour(page);
      await page.click('.tour-next');
      await until(page, () => document.querySelector('.tour-progress').dataset.current, 'a step');
      await page.click('.tour-next');
      await until(page, () => Number(document.querySelector('.tour-progress').dataset.current) >= 1, 'step 2');
      if (name === 'phone') await page.locator('.tour').scrollIntoViewIfNeeded();
      await screenshot(page, `tour-${name}-${scheme}.png`);
      await page.close();
    }
  }
});
