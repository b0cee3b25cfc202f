// orthogonal() (torch.nn.init.orthogonal_) at n x n, n in {128, 256, 512}, and its QR alone
// on the wasm products (relaxed and baseline builds) next to the JS twins of the products
// that run before init().
//
//   npm run build && node --experimental-wasm-relaxed-simd bench/orthogonal.bench.js
//
// Rows: `orthogonal` is the whole call (drawing the Gaussian, QR, sign correction, copy
// out) on the default backend; `qr <build>` and `qr js twin` are orthonormalColumns on one
// fixed Gaussian. GFLOP/s counts 2 (4/3) n^3 (factorise, then form Q) for the QR rows.
//
// Verified before timing, else exit 1: every result has max |Q^T Q - I| <= ORTH_TOL
// (float64 check), and every QR's Q equals the float64 reference's (orthonormalReference)
// within AGREE_TOL (Q is unique once diag(R) > 0; they differ by about cond(G) eps_f32).
// Timing: WARMUP_MS per case, then SAMPLES interleaved samples, each a loop of calls filling
// at least SAMPLE_MS; min / median / max per call. Takes about 30 s.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { createBackend, runtimeSupport } from '../dist/backend.js';
import { init } from '../dist/node.js';
import { Random } from '../dist/random.js';
import { orthogonal, orthonormalColumns, orthonormalReference } from '../dist/rnn/initializers.js';

const SIZES = [128, 256, 512];
const SAMPLES = 9;
const SAMPLE_MS = 50;
const WARMUP_MS = 300;
const ORTH_TOL = 1e-5;
const AGREE_TOL = 1e-3;

const wasmFile = (mode) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url));
const main = await init();
const builds = [{ name: 'baseline', backend: await createBackend({ simd: 'baseline' }, wasmFile) }];
if (runtimeSupport().relaxed) builds.unshift({ name: 'relaxed', backend: await createBackend({ simd: 'relaxed' }, wasmFile) });
else console.log('note: this runtime lacks relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd); relaxed skipped');

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

/** max |Q^T Q - I| in float64, Q: [n, n] row-major. */
function orthogonalityError(q, n) {
  let worst = 0;
  const col = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    for (let i = 0; i < n; i++) col[i] = q[i * n + a];
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += col[i] * q[i * n + b];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b), mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1] };
}

const rows = [];
for (const n of SIZES) {
  const random = new Random(n);
  const g = Float32Array.from({ length: n * n }, () => random.nextNormal());
  const ref = orthonormalReference(g, n, n);
  const cases = [{ name: `orthogonal (${main.simd})`, run: () => orthogonal(new Float32Array(n * n), n, n, new Random(1)) }];
  for (const b of builds) cases.push({ name: `qr ${b.name}`, run: () => orthonormalColumns(g, n, n, b.backend), qr: true });
  cases.push({ name: 'qr js twin', run: () => orthonormalColumns(g, n, n, null), qr: true });

  for (const c of cases) {
    const q = c.run();
    const err = orthogonalityError(q, n);
    if (!(err <= ORTH_TOL)) fail(`${c.name} n=${n}: max |Q^T Q - I| = ${err} > ${ORTH_TOL}`);
    let diff = 0;
    if (c.qr) for (let i = 0; i < q.length; i++) diff = Math.max(diff, Math.abs(q[i] - ref[i]));
    if (!(diff <= AGREE_TOL)) fail(`${c.name} n=${n}: differs from the float64 reference by ${diff} > ${AGREE_TOL}`);
    c.err = err;
    c.diff = c.qr ? diff : null;
    const t0 = performance.now();
    while (performance.now() - t0 < WARMUP_MS) c.run();
    c.ms = [];
  }
  console.error(`timing n=${n} (verified)`);
  for (let r = 0; r < SAMPLES; r++) {
    for (const c of cases) {
      const t0 = performance.now();
      let calls = 0, t;
      do { c.run(); calls++; } while ((t = performance.now() - t0) < SAMPLE_MS);
      c.ms.push(t / calls);
    }
  }
  const flops = 2 * (4 / 3) * n ** 3;
  for (const c of cases) rows.push({ n, name: c.name, ...stats(c.ms), gflops: c.qr ? flops / stats(c.ms).median / 1e6 : null, err: c.err, diff: c.diff });
}

console.log(`\northogonal n x n: ms per call, min / median / max over ${SAMPLES} samples`);
console.log(`${os.cpus()[0].model}, ${os.cpus().length} CPUs; Node ${process.version}\n`);
console.log(`${'n'.padStart(4)}  ${'case'.padEnd(22)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'max'.padStart(8)}  GFLOP/s  max|QtQ-I|  vs f64`);
for (const r of rows) {
  console.log(`${String(r.n).padStart(4)}  ${r.name.padEnd(22)} ${r.min.toFixed(2).padStart(8)} ${r.median.toFixed(2).padStart(8)} ${r.max.toFixed(2).padStart(8)}  ${(r.gflops === null ? '' : r.gflops.toFixed(2)).padStart(7)}  ${r.err.toExponential(1).padStart(10)}  ${r.diff === null ? '' : r.diff.toExponential(1)}`);
}
