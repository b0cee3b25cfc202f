/**
 * The in-page benchmark: a few of `simd-rnn bench --quick`'s rows (LSTM and GRU forward, a
 * streaming step, an LSTM + Linear training step with clipping and Adam). Every row is checked
 * before it is timed (finite outputs; the stream equal to forward; the training loss falling on
 * a fixed batch). Timing: a warm-up, then SAMPLES samples of at least SAMPLE_MS each; min,
 * median and max per call.
 */
import { Adam, GRU, LSTM, Linear, Random, Sequential, clipGradNorm, crossEntropy, type Backend, type Tensor } from 'simd-rnn';
import type { BenchRow } from './protocol.js';

const SAMPLES = 5, SAMPLE_MS = 40, WARMUP_MS = 120;

function time(fn: () => void): { min: number; median: number; max: number } {
  for (const end = performance.now() + WARMUP_MS; performance.now() < end;) fn();
  const per: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    let calls = 0;
    const t0 = performance.now();
    do { fn(); calls++; } while (performance.now() - t0 < SAMPLE_MS);
    per.push((performance.now() - t0) / calls);
  }
  per.sort((a, b) => a - b);
  return { min: per[0], median: per[Math.floor(per.length / 2)], max: per[per.length - 1] };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`check failed before timing: ${what}`);
}

const rate = (items: number, ms: number, unit: string) => {
  const r = (items / ms) * 1000;
  return `${r >= 1e6 ? (r / 1e6).toFixed(2) + ' M' : r >= 1e3 ? (r / 1e3).toFixed(1) + ' k' : r.toFixed(0) + ' '}${unit}/s`;
};

/** Runs the rows in order, calling `row` after each (so the page fills the table as it goes). */
export function runBench(_backend: Backend, row: (r: BenchRow) => void): void {
  const random = new Random(0x2545f491);
  const uniform = (n: number) => Float32Array.from({ length: n }, () => 2 * random.nextUnit() - 1);
  const T = 32, D = 64, Hd = 128;
  for (const [name, Make] of [['LSTM', LSTM], ['GRU', GRU]] as const) {
    const layer = new Make({ inputSize: D, hiddenSize: Hd, seed: 1 });
    const x1: Tensor = { data: uniform(T * D), shape: [T, 1, D] }, x16: Tensor = { data: uniform(T * 16 * D), shape: [T, 16, D] };
    const y1 = layer.forward(x1).output;
    check(y1.data.every(Number.isFinite), `${name} forward gives a non-finite value`);
    const t1 = time(() => layer.forward(x1));
    row({ name: `${name} forward T=${T} B=1 (${D}→${Hd})`, ...t1, unit: 'ms', throughput: rate(T, t1.median, 'tokens') });
    const t16 = time(() => layer.forward(x16));
    row({ name: `${name} forward T=${T} B=16 (${D}→${Hd})`, ...t16, unit: 'ms', throughput: rate(T * 16, t16.median, 'tokens') });
    const stream = layer.stream(1);
    for (let t = 0; t < 4; t++) {
      const h = stream.step(x1.data.subarray(t * D, (t + 1) * D));
      let diff = 0;
      for (let j = 0; j < Hd; j++) diff = Math.max(diff, Math.abs(h.data[j] - y1.data[t * Hd + j]));
      check(diff <= 1e-5, `${name}: streamed step ${t} differs from forward by ${diff}`);
    }
    let t = 0;
    const ts = time(() => { stream.step(x1.data.subarray(t * D, (t + 1) * D)); t = (t + 1) % T; });
    row({ name: `${name} stream step B=1`, ...ts, unit: 'ms', throughput: rate(1, ts.median, 'steps') });
    stream.dispose();
    layer.dispose();
  }
  const [TT, B, C] = [32, 16, 64];
  const model = new Sequential([new LSTM({ inputSize: D, hiddenSize: Hd, seed: 2 }), new Linear({ inFeatures: Hd, outFeatures: C, seed: 3 })]);
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
  check(Number.isFinite(last) && last < first, `training step: the loss went from ${first} to ${last} in 5 steps on a fixed batch`);
  const tt = time(step);
  row({ name: `LSTM+Linear train step T=${TT} B=${B}`, ...tt, unit: 'ms', throughput: rate(TT * B, tt.median, 'tokens') });
  optimizer.dispose();
  for (const l of model.layers) l.dispose();
}
