/**
 * `simd-rnn bench`: how fast the layers run on this machine, through the public API. Rows:
 * LSTM and GRU forward over T steps at B = 1 and B = 16 for a few (D, H); a streaming step
 * (stream(1).step, B = 1); a training step (LSTM -> Linear, cross-entropy at every step,
 * backward, gradient clipping, Adam) over T = 64, B = 16.
 *
 * Every row is checked before it is timed: outputs finite, row 0 of the B = 16 forward equal to
 * the B = 1 forward of the same sequence, streamed steps equal to forward's outputs, and a few
 * training steps lowering the loss on a fixed batch; a failed check exits 1. Timing: a warm-up
 * (V8 tiers up the wasm), then SAMPLES samples, each a loop of calls filling at least
 * SAMPLE_MS; min / median / max per call. For comparisons with onnxruntime-web, TensorFlow.js
 * and PyTorch see the repository's bench/ folder.
 */
import os from 'node:os';
import { Adam, GRU, LSTM, Linear, Random, Sequential, clipGradNorm, crossEntropy, type Backend, type RecurrentLayer, type Tensor } from '../node.js';
import { CliFailure, type CommandSpec, type OptionValues } from './args.js';
import { SIMD_OPTION, start } from './common.js';

export const BENCH: CommandSpec = {
  name: 'bench',
  summary: 'Times LSTM and GRU forward, streaming and training steps on this machine (results checked before timing).',
  options: [
    { name: 'quick', type: 'flag', help: 'a few seconds: one size, fewer samples (default: under a minute)' },
    SIMD_OPTION,
  ],
};

interface Timing { min: number; median: number; max: number }

function time(fn: () => void, samples: number, sampleMs: number, warmupMs: number): Timing {
  for (const end = performance.now() + warmupMs; performance.now() < end;) fn();
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    let calls = 0;
    const t0 = performance.now();
    do { fn(); calls++; } while (performance.now() - t0 < sampleMs);
    per.push((performance.now() - t0) / calls);
  }
  per.sort((a, b) => a - b);
  return { min: per[0], median: per[Math.floor(per.length / 2)], max: per[per.length - 1] };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new CliFailure(`bench: check failed before timing: ${what}`);
}

const finite = (a: Float32Array) => a.every(Number.isFinite);
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const TOL = 1e-5;

/** "1.23 / 1.45 / 2.01 ms", in ms or µs as suits the median. */
function fmt(t: Timing): string {
  const us = t.median < 0.1, f = (v: number) => { const x = us ? v * 1000 : v; return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); };
  return `${f(t.min)} / ${f(t.median)} / ${f(t.max)} ${us ? 'µs' : 'ms'}`;
}

export async function bench(o: OptionValues): Promise<void> {
  const quick = Boolean(o.quick);
  const backend: Backend = await start(o.simd);
  const T = quick ? 32 : 128, sizes = quick ? [[64, 128]] : [[64, 128], [128, 256], [256, 512]];
  const [samples, sampleMs, warmupMs] = quick ? [5, 20, 150] : [9, 40, 400];
  const random = new Random(0x2545f491);
  const uniform = (n: number) => Float32Array.from({ length: n }, () => 2 * random.nextUnit() - 1);
  const cpus = os.cpus();
  console.log(`simd-rnn bench${quick ? ' --quick' : ''}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  console.log(`machine: ${cpus[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus.length} logical cores, ${os.platform()} ${os.arch()}; Node ${process.version}; ${backend.simd} SIMD build; one thread`);
  console.log('');
  const rows: string[][] = [['workload', 'D', 'H', 'min / median / max', 'throughput']];
  const add = (name: string, D: number, H: number, t: Timing, work: string) => {
    rows.push([name, String(D), String(H), fmt(t), work]);
    if (!quick) process.stderr.write('.');
  };
  const perSecond = (items: number, ms: number, unit: string) => { const r = (items / ms) * 1000; return `${r >= 1e6 ? (r / 1e6).toFixed(2) + ' M' : (r / 1e3).toFixed(1) + ' k'} ${unit}/s`; };

  for (const [name, make] of [['LSTM', LSTM], ['GRU', GRU]] as const) {
    for (const [D, H] of sizes) {
      const layer: RecurrentLayer = new make({ inputSize: D, hiddenSize: H, seed: 1 });
      const x1: Tensor = { data: uniform(T * D), shape: [T, 1, D] };
      const x16: Tensor = { data: uniform(T * 16 * D), shape: [T, 16, D] };
      for (let t = 0; t < T; t++) x16.data.set(x1.data.subarray(t * D, (t + 1) * D), t * 16 * D); // row 0 = x1
      const y1 = layer.forward(x1).output, y16 = layer.forward(x16).output;
      check(finite(y1.data) && finite(y16.data), `${name} D=${D} H=${H}: forward gives a non-finite value`);
      const row0 = new Float32Array(T * H);
      for (let t = 0; t < T; t++) row0.set(y16.data.subarray(t * 16 * H, t * 16 * H + H), t * H);
      check(maxDiff(row0, y1.data) <= TOL, `${name} D=${D} H=${H}: batch row 0 differs from the same sequence alone by ${maxDiff(row0, y1.data)}`);
      const t1 = time(() => layer.forward(x1), samples, sampleMs, warmupMs);
      add(`${name} forward T=${T} B=1`, D, H, t1, perSecond(T, t1.median, 'tokens'));
      const t16 = time(() => layer.forward(x16), samples, sampleMs, warmupMs);
      add(`${name} forward T=${T} B=16`, D, H, t16, perSecond(T * 16, t16.median, 'tokens'));
      if (D === sizes[0][0]) {
        const stream = layer.stream(1);
        for (let t = 0; t < T; t++) {
          const h = stream.step(x1.data.subarray(t * D, (t + 1) * D));
          check(maxDiff(h.data, y1.data.subarray(t * H, (t + 1) * H)) <= TOL, `${name}: streamed step ${t} differs from forward`);
        }
        let t = 0;
        const ts = time(() => { stream.step(x1.data.subarray(t * D, (t + 1) * D)); t = (t + 1) % T; }, samples, sampleMs, warmupMs);
        add(`${name} stream step B=1`, D, H, ts, perSecond(1, ts.median, 'steps'));
        stream.dispose();
      }
      layer.dispose();
    }
  }

  // a training step, as a user writes it
  const [TT, B, D, H, C] = [64, 16, 64, 128, 64];
  const model = new Sequential([new LSTM({ inputSize: D, hiddenSize: H, seed: 2 }), new Linear({ inFeatures: H, outFeatures: C, seed: 3 })]);
  const optimizer = new Adam(model, { lr: 1e-3 });
  const x: Tensor = { data: uniform(TT * B * D), shape: [TT, B, D] };
  const targets = Int32Array.from({ length: TT * B }, () => Math.floor(random.nextUnit() * C));
  const step = () => {
    model.zeroGrad();
    const { loss, grad } = crossEntropy(model.forward(x, { train: true }), targets);
    model.backward(grad, { inputGrad: false });
    clipGradNorm(model, 1);
    optimizer.step();
    return loss;
  };
  const first = step();
  let last = first;
  for (let i = 0; i < 5; i++) last = step();
  check(Number.isFinite(first) && Number.isFinite(last) && last < first, `training step: the loss went from ${first} to ${last} in 5 steps on a fixed batch`);
  const ts = time(step, samples, sampleMs * 2, warmupMs * 2);
  add(`LSTM+Linear train step T=${TT} B=${B}`, D, H, ts, perSecond(TT * B, ts.median, 'tokens'));
  optimizer.dispose();
  model.layers.forEach((l) => l.dispose());
  if (!quick) process.stderr.write('\n');

  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 1 || j === 2 || j === 4 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(`\nTime per call: min / median / max of ${samples} samples after a warm-up. Throughput at the median: tokens are`);
  console.log('inputs (time steps x batch rows); a stream step is one time step of one sequence.');
}
