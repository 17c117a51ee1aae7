// Shared pieces of the benchmark scripts (run by `cargo xtask bench`, never by `npm test`):
// the result line xtask reads, statistics, and one measurement window of a page's main thread.
//
// Every script prints progress on stderr and exactly one line `BENCH {json}` on stdout.

import zlib from 'node:zlib';

/** The share fragment for `scenario` (deflate, URL-safe base64, as core::link writes). */
export function fragment(scenario) {
  return 's1.' + zlib.deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url');
}

/**
 * A `runMs` 5-node Raft run (the scenario of core/tests/seek_bench.rs: a crash, a restart, a
 * partition and a heal every 30 s): about 95,000 events in 10 minutes.
 */
export function tenMinuteRaft(runMs) {
  const actions = [];
  for (let t = 0; t < runMs; t += 30000) {
    const node = `n${(t / 30000) % 5 + 1}`;
    actions.push({ at: t + 5000, control: { type: 'crash', node } });
    actions.push({ at: t + 12000, control: { type: 'restart', node } });
    actions.push({ at: t + 15000, control: { type: 'partition', groups: [['n1', 'n2']] } });
    actions.push({ at: t + 22000, control: { type: 'heal_all' } });
  }
  return { format: 'netsplit-scenario', version: 1, protocol: 'raft', seed: 7, actions, until: runMs };
}

/** Print the result for xtask: one line, `BENCH ` then JSON. */
export function emit(result) {
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
}

/** Progress for humans (stderr, so it never mixes with the result). */
export function note(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}

/** Median of numbers (the upper one of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The `q` quantile (0..1) of numbers, nearest rank. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Rounds to `digits` decimals (for readable JSON). */
export const round = (x, digits = 3) => (x == null || Number.isNaN(x) ? null : +x.toFixed(digits));

/** A positive integer from the environment, or `fallback`; a bad value is an error. */
export function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * One measurement window of `ms` on `page` (with a CDP session `cdp` that has
 * `Performance.enable`d): main-thread busy share (CDP `TaskDuration`, which counts script,
 * style, layout and paint), script share (`ScriptDuration`), requestAnimationFrame intervals
 * and `longtask` entries. `onStart`/`onEnd` run right at the window's edges (in Node).
 */
export async function measureWindow(page, cdp, ms, { onStart, onEnd } = {}) {
  const metric = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (n) => metrics.find((m) => m.name === n)?.value ?? 0;
    return { task: get('TaskDuration'), script: get('ScriptDuration'), ts: get('Timestamp') };
  };
  const frames = page.evaluate((window) => new Promise((resolve) => {
    const stamps = [];
    const longTasks = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)));
    obs.observe({ type: 'longtask' });
    const start = performance.now();
    const tick = (t) => {
      stamps.push(t);
      if (t - start < window) requestAnimationFrame(tick);
      else { obs.disconnect(); resolve({ stamps, longTasks }); }
    };
    requestAnimationFrame(tick);
  }), ms);
  const a = await metric();
  const startInfo = onStart ? await onStart() : undefined;
  const { stamps, longTasks } = await frames;
  const endInfo = onEnd ? await onEnd() : undefined;
  const b = await metric();
  const intervals = stamps.slice(1).map((t, i) => t - stamps[i]);
  const wall = b.ts - a.ts;
  return {
    window_s: round(wall),
    busy: round((b.task - a.task) / wall, 4),
    script: round((b.script - a.script) / wall, 4),
    fps: round(intervals.length / ((stamps.at(-1) - stamps[0]) / 1000), 1),
    frame_p50_ms: round(quantile(intervals, 0.5), 2),
    frame_p95_ms: round(quantile(intervals, 0.95), 2),
    frame_max_ms: round(Math.max(...intervals), 2),
    long_tasks: longTasks.length,
    long_task_max_ms: round(longTasks.length ? Math.max(...longTasks) : 0, 1),
    start: startInfo,
    end: endInfo,
  };
}

/** The medians of the numeric fields of several windows (plus the windows themselves). */
export function summarize(windows) {
  const out = {};
  for (const key of ['busy', 'script', 'fps', 'frame_p50_ms', 'frame_p95_ms', 'frame_max_ms']) {
    out[key] = median(windows.map((w) => w[key]));
  }
  out.long_tasks = windows.reduce((n, w) => n + w.long_tasks, 0);
  out.long_task_max_ms = Math.max(...windows.map((w) => w.long_task_max_ms));
  return out;
}
