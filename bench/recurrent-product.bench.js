// Throughput of the LSTM recurrent product (gates[B,4H] += h[B,H] W[H,4H], f32_gemm_nn with
// accumulate = 1, and at B = 1 f32_gemm_nn_panels on W packed in column panels, as the layers
// run it) and of the sigmoid / tanh forward kernels, for three variants of each kernel: the
// scalar twin, the baseline SIMD build and the relaxed SIMD build. Which kernels are timed, and
// whether they have a scalar twin, comes from the kernel table (src/kernels.ts, `bench: true`).
//
// Every row is rated against what this machine does at best, measured in the same run
// (bench/peak.ts, compiled here with each build's features): the peak of a register-tile loop
// of multiply-adds (GFLOP/s, per build: fused in the relaxed one) and the bandwidth of a copy
// of W's size (GB/s, bytes read and written), so each row says how far it is from the limit.
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
import asc from 'assemblyscript/asc';
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
// the products and the batches each is timed at (the packed panels serve batches below 4)
const PRODUCT_BATCHES = { f32_gemm_nn: [1, 16], f32_gemm_nn_panels: [1] };
const products = timed.filter((name) => name in PRODUCT_BATCHES);
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

// The clock: CPU time of this process in ms (user + system), not wall time, so the time the
// thread spends descheduled on a busy machine is not counted. Everything timed here runs on
// this thread; after the warm-up V8's background threads are idle.
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

// Runs fn for WARMUP_MS; returns how many calls take about 1 ms, the batch between two
// clock reads when sampling (so reading the clock costs nothing measurable).
function warmUp(fn) {
  const t0 = cpuMs();
  let calls = 0, t;
  do { fn(); calls++; t = cpuMs() - t0; } while (t < WARMUP_MS);
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
      const t0 = cpuMs();
      let calls = 0, t;
      do {
        for (let i = 0; i < batch; i++) run();
        calls += batch;
      } while ((t = cpuMs() - t0) < SAMPLE_MS);
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

// ---- the limits: peak multiply-add rate and copy bandwidth ---------------------------------

// bench/peak.ts built as each variant's build is (scalar twins live in the baseline build)
async function peakModule(relaxed) {
  const source = await readFile(new URL('./peak.ts', import.meta.url), 'utf8');
  const out = await asc.compileString({ 'peak.ts': source }, {
    optimizeLevel: 3, runtime: 'stub', noAssert: true, initialMemory: 1, enable: relaxed ? ['simd', 'relaxed-simd'] : ['simd'],
  });
  if (out.error) fail(`bench/peak.ts: ${out.error.message}\n${out.stderr}`);
  return (await WebAssembly.instantiate(out.binary)).instance.exports;
}
// The peak is the fused multiply-add rate of the relaxed build where the runtime has it (what
// the machine can issue from wasm: the baseline build's multiply and add cannot exceed it), else
// the baseline build's; every variant is rated against it.
const peakBuild = variants.some((v) => v.name === 'relaxed') ? 'relaxed' : 'baseline';
const peak = await peakModule(peakBuild === 'relaxed');
const copyModule = peak;

// The limits are timed inside every row's interleaved samples (the peak of the row's build, the
// copy of the row's W size): a row's share of a limit is the median over samples of its rate
// over the limit's rate in the same round, so load that comes and goes cancels out.
const PEAK_ROUNDS = 1 << 14;
const peakCase = () => {
  const run = () => peak.fma_peak(PEAK_ROUNDS, 1);
  return { name: `peak ${peakBuild}`, run, batch: warmUp(run), work: 96 * PEAK_ROUNDS };
};
const copyMemory = copyModule.memory;
const copyCase = (bytes) => {
  const pages = Math.ceil((2 * bytes + 65536) / 65536) - copyMemory.buffer.byteLength / 65536;
  if (pages > 0) copyMemory.grow(pages);
  const n = bytes / 4, run = () => copyModule.f32_copy(bytes + 64, 0, n);
  return { name: `copy ${bytes}`, run, batch: warmUp(run), work: 2 * bytes };
};
const limitSamples = {}; // case name -> rates (GFLOP/s or GB/s), every sample of every row
const keepLimits = (cases, seconds) => {
  for (const c of cases) if (c.work) (limitSamples[c.name] ??= []).push(...seconds[c.name].map((t) => c.work / t / 1e9));
};
/** Median over samples of rate(sample) / limit rate in the same sample round. */
function shareOf(work, seconds, limit, limitSeconds) {
  const r = seconds.map((t, i) => (work / t) / (limit.work / limitSeconds[i])).sort((a, b) => a - b);
  return r[r.length >> 1];
}

// ---- recurrent product -----------------------------------------------------------------

const gemmRows = [];
for (const name of products) for (const { B, H } of SHAPES.filter((c) => PRODUCT_BATCHES[name].includes(c.B))) {
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
    const [ra, rw, rc, rp] = place(v.backend.arena, [a, wPadded, c0, new Float32Array(K * N)]);
    allocated.push([v.backend.arena, ra, rw, rc, rp]);
    let run = () => gemm(rc.ptr, N, ra.ptr, K, rw.ptr, ldw, 0, M, N, K, 1);
    if (name === 'f32_gemm_nn_panels') {
      v.backend.kernels.f32_pack_panels(rp.ptr, rw.ptr, ldw, K, N);
      run = () => gemm(rc.ptr, N, ra.ptr, K, rp.ptr, 0, M, N, K, 1);
    }
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

  const limits = { copy: copyCase(4 * K * N), peak: peakCase() };
  const all = [...cases, ...Object.values(limits)];
  console.error(`timing ${name} B=${B} H=${H} (verified)`); // progress, off the table's stream
  const samples = time(all);
  keepLimits(all, samples);
  const flops = 2 * M * N * K, bytes = 4 * (K * N + M * K + 2 * M * N); // W and h read, C read and written
  for (const v of variantsOf(name)) {
    const seconds = samples[v.name], r = rates(flops, seconds);
    const { peak: top, copy } = limits;
    gemmRows.push({ kernel: name, B, H, variant: v.name, ...r, error: errors[v.name], seconds,
      peakShare: shareOf(flops, seconds, top, samples[top.name]),
      gbs: rates(bytes, seconds).median, copyShare: shareOf(bytes, seconds, copy, samples[copy.name]) });
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
const limitRows = Object.entries(limitSamples).map(([name, r]) => {
  const s = [...r].sort((a, b) => a - b);
  return { name, min: s[0], median: s[s.length >> 1], max: s[s.length - 1], rates: r };
});
await writeFile(file, JSON.stringify({ date, machine, clock: 'process CPU time', samples: SAMPLES, sampleMs: SAMPLE_MS, limits: limitRows, gemm: gemmRows, activations: actRows }, null, 1));

console.log(`\n## simd-rnn recurrent product and activations\n`);
console.log(`${machine}; ${date}`);
console.log(`${SAMPLES} interleaved samples of >= ${SAMPLE_MS} ms CPU time per case, single thread; ` +
  `ratios compare medians; every sample in ${file}\n`);

const pct = (x) => `${(100 * x).toFixed(0)} %`;
console.log('### the limits, timed in every row\'s samples: register-tile multiply-add peak and copy bandwidth\n');
console.log('| measure | build / size | min | median | max |');
console.log('|---|---|---:|---:|---:|');
for (const r of limitRows) {
  const [what, arg] = r.name.split(' ');
  console.log(what === 'peak' ? `| multiply-add peak, GFLOP/s | ${arg} build |` : `| copy, GB/s read + written | ${Number(arg) / 1024} KiB |`, `${f(r.min)} | ${f(r.median)} | ${f(r.max)} |`);
}
console.log(`\n% of peak and % of copy: median over samples of the row's rate / the limit's rate in the same round; every variant against the ${peakBuild} build's peak.\n`);

for (const name of products) {
  console.log(`### ${name}: gates[B,4H] += h[B,H] W[H,4H] (GFLOP/s = 2*B*4H*H / s; GB/s: W and h read, gates read and written)\n`);
  console.log('| B | H | variant | min | median | max | % of peak | GB/s | % of copy | SIMD/scalar | relaxed/baseline | max rel err | goal |');
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of gemmRows.filter((o) => o.kernel === name)) {
    const same = (o) => o.kernel === r.kernel && o.B === r.B && o.H === r.H;
    const goal = r.variant === 'scalar' ? '' : `${r.median >= GOAL[r.B] ? 'met' : 'MISSED'} (${GOAL[r.B]})`;
    console.log(`| ${r.B} | ${r.H} | ${r.variant} | ${f(r.min)} | ${f(r.median)} | ${f(r.max)} | ${pct(r.peakShare)} | ${f(r.gbs)} | ${pct(r.copyShare)} | ` +
      `${speedups(gemmRows, r, same).join(' | ')} | ${r.error.toExponential(1)} | ${goal} |`);
  }
  console.log('');
}

console.log(`\n### activations forward, n = ${ACT_N}, x in [-8, 8] (Gelem/s)\n`);
console.log('| fn | variant | min | median | max | SIMD/scalar | relaxed/baseline | max abs err |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of actRows) {
  const same = (o) => o.act === r.act;
  console.log(`| ${r.act} | ${r.variant} | ${f(r.min)} | ${f(r.median)} | ${f(r.max)} | ` +
    `${speedups(actRows, r, same).join(' | ')} | ${r.error.toExponential(1)} |`);
}
