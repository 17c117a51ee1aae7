// Shared harness for the end-to-end tests: a plain static server for dist/ (optionally under a
// sub-path, like a static host would) and a headless Debian Chromium driven by playwright-core.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = process.env.NETSPLIT_DIST || path.resolve(here, '../../dist');
// A debug build (`trunk build --offline --dist dist-debug`): only it has the debug-only hooks.
export const DEBUG_DIST = process.env.NETSPLIT_DEBUG_DIST || path.resolve(here, '../../dist-debug');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(here, '../artifacts');
// The docs folder: its embed example page is served as a course page by the embed test.
export const DOCS = path.resolve(here, '../../docs');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Serve `dist` (DIST) under `prefix` (e.g. "/" or "/some/sub/path/") on a free loopback port. */
export async function serve(prefix = '/', dist = DIST) {
  const { url, close } = await serveFolders([[prefix, dist]]);
  return { url: url + prefix.slice(1), close };
}

/**
 * Serve several folders, each under its own path prefix (`[['/course/netsplit/', DIST],
 * ['/course/lesson/', 'docs']]`), on one free loopback port: one origin, like a course site
 * hosting the page next to its lessons. Returns the origin's URL (ending in `/`).
 */
export async function serveFolders(routes) {
  // A route may instead redirect elsewhere (`['/course/netsplit/', { redirect: 'http://…/' }]`:
  // the rest of the path and the query follow), e.g. to another origin.
  routes = routes.map(([prefix, dir]) => [prefix, dir.redirect ? dir : path.resolve(dir)]);
  const [, first] = routes[0];
  if (!first.redirect && !fs.existsSync(path.join(first, 'index.html'))) {
    throw new Error(`no built page at ${first}: run \`trunk build --release --offline\` first`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const route = routes.find(([prefix]) => url.pathname.startsWith(prefix));
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    const [prefix, dist] = route;
    if (dist.redirect) {
      res.writeHead(302, { location: dist.redirect + url.pathname.slice(prefix.length) + url.search }).end();
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
    const file = path.resolve(dist, rel);
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

/** Launch headless Chromium (no sandbox: tests run as root in CI; no background networking). */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Open the page and collect console errors and page errors. */
export async function open(browser, url, viewport = { width: 1280, height: 800 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('.node[data-node="n1"]');
  return { page, errors };
}

/** Wait until `fn` (run in the page) returns a truthy value; fail with `what` after `ms`. */
export async function until(page, fn, what, ms = 20000, arg = undefined) {
  try {
    return await page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}`);
  }
}

/** Save a screenshot into the ignored artifacts folder. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  return file;
}

/** Like `until`, but a narrated scenario that pauses at one of its captions is played on:
 * whenever the page is paused before `fn` holds, its Play button is pressed. */
export async function untilPlayingOn(page, fn, what, ms = 20000, arg = undefined) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    const paused = await page.evaluate(() => document.querySelector('.play')?.textContent.includes('Play'));
    if (paused) await page.click('.play');
    await page.waitForTimeout(50);
  }
}

/** Pause the run (a no-op if it is paused already, e.g. at a caption of a narrated scenario). */
export async function pause(page) {
  const playing = await page.evaluate(() => document.querySelector('.play')?.textContent.includes('Pause'));
  if (playing) await page.click('.play');
  await until(page, () => document.querySelector('.play').textContent.includes('Play'), 'the run paused', 5000);
}

/** Open a side-panel tab by its `data-tab` name (the client form is on Clients, the settings on
 * Settings) and wait until it is selected. */
export async function openTab(page, name) {
  await page.click(`.tab[data-tab="${name}"]`);
  await until(page, (n) => document.querySelector(`.tab[data-tab="${n}"]`)?.getAttribute('aria-selected') === 'true', `the ${name} tab`, 5000, name);
}
