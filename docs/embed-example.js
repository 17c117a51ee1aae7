// The script of embed-example.html: a course page driving an embedded netsplit through the
// postMessage bridge (docs/embed.md, "From any origin"). It works whether the page and the
// embed share an origin or not. Kept out of the HTML so the course page itself may run under
// a strict Content-Security-Policy (no inline script).

/**
 * A client for the embed in `frame`: `call(name, ...args)` posts
 * `{ netsplit: 1, id, call, args }` and resolves with the answer's `ok` (or rejects with an
 * Error carrying the answer's `error`); `onViolation(cb)` subscribes to violations. Resolves
 * once the embed is ready (its `netsplit:ready` message, or an answer to a first request if it
 * started before this script).
 */
function connect(frame) {
  let origin = null; // the embed's origin, learnt from its first message
  let next = 1;
  const pending = new Map();
  const violationListeners = [];
  return new Promise((resolve) => {
    const client = {
      call(name, ...args) {
        const id = next++;
        return new Promise((ok, fail) => {
          pending.set(id, { ok, fail });
          frame.contentWindow.postMessage({ netsplit: 1, id, call: name, args }, origin || '*');
        });
      },
      onViolation(cb) {
        violationListeners.push(cb);
        return client.call('on', 'violation');
      },
      get origin() { return origin; },
    };
    let ready = false;
    const becomeReady = (from) => {
      origin = from;
      if (!ready) { ready = true; resolve(client); }
    };
    window.addEventListener('message', (e) => {
      // Only the embed's own window; once its origin is known, only that origin.
      if (e.source !== frame.contentWindow || (origin && e.origin !== origin)) return;
      const m = e.data;
      if (m && m.type === 'netsplit:ready') return becomeReady(e.origin);
      if (!m || m.netsplit !== 1) return;
      if (m.event === 'violation') {
        violationListeners.forEach((cb) => cb(m.violation));
        return;
      }
      if (m.id === 0) return becomeReady(e.origin); // the answer to the probe below
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ('error' in m) p.fail(new Error(m.error)); else p.ok(m.ok);
    });
    // If the embed was ready before this script listened, its `netsplit:ready` is gone: a
    // first request once the frame has loaded is answered instead (or, if its wasm is still
    // starting, not at all — and the ready message follows).
    frame.addEventListener('load', () => {
      if (!ready) frame.contentWindow.postMessage({ netsplit: 1, id: 0, call: 'snapshot' }, '*');
    });
  });
}

const frame = document.getElementById('sim');
const out = document.getElementById('out');
const say = (text) => { out.textContent = text; };

// For other scripts (and the end-to-end test): the connected client.
window.netsplitReady = connect(frame);

window.netsplitReady.then((api) => {
  api.onViolation((v) => {
    document.getElementById('violations').textContent +=
      `t=${v.at} ms: ${v.property} violated${v.node ? ' at ' + v.node : ''}: ${v.detail}\n`;
  });
  const run = (f) => () => f().catch((e) => say(e.message));
  document.getElementById('play').onclick = run(() => api.call('play'));
  document.getElementById('pause').onclick = run(() => api.call('pause'));
  document.getElementById('rewind').onclick = run(() => api.call('seek', 0));
  document.getElementById('pbft').onclick = run(async () => {
    await api.call('load', 'gallery:pbft-f-plus-one');
    await api.call('play');
  });
  document.getElementById('show').onclick = run(async () => {
    const s = await api.call('snapshot');
    const n = s.violations.length;
    say(`t=${s.t} ms: ${s.leader ? s.leader + ' leads' : 'no leader'} (${n} violation${n === 1 ? '' : 's'})`);
  });
  for (const b of document.querySelectorAll('.controls button')) b.disabled = false;
});
