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
    ['s1.not-base64-%%%', /^This link cannot be opened: it is damaged/],
    ['s1.AAAAAAAA', /^This link cannot be opened: it is damaged/],
    ['s9.whatever', /it was made by a newer version/],
    ['hello', /it is not a netsplit scenario link/],
  ]) {
    const { page, errors } = await open(browser, `${server.url}#${fragment}`);
    // The whole reason in a banner under the top bar; the status strip only says it failed.
    await until(page, () => document.querySelector('.banner.link-error'), `an error for #${fragment}`);
    assert.match(await page.textContent('.banner.link-error p'), message);
    assert.doesNotMatch(await page.textContent('.banner.link-error p'), /\(link\)/);
    assert.match(await page.textContent('.notice.error'), /the link could not be opened/);
    await until(page, () => document.querySelector('.node[data-role="leader"]'), 'the default cluster still runs');
    assert.deepEqual(errors, []);
    await page.close();
  }
});
