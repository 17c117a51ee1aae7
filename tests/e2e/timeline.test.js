// The timeline: rewinding by keyboard and slider reproduces exact states (the paused page's
// fingerprint, also compared with a share link made at the rewound moment), stepping back,
// schedule marks moved and removed (branches), acting in the past, manual mode, and seeking
// anywhere in a 10-minute run. How long a seek takes is measured by `cargo xtask bench --only
// seek`, never asserted here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { serve, launch, open, until, screenshot } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const fingerprint = (page) =>
  until(page, () => document.querySelector('.clock')?.dataset.fingerprint, 'a paused state')
    .then(() => page.getAttribute('.clock', 'data-fingerprint'));
const shown = (page) => page.textContent('.tl-time');
/** Drag the slider to `ms` the way a pointer does: set the value, fire `input`. */
const slideTo = (page, ms) => page.$eval('.tl-slider', (el, v) => {
  el.value = String(v);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}, ms);
const branchCount = (page) => page.$$eval('.tl-branch option', (o) => o.length);

test('rewind, step back, edit marks, branch and pick events by hand', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  for (let i = 0; i < 12; i++) await page.keyboard.press(']');
  await page.keyboard.press('2');
  await page.keyboard.press('c');
  await page.waitForTimeout(1500);
  await page.keyboard.press(' ');
  const end = await fingerprint(page);
  const endText = await shown(page);
  assert.equal(await page.locator('.tl-mark').count(), 1);
  assert.match(await page.getAttribute('.tl-mark', 'aria-label'), /crash n2 at/);

  // Keyboard: Home rewinds to the start, End comes back to the very same state.
  await page.focus('.tl-slider');
  await page.keyboard.press('Home');
  await until(page, () => document.querySelector('.tl-time').textContent.startsWith('0.000 s'), 't=0');
  assert.equal(await page.getAttribute('.node[data-node="n2"]', 'data-status'), 'up');
  await page.keyboard.press('End');
  await until(page, (t) => document.querySelector('.tl-time').textContent === t, 'the end again', 5000, endText);
  assert.equal(await fingerprint(page), end);

  // The slider: a moment in the middle, left and found again, is identical.
  const mid = 1700;
  await slideTo(page, mid);
  await until(page, () => document.querySelector('.tl-time').textContent.startsWith('1.700 s'), 't=1.7 s');
  const atMid = await fingerprint(page);
  await page.keyboard.press('Shift+ArrowRight');
  assert.notEqual(await fingerprint(page), atMid);
  await slideTo(page, mid);
  assert.equal(await fingerprint(page), atMid);
  assert.match(await page.textContent('.tl-past'), /new branch/);

  // A share link made at the rewound moment opens in the same state (a straight replay).
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const link = await page.inputValue('.share-link');
  await page.keyboard.press('Escape');
  const other = await open(browser, link);
  assert.equal(await fingerprint(other.page), atMid);
  await other.page.close();

  // Step back one event and forward again.
  await page.keyboard.press(',');
  const back1 = await fingerprint(page);
  assert.notEqual(back1, atMid);
  await page.keyboard.press(',');
  await page.keyboard.press('.');
  assert.equal(await fingerprint(page), back1);

  // Marks: move the crash later by keyboard (forks branch 2), then remove it (branch 3).
  await page.focus('.tl-mark');
  await page.keyboard.press('ArrowRight');
  await until(page, () => /moved to t=.*new branch 2/.test(document.querySelector('.notice').textContent), 'moved');
  assert.equal(await branchCount(page), 2);
  const movedAt = Number(await page.getAttribute('.tl-mark', 'data-at'));
  await page.focus('.tl-mark');
  await page.keyboard.press('ArrowRight');
  assert.equal(Number(await page.getAttribute('.tl-mark', 'data-at')), movedAt + 100);
  assert.equal(await branchCount(page), 2, 'moving the same mark again stays on its branch');
  // Dragging it with the pointer moves it too (same branch: the same mark again).
  const box = await page.locator('.tl-mark').boundingBox();
  const track = await page.locator('.tl-markbox').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  const span = Number(await page.getAttribute('.tl-slider', 'max'));
  await page.mouse.move(track.x + track.width * 0.3, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await until(page, (was) => Number(document.querySelector('.tl-mark').dataset.at) !== was, 'the mark dragged', 5000, movedAt + 100);
  const dropped = Number(await page.getAttribute('.tl-mark', 'data-at'));
  assert.ok(Math.abs(dropped - 0.3 * span) <= 0.02 * span, `dropped at ${dropped} of ${span}`);
  // The moved mark is the selected one, its editor showing the new time.
  assert.equal(await page.getAttribute('.tl-mark', 'aria-pressed'), 'true');
  assert.match(await page.textContent('.tl-edit-what'), new RegExp(`at ${Math.floor(dropped / 1000)}\\.`));
  assert.equal(await branchCount(page), 2);
  await page.focus('.tl-mark');
  await page.keyboard.press('Delete');
  await until(page, () => document.querySelectorAll('.tl-mark').length === 0, 'the mark removed');
  assert.equal(await branchCount(page), 3);
  await page.focus('.tl-slider');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('.node[data-node="n2"]', 'data-status'), 'up');
  // Branch 1 is still there, crash and all (shown where it was left; its end is intact).
  await page.selectOption('.tl-branch select', '0');
  await until(page, () => /switched to branch 1/.test(document.querySelector('.notice').textContent), 'branch 1 again');
  await page.focus('.tl-slider');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('.node[data-node="n2"]', 'data-status'), 'crashed');
  assert.equal(await fingerprint(page), end);

  // Acting in the past forks.
  await slideTo(page, 900);
  await page.keyboard.press('4');
  await page.keyboard.press('c');
  await until(page, () => /new branch/.test(document.querySelector('.notice').textContent), 'a fork');
  assert.equal(await branchCount(page), 4);

  // Manual mode: pick an event; it becomes a mark of the schedule.
  await page.check('.tl-manual input');
  await until(page, () => document.querySelectorAll('.tl-picks li').length > 0, 'possible next events');
  const marks = await page.locator('.tl-mark').count();
  const picked = await page.getAttribute('.tl-picks li:last-child .btn.pick', 'aria-label');
  await page.click('.tl-picks li:last-child .btn.pick');
  await until(page, (n) => document.querySelectorAll('.tl-mark').length === n + 1, 'the pick recorded', 5000, marks);
  assert.match(await page.textContent('.notice'), new RegExp(`applied: ${picked.split(' ').slice(0, 2).join(' ')}`));
  await screenshot(page, 'timeline.png');
  // Auto mode resumes from there.
  await page.keyboard.press(' ');
  await until(page, () => !document.querySelector('.tl-picks'), 'manual mode off when playing');
  assert.deepEqual(errors, []);
  await page.close();
});

/** The share fragment for `scenario` (deflate, URL-safe base64, as core::link writes). */
function fragment(scenario) {
  return 's1.' + zlib.deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url');
}

test('a 10-minute run opens from a link, and seeks land anywhere in it', async () => {
  // The benchmark's scenario (core/tests/seek_bench.rs): crash, restart, partition, heal every 30 s.
  const actions = [];
  for (let t = 0; t < 600000; t += 30000) {
    const node = `n${(t / 30000) % 5 + 1}`;
    actions.push({ at: t + 5000, control: { type: 'crash', node } });
    actions.push({ at: t + 12000, control: { type: 'restart', node } });
    actions.push({ at: t + 15000, control: { type: 'partition', groups: [['n1', 'n2']] } });
    actions.push({ at: t + 22000, control: { type: 'heal_all' } });
  }
  const scenario = { format: 'netsplit-scenario', version: 1, protocol: 'raft', seed: 7, actions, until: 600000 };
  const { page, errors } = await open(browser, `${server.url}#${fragment(scenario)}`);
  const end = await fingerprint(page);
  assert.match(await shown(page), /^600\.000 s/);
  // Scattered seeks (a fixed LCG) each land exactly where asked.
  let x = 12345;
  for (let i = 0; i < 20; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const t = x % 600001;
    await slideTo(page, t);
    const want = `${(t / 1000).toFixed(3)} s`;
    await until(page, (w) => document.querySelector('.tl-time').textContent.startsWith(w), `t=${want}`, 5000, want);
  }
  // Inside a crash window the crashed node is shown crashed; outside it, up.
  await slideTo(page, 8000);
  await until(page, () => document.querySelector('.node[data-node="n1"]').dataset.status === 'crashed', 'n1 crashed at 8 s');
  await slideTo(page, 13000);
  await until(page, () => document.querySelector('.node[data-node="n1"]').dataset.status === 'up', 'n1 back at 13 s');
  // And back at the end, the very same state.
  await slideTo(page, 600000);
  await until(page, () => document.querySelector('.tl-time').textContent.startsWith('600.000 s'), 'the end');
  assert.equal(await fingerprint(page), end);
  // The page still works after all that.
  await page.keyboard.press(' ');
  await until(page, () => !document.querySelector('.clock').dataset.fingerprint, 'playing');
  assert.deepEqual(errors, []);
  await page.close();
});
