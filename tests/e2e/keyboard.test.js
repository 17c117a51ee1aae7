// Everything by keyboard: select, crash/restart, pause/resume, timeout, play/pause, step, help.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const status = (page, id) => page.getAttribute(`.node[data-node="${id}"]`, 'data-status');

test('the keyboard drives the playground', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');

  await page.keyboard.press('3');
  await until(page, () => document.querySelector('[data-inspecting="n3"]'), 'n3 selected');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n3"]').dataset.status === 'crashed', 'n3 crashed');
  await page.keyboard.press('c');
  await until(page, () => document.querySelector('.node[data-node="n3"]').dataset.status === 'up', 'n3 restarted');

  await page.keyboard.press('4');
  await page.keyboard.press('p');
  await until(page, () => document.querySelector('.node[data-node="n4"]').dataset.status === 'paused', 'n4 paused');
  await page.keyboard.press('p');
  await until(page, () => document.querySelector('.node[data-node="n4"]').dataset.status === 'up', 'n4 resumed');

  // Force a timeout on a follower: it becomes a candidate in a higher term.
  const follower = await page.evaluate(() => document.querySelector('.node[data-role="follower"][data-status="up"]').dataset.node);
  const term = Number(await page.getAttribute(`.node[data-node="${follower}"]`, 'data-term'));
  await page.keyboard.press(follower.slice(1));
  await page.keyboard.press('t');
  await until(page, (a) => Number(document.querySelector(`.node[data-node="${a.follower}"]`).dataset.term) > a.term, 'a new term', 5000, { follower, term });

  // Space pauses time: the clock stops.
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.play').textContent.includes('Play'), 'paused');
  const t1 = await page.textContent('.clock');
  await page.waitForTimeout(400);
  assert.equal(await page.textContent('.clock'), t1, 'the clock stands still while paused');
  // '.' processes one event.
  const lines = await page.locator('.log-lines .line').count();
  await page.keyboard.press('.');
  await until(page, (n) => document.querySelectorAll('.log-lines .line').length > n || document.querySelectorAll('.log-lines .line').length >= 200, 'a step', 5000, lines);
  // Speed keys move the slider.
  const speed = await page.textContent('.speed output');
  await page.keyboard.press(']');
  assert.notEqual(await page.textContent('.speed output'), speed);
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.play').textContent.includes('Pause'), 'playing again');

  // '?' opens the shortcut help, Escape closes it.
  await page.keyboard.press('?');
  await until(page, () => document.querySelector('[role="dialog"]'), 'help');
  await page.keyboard.press('Escape');
  await until(page, () => !document.querySelector('[role="dialog"]'), 'help closed');

  // Tab reaches the nodes; Enter selects the focused one.
  await page.focus('.node[data-node="n5"]');
  await page.keyboard.press('Enter');
  await until(page, () => document.querySelector('[data-inspecting="n5"]'), 'n5 selected by Enter');
  // Space presses the button a keyboard user moved to (Step steps, Play plays) instead of
  // also playing or pausing; with nothing focused it pauses.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.play').textContent.includes('Play'), 'paused by Space');
  // Paused, the clock carries the simulation's fingerprint: one more event changes it.
  const before = await page.getAttribute('.clock', 'data-fingerprint');
  await page.focus('.controls button[aria-keyshortcuts="."]');
  await page.keyboard.press(' ');
  await until(page, (f) => document.querySelector('.clock').dataset.fingerprint !== f, 'Space on Step steps', 5000, before);
  assert.match(await page.textContent('.play'), /Play/, 'Space on Step does not play');
  await page.focus('.controls .play');
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.play').textContent.includes('Pause'), 'Space on Play plays once');
  // A button focused by a click keeps Space for play/pause.
  await page.click('.controls .play');
  await until(page, () => document.querySelector('.play').textContent.includes('Play'), 'paused by a click');
  await page.keyboard.press(' ');
  await until(page, () => document.querySelector('.play').textContent.includes('Pause'), 'played by Space after the click');
  await page.keyboard.press('5');
  await until(page, () => document.querySelector('[data-inspecting="n5"]'), 'n5 selected again');
  // The inspector's link buttons cut by keyboard too.
  await page.focus('.peers button[aria-label="cut link n5 to n1"]');
  await page.keyboard.press('Enter');
  await until(page, () => document.querySelector('.link[data-link="n1-n5"]').dataset.state === 'cut', 'cut by keyboard');
  await page.keyboard.press('h');
  await until(page, () => document.querySelector('.link[data-link="n1-n5"]').dataset.state === 'up', 'healed by h');
  assert.deepEqual(errors, []);
  await page.close();
});
