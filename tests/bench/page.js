// The page's main thread in headless Chromium, through the DevTools protocol: busy share, frame
// rate, p95 frame interval and long tasks, for
//   steady-5     the default 5-node Raft cluster in steady state (default speed),
//   clients-9    9 nodes with three clients writing continuously, at 1× speed,
// each at full CPU speed and at 4× CPU throttling, and each beside the calibration page (one
// requestAnimationFrame loop, nothing else) measured the same way in the same browser run.
// Results are figures and ratios to the calibration, so machines can be compared.
//   NETSPLIT_DIST=dist node bench/page.js     (NETSPLIT_BENCH_WINDOWS=3, NETSPLIT_BENCH_WINDOW_MS=5000;
//   NETSPLIT_BENCH_CONDITIONS=steady-5@1,clients-9 runs only those: a name, optionally @throttle)
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serve, launch, until, openTab } from '../e2e/harness.js';
import { emit, note, envInt, round, measureWindow, summarize } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WINDOWS = envInt('NETSPLIT_BENCH_WINDOWS', 3);
const WINDOW_MS = envInt('NETSPLIT_BENCH_WINDOW_MS', 5000);
const THROTTLE = 4;
const VIEWPORT = { width: 1280, height: 800 };

/** A share-link fragment for `scenario` (deflate, URL-safe base64, as core::link writes). */
function fragment(scenario) {
  return 's1.' + zlib.deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url');
}

const clock = (page) => page.evaluate(() => Number(/t = ([\d.]+) s/.exec(document.querySelector('.clock').textContent)?.[1]));
const leader = (page) => page.evaluate(() => {
  const l = document.querySelector('.node[data-role="leader"]');
  return l ? `${l.dataset.node}@${l.dataset.term}` : null;
});

/** Waits until the virtual clock has moved `seconds` past now (never a wall-clock sleep). */
async function advance(page, seconds) {
  const from = await clock(page);
  await until(page, (t) => Number(/t = ([\d.]+) s/.exec(document.querySelector('.clock').textContent)?.[1]) >= t,
    `virtual time to pass ${from + seconds} s`, 60000, from + seconds);
}

/** Moves the speed slider, as a user would, to the position whose label reads `speed`×. */
async function setSpeed(page, speed) {
  const slider = page.locator('.controls input[type="range"]');
  const [min, max] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
  for (let v = min; v <= max; v++) {
    await slider.fill(String(v));
    const label = await page.textContent('.controls .speed output');
    if (Math.abs(parseFloat(label) - speed) < 1e-9) return label;
  }
  throw new Error(`no speed slider position reads ${speed}×`);
}

/** Submits one command from the Clients panel form, as a user would. */
async function submit(page, { client, node, op, key, value }) {
  const form = page.locator('form.client-form');
  await form.locator('select[name="client"]').selectOption(client);
  await form.locator('select[name="node"]').selectOption(node);
  await form.locator('select[name="op"]').selectOption(op);
  await form.locator('input[name="key"]').fill(key);
  if (value !== undefined) await form.locator('input[name="value"]').fill(value);
  await form.locator('button[type="submit"]').click();
}

/** Operations the clients have finished, as the Clients panel says ("N operations finished"). */
const FINISHED = () => Number(/(\d+) operations finished/.exec(document.querySelector('.raft-clients')?.textContent ?? '')?.[1] ?? 0);

/**
 * Keeps the clients writing continuously: one `put` in flight per client (round-robin, each
 * sent to the next server); a new one goes out as soon as the panel counts one more finished.
 * Returns { stop() → number of commands submitted }.
 */
function keepWriting(page, clients, nodes) {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    const base = await page.evaluate(FINISHED);
    while (running) {
      if (sent - ((await page.evaluate(FINISHED)) - base) >= clients.length) {
        // Every client has a write in flight: wait for one to finish (or for a stop).
        await page.waitForFunction((target) => Number(/(\d+) operations finished/
          .exec(document.querySelector('.raft-clients')?.textContent ?? '')?.[1] ?? 0) >= target,
        base + sent - clients.length + 1, { polling: 'raf', timeout: 30000 });
        continue;
      }
      await submit(page, { client: clients[sent % clients.length], node: nodes[sent % nodes.length], op: 'put', key: `k${sent % 5}`, value: String(sent) });
      sent += 1;
    }
  })();
  return { stop: async () => { running = false; await loop; return sent; } };
}

/** Opens a page in its own browser context (own renderer process) with a CDP session. */
async function openPage(browser, url) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp, errors };
}

/** `WINDOWS` windows on an open page at `rate`× CPU throttling. */
async function windows(page, cdp, rate, hooks = {}) {
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  const out = [];
  for (let i = 0; i < WINDOWS; i++) out.push(await measureWindow(page, cdp, WINDOW_MS, hooks));
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  return out;
}

/** The calibration page at `rate`×. */
async function calibration(browser, url, rate) {
  const { context, page, cdp } = await openPage(browser, url);
  await page.waitForFunction(() => document.readyState === 'complete');
  const w = await windows(page, cdp, rate);
  await context.close();
  return { ...summarize(w), windows: w };
}

/** Virtual seconds per wall second over a window (read from the page's clock). */
const clockHooks = (page) => ({
  onStart: async () => ({ virtual_s: await clock(page), wall_ms: Date.now() }),
  onEnd: async () => ({ virtual_s: await clock(page), wall_ms: Date.now() }),
});
function virtualRate(ws) {
  const rates = ws.map((w) => (w.end.virtual_s - w.start.virtual_s) / ((w.end.wall_ms - w.start.wall_ms) / 1000));
  return round(rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)], 3);
}

/** The default page: 5 nodes, default speed, after the first election has settled. */
async function steady5(browser, appUrl, rate) {
  const { context, page, cdp, errors } = await openPage(browser, appUrl);
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  await advance(page, 0.3); // past the election's last replies
  const before = await leader(page);
  const w = await windows(page, cdp, rate, clockHooks(page));
  const after = await leader(page);
  await context.close();
  return { ...summarize(w), virtual_per_wall: virtualRate(w), same_leader: before === after, errors, windows: w };
}

/** 9 nodes, three clients writing continuously, 1× speed. */
async function clients9(browser, appUrl, rate) {
  const scenario = {
    format: 'netsplit-scenario', version: 1, protocol: 'raft', seed: 7,
    cluster: { nodes: 9, clients: 3 }, actions: [],
  };
  const { context, page, cdp, errors } = await openPage(browser, `${appUrl}#${fragment(scenario)}`);
  await page.waitForSelector('.node[data-node="n9"]');
  // A link opens paused: play, then 1× on the speed slider.
  if (await page.getAttribute('.clock', 'data-fingerprint')) await page.keyboard.press(' ');
  await setSpeed(page, 1);
  await until(page, () => document.querySelectorAll('.node[data-role="leader"]').length === 1, 'a leader');
  // The client form is on the Clients tab.
  if (!(await page.locator('form.client-form').count())) await openTab(page, 'clients');
  const clients = await page.$$eval('form.client-form select[name="client"] option', (o) => o.map((x) => x.value));
  if (clients.length !== 3) throw new Error(`expected three clients in the form, found ${clients}`);
  const nodes = await page.$$eval('form.client-form select[name="node"] option', (o) => o.map((x) => x.value));
  const writer = keepWriting(page, clients, nodes);
  await until(page, FINISHED, 'the first answer', 60000);
  const finished0 = await page.evaluate(FINISHED);
  const t0 = Date.now();
  const w = await windows(page, cdp, rate, clockHooks(page));
  const finishedPerS = round(((await page.evaluate(FINISHED)) - finished0) / ((Date.now() - t0) / 1000), 1);
  const submitted = await writer.stop();
  await context.close();
  return { ...summarize(w), virtual_per_wall: virtualRate(w), finished_per_s: finishedPerS, submitted, errors, windows: w };
}

const CONDITIONS = [
  { name: 'steady-5', run: steady5, throttle: 1 },
  { name: 'steady-5', run: steady5, throttle: THROTTLE },
  { name: 'clients-9', run: clients9, throttle: 1 },
  { name: 'clients-9', run: clients9, throttle: THROTTLE },
];

/** The conditions picked by NETSPLIT_BENCH_CONDITIONS (all when unset); unknown ones are errors. */
function chosen(filter) {
  if (!filter) return CONDITIONS;
  const picks = filter.split(',').map((p) => p.trim()).filter(Boolean);
  const out = CONDITIONS.filter((c) => picks.some((p) => p === c.name || p === `${c.name}@${c.throttle}`));
  for (const p of picks) {
    if (!CONDITIONS.some((c) => p === c.name || p === `${c.name}@${c.throttle}`)) {
      throw new Error(`NETSPLIT_BENCH_CONDITIONS: unknown condition ${JSON.stringify(p)} (known: ${CONDITIONS.map((c) => `${c.name}@${c.throttle}`).join(', ')})`);
    }
  }
  return out;
}

const ratio = (a, b) => (b ? round(a / b, 2) : null);

const conditions = chosen(process.env.NETSPLIT_BENCH_CONDITIONS);
const app = await serve('/');
const cal = await serve('/', path.join(here, 'calibration'));
const browser = await launch();
const results = [];
try {
  for (const c of conditions) {
    note(`page: ${c.name} at ${c.throttle}× throttling: calibration`);
    const calibrated = await calibration(browser, cal.url, c.throttle);
    note(`page: ${c.name} at ${c.throttle}× throttling: playground`);
    const page = await c.run(browser, app.url, c.throttle);
    note(`page: ${c.name} at ${c.throttle}×: busy ${page.busy}, ${page.fps} fps (calibration ${calibrated.busy}, ${calibrated.fps} fps)`);
    results.push({
      condition: c.name,
      throttle: c.throttle,
      page,
      calibration: calibrated,
      ratio: {
        busy: ratio(page.busy, calibrated.busy),
        fps: ratio(page.fps, calibrated.fps),
        frame_p95: ratio(page.frame_p95_ms, calibrated.frame_p95_ms),
      },
    });
  }
} finally {
  await browser.close();
  await app.close();
  await cal.close();
}
emit({ window_ms: WINDOW_MS, windows: WINDOWS, viewport: VIEWPORT, conditions: results });
