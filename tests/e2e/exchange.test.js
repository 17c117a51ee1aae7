// Export a session as a scenario file, import it back (pasted or as a file): same state; bad
// input gets an error that names the field, and nothing is lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, until } from './harness.js';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('export, then import by paste and by file, reproduces the state', async () => {
  const { page, errors } = await open(browser, server.url);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await page.keyboard.press('4');
  await page.keyboard.press('c');
  await page.waitForTimeout(300);
  await page.click('button:has-text("Export")');
  await until(page, () => document.querySelector('.scenario-json'), 'the export dialog');
  const json = await page.inputValue('.scenario-json');
  assert.match(json, /"type": "crash"/);
  assert.match(await page.getAttribute('a[download]', 'href'), /^blob:/);
  const fingerprint = await page.getAttribute('.clock', 'data-fingerprint');
  await page.keyboard.press('Escape');

  // Bad input: clear errors naming what is wrong, the dialog stays open with the text.
  await page.click('button:has-text("Import")');
  await page.fill('.scenario-json', '{ not json');
  await page.click('.dialog button:has-text("Open")');
  await until(page, () => document.querySelector('.form-error'), 'an error');
  assert.match(await page.textContent('.form-error'), /not valid JSON/);
  await page.fill('.scenario-json', json.replace('"nodes": 5', '"nodes": 12'));
  await page.click('.dialog button:has-text("Open")');
  await until(page, () => /cluster\.nodes/.test(document.querySelector('.form-error')?.textContent ?? ''), 'a field error');
  assert.match(await page.textContent('.form-error'), /cluster\.nodes: must be between 1 and 9, got 12/);
  assert.equal(await page.inputValue('.scenario-json'), json.replace('"nodes": 5', '"nodes": 12'), 'nothing typed is lost');

  // Good input by paste.
  await page.fill('.scenario-json', json);
  await page.click('.dialog button:has-text("Open")');
  await until(page, () => !document.querySelector('.scenario-json'), 'the import');
  assert.match(await page.textContent('.status'), /imported/);
  assert.equal(await page.getAttribute('.clock', 'data-fingerprint'), fingerprint);

  // And as a file.
  const other = await open(browser, server.url);
  await other.page.click('button:has-text("Import")');
  await other.page.setInputFiles('input[type="file"]', {
    name: 'scenario.json', mimeType: 'application/json', buffer: Buffer.from(json),
  });
  await until(other.page, () => !document.querySelector('.scenario-json'), 'the file import');
  assert.equal(await other.page.getAttribute('.clock', 'data-fingerprint'), fingerprint);
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
  await page.close();
  await other.page.close();
});
