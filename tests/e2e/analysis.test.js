// Seeing a whole run (issue 13): the space-time diagram appears and grows, clicking a message
// seeks the timeline to it, seeking away and back redraws the same pixels, hovering links the
// diagram to the event log, both exports download; the log matrix shows Figure 8's
// conflicting entries; the history highlights the offending operations of a history that is
// not linearizable (injected through a debug-build hook: the page is built without the
// deliberately broken protocol variants that would produce one — see docs/analysis.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, open, until, untilPlayingOn, pause, screenshot, DEBUG_DIST, ARTIFACTS, openTab } from './harness.js';

const haveDebug = fs.existsSync(path.join(DEBUG_DIST, 'index.html'));
const skipDebug = !haveDebug && !process.env.NETSPLIT_DEBUG_DIST
  ? 'no debug build in dist-debug/ (trunk build --offline --dist dist-debug)' : false;

let server, debug, browser;
before(async () => {
  browser = await launch();
  server = await serve('/');
  if (!skipDebug) debug = await serve('/debug/', DEBUG_DIST);
});
after(async () => { await browser?.close(); await server?.close(); await debug?.close(); });

const CANVAS = '.pane-diagram canvas.st-canvas';

/** Virtual time on the clock, in ms. */
const clockMs = async (page) => {
  const text = await page.textContent('.clock');
  return Math.round(parseFloat(text.replace(/[^0-9.]/g, '')) * 1000);
};

/** A hash of the diagram canvas's pixels, after two animation frames. */
const fingerprint = (page) => page.evaluate(async (sel) => {
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const c = document.querySelector(sel);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 2166136261;
  for (let i = 0; i < data.length; i += 1) { h ^= data[i]; h = Math.imul(h, 16777619) >>> 0; }
  return `${c.width}x${c.height}:${h.toString(16)}`;
}, CANVAS);

/** Open the analysis region under the stage (closed on a fresh page; it stays open across
 * sessions), then give the keyboard back to the page. */
async function region(page) {
  if (!(await page.$('.an-body'))) await page.click('.an-toggle');
  await until(page, () => document.querySelector('.an-body'), 'the analysis region', 5000);
  await page.evaluate(() => document.activeElement?.blur());
}

/** Open a side-panel tab (the client forms are on Clients). */
async function tab(page, name) {
  await openTab(page, name);
  await page.evaluate(() => document.activeElement?.blur());
}

/** Seek with the timeline slider (as dragging it does). */
const seek = (page, ms) => page.$eval('.tl-slider', (el, v) => {
  el.value = String(v);
  el.dispatchEvent(new InputEvent('input', { bubbles: true }));
}, ms);

test('the space-time diagram appears, grows, links hover to the log and seeks on click', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  assert.ok(await page.$('section[aria-label="Space-time diagram"]'), 'the pane');
  await until(page, (sel) => Number(document.querySelector(sel)?.dataset.messages) > 20, 'messages drawn', 20000, CANVAS);
  const first = Number(await page.getAttribute(CANVAS, 'data-messages'));
  await until(page, ([sel, n]) => Number(document.querySelector(sel).dataset.messages) > n, 'the diagram grows as the run plays', 20000, [CANVAS, first]);
  assert.equal(await page.getAttribute(CANVAS, 'data-lod'), 'arrows');

  // Pause; hover a message: a tooltip names it, and its lines in the event log light up.
  await page.keyboard.press(' ');
  await until(page, (sel) => document.querySelector(sel).dataset.probe, 'a message to point at', 5000, CANVAS);
  const [x, y, sent, end, id] = (await page.getAttribute(CANVAS, 'data-probe')).split(',').map(Number);
  // The probe is in the canvas's own coordinates (pointer events' offsetX/Y), inside its border.
  const outer = await page.locator(CANVAS).boundingBox();
  const [left, top] = await page.$eval(CANVAS, (c) => [c.clientLeft, c.clientTop]);
  const box = { x: outer.x + left, y: outer.y + top };
  await page.mouse.move(box.x + x, box.y + y);
  await until(page, (m) => document.querySelector('.st-tip')?.textContent.includes(` m${m} `), 'the tooltip', 5000, id);
  const tip = await page.textContent('.st-tip');
  assert.match(tip, /delivered at t=\d+/);
  const inLog = await page.evaluate((m) => [...document.querySelectorAll('.log-lines .line')].some((l) => l.textContent.includes(` m${m} `)), id);
  if (inLog) {
    await until(page, (m) => [...document.querySelectorAll('.log-lines .line.highlight')].some((l) => l.textContent.includes(` m${m} `)), 'its log lines highlighted', 5000, id);
  }

  // Click it: the timeline seeks to a moment while it was on the wire.
  await page.mouse.click(box.x + x, box.y + y);
  await until(page, (s) => {
    const t = Math.round(parseFloat(document.querySelector('.clock').textContent.replace(/[^0-9.]/g, '')) * 1000);
    return t <= s.end && t >= s.sent;
  }, 'the seek', 5000, { sent, end });
  const t = await clockMs(page);
  assert.ok(t >= sent && t <= end, `seeked to t=${t}, within [${sent}, ${end}]`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('seeking away and back redraws exactly the same picture', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  for (let i = 0; i < 25; i += 1) await page.keyboard.press(']');
  await until(page, () => Number(document.querySelector('.tl-slider').max) > 20000, 'a run of 20 s', 60000);
  await page.keyboard.press(' ');
  await page.mouse.move(1, 1);
  const end = Number(await page.getAttribute('.tl-slider', 'max'));
  const at = Math.floor(end * 0.8);
  await seek(page, at);
  await until(page, (v) => Math.round(parseFloat(document.querySelector('.clock').textContent.replace(/[^0-9.]/g, '')) * 1000) === v, 'the first seek', 5000, at);
  const before = await fingerprint(page);
  const messages = await page.getAttribute(CANVAS, 'data-messages');
  await seek(page, Math.floor(end * 0.3));
  await until(page, (m) => document.querySelector('.pane-diagram canvas').dataset.messages !== m, 'an earlier picture', 5000, messages);
  assert.notEqual(await fingerprint(page), before, 'seeking away changes the picture');
  await seek(page, at);
  await until(page, (m) => document.querySelector('.pane-diagram canvas').dataset.messages === m, 'the same moment again', 5000, messages);
  assert.equal(await fingerprint(page), before, 'the same moment, the same pixels');
  assert.deepEqual(errors, []);
  await page.close();
});

test('both exports download: the diagram as SVG, the metrics as CSV', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  await until(page, (sel) => Number(document.querySelector(sel)?.dataset.messages) > 20, 'messages drawn', 20000, CANVAS);
  await page.keyboard.press(' ');
  for (const [button, check] of [
    ['SVG: view', (t) => t.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && t.endsWith('</svg>') && t.includes('<polyline')],
    ['SVG: whole run', (t) => t.startsWith('<svg') && t.includes('>n1<')],
    ['Download CSV', (t) => t.startsWith('t_ms,latency p50 (ms)') && t.split('\n').length > 2],
  ]) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]);
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(check(text), `${button}: ${text.slice(0, 120)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the diagram and the other panes resize against each other, by keys and by dragging', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  const widths = () => page.evaluate(() => [
    document.querySelector('.analysis-main').getBoundingClientRect().width,
    document.querySelector('.analysis-side').getBoundingClientRect().width,
  ]);
  const [main0, side0] = await widths();
  const handle = page.getByRole('separator', { name: /diagram against the other panes/ });
  const now0 = Number(await handle.getAttribute('aria-valuenow'));
  await handle.focus();
  // Two arrow steps and a page step: 2 + 2 + 8 points of the width.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('PageUp');
  await until(page, (n) => Number(document.querySelector('.an-split').getAttribute('aria-valuenow')) === n + 12, 'the handle moved', 5000, now0);
  const [main1, side1] = await widths();
  assert.ok(main1 > main0 + 40 && side1 < side0 - 40, `keys: ${main0}/${side0} → ${main1}/${side1}`);
  // Drag it 150 px left: the diagram narrows past where it started.
  const box = await handle.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 150, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await until(page, (n) => Number(document.querySelector('.an-split').getAttribute('aria-valuenow')) < n, 'the drag committed', 5000, now0);
  const [main2] = await widths();
  assert.ok(main2 < main0 - 20, `drag: ${main0} → ${main2}`);
  // The canvas follows its column.
  const canvasWidth = await page.$eval(CANVAS, (c) => c.getBoundingClientRect().width);
  assert.ok(canvasWidth <= main2 + 1, `canvas ${canvasWidth} within its column ${main2}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the log matrix shows Figure 8\'s conflicting entries', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  const label = await page.$$eval('select.gallery option', (os) => os.map((o) => o.textContent).find((t) => /Figure 8/.test(t)));
  await page.selectOption('select.gallery', { label });
  await untilPlayingOn(page, () => document.querySelector('.log-matrix td.conflict'), 'a conflict in the matrix', 60000);
  await pause(page);
  const summary = await page.textContent('.lm-summary');
  assert.match(summary, /Conflicting entries at index 2\b/);
  // Index 2's column: at least two different terms, each written as a number, outlined.
  const terms = await page.$$eval('.log-matrix tbody tr', (rows) => {
    const head = [...document.querySelectorAll('.log-matrix thead th')].map((th) => th.textContent);
    // A tour's caption may mark the column it points at (◆): read the index number only.
    const col = head.findIndex((t) => t.replace(/[^0-9]/g, '') === '2');
    return rows.map((r) => r.children[col]).filter((c) => c?.classList.contains('conflict')).map((c) => c.querySelector('.lm-term').textContent);
  });
  assert.ok(new Set(terms).size >= 2, `terms at index 2: ${terms}`);
  assert.equal((await page.$$('.log-matrix tbody tr')).length, 5, 'one row per server');
  await screenshot(page, 'analysis-figure8.png');
  assert.deepEqual(errors, []);
  await page.close();
});

test('release builds carry no history hook', async () => {
  const { page } = await open(browser, server.url);
  assert.equal(await page.evaluate(() => typeof window.__netsplitDebugHistory), 'undefined');
  await page.close();
});

test('a non-linearizable history: offending operations highlighted, one sentence why', { skip: skipDebug }, async () => {
  const { page, errors } = await open(browser, debug.url);
  await region(page);
  await page.keyboard.press(' ');
  // A stale read: c2 reads 1 after c1's put x 2 completed (what the stale-leader-read mutant
  // produces); key y is fine.
  const history = [
    { client: 1, op: { put: { key: 'x', value: '1' } }, invoked_at: 100, returned: [140, 'ok'] },
    { client: 1, op: { put: { key: 'x', value: '2' } }, invoked_at: 200, returned: [260, 'ok'] },
    { client: 2, op: { get: { key: 'x' } }, invoked_at: 300, returned: [340, { value: '1' }] },
    { client: 2, op: { put: { key: 'y', value: '7' } }, invoked_at: 400, returned: [430, 'ok'] },
  ];
  assert.equal(await page.evaluate((h) => window.__netsplitDebugHistory(JSON.stringify(h)), history), 'ok');
  await until(page, () => document.querySelector('.hv-key.bad'), 'the verdict');
  const verdict = await page.textContent('.hv-key[data-key="x"] .hv-verdict');
  assert.match(verdict, /not linearizable: get x returned 1 after put x 2 completed\./);
  const offending = await page.$$eval('.hv-key[data-key="x"] .hv-op.offending', (gs) => gs.map((g) => g.dataset.op));
  assert.deepEqual(offending, ['0', '1', '2']);
  assert.equal(await page.$$eval('.hv-key[data-key="x"] .hv-offending li', (li) => li.length), 3);
  assert.match(await page.textContent('.hv-key[data-key="y"] .hv-verdict'), /✓ linearizable/);
  assert.match(await page.textContent('.hv-summary'), /1 key not linearizable/);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.locator('section[aria-label="Client history"]').screenshot({ path: path.join(ARTIFACTS, 'analysis-history.png') });
  assert.match(await page.evaluate(() => window.__netsplitDebugHistory('nonsense')), /^not a history/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every protocol: the diagram grows, the history and metrics draw (screenshots light, dark, phone)', async () => {
  const { page, errors } = await open(browser, server.url);
  await region(page);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const protocols = await page.$$eval('select[aria-label="Protocol"] option', (os) => os.map((o) => o.value));
  assert.ok(protocols.length >= 4, `protocols: ${protocols}`);
  for (const protocol of protocols) {
    await page.selectOption('select[aria-label="Protocol"]', protocol);
    await until(page, ([sel, p]) => document.querySelector(sel)?.dataset.protocol === p, `${protocol} drawn`, 10000, [CANVAS, protocol]);
    await tab(page, 'clients');
    const before = Number(await page.getAttribute(CANVAS, 'data-messages'));
    // Let the protocol's own client form send something, where it has one (an idle 2PC
    // cluster sends nothing): the diagram grows with it.
    const form = await page.$('form.client-form button[type="submit"], form.kv-form button[type="submit"], form.txn-form button[type="submit"]');
    if (form) await form.click();
    await until(page, ([sel, n]) => Number(document.querySelector(sel).dataset.messages) > n, `${protocol}: the diagram grows`, 30000, [CANVAS, before]);
    assert.ok(await page.$('section[aria-label="Client history"]'), `${protocol}: the history pane`);
    // A few seconds of run (faster), a second request, then a picture of the panes.
    await page.evaluate(() => document.activeElement?.blur());
    for (let i = 0; i < 12; i += 1) await page.keyboard.press(']');
    // (An idle 2PC cluster has no events: its clock stands still, so wait for messages.)
    const second = Number(await page.getAttribute(CANVAS, 'data-messages'));
    if (form) await form.click();
    await page.evaluate(() => document.activeElement?.blur());
    await until(page, ([sel, n]) => Number(document.querySelector(sel).dataset.messages) >= n + 2, `${protocol}: the second request's messages`, 60000, [CANVAS, second]);
    await until(page, () => document.querySelectorAll('.pane-metrics .mx-chart').length > 0, `${protocol}: the charts`, 30000);
    await page.keyboard.press(' ');
    await page.locator('section.analysis').screenshot({ path: path.join(ARTIFACTS, `analysis-${protocol}.png`) });
    await page.keyboard.press(' ');
  }
  // Raft again, in dark mode and at phone width (the panes stack).
  await page.selectOption('select[aria-label="Protocol"]', protocols[0]);
  await until(page, ([sel, p]) => document.querySelector(sel)?.dataset.protocol === p, 'Raft again', 10000, [CANVAS, protocols[0]]);
  await tab(page, 'clients');
  for (let i = 0; i < 12; i += 1) await page.keyboard.press(']');
  await page.click('form.client-form button[type="submit"]');
  await page.evaluate(() => document.activeElement?.blur());
  await until(page, () => parseFloat(document.querySelector('.clock').textContent.replace(/[^0-9.]/g, '')) >= 4, '4 s of run', 60000);
  await page.keyboard.press(' ');
  await page.emulateMedia({ colorScheme: 'dark' });
  await until(page, (sel) => document.querySelector(sel).dataset.theme === 'dark', 'the dark diagram', 5000, CANVAS);
  await page.locator('section.analysis').screenshot({ path: path.join(ARTIFACTS, 'analysis-dark.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('section.analysis').screenshot({ path: path.join(ARTIFACTS, 'analysis-phone-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  await until(page, (sel) => document.querySelector(sel).dataset.theme === 'light', 'the light diagram', 5000, CANVAS);
  await page.locator('section.analysis').screenshot({ path: path.join(ARTIFACTS, 'analysis-phone.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
