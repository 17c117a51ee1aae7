// Long sessions: the page's memory after hours of virtual time. The page as it opens (a 5-node
// Raft cluster) with the analysis region open, run forward one virtual hour at a time with the
// embed API's `advance(ms)` (as fast as the machine can, with no frame in between: what a page
// left at top speed for hours accumulates, minus the rendering), to 10 hours. After each hour,
// a garbage collection and then: the renderer processes' resident memory (Linux `/proc`), the
// JS heap (DevTools `Performance.getMetrics`), and the wasm instance's linear memory (which
// never shrinks: its growth is the high-water mark). Then a seek into forgotten history and
// back, to show the run is still all there.
//   NETSPLIT_DIST=dist node bench/memory.js
import fs from 'node:fs';
import { serve, launch, until } from '../e2e/harness.js';
import { emit, note, envInt } from './lib.js';

const HOUR = 3_600_000;
const HOURS = envInt('NETSPLIT_BENCH_HOURS', 10);

/** Resident memory (bytes) of every renderer process of the browser, summed. */
async function rendererRss(browserCdp) {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  let total = 0;
  for (const p of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const status = fs.readFileSync(`/proc/${p.id}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      total += kb * 1024;
    } catch {
      // The process ended between the two calls.
    }
  }
  return total;
}

const server = await serve('/');
const browser = await launch();
let result;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__benchWasm = e.detail?.wasm; });
  });
  const cdp = await page.context().newCDPSession(page);
  const browserCdp = await browser.newBrowserCDPSession();
  await cdp.send('Performance.enable');
  await page.goto(server.url);
  await until(page, () => window.netsplit && document.querySelector('.node'), 'the page', 60000);
  await page.click('.an-toggle');
  const measure = async (label) => {
    // Two frames so the page has drawn the new moment, then collect garbage.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
    const info = await page.evaluate(() => ({
      t: window.netsplit.snapshot().t,
      events: window.netsplit.snapshot().events,
      wasm: window.__benchWasm?.memory?.buffer?.byteLength ?? null,
      entries: Number(document.querySelector('.pane-diagram canvas.st-canvas')?.dataset.entries ?? NaN),
    }));
    const row = { label, virtual_ms: info.t, events: info.events, renderer_rss_bytes: await rendererRss(browserCdp), js_heap_bytes: heap, wasm_bytes: info.wasm };
    note(`memory: ${label}: t=${info.t} ms, ${info.events} events, renderer ${(row.renderer_rss_bytes / 1e6).toFixed(1)} MB, JS heap ${(heap / 1e6).toFixed(1)} MB, wasm ${(info.wasm / 1e6).toFixed(1)} MB`);
    return row;
  };
  const rows = [await measure('opened')];
  const advanceMs = [];
  for (let h = 1; h <= HOURS; h += 1) {
    const t0 = Date.now();
    await page.evaluate((ms) => window.netsplit.advance(ms), HOUR);
    advanceMs.push(Date.now() - t0);
    rows.push(await measure(`${h} h`));
  }
  // Forgotten history is replayed on demand: seek to 30 minutes in and back to the end.
  const seek = await page.evaluate(() => {
    const t0 = performance.now();
    const a = window.netsplit.seek(1_800_000).t;
    return { t: a, ms: performance.now() - t0 };
  });
  if (seek.t !== 1_800_000) throw new Error(`seek into forgotten history landed at ${seek.t}`);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  result = { hours: HOURS, rows, advance_ms_per_hour: advanceMs, seek_back_ms: seek.ms };
} finally {
  await browser.close();
  server.close();
}
emit(result);
