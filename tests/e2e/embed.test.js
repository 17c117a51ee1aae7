// The embed: embed.html in an <iframe> of a course page at a different sub-path of the same
// site (docs/embed-example.html itself), under the strict CSP, without the top bar; its
// JavaScript API loads, plays, seeks and snapshots, throws clear errors, and reports a
// violation through on('violation'); the Share dialog offers the <iframe> snippet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveFolders, launch, until, open, DIST, DOCS, screenshot } from './harness.js';

let server, browser;
before(async () => {
  server = await serveFolders([['/course/netsplit/', DIST], ['/course/lesson/', DOCS]]);
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

/** The course page, its embed frame once the API is ready, and the errors of both. */
async function course(viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(`${server.url}course/lesson/embed-example.html`);
  // The example page resolves this promise on the frame's `netsplit:ready` message.
  await page.evaluate(() => window.netsplitReady.then(() => true));
  const frame = page.frames().find((f) => f.url().includes('/course/netsplit/embed.html'));
  assert.ok(frame, 'the embed frame is there');
  await frame.waitForSelector('.node[data-node="n1"]');
  return { page, frame, errors };
}

test('the embed answers its JavaScript API from a course page on another sub-path', async () => {
  const { page, frame, errors } = await course();
  // The same app, without the top bar, under the strict policy.
  assert.equal(await frame.locator('.topbar').count(), 0, 'no top bar in the embed');
  assert.equal(await frame.locator('.app.embed .stage').count(), 1);
  const csp = await frame.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.ok(csp && !/unsafe-inline|'unsafe-eval'/.test(csp), `a strict CSP: ${csp}`);
  // The gallery scenario named in the address runs.
  await until(frame, () => document.querySelector('.node[data-role="leader"]'), 'a leader in the embed');

  // load → play → snapshot shows progress (driven from the parent, through the frame's window).
  const loaded = await page.evaluate(() => {
    const netsplit = document.getElementById('sim').contentWindow.netsplit;
    return netsplit.load('gallery:raft-leader-crash');
  });
  assert.equal(loaded.t, 0);
  assert.equal(loaded.playing, false);
  assert.equal(loaded.protocol, 'raft');
  assert.deepEqual(loaded.nodes.slice(0, 5).map((n) => n.id), ['n1', 'n2', 'n3', 'n4', 'n5']);
  await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.play());
  await until(page, () => {
    const s = document.getElementById('sim').contentWindow.netsplit.snapshot();
    return s.t > 500 && s.leader && s.events > 0;
  }, 'the snapshot to show progress and a leader');
  await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.pause());
  const paused = await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.snapshot());
  assert.equal(paused.playing, false);
  // seek: back to the start, and ahead past what was run (it runs forward).
  const at0 = await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.seek(0));
  assert.equal(at0.t, 0);
  const ahead = await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.seek(2000));
  assert.equal(ahead.t, 2000);
  assert.equal(ahead.nodes.find((n) => n.id === 'n3').status, 'crashed', 'the scenario crashed n3 at t=1 s');
  // The page shows what the API says.
  await until(frame, () => document.querySelector('.clock')?.dataset.fingerprint, 'the embed paused');

  // A bad scenario throws an Error saying what and where.
  const bad = await page.evaluate(() => {
    const netsplit = document.getElementById('sim').contentWindow.netsplit;
    const tries = [
      () => netsplit.load('{"format": "netsplit-scenario",\n "version": 1,,}'),
      () => netsplit.load({ format: 'netsplit-scenario', version: 1, protocol: 'raft', seed: 1, cluster: { nodes: 99 } }),
      () => netsplit.load('gallery:no-such-scenario'),
      () => netsplit.seek(-5),
      () => netsplit.on('click', () => {}),
    ];
    return tries.map((f) => {
      // An Error of the frame's realm (its own `Error` constructor).
      try { f(); return 'no error'; } catch (e) { return `${Object.prototype.toString.call(e) === '[object Error]'}|${e.message}`; }
    });
  });
  assert.match(bad[0], /^true\|load\(\): the scenario is not valid JSON: .* at line 2 column \d+/);
  assert.match(bad[1], /^true\|load\(\): the scenario's cluster\.nodes: /);
  assert.match(bad[2], /^true\|load\(\): .*raft-leader-crash/);
  assert.match(bad[3], /^true\|seek\(t\): t must be a number of milliseconds/);
  assert.match(bad[4], /^true\|on\(event, callback\): unknown event "click"/);
  // …and the embed still works.
  const still = await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.snapshot());
  assert.equal(still.t, 2000);

  // on('violation') fires for a run whose checker reports one (PBFT with f + 1 faulty replicas
  // breaks agreement at t=228), through the example page's own button and listener.
  await page.evaluate(() => {
    window.__violations = [];
    document.getElementById('sim').contentWindow.netsplit.on('violation', (v) => window.__violations.push(v));
  });
  await page.click('#pbft');
  await until(page, () => window.__violations.length > 0, 'a violation reported to the parent');
  const [v] = await page.evaluate(() => window.__violations);
  assert.equal(typeof v.property, 'string');
  assert.ok(v.at > 0 && v.detail.length > 0, JSON.stringify(v));
  await until(page, () => document.getElementById('violations').textContent.includes('violated'), 'the example page lists it');
  const snap = await page.evaluate(() => document.getElementById('sim').contentWindow.netsplit.snapshot());
  assert.equal(snap.protocol, 'pbft');
  assert.ok(snap.violations.length >= 1);
  await screenshot(page, 'embed-course-page.png');

  for (const target of [page, frame]) {
    assert.deepEqual(await target.evaluate(() => window.__cspViolations || []), [], 'no CSP violations');
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Share dialog offers the <iframe> snippet of the embed', async () => {
  const { page, errors } = await open(browser, `${server.url}course/netsplit/`);
  await until(page, () => document.querySelector('.node[data-role="leader"]'), 'a leader');
  await page.keyboard.press('s');
  await until(page, () => document.querySelector('.embed-snippet'), 'the embed snippet');
  const link = await page.inputValue('.share-link');
  const snippet = await page.inputValue('.embed-snippet');
  const fragment = new URL(link).hash;
  assert.ok(snippet.startsWith(`<iframe src="${server.url}course/netsplit/embed.html${fragment}"`), snippet);
  assert.match(snippet, /title="netsplit: [^"]+"/);
  // The snippet's frame shows that very moment.
  const fingerprint = await page.getAttribute('.clock', 'data-fingerprint');
  const src = snippet.match(/src="([^"]+)"/)[1];
  const embedded = await open(browser, src);
  await until(embedded.page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the embed paused at the moment');
  assert.equal(await embedded.page.getAttribute('.clock', 'data-fingerprint'), fingerprint);
  assert.equal(await embedded.page.locator('.topbar').count(), 0);
  assert.deepEqual(errors, []);
  assert.deepEqual(embedded.errors, []);
  await page.close();
  await embedded.page.close();
});
