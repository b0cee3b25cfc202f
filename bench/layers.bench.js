// LSTM and GRU inference through the public API, against onnxruntime-web (WASM backend, one
// thread, SIMD) in the same run, on the same weights and inputs.
//
//   npm run bench:layers     (builds first; Node 20 needs --experimental-wasm-relaxed-simd)
//   node --experimental-wasm-relaxed-simd bench/layers.bench.js [--quick] [--against DIR]
//
// --against DIR adds a column for the build in DIR (another checkout of simd-rnn with its own
// built dist/ and wasm/, such as the previous main): same weights, same inputs, verified
// against ORT like ours, timed in the same interleaved samples, ratio this build / that one.
// --quick takes fewer samples with a shorter warm-up (see bench/against.js). --threads N adds a
// column for ours on N threads (the same layers; 1 and N threads alternate sample by sample)
// and a table of the speed-ups against the goals of the threads work.
//
// Rows: T = 128, B in {1, 16}, (D, H) in {(64, 128), (128, 256), (256, 512)}, for forward()
// over the whole sequence; plus a streaming step at B = 1, D = 64, H = 128 (ours: stream(1).step;
// ORT: a T = 1 run per step carrying h and c between calls).
//
// Models and weights come from bench/peers/models (made by bench/peers/make_models.py with
// PyTorch; see bench/README.md). onnxruntime-web is a dependency of bench/peers only; it is
// installed there with `npm ci` when missing.
//
// Every row is verified before anything is timed: our output and ORT's on the same input must
// agree within TOL (max abs diff), else the run exits 1 (with --against, the other build's too).
// Timing: each contender warms up, then SAMPLES samples alternate between ours (and the other
// build, the two swapping places every sample) and ORT; a sample is a loop of calls filling at
// least SAMPLE_MS, and we report min / median / max per call over the samples.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { GRU, LSTM, init } from '../dist/node.js';
import { Random } from '../dist/random.js';
import { benchOptions, describeCheckout, loadBuild, onThreads, pairedRatio, sampleOrder, threadsRow } from './against.js';

const options = benchOptions();

const T = 128;
const BATCHES = [1, 16];
const SIZES = [[64, 128], [128, 256], [256, 512]];
const STEP_SIZE = [64, 128];
const STEPS = 1000; // streaming steps per timed call
const TOL = 1e-4;
const SAMPLES = options.quick ? 5 : 15;
const SAMPLE_MS = options.quick ? 30 : 50;
const WARMUP_MS = options.quick ? 300 : 1000; // per contender and row: V8 tiers up the wasm (ORT's takes seconds) before timing

const path = (p) => fileURLToPath(new URL(p, import.meta.url));
const MODELS = path('./peers/models');

// ---- peers -----------------------------------------------------------------------------

if (!existsSync(path('./peers/node_modules'))) {
  console.error('installing bench/peers (npm ci)');
  execSync('npm ci --no-audit --no-fund', { cwd: path('./peers'), stdio: ['ignore', 2, 2] }); // off the table's stdout
}
const requirePeer = createRequire(path('./peers/package.json'));
const ort = requirePeer('onnxruntime-web');
const ortVersion = ort.env.versions.web;
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.logLevel = 'error';

// ---- data ------------------------------------------------------------------------------

// Seeded (the library's own generator) so every run uses the same data.
const generator = new Random(0x2545f491);
const random = () => generator.nextUnit();
const uniform = (n) => Float32Array.from({ length: n }, () => 2 * random() - 1);

/** The PyTorch state_dict a model was made with: bfloat16 in the .bin, widened exactly to float32. */
function loadWeights(base) {
  const index = JSON.parse(readFileSync(`${MODELS}/${base}.json`, 'utf8'));
  const bytes = readFileSync(`${MODELS}/${index.file}`);
  const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  const dict = {};
  for (const [name, { shape, offset }] of Object.entries(index.tensors)) {
    const n = shape.reduce((a, b) => a * b, 1), bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = u16[offset / 2 + i] << 16;
    dict[name] = { data: new Float32Array(bits.buffer), shape };
  }
  return { dict, bin: { path: index.file, data: new Uint8Array(bytes) } };
}

const session = (file, bin) => ort.InferenceSession.create(readFileSync(`${MODELS}/${file}`), {
  executionProviders: ['wasm'], externalData: [bin],
});

function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max abs diff of a forward result (output, h, c) against ORT's outputs. */
const diffOrt = (a, b) => Math.max(maxAbsDiff(a.output.data, b.output.data), maxAbsDiff(a.h.data, b.h_n.data),
  a.c ? maxAbsDiff(a.c.data, b.c_n.data) : 0);
/** Max abs diff of two forward results of ours (this build and the other). */
const diffOurs = (a, b) => Math.max(maxAbsDiff(a.output.data, b.output.data), maxAbsDiff(a.h.data, b.h.data),
  a.c ? maxAbsDiff(a.c.data, b.c.data) : 0);

// ---- rows: { layer, what, D, H, unit, ours(), old()?, ort(), check() }; each makes one timed call
// (old: the build given with --against; check() returns { ours, old?, ab? }: ours vs ORT, the
// other build vs ORT, ours vs the other build, max abs diff)

const THREADS = options.threads;
const backend = await init(THREADS > 1 ? { threads: THREADS } : undefined);
if (backend.threads !== THREADS) {
  console.error(`asked for ${THREADS} threads, runs ${backend.threads}`);
  process.exit(2);
}
const other = options.against ? await loadBuild(options.against, backend.simd, path('..')) : null;
const rows = [];
for (const mode of ['lstm', 'gru']) {
  for (const [D, H] of SIZES) {
    const base = `${mode}_d${D}_h${H}`;
    const { dict, bin } = loadWeights(base);
    const spec = { inputSize: D, hiddenSize: H, seed: 1 };
    const layer = new (mode === 'lstm' ? LSTM : GRU)(spec);
    layer.loadStateDict(dict);
    const oldLayer = other && new (mode === 'lstm' ? other.api.LSTM : other.api.GRU)(spec);
    oldLayer?.loadStateDict(dict);
    const sess = await session(`${base}.onnx`, bin);
    for (const B of BATCHES) {
      const x = { data: uniform(T * B * D), shape: [T, B, D] };
      const feeds = { x: new ort.Tensor('float32', x.data, x.shape) };
      rows.push({
        layer: mode.toUpperCase(), what: `T=${T} B=${B}`, D, H, unit: 'ms', perCall: 1,
        ours: () => layer.forward(x),
        bits: () => layer.forward(x).output.data,
        old: oldLayer && (() => oldLayer.forward(x)),
        ort: () => sess.run(feeds),
        async check() {
          const a = layer.forward(x), b = await sess.run(feeds);
          if (!oldLayer) return { ours: diffOrt(a, b) };
          const c = oldLayer.forward(x);
          return { ours: diffOrt(a, b), old: diffOrt(c, b), ab: diffOurs(a, c) };
        },
      });
    }
    if (D === STEP_SIZE[0] && H === STEP_SIZE[1]) rows.push(streamRow(mode, layer, oldLayer, await session(`${base}_step.onnx`, bin), D, H));
  }
}

function streamRow(mode, layer, oldLayer, sess, D, H) {
  const lstm = mode === 'lstm';
  const inputs = Array.from({ length: STEPS }, () => uniform(D));
  const ortInputs = inputs.map((v) => new ort.Tensor('float32', v, [1, 1, D]));
  const zero = () => new ort.Tensor('float32', new Float32Array(H), [1, 1, H]);
  const stream = layer.stream(1), oldStream = oldLayer?.stream(1);
  const feeds = { x: null, h0: zero() };
  if (lstm) feeds.c0 = zero();
  async function ortStep(i) {
    feeds.x = ortInputs[i];
    const out = await sess.run(feeds);
    feeds.h0 = out.h_n;
    if (lstm) feeds.c0 = out.c_n;
    return out.h_n.data;
  }
  return {
    layer: mode.toUpperCase(), what: 'stream step B=1', D, H, unit: 'us', perCall: STEPS,
    ours() { for (let i = 0; i < STEPS; i++) stream.step(inputs[i]); },
    old: oldStream && (() => { for (let i = 0; i < STEPS; i++) oldStream.step(inputs[i]); }),
    async ort() { for (let i = 0; i < STEPS; i++) await ortStep(i); },
    async check() { // all from zero state, every step compared
      const d = { ours: 0, ...(oldStream && { old: 0, ab: 0 }) };
      for (let i = 0; i < 64; i++) {
        const a = stream.step(inputs[i]).data, b = await ortStep(i);
        d.ours = Math.max(d.ours, maxAbsDiff(a, b));
        if (oldStream) {
          const c = oldStream.step(inputs[i]).data;
          d.old = Math.max(d.old, maxAbsDiff(c, b));
          d.ab = Math.max(d.ab, maxAbsDiff(a, c));
        }
      }
      return d;
    },
  };
}

// ---- verify everything, then time ------------------------------------------------------

if (THREADS > 1) {
  // ours on one thread and on N, the same layer; forward rows must agree bit for bit
  for (const r of rows) {
    const one = r.ours;
    r.ours = onThreads(backend, 1, one);
    r.par = onThreads(backend, THREADS, one);
    if (r.bits) {
      const a = onThreads(backend, 1, r.bits)(), b = onThreads(backend, THREADS, r.bits)();
      const same = a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);
      if (!same) {
        console.error(`FAIL ${r.layer} ${r.what} D=${r.D} H=${r.H}: ${THREADS} threads differ from one`);
        process.exit(1);
      }
    }
  }
  console.error(`ok   every forward row is bit-identical on 1 and ${THREADS} threads`);
}

const label = (r) => `${r.layer} ${r.what} D=${r.D} H=${r.H}`;
let failed = false;
for (const r of rows) {
  const d = await r.check();
  r.diff = d.ours;
  r.oldDiff = d.old;
  r.abDiff = d.ab;
  const ok = d.ours <= TOL && (!other || d.old <= TOL);
  failed ||= !ok;
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${label(r)}: max abs diff ${d.ours.toExponential(2)}` +
    (other ? `; --against build: ${d.old.toExponential(2)}, this build vs that one: ${d.ab.toExponential(2)}` : ''));
}
if (failed) {
  console.error(`simd-rnn${other ? ' (this build or the --against one)' : ''} and onnxruntime-web disagree by more than ${TOL}: nothing timed`);
  process.exit(1);
}

/** Times `calls` calls of fn (sync or async), in ms per call. */
async function sample(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - t0) / calls;
}

async function warmUp(fn) {
  let calls = 0;
  const t0 = performance.now();
  while (calls < 3 || performance.now() - t0 < WARMUP_MS) { await fn(); calls++; }
  const ms = (performance.now() - t0) / calls;
  return Math.max(1, Math.ceil(SAMPLE_MS / ms)); // calls per sample
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[s.length >> 1], max: s[s.length - 1], samples: xs };
};

const builds = [...(other ? ['ours', 'old'] : ['ours']), ...(THREADS > 1 ? ['par'] : [])];
for (const r of rows) {
  console.error(`timing ${label(r)}`);
  const n = {}, times = {};
  for (const who of [...builds, 'ort']) {
    n[who] = await warmUp(r[who]);
    times[who] = [];
  }
  for (let s = 0; s < SAMPLES; s++) {
    for (const who of sampleOrder(s, builds, ['ort'])) {
      // per call in the row's unit: ms per forward, or us per streaming step
      times[who].push((await sample(r[who], n[who])) * (r.unit === 'us' ? 1000 : 1) / r.perCall);
    }
  }
  r.result = Object.fromEntries(Object.entries(times).map(([who, t]) => [who, stats(t)]));
}

// ---- report ----------------------------------------------------------------------------

const date = new Date().toISOString();
const machine = `${os.cpus()[0].model}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`;
await mkdir(path('./results'), { recursive: true });
await writeFile(path(`./results/layers-${date.replace(/[:.]/g, '-')}.json`), JSON.stringify({
  date, machine, node: process.version, ort: ortVersion, simd: backend.simd, samples: SAMPLES, quick: options.quick, threads: THREADS,
  build: describeCheckout(path('..')),
  against: other && { dir: other.dir, build: other.label, simd: other.backend.simd },
  rows: rows.map((r) => ({ layer: r.layer, what: r.what, D: r.D, H: r.H, unit: r.unit, maxAbsDiff: r.diff,
    ...(other && { againstMaxAbsDiff: r.oldDiff, thisVsAgainstMaxAbsDiff: r.abDiff, pairedRatio: pairedRatio(r.result.ours.samples, r.result.old.samples) }),
    ...r.result })),
}, null, 1));

const f = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mmm = (s) => `${f(s.min)} / **${f(s.median)}** / ${f(s.max)}`;
console.log('\n## simd-rnn layers vs onnxruntime-web, inference\n');
console.log(`- machine: ${machine}`);
console.log(`- Node ${process.version}; date ${date}`);
console.log(`- simd-rnn build: ${backend.simd} (${describeCheckout(path('..'))}); onnxruntime-web ${ortVersion} (wasm backend, numThreads = 1, simd)`);
if (other) console.log(`- against: ${other.label} (${other.backend.simd}), in ${other.dir}`);
console.log(`- ${SAMPLES} alternating samples of >= ${SAMPLE_MS} ms per contender${options.quick ? ' (--quick)' : ''}; forward rows in ms per call, ` +
  `stream rows in us per step (${STEPS} steps per call); ratio = ORT median / ours median (> 1: ours faster)` +
  (other ? '; new/old = this build\'s median / the --against build\'s (< 1: this build faster), paired = median over samples of new / old in the same sample' : '') + '\n');
if (other) {
  console.log('| layer | workload | D | H | unit | simd-rnn min / median / max | --against min / median / max | new/old | paired | onnxruntime-web min / median / max | ratio | max abs diff | new vs old diff |');
  console.log('|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
} else {
  console.log('| layer | workload | D | H | unit | simd-rnn min / median / max | onnxruntime-web min / median / max | ratio | max abs diff |');
  console.log('|---|---|---:|---:|---|---:|---:|---:|---:|');
}
for (const r of rows) {
  const { ours, old, ort: peer } = r.result;
  const ab = other ? ` ${mmm(old)} | ${(ours.median / old.median).toFixed(3)} | ${pairedRatio(ours.samples, old.samples).toFixed(3)} |` : '';
  console.log(`| ${r.layer} | ${r.what} | ${r.D} | ${r.H} | ${r.unit} | ${mmm(ours)} |${ab} ${mmm(peer)} | ` +
    `${(peer.median / ours.median).toFixed(2)} | ${r.diff.toExponential(1)} |${other ? ` ${r.abDiff.toExponential(1)} |` : ''}`);
}

if (THREADS > 1) {
  // The goals of the threads work on a 2-core machine: B = 16 rows 1.7x, B = 1 rows with H >= 256 1.3x.
  const goal = (r) => (r.what.includes('B=16') ? 1.7 : r.what.includes('B=1') && !r.what.includes('stream') && r.H >= 256 ? 1.3 : null);
  console.log(`\n## simd-rnn on ${THREADS} threads against one thread (same backend, samples alternating)\n`);
  console.log(`- speed-up = one thread's median / ${THREADS} threads' median; paired = median over samples of the same ratio within a sample\n`);
  console.log(`| layer | workload | D | H | unit | 1 thread min / median / max | ${THREADS} threads min / median / max | speed-up | paired | goal |`);
  console.log('|---|---|---:|---:|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const { ours, par } = r.result, t = threadsRow(ours, par), g = goal(r);
    console.log(`| ${r.layer} | ${r.what} | ${r.D} | ${r.H} | ${r.unit} | ${mmm(ours)} | ${mmm(par)} | ${t.speedup.toFixed(2)} | ${t.paired.toFixed(2)} | ` +
      `${g ? `${g} (${t.speedup >= g ? 'met' : 'missed'})` : ''} |`);
  }
}
