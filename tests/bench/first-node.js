// First node: from navigation to the first node of the cluster drawn, over cold loads of the
// release build served from loopback (a fresh browser context each: empty HTTP and code caches).
// Times are performance.now() in the page, i.e. milliseconds since navigation start.
//   NETSPLIT_DIST=dist node bench/first-node.js     (NETSPLIT_BENCH_LOADS=5)
import { serve, launch } from '../e2e/harness.js';
import { emit, note, median, envInt, round } from './lib.js';

const LOADS = envInt('NETSPLIT_BENCH_LOADS', 5);
const FIRST_NODE = '.node[data-node="n1"]';

/** Runs in the page before any of its own scripts: note when the first node appears in the
 * DOM, and the start of the next frame (the one that paints it). */
function watchFirstNode(selector) {
  const found = () => {
    if (window.__bench_first_node || !document.querySelector(selector)) return false;
    window.__bench_first_node = performance.now();
    requestAnimationFrame(() => { window.__bench_first_frame = performance.now(); });
    return true;
  };
  new MutationObserver((_, obs) => { if (found()) obs.disconnect(); })
    .observe(document, { childList: true, subtree: true });
}

const server = await serve('/');
const browser = await launch();
const loads = [];
try {
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(watchFirstNode, FIRST_NODE);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.__bench_first_frame !== undefined, undefined, { polling: 'raf' });
    const load = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = (ext) => performance.getEntriesByType('resource').find((r) => r.name.endsWith(ext));
      const wasm = res('.wasm');
      const js = res('.js');
      return {
        first_node_ms: window.__bench_first_node,
        first_frame_ms: window.__bench_first_frame,
        html_done_ms: nav?.responseEnd,
        dom_content_loaded_ms: nav?.domContentLoadedEventEnd,
        js_done_ms: js?.responseEnd,
        wasm_done_ms: wasm?.responseEnd,
      };
    });
    for (const k of Object.keys(load)) load[k] = round(load[k], 1);
    note(`first-node: load ${i + 1}/${LOADS}: ${JSON.stringify(load)}`);
    loads.push(load);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
const summary = {};
for (const k of Object.keys(loads[0])) summary[k] = median(loads.map((l) => l[k]));
emit({ loads: LOADS, median: summary, all: loads });
