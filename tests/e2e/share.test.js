// Share links: the link reproduces the exact state (compared by fingerprint); bad links are
// refused with a clear message and the page still works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until, screenshot } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('a share link reopens the same state, paused at the same moment', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await page.keyboard.press('2');
  await page.keyboard.press('c');
  await page.locator('.link[data-link="n2-n4"] .link-hit').click();
  await page.waitForTimeout(600);
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const link = await page.inputValue('.share-link');
  assert.match(link, /#s1\./);
  assert.ok(link.length < 8200, `link is ${link.length} chars`);
  const fingerprint = await page.getAttribute('.clock', 'data-fingerprint');
  const clock = await page.textContent('.clock');
  assert.ok(fingerprint, 'paused pages expose their state fingerprint');
  assert.equal(new URL(page.url()).hash, new URL(link).hash, 'the address bar holds the link');
  await screenshot(page, 'share.png');

  const other = await open(browser, link);
  await until(other.page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the opened state');
  assert.equal(await other.page.getAttribute('.clock', 'data-fingerprint'), fingerprint);
  assert.equal(await other.page.textContent('.clock'), clock);
  assert.equal(await other.page.getAttribute('.node[data-node="n2"]', 'data-status'), 'crashed');
  assert.equal(await other.page.getAttribute('.link[data-link="n2-n4"]', 'data-state'), 'cut');
  assert.match(await other.page.textContent('.status'), /opened a shared scenario/);
  // Playing on from there works.
  await other.page.keyboard.press(' ');
  await until(other.page, () => !document.querySelector('.clock').dataset.fingerprint, 'playing again');
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await page.close();
  await other.page.close();
});

test('damaged or newer links get a clear message and a working page', async () => {
  for (const [fragment, message] of [
    ['s1.not-base64-%%%', /cannot open this link: .*damaged/],
    ['s1.AAAAAAAA', /cannot open this link: .*damaged/],
    ['s9.whatever', /made by a newer version/],
    ['hello', /not a netsplit scenario link/],
  ]) {
    const { page, errors } = await open(browser, `${server.url}#${fragment}`);
    await until(page, () => document.querySelector('.notice.error'), `an error for #${fragment}`);
    assert.match(await page.textContent('.notice.error'), message);
    await until(page, () => document.querySelector('.node[data-role="leader"]'), 'the default cluster still runs');
    assert.deepEqual(errors, []);
    await page.close();
  }
});
