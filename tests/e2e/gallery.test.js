// The gallery loads a named scenario, which then plays out as described.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, untilPlayingOn } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('a gallery scenario loads and its scheduled crash happens', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.selectOption('select.gallery', { label: 'Raft: the leader crashes' });
  await until(page, () => /Raft: the leader crashes/.test(document.querySelector('.controls').textContent), 'the scenario name');
  assert.match(await page.textContent('.status'), /At t=1000 it crashes/);
  for (let i = 0; i < 8; i++) await page.keyboard.press(']'); // 10× speed
  // The scenario is narrated: it pauses at its captions; play on through them.
  await untilPlayingOn(page, () => document.querySelector('.node[data-node="n3"]').dataset.status === 'crashed', 'n3 crashed at t=1000');
  await untilPlayingOn(page, () => {
    const l = document.querySelector('.node[data-role="leader"][data-status="up"]');
    return l && l.dataset.node !== 'n3';
  }, 'a new leader');
  await untilPlayingOn(page, () => document.querySelector('.node[data-node="n3"]').dataset.status === 'up', 'n3 restarted at t=3000');
  assert.deepEqual(errors, []);
  await page.close();
});
