// Seek latency in the page: a 10-minute 5-node Raft run (the scenario of
// core/tests/seek_bench.rs: a crash, a restart, a partition and a heal every 30 s) opened from a
// share link, then 200 seeks to scattered times (a fixed LCG), each timed from the slider's
// `input` event to the end of its handler (seek plus Yew render).
//   NETSPLIT_DIST=dist node bench/seek.js
import zlib from 'node:zlib';
import { serve, launch, open, until } from '../e2e/harness.js';
import { emit, note, round } from './lib.js';

const RUN_MS = 600000;
const SEEKS = 200;

/** The share fragment for `scenario` (deflate, URL-safe base64, as core::link writes). */
function fragment(scenario) {
  return 's1.' + zlib.deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url');
}

const actions = [];
for (let t = 0; t < RUN_MS; t += 30000) {
  const node = `n${(t / 30000) % 5 + 1}`;
  actions.push({ at: t + 5000, control: { type: 'crash', node } });
  actions.push({ at: t + 12000, control: { type: 'restart', node } });
  actions.push({ at: t + 15000, control: { type: 'partition', groups: [['n1', 'n2']] } });
  actions.push({ at: t + 22000, control: { type: 'heal_all' } });
}
const scenario = { format: 'netsplit-scenario', version: 1, protocol: 'raft', seed: 7, actions, until: RUN_MS };

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
