// The release build works from a sub-path of a plain static server, under its strict
// Content-Security-Policy (no unsafe-inline, no unsafe-eval), with zero violations and zero
// console errors — and a share link made there reproduces its state there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, until } from './harness.js';

let server, browser;
before(async () => { server = await serve('/some/static/host/netsplit/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function openWatched(url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  await page.waitForSelector('.node[data-node="n1"]');
  return { page, errors };
}

test('boots from a sub-path under a strict CSP, and share links work there', async () => {
  const { page, errors } = await openWatched(server.url);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.ok(csp, 'the built page carries a CSP');
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  assert.match(csp, /'wasm-unsafe-eval'/);
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.share-link'), 'the share dialog');
  const link = await page.inputValue('.share-link');
  assert.ok(link.startsWith(server.url), `the link stays on the sub-path: ${link}`);
  const fingerprint = await page.getAttribute('.clock', 'data-fingerprint');

  const other = await openWatched(link);
  await until(other.page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the opened state');
  assert.equal(await other.page.getAttribute('.clock', 'data-fingerprint'), fingerprint);

  for (const p of [page, other.page]) {
    assert.deepEqual(await p.evaluate(() => window.__cspViolations), [], 'no CSP violations');
  }
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await page.close();
  await other.page.close();
});
