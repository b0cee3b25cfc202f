// One training step of LSTM -> Linear with cross-entropy and SGD, against TensorFlow.js on its
// WASM backend (one thread, SIMD) in the same run, on the same weights and data.
//
//   npm run bench:training   (builds first; Node 20 needs --experimental-wasm-relaxed-simd)
//   node --experimental-wasm-relaxed-simd bench/training.bench.js [--quick] [--against DIR]
//
// --against DIR adds a column for the build in DIR (another checkout of simd-rnn with its own
// built dist/ and wasm/, such as the previous main): the same model loaded with our initial
// weights, the same data, verified against tfjs like ours, timed in the same interleaved
// samples, ratio this build / that one. --quick: fewer samples, shorter warm-up. --threads N:
// also ours on N threads (the same model; 1 and N threads alternate sample by sample, and the
// parameters after a step on each must agree bit for bit), against the goal of 1.5x.
//
// The step: LSTM (D = 64, H = 128, one layer) over T = 64, B = 16, then Linear(128 -> 64
// classes) at every time step, cross-entropy averaged over the T * B rows, backward, SGD(lr 0.1).
// ours:  zeroGrad, Sequential.forward({ train: true }), crossEntropy, backward, SGD.step
// tfjs:  tf.sequential([tf.layers.lstm({ returnSequences: true }), tf.layers.dense]),
//        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(oneHot, model.apply(x))) with
//        tf.train.sgd, the usual custom training loop of tfjs.
// Both return the step's loss as a number, so both steps are finished when the call returns.
//
// @tensorflow/tfjs (the umbrella: its Node bundle registers the gradients and the chained ops
// that tfjs-layers needs, which @tensorflow/tfjs-core's alone does not) and
// @tensorflow/tfjs-backend-wasm are dependencies of bench/peers only; installed there with
// `npm ci` when they are missing. The .wasm files are read from bench/peers/node_modules (no network).
//
// Verified before timing: tfjs gets our initial weights; the first step's losses must agree
// within TOL (relative) and the parameters after that one SGD step within TOL (absolute) and
// within UPDATE_TOL of the step's own update, else the run exits 1 (with --against, the same for
// the other build). Timing: each contender warms up, then SAMPLES samples alternate between ours
// (and the other build, the two swapping places every sample) and tfjs; a sample is a loop of
// steps filling at least SAMPLE_MS; min / median / max per step.
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { LSTM, Linear, SGD, Sequential, crossEntropy, init } from '../dist/node.js';
import { Random } from '../dist/random.js';
import { benchOptions, describeCheckout, loadBuild, onThreads, pairedRatio, sampleOrder, threadsRow } from './against.js';

const options = benchOptions();

const [T, B, D, H, C] = [64, 16, 64, 128, 64];
const LR = 0.1;
const TOL = 1e-4;
const UPDATE_TOL = 1e-2; // parameter diff after one step, relative to that step's largest update
const SAMPLES = options.quick ? 5 : 15;
const SAMPLE_MS = options.quick ? 50 : 100;
const WARMUP_MS = options.quick ? 500 : 2000; // per contender: V8 tiers up both wasm modules before timing
const GOAL_MS = 25; // ours, median per step (aim: ~16 ms, PyTorch's CPU step on this machine)

const path = (p) => fileURLToPath(new URL(p, import.meta.url));

// ---- peer: TensorFlow.js, wasm backend, one thread ---------------------------------------

// (tfjs itself is checked: a node_modules installed before tfjs joined bench/peers lacks it)
if (!existsSync(path('./peers/node_modules/@tensorflow/tfjs-backend-wasm'))) {
  console.error('installing bench/peers (npm ci)');
  execSync('npm ci --no-audit --no-fund --ignore-scripts', { cwd: path('./peers'), stdio: ['ignore', 2, 2], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } }); // off the table's stdout
}
const requirePeer = createRequire(path('./peers/package.json'));
const tf = requirePeer('@tensorflow/tfjs'); // core + layers, with the gradients and chained ops
const tfWasm = requirePeer('@tensorflow/tfjs-backend-wasm');
tfWasm.setWasmPaths(path('./peers/node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
tfWasm.setThreadsCount(1);
if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialise');
const tfInfo = {
  version: tf.version.tfjs, wasm: tfWasm.version_wasm,
  simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), // picks tfjs-backend-wasm-simd.wasm
  threads: tfWasm.getThreadsCount(),
};

// ---- data (seeded: the same every run) ---------------------------------------------------

const generator = new Random(0x2545f491);
const x = new Float32Array(T * B * D); // [T, B, D], ours
for (let i = 0; i < x.length; i++) x[i] = 2 * generator.nextUnit() - 1;
const targets = Int32Array.from({ length: T * B }, () => Math.floor(generator.nextUnit() * C)); // [T, B]

// ---- ours --------------------------------------------------------------------------------

const input = { data: x, shape: [T, B, D] };

/** The model, its optimizer and one training step, built with the API of a build of simd-rnn. */
function trainer(api) {
  const model = new api.Sequential([
    new api.LSTM({ inputSize: D, hiddenSize: H, seed: 1 }),
    new api.Linear({ inFeatures: H, outFeatures: C, seed: 1 }),
  ]);
  const opt = new api.SGD(model, { lr: LR });
  return {
    model,
    step() {
      model.zeroGrad();
      const logits = model.forward(input, { train: true });
      const { loss, grad } = api.crossEntropy(logits, targets);
      model.backward(grad, { inputGrad: false }); // x is data: no gradient wanted, as in fit
      opt.step();
      return loss;
    },
  };
}

const THREADS = options.threads;
const backend = await init(THREADS > 1 ? { threads: THREADS } : undefined);
if (backend.threads !== THREADS) {
  console.error(`asked for ${THREADS} threads, runs ${backend.threads}`);
  process.exit(2);
}
const { model, step: oursStep } = trainer({ LSTM, Linear, SGD, Sequential, crossEntropy });
const initial = model.stateDict();

// ---- the other build (--against): its own wasm instance, our initial weights ------------

const other = options.against ? await loadBuild(options.against, backend.simd, path('..')) : null;
const old = other && trainer(other.api);
old?.model.loadStateDict(initial);

// ---- tfjs: same weights, batch-major data ------------------------------------------------

/** [rows, cols] row-major -> [cols, rows]. */
function transpose(a, rows, cols) {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

const tfModel = tf.sequential({
  layers: [
    // Initializers 'zeros': setWeights below replaces them (the default orthogonal one is slow).
    tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, D],
      kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
    tf.layers.dense({ units: C }),
  ],
});
// PyTorch layout -> Keras: kernels transposed (gate order i, f, g|c, o is the same), one LSTM bias.
const lstmBias = initial['0.bias_ih_l0'].data.map((v, i) => v + initial['0.bias_hh_l0'].data[i]);
tfModel.setWeights([
  tf.tensor(transpose(initial['0.weight_ih_l0'].data, 4 * H, D), [D, 4 * H]),
  tf.tensor(transpose(initial['0.weight_hh_l0'].data, 4 * H, H), [H, 4 * H]),
  tf.tensor(lstmBias, [4 * H]),
  tf.tensor(transpose(initial['1.weight'].data, C, H), [H, C]),
  tf.tensor(initial['1.bias'].data, [C]),
]);
// [T, B, *] -> [B, T, *], once, outside the timed step.
const xTf = tf.tidy(() => tf.tensor(x, [T, B, D]).transpose([1, 0, 2]));
const yTf = tf.tidy(() => tf.oneHot(tf.tensor(targets, [T, B], 'int32').transpose([1, 0]), C).toFloat());
const tfOpt = tf.train.sgd(LR);

function tfStep() {
  const loss = tfOpt.minimize(() => tf.losses.softmaxCrossEntropy(yTf, tfModel.apply(xTf, { training: true })), true);
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

// ---- verify: first loss, then the parameters after that step ----------------------------

function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const loss = { ours: oursStep(), tfjs: tfStep(), ...(old && { old: old.step() }) };
const [kernel, recurrent, bias, dense, denseBias] = tfModel.getWeights().map((w) => w.dataSync());
const tfBiasMove = bias.map((v, i) => v - lstmBias[i]);

/** A build's parameters after its first step (`after`) against tfjs': { name, diff, update } per tensor. */
function compareWithTf(after) {
  // PyTorch's two LSTM biases each take the full gradient g, so their sum moves by -2 lr g where
  // Keras' single bias moves by -lr g: compare the moves, halving ours.
  const biasMove = after['0.bias_ih_l0'].data.map((v, i) => (v + after['0.bias_hh_l0'].data[i] - lstmBias[i]) / 2);
  // Each parameter tensor after the step: ours vs tfjs (max abs diff, limit TOL), and that diff
  // against the size of the update itself (limit UPDATE_TOL), so the check also sees the update.
  const ourMove = (name) => after[name].data.map((v, i) => v - initial[name].data[i]);
  return [
    ['weight_ih_l0', after['0.weight_ih_l0'].data, transpose(kernel, D, 4 * H), ourMove('0.weight_ih_l0')],
    ['weight_hh_l0', after['0.weight_hh_l0'].data, transpose(recurrent, H, 4 * H), ourMove('0.weight_hh_l0')],
    ['LSTM bias (move)', biasMove, tfBiasMove, biasMove],
    ['Linear weight', after['1.weight'].data, transpose(dense, H, C), ourMove('1.weight')],
    ['Linear bias', after['1.bias'].data, denseBias, ourMove('1.bias')],
  ].map(([name, ours, theirs, move]) => ({ name, diff: maxAbsDiff(ours, theirs), update: maxAbsDiff(move, new Float32Array(move.length)) }));
}
const agrees = (lossRel, params) => lossRel <= TOL && params.every((p) => p.diff <= TOL && p.diff <= UPDATE_TOL * p.update);

const lossRel = Math.abs(loss.ours - loss.tfjs) / Math.abs(loss.ours);
const after = model.stateDict();
const params = compareWithTf(after);
const paramDiff = Math.max(...params.map((p) => p.diff));
console.error(`first loss: ours ${loss.ours.toFixed(6)}, tfjs ${loss.tfjs.toFixed(6)}, relative diff ${lossRel.toExponential(2)}`);
for (const p of params) console.error(`after one SGD step, ${p.name}: max abs diff ${p.diff.toExponential(2)} (largest update ${p.update.toExponential(2)})`);
let oldCheck = null;
if (old) {
  const oldAfter = old.model.stateDict(), oldParams = compareWithTf(oldAfter);
  oldCheck = {
    lossRel: Math.abs(loss.old - loss.tfjs) / Math.abs(loss.old), params: oldParams,
    // this build against the other, the same step from the same weights
    abLoss: Math.abs(loss.ours - loss.old),
    abParams: Math.max(...Object.keys(after).map((k) => maxAbsDiff(after[k].data, oldAfter[k].data))),
  };
  console.error(`--against build: first loss ${loss.old.toFixed(6)}, relative diff to tfjs ${oldCheck.lossRel.toExponential(2)}, ` +
    `parameters after one step max abs diff to tfjs ${Math.max(...oldParams.map((p) => p.diff)).toExponential(2)}; ` +
    `this build vs that one: loss ${oldCheck.abLoss.toExponential(2)}, parameters ${oldCheck.abParams.toExponential(2)}`);
}
if (!agrees(lossRel, params) || (oldCheck && !agrees(oldCheck.lossRel, oldCheck.params))) {
  console.error(`simd-rnn${old ? ' (this build or the --against one)' : ''} and tfjs disagree (limits: ${TOL}, and ${UPDATE_TOL} of the update): nothing timed`);
  process.exit(1);
}

// ---- time --------------------------------------------------------------------------------

function sample(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
}

function warmUp(fn) {
  let calls = 0;
  const t0 = performance.now();
  while (calls < 3 || performance.now() - t0 < WARMUP_MS) { fn(); calls++; }
  return Math.max(1, Math.ceil(SAMPLE_MS / ((performance.now() - t0) / calls))); // calls per sample
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[s.length >> 1], max: s[s.length - 1], samples: xs };
};

let par = null;
if (THREADS > 1) {
  // the same step on N threads: from the same parameters, the same parameters after it
  const from = model.stateDict();
  onThreads(backend, 1, oursStep)();
  const one = model.stateDict();
  model.loadStateDict(from);
  onThreads(backend, THREADS, oursStep)();
  const many = model.stateDict();
  for (const k of Object.keys(one)) {
    const a = new Uint32Array(one[k].data.buffer), b = new Uint32Array(many[k].data.buffer);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
      console.error(`FAIL ${k}: a step on ${THREADS} threads differs from one on one thread`);
      process.exit(1);
    }
  }
  console.error(`ok   a step on ${THREADS} threads is bit-identical to one on one thread`);
  par = onThreads(backend, THREADS, oursStep);
}
const steps = { ours: THREADS > 1 ? onThreads(backend, 1, oursStep) : oursStep, ...(old && { old: old.step }), ...(par && { par }), tfjs: tfStep };
const builds = [...(old ? ['ours', 'old'] : ['ours']), ...(par ? ['par'] : [])];
console.error('timing');
const n = {}, times = {};
for (const who of [...builds, 'tfjs']) {
  n[who] = warmUp(steps[who]);
  times[who] = [];
}
const tensorsBefore = tf.memory().numTensors;
for (let s = 0; s < SAMPLES; s++) for (const who of sampleOrder(s, builds, ['tfjs'])) times[who].push(sample(steps[who], n[who]));
if (tf.memory().numTensors !== tensorsBefore) throw new Error('tfjs: tensors leak in the training step');
const result = Object.fromEntries(Object.entries(times).map(([who, t]) => [who, stats(t)]));
const finalLoss = Object.fromEntries(Object.entries(steps).map(([who, step]) => [who, step()])); // all still training: the loss went down

// ---- native PyTorch (CPU, one thread), where Debian's python3-torch is installed ------------
// The same initial weights and data go to bench/peers/torch_step.py; its first loss must agree
// with ours. It runs right after the samples above (a separate process cannot alternate with
// them sample by sample), so its ratio carries more of the machine's drift.
let torchResult = null;
{
  const py = '/usr/bin/python3';
  const hasTorch = existsSync(py) && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (!hasTorch) console.error('note: no python3 with torch (apt-get install python3-torch): native PyTorch skipped');
  else {
    console.error('timing native PyTorch');
    const fresh = new Sequential([new LSTM({ inputSize: D, hiddenSize: H, seed: 1 }), new Linear({ inFeatures: H, outFeatures: C, seed: 1 })]);
    const sd = fresh.stateDict(), weights = {};
    for (const [k, v] of Object.entries(sd)) weights[k.replace(/^0\./, '').replace(/^1\./, 'lin.')] = Array.from(v.data);
    const specFile = path(`./results/torch-step-input.json`);
    await mkdir(path('./results'), { recursive: true });
    await writeFile(specFile, JSON.stringify({ T, B, D, H, C, lr: LR, weights, x: Array.from(input.data), targets: Array.from(targets),
      samples: SAMPLES, sampleMs: SAMPLE_MS, warmupMs: WARMUP_MS }));
    const out = JSON.parse(execFileSync(py, [path('./peers/torch_step.py'), specFile], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } }));
    const ours = (() => { const m = new Sequential([new LSTM({ inputSize: D, hiddenSize: H, seed: 1 }), new Linear({ inFeatures: H, outFeatures: C, seed: 1 })]);
      const { loss } = crossEntropy(m.forward(input, { train: true }), targets); return loss; })();
    if (!(Math.abs(out.firstLoss - ours) <= TOL * Math.abs(ours))) {
      console.error(`native PyTorch's first loss ${out.firstLoss} differs from ours ${ours}: not reported`);
      process.exit(1);
    }
    torchResult = { version: out.torch, ...stats(out.samples) };
  }
}

// ---- report ------------------------------------------------------------------------------

const date = new Date().toISOString();
const machine = `${os.cpus()[0].model}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}`;
await mkdir(path('./results'), { recursive: true });
await writeFile(path(`./results/training-${date.replace(/[:.]/g, '-')}.json`), JSON.stringify({
  date, machine, node: process.version, simd: backend.simd, tfjs: tfInfo, samples: SAMPLES, quick: options.quick, threads: THREADS,
  build: describeCheckout(path('..')),
  against: other && { dir: other.dir, build: other.label, simd: other.backend.simd, check: oldCheck,
    pairedRatio: pairedRatio(result.ours.samples, result.old.samples) },
  workload: { T, B, D, H, C, lr: LR }, firstLoss: loss, lossRelDiff: lossRel, params, finalLoss, ...result,
}, null, 1));

const f = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mmm = (s) => `${f(s.min)} / **${f(s.median)}** / ${f(s.max)}`;
const goal = result.ours.median <= GOAL_MS ? 'met' : 'MISSED';
console.log('\n## simd-rnn vs TensorFlow.js, one training step\n');
console.log(`- machine: ${machine}`);
console.log(`- Node ${process.version}; date ${date}`);
console.log(`- simd-rnn build: ${backend.simd} (${describeCheckout(path('..'))}); @tensorflow/tfjs ${tfInfo.version} + tfjs-backend-wasm ${tfInfo.wasm} ` +
  `(wasm backend, ${tfInfo.threads} thread, SIMD ${tfInfo.simd ? 'on' : 'off'})`);
if (other) {
  console.log(`- against: ${other.label} (${other.backend.simd}), in ${other.dir}; loaded with our initial weights; ` +
    `after one step, this build vs that one: loss diff ${oldCheck.abLoss.toExponential(1)}, parameters max abs diff ${oldCheck.abParams.toExponential(1)}`);
}
console.log(`- step: LSTM(D=${D}, H=${H}) over T=${T}, B=${B} -> Linear(${H} -> ${C}), cross-entropy mean over T*B, ` +
  `backward, SGD(lr ${LR})`);
console.log(`- ${SAMPLES} alternating samples of >= ${SAMPLE_MS} ms per contender${options.quick ? ' (--quick)' : ''}, ms per step; ` +
  `ratio = tfjs median / ours median (> 1: ours faster); ` +
  (other ? 'new/old = this build\'s median / the --against build\'s (< 1: this build faster), paired = median over samples of new / old in the same sample; ' : '') +
  `goal for ours: median <= ${GOAL_MS} ms (${goal})`);
console.log(`- check: first loss ${loss.ours.toFixed(5)} (relative diff ${lossRel.toExponential(1)}), ` +
  `parameters after one step max abs diff ${paramDiff.toExponential(1)}; loss after the timed steps: ` +
  `ours ${finalLoss.ours.toFixed(3)}, ${old ? `--against ${finalLoss.old.toFixed(3)}, ` : ''}tfjs ${finalLoss.tfjs.toFixed(3)}\n`);
const workload = `LSTM ${D}->${H} T=${T} B=${B} + Linear ${H}->${C}, CE, SGD`;
if (old) {
  console.log('| workload | simd-rnn min / median / max | --against min / median / max | new/old | paired | tfjs-wasm min / median / max | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${workload} | ${mmm(result.ours)} | ${mmm(result.old)} | ${(result.ours.median / result.old.median).toFixed(3)} | ` +
    `${pairedRatio(result.ours.samples, result.old.samples).toFixed(3)} | ` +
    `${mmm(result.tfjs)} | ${(result.tfjs.median / result.ours.median).toFixed(1)} |`);
} else {
  console.log('| workload | simd-rnn min / median / max | tfjs-wasm min / median / max | ratio |');
  console.log('|---|---:|---:|---:|');
  console.log(`| ${workload} | ${mmm(result.ours)} | ${mmm(result.tfjs)} | ${(result.tfjs.median / result.ours.median).toFixed(1)} |`);
}
if (torchResult) {
  console.log(`\nNative PyTorch ${torchResult.version} (CPU, one thread, run right after the samples above, same weights, first loss checked): ` +
    `${mmm(torchResult)} ms per step; ours / PyTorch = ${(result.ours.median / torchResult.median).toFixed(2)}`);
}
if (par) {
  const t = threadsRow(result.ours, result.par);
  console.log(`\nsimd-rnn on ${THREADS} threads (same model, samples alternating with one thread): ${mmm(result.par)} ms per step; ` +
    `speed-up ${t.speedup.toFixed(2)} (paired ${t.paired.toFixed(2)}); goal 1.5 (${t.speedup >= 1.5 ? 'met' : 'missed'})`);
}
