// Throughput of the LSTM recurrent product (gates[B,4H] += h[B,H] W[H,4H], f32_gemm_nn with
// accumulate = 1) and of the sigmoid / tanh forward kernels, for three variants of each
// kernel: the scalar twin, the baseline SIMD build and the relaxed SIMD build. Which kernels
// are timed, and whether they have a scalar twin, comes from the kernel table
// (src/kernels.ts, `bench: true`).
//
//   npm run bench     (builds first; node needs --experimental-wasm-relaxed-simd on Node 20)
//
// Every variant is checked against a float64 reference before it is timed, so a fast wrong
// kernel fails the run (exit code 1) instead of posting a number. Each case then takes
// SAMPLES samples, each a loop of calls lasting at least SAMPLE_MS, and we report min /
// median / max over the samples. The samples of the variants are interleaved (round r times
// scalar, baseline, relaxed in turn): on a small shared machine the background load changes
// over seconds, and running the variants one after another (as benny / benchmark.js does)
// would put that drift into the SIMD/scalar and relaxed/baseline ratios. Every sample is
// saved as JSON in bench/results/ (git-ignored).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { createBackend, runtimeSupport } from '../dist/backend.js';
import { Random } from '../dist/random.js';
import { paddedWidth } from '../dist/layout.js';
import { KERNELS } from '../dist/kernels.js';

const SAMPLES = 15;
const SAMPLE_MS = 20;
const WARMUP_MS = 100; // lets V8 tier the wasm up (Liftoff -> TurboFan) before timing
const GEMM_TOL = 1e-4; // |got - ref| / sum_k |a_ik||w_kj|
const ACT_TOL = 1e-6; // max abs error
const ACT_N = 4096;
const SHAPES = [1, 16].flatMap((B) => [128, 256, 512].map((H) => ({ B, H })));
const GOAL = { 1: 30, 16: 40 }; // GFLOP/s for the SIMD builds, by B
const RESULTS = fileURLToPath(new URL('./results', import.meta.url));

// ---- variants --------------------------------------------------------------------------

const wasmFile = (mode) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url));
const baseline = await createBackend({ simd: 'baseline' }, wasmFile);
// The scalar twins live in the baseline build; the relaxed build may fuse multiply-adds.
const variants = [
  { name: 'scalar', backend: baseline, suffix: '__scalar' },
  { name: 'baseline', backend: baseline, suffix: '' },
];
if (runtimeSupport().relaxed) {
  variants.push({ name: 'relaxed', backend: await createBackend({ simd: 'relaxed' }, wasmFile), suffix: '' });
} else {
  console.log('note: this runtime lacks relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd); relaxed skipped');
}
const kernel = (v, name) => v.backend.kernels[name + v.suffix];
// The variants a kernel has: the scalar one only when the table lists a twin.
const variantsOf = (name) => variants.filter((v) => v.suffix === '' || KERNELS[name].scalar);

// ---- what is timed ---------------------------------------------------------------------

// Float64 references of the activations this script knows how to time.
const ACTS = {
  f32_sigmoid_fwd: (t) => 1 / (1 + Math.exp(-t)),
  f32_tanh_fwd: Math.tanh,
};
const timed = Object.keys(KERNELS).filter((name) => KERNELS[name].bench);
const products = timed.filter((name) => name === 'f32_gemm_nn');
const activations = timed.filter((name) => name in ACTS);
const unknown = timed.filter((name) => !products.includes(name) && !activations.includes(name));
if (unknown.length > 0) {
  console.error(`FAIL: the kernel table marks ${unknown.join(', ')} for this benchmark, which has no case for them`);
  process.exit(1);
}

// ---- helpers ---------------------------------------------------------------------------

// Seeded (the library's own generator) so every run uses the same data.
const generator = new Random(0x9e3779b9);
const random = () => generator.nextUnit();
const uniform = (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());

// Copies each array into a fresh arena region. The views are made only after every alloc:
// growing the memory detaches views made before.
function place(arena, arrays) {
  const regions = arrays.map((x, i) => arena.alloc(x.length * 4, `bench${i}`));
  regions.forEach((r, i) => arena.f32At(r.ptr, arrays[i].length).set(arrays[i]));
  return regions;
}

// Runs fn for WARMUP_MS; returns how many calls take about 1 ms, the batch between two
// clock reads when sampling (so reading the clock costs nothing measurable).
function warmUp(fn) {
  const t0 = performance.now();
  let calls = 0, t;
  do { fn(); calls++; t = performance.now() - t0; } while (t < WARMUP_MS);
  return Math.max(1, Math.round(calls / t));
}

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

// Interleaved samples of every case: { name -> seconds per call, one entry per sample }.
function time(cases) {
  const seconds = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let r = 0; r < SAMPLES; r++) {
    for (const { name, run, batch } of cases) {
      const t0 = performance.now();
      let calls = 0, t;
      do {
        for (let i = 0; i < batch; i++) run();
        calls += batch;
      } while ((t = performance.now() - t0) < SAMPLE_MS);
      seconds[name].push(t / 1e3 / calls);
    }
  }
  return seconds;
}

// min / median / max of a rate (work / seconds): the fastest sample gives the max rate.
function rates(work, secondsPerCall) {
  const r = secondsPerCall.map((s) => work / s / 1e9).sort((a, b) => a - b);
  const mid = r.length >> 1;
  return { min: r[0], median: r.length % 2 ? r[mid] : (r[mid - 1] + r[mid]) / 2, max: r[r.length - 1] };
}

// ---- recurrent product -----------------------------------------------------------------

const gemmRows = [];
for (const name of products) for (const { B, H } of SHAPES) {
  const M = B, K = H, N = 4 * H;
  // h as a tanh output, W as PyTorch's U(-1/sqrt(H), 1/sqrt(H)) init, gates as the input
  // projection already accumulated into them.
  const a = uniform(M * K, -1, 1), w = uniform(K * N, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
  const c0 = uniform(M * N, -1, 1);
  const ref = new Float64Array(M * N), mag = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = c0[i * N + j], m = 0;
      for (let k = 0; k < K; k++) { const p = a[i * K + k] * w[k * N + j]; s += p; m += Math.abs(p); }
      ref[i * N + j] = s; mag[i * N + j] = m;
    }
  }

  const cases = [], errors = {}, allocated = [];
  for (const v of variantsOf(name)) {
    const gemm = kernel(v, name);
    // W with the row length the layers give it (rows padded where 4H is a multiple of 256)
    const ldw = paddedWidth(N), wPadded = new Float64Array(K * ldw);
    for (let k = 0; k < K; k++) wPadded.set(w.subarray(k * N, (k + 1) * N), k * ldw);
    const [ra, rw, rc] = place(v.backend.arena, [a, wPadded, c0]);
    allocated.push([v.backend.arena, ra, rw, rc]);
    const run = () => gemm(rc.ptr, N, ra.ptr, K, rw.ptr, ldw, 0, M, N, K, 1);
    run();
    const c = v.backend.arena.f32At(rc.ptr, M * N);
    let worst = 0;
    for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(c[i] - ref[i]) / mag[i]);
    if (!(worst <= GEMM_TOL)) fail(`${v.name} ${name} B=${B} H=${H}: relative error ${worst} > ${GEMM_TOL}`);
    errors[v.name] = worst;
    // Timing keeps accumulating into C: the values drift like a random walk, far from
    // overflow or subnormals, so the speed is unaffected.
    cases.push({ name: v.name, run, batch: warmUp(run) });
  }

  console.error(`timing ${name} B=${B} H=${H} (verified)`); // progress, off the table's stream
  const samples = time(cases);
  const flops = 2 * M * N * K;
  for (const v of variantsOf(name)) {
    const seconds = samples[v.name];
    gemmRows.push({ kernel: name, B, H, variant: v.name, ...rates(flops, seconds), error: errors[v.name], seconds });
  }
  for (const [arena, ...regions] of allocated) regions.reverse().forEach((r) => arena.free(r));
}

// ---- activations -----------------------------------------------------------------------

// Evenly spread over [-8, 8] then shuffled, so every range of the approximation is covered
// and the order gives branchy code no easy prediction.
const x = Float32Array.from({ length: ACT_N }, (_, i) => -8 + (16 * i) / (ACT_N - 1));
for (let i = ACT_N - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [x[i], x[j]] = [x[j], x[i]]; }

const actRows = [];
for (const name of activations) {
  const act = name.replace(/^f32_|_fwd$/g, ''), exact = ACTS[name];
  const cases = [], errors = {}, allocated = [];
  for (const v of variantsOf(name)) {
    const fn = kernel(v, name);
    const [rx, ry] = place(v.backend.arena, [x, new Float32Array(ACT_N)]);
    allocated.push([v.backend.arena, rx, ry]);
    const run = () => fn(ry.ptr, rx.ptr, ACT_N);
    run();
    const y = v.backend.arena.f32At(ry.ptr, ACT_N);
    let worst = 0;
    for (let i = 0; i < ACT_N; i++) worst = Math.max(worst, Math.abs(y[i] - exact(x[i])));
    if (!(worst <= ACT_TOL)) fail(`${v.name} ${name}: max abs error ${worst} > ${ACT_TOL}`);
    errors[v.name] = worst;
    cases.push({ name: v.name, run, batch: warmUp(run) });
  }
  console.error(`timing ${name} n=${ACT_N} (verified)`);
  const samples = time(cases);
  for (const v of variantsOf(name)) {
    const seconds = samples[v.name];
    actRows.push({ act, n: ACT_N, variant: v.name, ...rates(ACT_N, seconds), error: errors[v.name], seconds });
  }
  for (const [arena, ...regions] of allocated) regions.reverse().forEach((r) => arena.free(r));
}

// ---- report ----------------------------------------------------------------------------

const f = (n) => n.toFixed(2);
// Speed-ups compare medians: SIMD against the scalar twin, relaxed against baseline.
function speedups(rows, r, same) {
  const median = (name) => rows.find((o) => same(o) && o.variant === name)?.median;
  const ratio = (of) => (median(of) ? `${f(r.median / median(of))}x` : '');
  return [r.variant === 'scalar' ? '' : ratio('scalar'), r.variant === 'relaxed' ? ratio('baseline') : ''];
}

const date = new Date().toISOString();
const machine = `${os.cpus()[0].model}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}; Node ${process.version}`;
await mkdir(RESULTS, { recursive: true });
const file = `${RESULTS}/recurrent-product-${date.replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ date, machine, samples: SAMPLES, sampleMs: SAMPLE_MS, gemm: gemmRows, activations: actRows }, null, 1));

console.log(`\n## simd-rnn recurrent product and activations\n`);
console.log(`${machine}; ${date}`);
console.log(`${SAMPLES} interleaved samples of >= ${SAMPLE_MS} ms per case, single thread; ` +
  `ratios compare medians; every sample in ${file}\n`);

for (const name of products) console.log(`### ${name}: gates[B,4H] += h[B,H] W[H,4H] (GFLOP/s = 2*B*4H*H / s)\n`);
console.log('| B | H | variant | min | median | max | SIMD/scalar | relaxed/baseline | max rel err | goal |');
console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of gemmRows) {
  const same = (o) => o.kernel === r.kernel && o.B === r.B && o.H === r.H;
  const goal = r.variant === 'scalar' ? '' : `${r.median >= GOAL[r.B] ? 'met' : 'MISSED'} (${GOAL[r.B]})`;
  console.log(`| ${r.B} | ${r.H} | ${r.variant} | ${f(r.min)} | ${f(r.median)} | ${f(r.max)} | ` +
    `${speedups(gemmRows, r, same).join(' | ')} | ${r.error.toExponential(1)} | ${goal} |`);
}

console.log(`\n### activations forward, n = ${ACT_N}, x in [-8, 8] (Gelem/s)\n`);
console.log('| fn | variant | min | median | max | SIMD/scalar | relaxed/baseline | max abs err |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of actRows) {
  const same = (o) => o.act === r.act;
  console.log(`| ${r.act} | ${r.variant} | ${f(r.min)} | ${f(r.median)} | ${f(r.max)} | ` +
    `${speedups(actRows, r, same).join(' | ')} | ${r.error.toExponential(1)} |`);
}
