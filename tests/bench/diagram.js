// The space-time diagram on a 10-minute run (about 95,000 events): the 5-node Raft run of
// seek.js opened from a share link (it opens paused at its end), then the diagram scrolled by
// one wheel step per animation frame at three zoom levels — the default (arrows), one minute
// per screen, and the whole run (density bars) — and each repaint's cost read from the canvas's
// `data-draw-ms` (scene building plus painting, timed by the page around exactly that work),
// with the analysis section made taller (1280×1200 window, the canvas about 500 px high).
// Also the frame intervals while scrolling, and the memory of the session: the JS heap and the
// wasm linear memory.
//   NETSPLIT_DIST=dist node bench/diagram.js
import { serve, launch, until } from '../e2e/harness.js';
import { emit, note, round, quantile, fragment, tenMinuteRaft } from './lib.js';

const RUN_MS = 600000;
/** Wheel steps (one per frame) per zoom level. */
const STEPS = 240;
const CANVAS = '.pane-diagram canvas.st-canvas';

const server = await serve('/');
const browser = await launch();
let result;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Keep the wasm instance's memory (Trunk announces the instance once it has started).
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__benchWasm = e.detail?.wasm; });
  });
  const t0 = Date.now();
  await page.goto(`${server.url}#${fragment(tenMinuteRaft(RUN_MS))}`);
  await until(page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the run to load', 180000);
  // The analysis region is closed on a fresh page: open it.
  await page.click('.an-toggle');
  await until(page, (sel) => Number(document.querySelector(sel)?.dataset.entries) > 0, 'the diagram', 60000, CANVAS);
  note(`diagram: the 10-minute run opened in ${Date.now() - t0} ms; scrolling`);
  // A tall diagram (the analysis section at 580 px): more to draw per frame than by default.
  await page.focus('.an-resize');
  for (let i = 0; i < 13; i += 1) await page.keyboard.press('ArrowUp');
  await page.locator(CANVAS).scrollIntoViewIfNeeded();
  const size = await page.$eval(CANVAS, (c) => ({ width: c.clientWidth, height: c.clientHeight }));
  note(`diagram: canvas ${size.width}×${size.height} CSS px`);
  const levels = {};
  for (const [name, setup] of [
    ['arrows', null],
    ['one_minute', 'minute'],
    ['whole_run', 'Whole run'],
  ]) {
    if (setup === 'Whole run') {
      await page.click('.st-tools button[title^="Fit the whole run"]');
    } else if (setup === 'minute') {
      // Zoom out around the middle until a screen holds about a minute.
      await page.evaluate(async (sel) => {
        const c = document.querySelector(sel);
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        for (let i = 0; i < 60; i += 1) {
          const status = document.querySelector('.pane-diagram .st-status')?.textContent ?? '';
          const m = /· ([\d.]+) ?(ms|s|min) per 100 px/.exec(status);
          const per100 = m ? Number(m[1]) * ({ ms: 1, s: 1000, min: 60000 })[m[2]] : 0;
          if (per100 * (c.clientHeight / 100) >= 60000) break;
          c.dispatchEvent(new WheelEvent('wheel', { deltaY: 200, ctrlKey: true, bubbles: true, cancelable: true, clientX: 10, clientY: 10 }));
          await frame();
        }
      }, CANVAS);
    }
    const run = await page.evaluate(async ({ sel, steps }) => {
      const c = document.querySelector(sel);
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const draws = [];
      const obs = new MutationObserver(() => draws.push(Number(c.dataset.drawMs)));
      obs.observe(c, { attributes: true, attributeFilter: ['data-draw-ms'] });
      await frame();
      const stamps = [];
      for (let i = 0; i < steps; i += 1) {
        // Back and forth: half a screen a step, so every frame shows a new window.
        const dir = Math.floor(i / 40) % 2 === 0 ? 1 : -1;
        c.dispatchEvent(new WheelEvent('wheel', { deltaY: dir * c.clientHeight / 2, bubbles: true, cancelable: true }));
        stamps.push(await frame());
      }
      await frame();
      obs.disconnect();
      return { draws, stamps, lod: c.dataset.lod, status: document.querySelector('.pane-diagram .st-status')?.textContent };
    }, { sel: CANVAS, steps: STEPS });
    const intervals = run.stamps.slice(1).map((t, i) => t - run.stamps[i]);
    levels[name] = {
      lod: run.lod,
      view: run.status,
      repaints: run.draws.length,
      draw_p50_ms: round(quantile(run.draws, 0.5)),
      draw_p95_ms: round(quantile(run.draws, 0.95)),
      draw_max_ms: round(Math.max(...run.draws)),
      frame_p50_ms: round(quantile(intervals, 0.5), 2),
      frame_p95_ms: round(quantile(intervals, 0.95), 2),
      fps: round(intervals.length / ((run.stamps.at(-1) - run.stamps[0]) / 1000), 1),
    };
    note(`diagram: ${name}: ${JSON.stringify(levels[name])}`);
  }
  const memory = await page.evaluate(() => ({
    js_heap_bytes: performance.memory?.usedJSHeapSize ?? null,
    wasm_bytes: window.__benchWasm?.memory?.buffer?.byteLength ?? null,
  }));
  const counts = await page.evaluate((sel) => {
    const c = document.querySelector(sel);
    return { entries: Number(c.dataset.entries), messages: Number(c.dataset.messages) };
  }, CANVAS);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  result = { run_ms: RUN_MS, ...counts, canvas: size, levels, memory };
} finally {
  await browser.close();
  await server.close();
}
emit(result);
