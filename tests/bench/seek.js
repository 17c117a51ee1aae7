// Seek latency in the page: a 10-minute 5-node Raft run (the scenario of
// core/tests/seek_bench.rs: a crash, a restart, a partition and a heal every 30 s) opened from a
// share link, then 200 seeks to scattered times (a fixed LCG), each timed from the slider's
// `input` event to the end of its handler (seek plus Yew render).
//   NETSPLIT_DIST=dist node bench/seek.js
import { serve, launch, open, until } from '../e2e/harness.js';
import { emit, note, round, fragment, tenMinuteRaft } from './lib.js';

const RUN_MS = 600000;
const SEEKS = 200;
const scenario = tenMinuteRaft(RUN_MS);

const server = await serve('/');
const browser = await launch();
let result;
try {
  const t0 = Date.now();
  const { page, errors } = await open(browser, `${server.url}#${fragment(scenario)}`);
  await until(page, () => document.querySelector('.clock')?.dataset.fingerprint, 'the run to load', 120000);
  const openMs = Date.now() - t0;
  note(`seek: the 10-minute run opened in ${openMs} ms; seeking`);
  const times = await page.evaluate(({ seeks, span }) => {
    const slider = document.querySelector('.tl-slider');
    let x = 12345;
    const out = [];
    for (let i = 0; i < seeks; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const t = x % (span + 1);
      const t0 = performance.now();
      slider.value = String(t);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      out.push(performance.now() - t0);
    }
    return out;
  }, { seeks: SEEKS, span: RUN_MS });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  times.sort((a, b) => a - b);
  const at = (q) => round(times[Math.round((times.length - 1) * q)], 3);
  result = {
    seeks: times.length,
    open_ms: openMs,
    mean_ms: round(times.reduce((a, b) => a + b, 0) / times.length, 3),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: at(1),
  };
} finally {
  await browser.close();
  await server.close();
}
emit(result);
