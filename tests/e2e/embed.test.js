// The embed: embed.html in an <iframe> of a course page at a different sub-path of the same
// site (docs/embed-example.html itself), under the strict CSP, without the top bar; its
// JavaScript API loads, plays, seeks and snapshots, throws clear errors, and reports a
// violation through on('violation'); the same page on another origin drives it through the
// postMessage bridge; the Share dialog offers the <iframe> snippet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveFolders, launch, until, open, DIST, DOCS, screenshot } from './harness.js';

let server, other, browser;
before(async () => {
  server = await serveFolders([['/course/netsplit/', DIST], ['/course/lesson/', DOCS]]);
  // Another origin (another port): a course site whose netsplit link leads to `server`.
  other = await serveFolders([
    ['/course/netsplit/', { redirect: `${server.url}course/netsplit/` }],
    ['/course/lesson/', DOCS],
  ]);
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); await other?.close(); });

/** The course page, its embed frame once the API is ready, and the errors of both. */
async function course(viewport = { width: 1280, height: 900 }, site = server) {
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
  await page.goto(`${site.url}course/lesson/embed-example.html`);
  // The example page resolves this promise on the frame's `netsplit:ready` message.
  await page.evaluate(() => window.netsplitReady.then(() => true));
  const frame = page.frames().find((f) => f.url().startsWith(`${server.url}course/netsplit/embed.html`));
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

test('a course page on another origin drives the embed through postMessage', async () => {
  const { page, frame, errors } = await course({ width: 1280, height: 900 }, other);
  assert.notEqual(new URL(page.url()).origin, new URL(frame.url()).origin, 'two origins');
  // The browser keeps the frame's window out of reach: only messages cross.
  const reach = await page.evaluate(() => {
    try { return String(document.getElementById('sim').contentWindow.netsplit); } catch (e) { return e.name; }
  });
  assert.equal(reach, 'SecurityError');
  const origin = await page.evaluate(() => window.netsplitReady.then((api) => api.origin));
  assert.equal(origin, new URL(server.url).origin, 'the client learnt the embed\'s origin');

  // load → play → snapshot → pause → seek, each answered by id.
  const call = (name, ...args) => page.evaluate(
    ([name, args]) => window.netsplitReady.then((api) => api.call(name, ...args)), [name, args]);
  const loaded = await call('load', 'gallery:raft-leader-crash');
  assert.deepEqual([loaded.t, loaded.playing, loaded.protocol], [0, false, 'raft']);
  assert.equal(await call('play'), null);
  await until(page, async () => {
    const api = await window.netsplitReady;
    const s = await api.call('snapshot');
    return s.t > 500 && s.leader;
  }, 'progress and a leader, seen through the bridge');
  await call('pause');
  assert.equal((await call('snapshot')).playing, false);
  const ahead = await call('seek', 2000);
  assert.equal(ahead.t, 2000);
  assert.equal(ahead.nodes.find((n) => n.id === 'n3').status, 'crashed');
  // The page shows what the bridge says.
  await until(frame, () => document.querySelector('.clock')?.dataset.fingerprint, 'the embed paused');

  // Bad requests: an error answer naming what and where, with the request's id; the embed
  // keeps running as it was. Raw messages, posted as any page could.
  const answers = await page.evaluate(async (embedOrigin) => {
    const target = document.getElementById('sim').contentWindow;
    const requests = [
      { netsplit: 1, id: 'a', call: 'explode' },
      { netsplit: 1, id: 'b', call: 'seek', args: [-5] },
      { netsplit: 1, id: 'c', call: 'seek', args: 'soon' },
      { netsplit: 1, id: 'd', call: 'load', args: ['{"format": "netsplit-scenario",\n "version": 1,,}'] },
      { netsplit: 1, id: 'e', call: 'play', args: [1, 2] },
      { netsplit: 1, call: 'play' },
      { netsplit: 1, id: 'g', call: 'snapshot', args: [], extra: { nested: [1, 2] } },
    ];
    const got = [];
    await new Promise((resolve) => {
      addEventListener('message', function on(e) {
        if (e.source !== target || !e.data || e.data.netsplit !== 1 || e.data.event) return;
        if (!('error' in e.data) && !('ok' in e.data)) return;
        if (e.data.id === 0) return; // the client's own probe
        got.push(e.data);
        if (got.length === requests.length) { removeEventListener('message', on); resolve(); }
      });
      for (const r of requests) target.postMessage(r, embedOrigin);
      // Not for netsplit at all: ignored, never answered.
      target.postMessage({ hello: 'world' }, embedOrigin);
      target.postMessage('just a string', embedOrigin);
    });
    return got;
  }, origin);
  const byId = Object.fromEntries(answers.map((a) => [String(a.id), a]));
  assert.match(byId.a.error, /^message\.call: unknown call "explode"; the embed answers load, play, pause, seek, advance, snapshot/);
  assert.equal(byId.b.error, 'message.args[0]: seek(t): t must be a number of milliseconds, 0 or more (got -5)');
  assert.equal(byId.c.error, 'message.args: must be an array, got a string');
  assert.match(byId.d.error, /^message\.args\[0\]: load\(\): the scenario is not valid JSON: .* at line 2 column \d+/);
  assert.equal(byId.e.error, 'message.args: play() takes 0 arguments, got 2');
  assert.match(byId.null.error, /^message\.id: missing/);
  assert.equal(byId.g.ok.t, 2000, 'an unknown extra field is no reason to refuse a request');
  assert.equal((await call('snapshot')).t, 2000, 'still there after the bad requests');
  await assert.rejects(call('seek', -1), /seek\(t\): t must be a number/);

  // Violations cross as messages: the example page subscribed with 'on' and lists them.
  await page.click('#pbft');
  await until(page, () => document.getElementById('violations').textContent.includes('violated'),
    'a violation posted to the page on the other origin');
  const snap = await call('snapshot');
  assert.equal(snap.protocol, 'pbft');
  assert.ok(snap.violations.length >= 1);
  await page.click('#show');
  await until(page, () => /violation/.test(document.getElementById('out').textContent), 'the snapshot button answers');

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
