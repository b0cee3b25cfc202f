// LSTM and GRU inference through the public API, against onnxruntime-web (WASM backend, SIMD,
// one thread and two threads) and native onnxruntime-node (CPU, one thread) in the same run,
// on the same weights and inputs.
//
//   npm run bench:layers     (builds first; Node 20 needs --experimental-wasm-relaxed-simd)
//   node --experimental-wasm-relaxed-simd bench/layers.bench.js [--quick] [--against DIR]
//                                                              [--only TEXT] [--peers LIST]
//
// --against DIR adds a column for the build in DIR (another checkout of simd-rnn with its own
// built dist/ and wasm/, such as the previous main): same weights, same inputs, verified
// against ORT like ours, timed in the same interleaved samples, ratio this build / that one.
// --quick takes fewer samples with a shorter warm-up; --only and --peers pick rows and peers
// (see bench/against.js). --threads N adds a column for ours on N threads (the same layers; 1
// and N threads alternate sample by sample) and a table of the speed-ups against the goals of
// the threads work.
//
// Rows: T = 128, B in {1, 16}, (D, H) in {(64, 128), (128, 256), (256, 512)}, for forward()
// over the whole sequence; plus a streaming step at B = 1, D = 64, H = 128 (ours: stream(1).step;
// ORT: a T = 1 run per step carrying h and c between calls).
//
// Peers: `web` onnxruntime-web with numThreads = 1 (this thread), `web2` onnxruntime-web with
// numThreads = 2 (in a child process, ort-web-worker.js: the thread count is fixed per
// process), `node` onnxruntime-node, native, intraOpNumThreads = interOpNumThreads = 1.
//
// Models and weights come from bench/peers/models (made by bench/peers/make_models.py with
// PyTorch; see bench/README.md). The peers are dependencies of bench/peers only; they are
// installed there when missing.
//
// Every row is verified before anything is timed: our output and each peer's on the same input
// must agree within TOL (max abs diff), else the run exits 1 (with --against, the other build's
// too). Timing: each contender warms up, then SAMPLES samples alternate between ours (and the
// other build, the two swapping places every sample) and the peers; a sample is a loop of calls
// filling at least SAMPLE_MS, and we report min / median / max per call over the samples.
import { execSync, fork } from 'node:child_process';
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
const PEERS = [
  { who: 'web', title: 'onnxruntime-web 1 thread' },
  { who: 'web2', title: 'onnxruntime-web 2 threads' },
  { who: 'node', title: 'onnxruntime-node (native, 1 thread)' },
].filter((p) => !options.peers || options.peers.includes(p.who));
const has = (who) => PEERS.some((p) => p.who === who);

const path = (p) => fileURLToPath(new URL(p, import.meta.url));
const MODELS = path('./peers/models');

// ---- peers -----------------------------------------------------------------------------

if (!existsSync(path('./peers/node_modules/onnxruntime-node'))) {
  // onnxruntime-node ships its Linux, macOS and Windows CPU binaries in the npm package; its
  // install script only fetches optional GPU ones, so it is skipped
  console.error('installing bench/peers (npm ci)');
  execSync('npm ci --no-audit --no-fund --ignore-scripts', { cwd: path('./peers'), stdio: ['ignore', 2, 2], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } }); // off the table's stdout
}
const requirePeer = createRequire(path('./peers/package.json'));
const ort = requirePeer('onnxruntime-web');
const ortVersion = ort.env.versions.web;
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
ort.env.logLevel = 'error';
const ortNode = has('node') ? requirePeer('onnxruntime-node') : null;

/** The two-thread onnxruntime-web in its own process: rpc(message) resolves with the reply. */
function startWorker() {
  const child = fork(path('./ort-web-worker.js'), [], { serialization: 'advanced', stdio: ['ignore', 2, 2, 'ipc'] });
  const waiting = [];
  child.on('message', (m) => {
    const p = waiting.shift();
    if (m.error) p.reject(new Error(`ort-web-worker: ${m.error}`)); else p.resolve(m.reply);
  });
  child.on('exit', (code) => { for (const p of waiting.splice(0)) p.reject(new Error(`ort-web-worker exited (${code})`)); });
  const rpc = (m) => new Promise((resolve, reject) => { waiting.push({ resolve, reject }); child.send(m); });
  return { rpc, stop: () => child.kill() };
}
const web2 = has('web2') ? startWorker() : null;

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
// from the file, so the native runtime finds the external data beside it
const nativeSession = (file) => ortNode.InferenceSession.create(`${MODELS}/${file}`, {
  intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
});

function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max abs diff of a forward result of ours (output, h, c) against an ORT's outputs. */
const diffOrt = (a, b) => Math.max(maxAbsDiff(a.output.data, b.output.data), maxAbsDiff(a.h.data, b.h_n.data),
  a.c ? maxAbsDiff(a.c.data, b.c_n.data) : 0);
/** Max abs diff of two forward results of ours (this build and the other). */
const diffOurs = (a, b) => Math.max(maxAbsDiff(a.output.data, b.output.data), maxAbsDiff(a.h.data, b.h.data),
  a.c ? maxAbsDiff(a.c.data, b.c.data) : 0);

// ---- rows: { layer, what, D, H, unit, perCall, run: { who: fn } , check() } ----------------
// run[who](calls) times `calls` calls and resolves with ms per call (who: ours, old, web, web2,
// node). check() resolves with max abs diffs: { web, web2, node } of ours against each peer,
// old (the other build against web), ab (ours against the other build).

/** Times `calls` calls of fn (sync or async), in ms per call. */
const timer = (fn) => async (calls) => {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - t0) / calls;
};

const THREADS = options.threads;
const backend = await init(THREADS > 1 ? { threads: THREADS } : undefined);
if (backend.threads !== THREADS) {
  console.error(`asked for ${THREADS} threads, runs ${backend.threads}`);
  process.exit(2);
}
const other = options.against ? await loadBuild(options.against, backend.simd, path('..')) : null;
const label = (r) => `${r.layer} ${r.what} D=${r.D} H=${r.H}`;
const wanted = (r) => options.only.length === 0 || options.only.some((t) => label(r).toLowerCase().includes(t));
const rows = [];
let sessionId = 0;
for (const mode of ['lstm', 'gru']) {
  for (const [D, H] of SIZES) {
    const base = `${mode}_d${D}_h${H}`;
    const { dict, bin } = loadWeights(base);
    const spec = { inputSize: D, hiddenSize: H, seed: 1 };
    const layer = new (mode === 'lstm' ? LSTM : GRU)(spec);
    layer.loadStateDict(dict);
    const oldLayer = other && new (mode === 'lstm' ? other.api.LSTM : other.api.GRU)(spec);
    oldLayer?.loadStateDict(dict);
    const peers = {};
    const sessions = async (file) => {
      const id = ++sessionId;
      if (web2) await web2.rpc({ op: 'session', id, file, bin: bin.path, threads: 2 });
      return { id, web: has('web') ? await session(file, bin) : null, node: ortNode ? await nativeSession(file) : null };
    };
    for (const B of BATCHES) {
      const x = { data: uniform(T * B * D), shape: [T, B, D] };
      const row = { layer: mode.toUpperCase(), what: `T=${T} B=${B}`, D, H, unit: 'ms', perCall: 1 };
      if (!wanted(row)) continue;
      peers.forward ??= await sessions(`${base}.onnx`);
      rows.push(forwardRow(row, layer, oldLayer, peers.forward, x));
    }
    if (D === STEP_SIZE[0] && H === STEP_SIZE[1]) {
      const row = { layer: mode.toUpperCase(), what: 'stream step B=1', D, H, unit: 'us', perCall: STEPS };
      if (wanted(row)) rows.push(streamRow(row, mode, layer, oldLayer, await sessions(`${base}_step.onnx`)));
    }
  }
}

function forwardRow(row, layer, oldLayer, s, x) {
  const key = `${label(row)}`;
  const feeds = s.web && { x: new ort.Tensor('float32', x.data, x.shape) };
  const nativeFeeds = s.node && { x: new ortNode.Tensor('float32', x.data, x.shape) };
  const oursCall = () => layer.forward(x);
  const run = { ours: timer(oursCall) };
  if (oldLayer) run.old = timer(() => oldLayer.forward(x));
  if (s.web) run.web = timer(() => s.web.run(feeds));
  if (s.node) run.node = timer(() => s.node.run(nativeFeeds));
  if (web2) run.web2 = (calls) => web2.rpc({ op: 'time', key, calls }).then((r) => r.ms);
  return {
    ...row, run, oursCall, bits: () => layer.forward(x).output.data,
    async check() {
      if (web2) await web2.rpc({ op: 'forward', id: s.id, key, x: x.data, shape: x.shape });
      const a = layer.forward(x), d = {};
      if (s.web) d.web = diffOrt(a, await s.web.run(feeds));
      if (s.node) d.node = diffOrt(a, await s.node.run(nativeFeeds));
      if (web2) d.web2 = diffOrt(a, (await web2.rpc({ op: 'check', key })).outputs);
      if (oldLayer) {
        const c = oldLayer.forward(x);
        d.ab = diffOurs(a, c);
        if (s.web) d.old = diffOrt(c, await s.web.run(feeds));
      }
      return d;
    },
  };
}

function streamRow(row, mode, layer, oldLayer, s) {
  const lstm = mode === 'lstm', { D, H } = row, key = label(row);
  const inputs = Array.from({ length: STEPS }, () => uniform(D));
  /** A peer stepping through `inputs` with T = 1 runs, carrying h (and c) between calls. */
  function peerStream(lib, sess) {
    const xs = inputs.map((v) => new lib.Tensor('float32', v, [1, 1, D]));
    const zero = () => new lib.Tensor('float32', new Float32Array(H), [1, 1, H]);
    let feeds;
    const reset = () => { feeds = { x: null, h0: zero(), ...(lstm && { c0: zero() }) }; };
    reset();
    return {
      reset,
      async step(i) {
        feeds.x = xs[i];
        const out = await sess.run(feeds);
        feeds.h0 = out.h_n;
        if (lstm) feeds.c0 = out.c_n;
        return out.h_n.data;
      },
    };
  }
  const web = s.web && peerStream(ort, s.web), native = s.node && peerStream(ortNode, s.node);
  const stream = layer.stream(1), oldStream = oldLayer?.stream(1);
  const loop = (step) => timer(async () => { for (let i = 0; i < STEPS; i++) await step(i); });
  const oursCall = () => { for (let i = 0; i < STEPS; i++) stream.step(inputs[i]); };
  const run = { ours: timer(oursCall) };
  if (oldStream) run.old = timer(() => { for (let i = 0; i < STEPS; i++) oldStream.step(inputs[i]); });
  if (web) run.web = loop(web.step);
  if (native) run.node = loop(native.step);
  if (web2) run.web2 = (calls) => web2.rpc({ op: 'time', key, calls }).then((r) => r.ms);
  return {
    ...row, run, oursCall,
    async check() { // all from zero state, every step compared
      const steps = 64, d = { ...(web && { web: 0 }), ...(native && { node: 0 }), ...(web2 && { web2: 0 }), ...(oldStream && { ab: 0 }) };
      const ours = [];
      for (let i = 0; i < steps; i++) ours.push(Float32Array.from(stream.step(inputs[i]).data));
      const webHs = [];
      if (web) for (let i = 0; i < steps; i++) webHs.push(Float32Array.from(await web.step(i)));
      if (native) for (let i = 0; i < steps; i++) d.node = Math.max(d.node, maxAbsDiff(ours[i], await native.step(i)));
      if (web2) {
        await web2.rpc({ op: 'stream', id: s.id, key, inputs, D, H, lstm });
        const { hs } = (await web2.rpc({ op: 'check', key, steps })).outputs;
        for (let i = 0; i < steps; i++) d.web2 = Math.max(d.web2, maxAbsDiff(ours[i], hs[i]));
      }
      for (let i = 0; i < steps && web; i++) d.web = Math.max(d.web, maxAbsDiff(ours[i], webHs[i]));
      if (oldStream) {
        if (web) d.old = 0;
        for (let i = 0; i < steps; i++) {
          const c = oldStream.step(inputs[i]).data;
          d.ab = Math.max(d.ab, maxAbsDiff(ours[i], c));
          if (web) d.old = Math.max(d.old, maxAbsDiff(c, webHs[i]));
        }
      }
      web?.reset(); native?.reset();
      return d;
    },
  };
}

// ---- verify everything, then time ------------------------------------------------------

const fmt = (v) => (v === undefined ? '-' : v.toExponential(2));
if (THREADS > 1) {
  // ours on one thread and on N, the same layer; forward rows must agree bit for bit
  for (const r of rows) {
    r.run.ours = timer(onThreads(backend, 1, r.oursCall));
    r.run.par = timer(onThreads(backend, THREADS, r.oursCall));
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

let failed = false;
for (const r of rows) {
  const d = await r.check();
  r.diff = d;
  const checked = ['web', 'web2', 'node', 'old'].filter((w) => d[w] !== undefined);
  const ok = checked.every((w) => d[w] <= TOL);
  failed ||= !ok;
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${label(r)}: max abs diff vs onnxruntime-web ${fmt(d.web)}, 2 threads ${fmt(d.web2)}, native ${fmt(d.node)}` +
    (other ? `; --against build vs onnxruntime-web: ${fmt(d.old)}, this build vs that one: ${fmt(d.ab)}` : ''));
}
if (failed) {
  console.error(`simd-rnn${other ? ' (this build or the --against one)' : ''} and a peer disagree by more than ${TOL}: nothing timed`);
  web2?.stop();
  process.exit(1);
}

/** Warms a contender up; resolves with the calls per sample. */
async function warmUp(run) {
  let calls = 0, ms = 0;
  const t0 = performance.now();
  while (calls < 3 || performance.now() - t0 < WARMUP_MS) { ms += await run(1); calls++; }
  return Math.max(1, Math.ceil(SAMPLE_MS / (ms / calls)));
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[s.length >> 1], max: s[s.length - 1], samples: xs };
};

const builds = [...(other ? ['ours', 'old'] : ['ours']), ...(THREADS > 1 ? ['par'] : [])];
const peerNames = PEERS.map((p) => p.who);
for (const r of rows) {
  console.error(`timing ${label(r)}`);
  const n = {}, times = {};
  for (const who of [...builds, ...peerNames]) {
    n[who] = await warmUp(r.run[who]);
    times[who] = [];
  }
  for (let s = 0; s < SAMPLES; s++) {
    for (const who of sampleOrder(s, builds, peerNames)) {
      // per call in the row's unit: ms per forward, or us per streaming step
      times[who].push((await r.run[who](n[who])) * (r.unit === 'us' ? 1000 : 1) / r.perCall);
    }
  }
  r.result = Object.fromEntries(Object.entries(times).map(([who, t]) => [who, stats(t)]));
}
web2?.stop();

// ---- report ----------------------------------------------------------------------------

const date = new Date().toISOString();
const machine = `${os.cpus()[0].model}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`;
await mkdir(path('./results'), { recursive: true });
await writeFile(path(`./results/layers-${date.replace(/[:.]/g, '-')}.json`), JSON.stringify({
  date, machine, node: process.version, ort: ortVersion, ortNode: ortNode?.env.versions.node, peers: peerNames,
  simd: backend.simd, samples: SAMPLES, quick: options.quick, threads: THREADS,
  build: describeCheckout(path('..')),
  against: other && { dir: other.dir, build: other.label, simd: other.backend.simd },
  rows: rows.map((r) => ({ layer: r.layer, what: r.what, D: r.D, H: r.H, unit: r.unit, maxAbsDiff: r.diff,
    ...(other && { pairedRatio: pairedRatio(r.result.ours.samples, r.result.old.samples) }),
    ...r.result })),
}, null, 1));

const f = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mmm = (s) => `${f(s.min)} / **${f(s.median)}** / ${f(s.max)}`;
console.log('\n## simd-rnn layers vs onnxruntime-web and onnxruntime-node, inference\n');
console.log(`- machine: ${machine}`);
console.log(`- Node ${process.version}; date ${date}`);
console.log(`- simd-rnn build: ${backend.simd} (${describeCheckout(path('..'))}); one thread`);
if (has('web') || has('web2')) console.log(`- onnxruntime-web ${ortVersion}, wasm backend with SIMD: ${PEERS.filter((p) => p.who.startsWith('web')).map((p) => p.title.slice('onnxruntime-web '.length)).join(' and ')}`);
if (ortNode) console.log(`- onnxruntime-node ${ortNode.env.versions.node}, CPU execution provider (native code), intraOpNumThreads = interOpNumThreads = 1`);
if (other) console.log(`- against: ${other.label} (${other.backend.simd}), in ${other.dir}`);
console.log(`- ${SAMPLES} alternating samples of >= ${SAMPLE_MS} ms per contender${options.quick ? ' (--quick)' : ''}; forward rows in ms per call, ` +
  `stream rows in us per step (${STEPS} steps per call); x peer = the peer's median / ours (> 1: ours faster)` +
  (other ? '; new/old = this build\'s median / the --against build\'s (< 1: this build faster), paired = median over samples of new / old in the same sample' : '') + '\n');
const head = ['layer', 'workload', 'D', 'H', 'unit', 'simd-rnn min / median / max'];
const align = ['---', '---', '---:', '---:', '---', '---:'];
if (other) { head.push('--against min / median / max', 'new/old', 'paired'); align.push('---:', '---:', '---:'); }
for (const p of PEERS) { head.push(`${p.title} min / median / max`, `x ${p.who}`); align.push('---:', '---:'); }
head.push('max abs diff'); align.push('---:');
if (other) { head.push('new vs old diff'); align.push('---:'); }
console.log(`| ${head.join(' | ')} |`);
console.log(`|${align.join('|')}|`);
for (const r of rows) {
  const { ours, old } = r.result;
  const cells = [r.layer, r.what, r.D, r.H, r.unit, mmm(ours)];
  if (other) cells.push(mmm(old), (ours.median / old.median).toFixed(3), pairedRatio(ours.samples, old.samples).toFixed(3));
  for (const p of PEERS) cells.push(mmm(r.result[p.who]), (r.result[p.who].median / ours.median).toFixed(2));
  cells.push(PEERS.length ? Math.max(...PEERS.map((p) => r.diff[p.who] ?? 0)).toExponential(1) : '-');
  if (other) cells.push(r.diff.ab.toExponential(1));
  console.log(`| ${cells.join(' | ')} |`);
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
