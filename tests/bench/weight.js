// Page weight: every file of the release build (dist/), raw, gzip -9 and brotli -q 11 (Node's
// zlib), the totals of a first load (every file: the page is index.html plus what it links),
// and the wasm as it was before wasm-opt (NETSPLIT_PREOPT_WASM, if given).
//   NETSPLIT_DIST=dist node bench/weight.js
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST } from '../e2e/harness.js';
import { emit, note } from './lib.js';

/** raw, gzip and brotli sizes of a buffer. */
export function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

/** A file's name with Trunk's content hash replaced by `*` (stable across builds). */
export function pattern(name) {
  return name.replace(/-[0-9a-f]{16}(?=(_bg)?\.)/, '-*');
}

/** What a file is, for the table. */
function kind(name) {
  if (name.endsWith('.wasm')) return 'wasm';
  if (name.endsWith('.js')) return 'js';
  if (name.endsWith('.css')) return 'css';
  if (name.endsWith('.html')) return 'html';
  return 'other';
}

function walk(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.name.startsWith('.')) return [];
    return e.isDirectory() ? walk(full, base) : [path.relative(base, full)];
  });
}

const dist = path.resolve(DIST);
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  throw new Error(`no built page at ${dist}`);
}
const files = walk(dist).sort().map((rel) => {
  note(`weight: ${rel}`);
  return { file: pattern(rel), kind: kind(rel), ...sizes(fs.readFileSync(path.join(dist, rel))) };
});
const total = { raw: 0, gzip: 0, brotli: 0 };
for (const f of files) for (const k of Object.keys(total)) total[k] += f[k];
const result = { dist, files, first_load: total };
const preopt = process.env.NETSPLIT_PREOPT_WASM;
if (preopt) {
  if (!fs.existsSync(preopt)) throw new Error(`NETSPLIT_PREOPT_WASM: no file ${preopt}`);
  result.wasm_before_wasm_opt = sizes(fs.readFileSync(preopt));
}
emit(result);
