/**
 * Echo state network (reservoir computing): a fixed random recurrent reservoir and a linear
 * readout fit in closed form.
 *
 *   x(t) = (1 - a) x(t-1) + a tanh(W_in u(t) + W x(t-1) + b)      x(0) = 0 or a given state
 *   y(t) = W_out [x(t); u(t) if readoutInput] + b_out               (b_out: the constant-1 column)
 *
 * a = leakRate in (0, 1]. W (N x N) has each entry nonzero with probability `density`, values
 * uniform in [-1, 1), plus one random entry in any row left empty (so every unit hears the
 * reservoir and W is never nilpotent), then scaled so that its spectral radius is exactly
 * `spectralRadius` (linalg.ts: all eigenvalues by QR up to N = 128, above that subspace
 * iteration with Rayleigh-Ritz, relative error about 1e-9; then float32 rounding). W_in (N x I)
 * is uniform in [-inputScale, inputScale], b (N) uniform in [-bias, bias]; draws in that order
 * from one seeded generator. W is stored DENSE (N^2 floats: 4 MB at N = 1000) so the
 * recurrent product runs on the SIMD gemm; building W costs its spectral radius (subspace
 * iteration, seconds at N = 1000), which is where this design stops being sensible (a sparse
 * kernel and an Arnoldi method would be the next step).
 *
 * The readout concatenates the input u to x only with `readoutInput: true` (default false:
 * y = W_out [x; 1]). fit() solves the ridge regression (X^T X + ridge I) W = X^T Y in float64
 * by Cholesky, X the rows [x(t); (u(t);) 1] of every batch row after the first `washout`
 * steps; the ridge term applies to every column, the bias column included (as in the usual
 * ESN formula W_out = Y X^T (X X^T + ridge I)^-1). X^T X and X^T Y are accumulated chunk by
 * chunk, so memory does not grow with T. Rows of a batch [T, B, I] are independent sequences.
 *
 * The reservoir runs in wasm: per chunk of steps one f32_gemm_nn projects the inputs of all
 * its steps (plus b), then each step adds W x(t-1) (f32_gemm_nn, accumulate), applies
 * f32_tanh_fwd and mixes in the leak (f32_scale, f32_axpy); the readout is one more gemm.
 * Weights are kept transposed ([in, out], rows padded like the recurrent layers').
 */
import { getBackend, type Backend } from './backend.js';
import type { Region } from './arena.js';
import { Holding } from './holding.js';
import { RnnError, describe } from './errors.js';
import { addresses, entry, f32Index, paddedWidth, planLayout, type Layout } from './layout.js';
import { choleskySolve, gemmTnAcc, spectralRadius, syrkUpperAcc } from './linalg.js';
import { Random } from './random.js';
import type { Tensor } from './tensor.js';
import { checkFinite, checkOptions, checkShape, checkTensor } from './checks.js';
import { checkStateDict, checkStateValue } from './state-dict.js';

/** Options of `new EchoStateNetwork`; the equations are on the class. */
export interface EchoStateOptions {
  /** I, the width of each input u(t). */
  inputSize: number;
  /** N, the number of reservoir units (W is stored dense: N^2 floats). */
  reservoirSize: number;
  /** O, the width of each output y(t). */
  outputSize: number;
  /** Largest |eigenvalue| of W after scaling (default 0.9). */
  spectralRadius?: number;
  /** a in (0, 1] (default 1: no leak). */
  leakRate?: number;
  /** W_in uniform in [-inputScale, inputScale] (default 1). */
  inputScale?: number;
  /** Fraction of nonzero recurrent weights, in (0, 1] (default 0.1). */
  density?: number;
  /** Scale of the fixed random bias b (default 0: none). */
  bias?: number;
  /** Ridge (Tikhonov) strength of the readout fit, >= 0 (default 1e-6). */
  ridge?: number;
  /** Steps of every sequence left out of the fit while the state forgets x(0) (default 0). */
  washout?: number;
  /** Feed u(t) to the readout besides x(t) (default false). */
  readoutInput?: boolean;
  /** Seed of the generator that draws W, W_in and b (in that order); without one, a random seed. */
  seed?: number;
}

/** Options of `fit`, `predict` and `states`. */
export interface EsnRunOptions {
  /** The reservoir state before the first step, [B, N] ([N] for unbatched input); default zeros. */
  state?: Tensor;
}
/** What `fit` returns. */
export interface EsnFitResult {
  /** NRMSE (see `nrmse`) of the new readout on the training steps after `washout`; NaN for constant targets. */
  trainError: number;
}
/** The readout y = W_out [x; u] + b_out, as `readout()` returns it and `loadReadout` takes it. */
export interface EsnReadout {
  /** W_out [O, N], or [O, N + I] with `readoutInput` (columns x, then u). */
  weight: Tensor;
  /** b_out [O]. */
  bias: Tensor;
}

const CHUNK_FLOATS = 1 << 20;
const KEYS = ['weight_in', 'weight_res', 'bias', 'weight_out', 'bias_out'] as const;

/** The working memory of one chunk of `run` (slots u, pre, x, y; see there). */
interface Work {
  /** Byte address of step s of a slot; x[0] is the state before the chunk. */
  at(name: 'u' | 'pre' | 'x' | 'y', s: number): number;
  /** Steps in this chunk. */
  steps: number;
}

/**
 * NRMSE = sqrt(sum (prediction - target)^2 / sum (target - mean)^2), the mean taken per
 * output (last axis) and both sums over every element: 1 for the best constant predictor,
 * 0 for a perfect one; NaN or Infinity when the target is constant. Plain JavaScript (float64
 * sums): needs no `init()`, and gives the same number before and after it.
 */
export function nrmse(prediction: Tensor, target: Tensor): number {
  const p = checkTensor(prediction, 'nrmse: prediction'), t = checkTensor(target, 'nrmse: target');
  checkShape(p.shape, t.shape, 'nrmse: prediction');
  const O = t.shape.length ? t.shape[t.shape.length - 1] : 1, rows = O ? t.data.length / O : 0;
  const mean = new Float64Array(O);
  for (let i = 0; i < t.data.length; i++) mean[i % O] += t.data[i] / rows;
  let sse = 0, sst = 0;
  for (let i = 0; i < t.data.length; i++) {
    sse += (p.data[i] - t.data[i]) ** 2;
    sst += (t.data[i] - mean[i % O]) ** 2;
  }
  return Math.sqrt(sse / sst);
}

/**
 * An echo state network (reservoir computing): a fixed sparse random recurrent reservoir, run
 * in wasm, and a linear readout fit in closed form by ridge regression (float64 Cholesky).
 *
 *     x(t) = (1 - a) x(t-1) + a tanh(W_in u(t) + W x(t-1) + b)
 *     y(t) = W_out [x(t); u(t) if readoutInput] + b_out
 *
 * with a = `leakRate` and W (N x N) scaled to the spectral radius `spectralRadius`. Sequences
 * are time-major: inputs [T, B, I] or unbatched [T, I]; the B rows are independent sequences.
 * `fit` trains only the readout; `predict`, `states` and `stream` need no gradient.
 */
export class EchoStateNetwork {
  /** I, the width of each input. */
  readonly inputSize: number;
  /** N, the number of reservoir units. */
  readonly reservoirSize: number;
  /** O, the width of each output. */
  readonly outputSize: number;
  /** The largest |eigenvalue| W was scaled to. */
  readonly spectralRadius: number;
  /** a in (0, 1]; 1 is no leak. */
  readonly leakRate: number;
  /** W_in is uniform in [-inputScale, inputScale]. */
  readonly inputScale: number;
  /** The fraction of nonzero entries W was drawn with. */
  readonly density: number;
  /** b is uniform in [-bias, bias]. */
  readonly bias: number;
  /** Ridge (Tikhonov) strength of the readout fit. */
  readonly ridge: number;
  /** Steps of every sequence that `fit` leaves out while the state forgets x(0). */
  readonly washout: number;
  /** The readout sees u(t) besides x(t). */
  readonly readoutInput: boolean;
  /** @internal */ readonly backend: Backend;
  private readonly layout: Layout;
  private readonly ldN: number;
  private readonly ldO: number;
  private region: Region | null;
  private work: Region | null = null;
  private fitted = false;
  /** The weights, the working memory and, as children, the streams' regions (holding.ts). */
  private readonly memory: Holding;

  constructor(options: EchoStateOptions) {
    const what = 'new EchoStateNetwork';
    this.backend = getBackend(what);
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `${what}: options must be an object with inputSize, reservoirSize and outputSize, got ${describe(options)}`);
    const o = options;
    checkOptions(o, ['inputSize', 'reservoirSize', 'outputSize', 'spectralRadius', 'leakRate', 'inputScale', 'density', 'bias', 'ridge', 'washout', 'readoutInput', 'seed'], what);
    for (const key of ['inputSize', 'reservoirSize', 'outputSize'] as const) {
      if (!Number.isSafeInteger(o[key]) || o[key] < 1) throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be an integer >= 1, got ${describe(o[key])}`);
    }
    const num = (key: keyof EchoStateOptions, dflt: number, ok: (v: number) => boolean, expected: string): number => {
      const v = o[key] === undefined ? dflt : o[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be ${expected}, got ${describe(v)}`);
      return v;
    };
    this.spectralRadius = num('spectralRadius', 0.9, (v) => v > 0, 'a finite number > 0');
    this.leakRate = num('leakRate', 1, (v) => v > 0 && v <= 1, 'in (0, 1]');
    this.inputScale = num('inputScale', 1, (v) => v >= 0, 'a finite number >= 0');
    this.density = num('density', 0.1, (v) => v > 0 && v <= 1, 'in (0, 1]');
    this.bias = num('bias', 0, (v) => v >= 0, 'a finite number >= 0');
    this.ridge = num('ridge', 1e-6, (v) => v >= 0, 'a finite number >= 0');
    this.washout = num('washout', 0, (v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0');
    if (o.readoutInput !== undefined && typeof o.readoutInput !== 'boolean') throw new RnnError('BAD_ARGUMENT', `${what}: readoutInput must be true or false, got ${describe(o.readoutInput)}`);
    if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new RnnError('BAD_ARGUMENT', `${what}: seed must be an integer, got ${describe(o.seed)}`);
    const N = (this.reservoirSize = o.reservoirSize), I = (this.inputSize = o.inputSize), O = (this.outputSize = o.outputSize);
    this.readoutInput = o.readoutInput ?? false;
    this.ldN = paddedWidth(N);
    this.ldO = paddedWidth(O);
    this.layout = planLayout([
      { name: 'weight_in', shape: [I, this.ldN], comment: 'W_in [N, I], transposed; rows padded (padding stays 0)' },
      { name: 'weight_res', shape: [N, this.ldN], comment: 'W [N, N] dense, transposed: x(t-1) W^T is one gemm' },
      { name: 'bias', shape: [N], comment: 'b, added by the input projection' },
      { name: 'weight_out', shape: [this.features, this.ldO], comment: 'W_out [O, N (+ I)], transposed: rows 0..N-1 read x, rows N.. read u' },
      { name: 'bias_out', shape: [O], comment: "b_out, the constant-1 feature's weights" },
    ]);
    // measured before the N^2 draws of W
    this.backend.arena.checkFits(this.layout.bytes, 'EchoStateNetwork parameters');

    const random = new Random(o.seed ?? Random.randomSeed());
    const rowPtr = new Int32Array(N + 1), cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        if (random.nextUnit() < this.density) { cols.push(j); vals.push(2 * random.nextUnit() - 1); }
      }
      if (cols.length === rowPtr[i]) { cols.push(Math.floor(random.nextUnit() * N)); vals.push(2 * random.nextUnit() - 1 || 1); }
      rowPtr[i + 1] = cols.length;
    }
    const wRes = { n: N, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
    const rho = spectralRadius(wRes);
    if (!(rho > 0)) throw new RnnError('BAD_ARGUMENT', `${what}: the random recurrent matrix has spectral radius 0; use another seed`);
    const wIn = new Float32Array(N * I), b = new Float32Array(N);
    random.fillUniform(wIn, this.inputScale);
    random.fillUniform(b, this.bias);

    this.memory = new Holding(this, this.backend.arena);
    this.region = this.memory.alloc(this.layout.bytes, 'EchoStateNetwork parameters');
    const heap = this.backend.arena.f32, at = f32Index(this.ptr('weight_res')), scale = this.spectralRadius / rho;
    for (let i = 0; i < N; i++) {
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) heap[at + wRes.colIdx[k] * this.ldN + i] = wRes.values[k] * scale;
    }
    this.writeMatrix('weight_in', wIn, N, I, this.ldN);
    heap.set(b, f32Index(this.ptr('bias')));
  }

  /** Number of readout inputs besides the bias: N, or N + I with readoutInput. */
  get features(): number {
    return this.reservoirSize + (this.readoutInput ? this.inputSize : 0);
  }

  /**
   * Runs the reservoir over `inputs` [T, I] or [T, B, I] from opts.state (zeros if absent) and
   * fits the readout to `targets` [T, (B,) O] on the steps after `washout`. Returns the NRMSE
   * (see nrmse(); NaN for constant targets) of the new readout on those steps, as predict()
   * computes them: a second run of the reservoir, cheaper than keeping T x N states. A
   * rejected call (bad shapes, non-finite values, washout >= T, a singular system) changes
   * nothing. Cost: T B N^2 in wasm, twice, plus (T - washout) B F^2 / 2 float64 products in
   * JS for X^T X (F = N (+ I) + 1), which dominates for large reservoirs.
   */
  fit(inputs: Tensor, targets: Tensor, opts?: EsnRunOptions): EsnFitResult {
    const what = 'EchoStateNetwork.fit';
    this.alive(what);
    const seq = this.checkSequence(inputs, `${what}: inputs`, this.inputSize);
    const { T, B, batched } = seq, O = this.outputSize, N = this.reservoirSize, I = this.inputSize;
    const tg = checkTensor(targets, `${what}: targets`);
    checkShape(tg.shape, batched ? [T, B, O] : [T, O], `${what}: targets`);
    checkFinite(tg.data, `${what}: targets`);
    if (this.washout >= T) throw new RnnError('BAD_ARGUMENT', `${what}: washout (${this.washout}) must be less than the number of steps T = ${T}`);
    const x0 = this.checkState(opts, what, B, batched);
    const R = this.features, F = R + 1, w0 = this.washout;
    const gram = new Float64Array(F * F), xty = new Float64Array(F * O);
    let feats = new Float64Array(0), ys = new Float64Array(0);
    this.run(seq.data, T, B, x0, false, (heap, t0, w) => {
      const first = Math.max(w0 - t0, 0);
      if (first >= w.steps) return;
      const rows = (w.steps - first) * B;
      if (feats.length < rows * F) { feats = new Float64Array(rows * F); ys = new Float64Array(rows * O); }
      for (let s = first, r = 0; s < w.steps; s++) {
        const xs = f32Index(w.at('x', s + 1)), us = f32Index(w.at('u', s));
        for (let j = 0; j < B; j++, r++) {
          const xr = xs + j * N, f = r * F;
          for (let i = 0; i < N; i++) feats[f + i] = heap[xr + i];
          if (this.readoutInput) for (let i = 0, ur = us + j * I; i < I; i++) feats[f + N + i] = heap[ur + i];
          feats[f + R] = 1;
          for (let o = 0, yr = ((t0 + s) * B + j) * O; o < O; o++) ys[r * O + o] = tg.data[yr + o];
        }
      }
      syrkUpperAcc(gram, feats, rows, F);
      gemmTnAcc(xty, feats, ys, rows, F, O);
    });
    for (let i = 0; i < F; i++) gram[i * F + i] += this.ridge;
    if (!choleskySolve(gram, F, xty, O)) {
      throw new RnnError('BAD_ARGUMENT', `${what}: X^T X + ridge I is not positive definite (the ${F} readout features are linearly dependent over the ${(T - w0) * B} training rows); raise ridge (now ${this.ridge})`);
    }
    const weight = new Float32Array(O * R), bias = new Float32Array(O);
    for (let o = 0; o < O; o++) {
      for (let r = 0; r < R; r++) weight[o * R + r] = xty[r * O + o];
      bias[o] = xty[R * O + o];
    }
    for (const v of [weight, bias]) {
      if (v.some((e) => !Number.isFinite(e))) throw new RnnError('BAD_ARGUMENT', `${what}: the readout weights overflow float32; raise ridge (now ${this.ridge})`);
    }
    this.writeReadout(weight, bias);
    this.fitted = true;

    // The training error of the readout just written, on the predictions predict() makes.
    const mean = new Float64Array(O), n = (T - w0) * B;
    for (let i = w0 * B * O; i < tg.data.length; i++) mean[i % O] += tg.data[i] / n;
    let sse = 0, sst = 0;
    this.run(seq.data, T, B, x0, true, (heap, t0, w) => {
      for (let s = Math.max(w0 - t0, 0); s < w.steps; s++) {
        for (let i = 0, at = ((t0 + s) * B) * O, y = f32Index(w.at('y', s)); i < B * O; i++) {
          const target = tg.data[at + i];
          sse += (heap[y + i] - target) ** 2;
          sst += (target - mean[i % O]) ** 2;
        }
      }
    });
    return { trainError: Math.sqrt(sse / sst) };
  }

  /** The readout's outputs [T, (B,) O] for inputs [T, (B,) I], from opts.state or zeros. */
  predict(inputs: Tensor, opts?: EsnRunOptions): Tensor {
    const what = 'EchoStateNetwork.predict';
    this.ready(what);
    const { data, T, B, batched } = this.checkSequence(inputs, `${what}: inputs`, this.inputSize);
    const x0 = this.checkState(opts, what, B, batched), O = this.outputSize;
    const out = new Float32Array(T * B * O);
    this.run(data, T, B, x0, true, (heap, t0, w) => out.set(heap.subarray(f32Index(w.at('y', 0)), f32Index(w.at('y', w.steps))), t0 * B * O));
    return { data: out, shape: batched ? [T, B, O] : [T, O] };
  }

  /** The reservoir states x(1..T) [T, (B,) N] for inputs [T, (B,) I] (no readout needed). */
  states(inputs: Tensor, opts?: EsnRunOptions): Tensor {
    const what = 'EchoStateNetwork.states';
    this.alive(what);
    const { data, T, B, batched } = this.checkSequence(inputs, `${what}: inputs`, this.inputSize);
    const x0 = this.checkState(opts, what, B, batched), N = this.reservoirSize;
    const out = new Float32Array(T * B * N);
    this.run(data, T, B, x0, false, (heap, t0, w) => {
      out.set(heap.subarray(f32Index(w.at('x', 1)), f32Index(w.at('x', w.steps + 1))), t0 * B * N);
    });
    return { data: out, shape: batched ? [T, B, N] : [T, N] };
  }

  /** A stateful one-step runner over `batch` sequences; equal to predict step by step. */
  stream(batch = 1): EsnStream {
    this.alive('EchoStateNetwork.stream');
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RnnError('BAD_ARGUMENT', `EchoStateNetwork.stream: batch must be an integer >= 1, got ${describe(batch)}`);
    return new EsnStream(this, batch, this.memory);
  }

  /** Copies of the readout: weight [O, N (+ I)] (columns x, then u), bias [O]. */
  readout(): EsnReadout {
    const d = this.stateDict();
    return { weight: d.weight_out, bias: d.bias_out };
  }

  /** Sets the readout (as readout() returns it); checked whole before anything changes. */
  loadReadout(readout: { weight: Tensor | Float32Array; bias: Tensor | Float32Array }): void {
    const what = 'EchoStateNetwork.loadReadout';
    this.alive(what);
    if (typeof readout !== 'object' || readout === null) throw new RnnError('BAD_ARGUMENT', `${what}: readout must be an object { weight, bias }, got ${describe(readout)}`);
    const weight = checkStateValue(readout.weight, [this.outputSize, this.features], `${what}: weight`);
    const bias = checkStateValue(readout.bias, [this.outputSize], `${what}: bias`);
    this.writeReadout(weight, bias);
    this.fitted = true;
  }

  /** Every weight as a copy: weight_in [N, I], weight_res [N, N], bias [N], weight_out, bias_out. */
  stateDict(): Record<string, Tensor> {
    this.alive('EchoStateNetwork.stateDict');
    const out: Record<string, Tensor> = {}, shapes = this.shapes();
    const heap = this.backend.arena.f32;
    for (const key of KEYS) {
      const [rows, cols] = shapes[key], at = f32Index(this.ptr(key)), data = new Float32Array(rows * (cols ?? 1));
      if (cols === undefined) data.set(heap.subarray(at, at + rows));
      else {
        const ld = this.layout.slots.get(key)!.shape[1];
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = heap[at + c * ld + r];
      }
      out[key] = { data, shape: [...shapes[key]] };
    }
    return out;
  }

  /** Strict like PyTorch's: every key present, no other, every shape right, all finite. */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    const what = 'EchoStateNetwork.loadStateDict';
    this.alive(what);
    const values = checkStateDict(dict, this.shapes(), what);
    const N = this.reservoirSize;
    this.writeMatrix('weight_in', values.weight_in, N, this.inputSize, this.ldN);
    this.writeMatrix('weight_res', values.weight_res, N, N, this.ldN);
    this.backend.arena.f32.set(values.bias, f32Index(this.ptr('bias')));
    this.writeReadout(values.weight_out, values.bias_out);
    this.fitted = true;
  }

  /** The constructor options that rebuild this network (without its weights or seed). */
  config(): Record<string, unknown> {
    this.alive('EchoStateNetwork.config');
    const { inputSize, reservoirSize, outputSize, spectralRadius, leakRate, inputScale, density, bias, ridge, washout, readoutInput } = this;
    return { type: 'EchoStateNetwork', inputSize, reservoirSize, outputSize, spectralRadius, leakRate, inputScale, density, bias, ridge, washout, readoutInput };
  }

  /** Bytes of wasm memory this network holds now (weights, working memory, streams). */
  memoryBytes(): number {
    this.alive('EchoStateNetwork.memoryBytes');
    return this.memory.bytes;
  }

  /** Returns all memory, its streams' included; any later call throws DISPOSED. */
  dispose(): void {
    if (!this.region) return;
    this.memory.release();
    this.region = this.work = null;
  }

  /** @internal Byte address of a parameter slot. */
  ptr(name: string): number {
    return addresses(this.layout, this.region!.ptr)(name);
  }

  /** @internal Throws DISPOSED after dispose(). */
  alive(what: string): void {
    if (!this.region) throw new RnnError('DISPOSED', `${what}: the network was disposed`);
  }

  /** @internal Throws unless the readout has been fit or loaded. */
  ready(what: string): void {
    this.alive(what);
    if (!this.fitted) throw new RnnError('BAD_ARGUMENT', `${what}: the readout is not trained yet; call fit() or loadReadout() first`);
  }

  /**
   * @internal One step of B rows: pre (B x N, holding W_in u + b) += x_prev W^T, then
   * x_next = (1 - a) x_prev + a tanh(pre). x_next may be x_prev (in place); pre is clobbered.
   */
  cell(pre: number, xPrev: number, xNext: number, B: number): void {
    const k = this.backend.kernels, N = this.reservoirSize, n = B * N, a = this.leakRate;
    k.f32_gemm_nn(pre, N, xPrev, N, this.ptr('weight_res'), this.ldN, 0, B, N, N, 1);
    if (a === 1) { k.f32_tanh_fwd(xNext, pre, n); return; }
    k.f32_tanh_fwd(pre, pre, n);
    k.f32_scale(xNext, xPrev, 1 - a, n);
    k.f32_axpy(xNext, a, pre, n);
  }

  /** @internal pre (rows x N) = u W_in^T + b for rows inputs u (rows x I). */
  project(pre: number, u: number, rows: number): void {
    const N = this.reservoirSize;
    this.backend.kernels.f32_gemm_nn(pre, N, u, this.inputSize, this.ptr('weight_in'), this.ldN, this.ptr('bias'), rows, N, this.inputSize, 0);
  }

  /** @internal y (rows x O) = x W_out_x^T (+ u W_out_u^T) + b_out. */
  readoutRows(y: number, x: number, u: number, rows: number): void {
    const k = this.backend.kernels, N = this.reservoirSize, O = this.outputSize, w = this.ptr('weight_out');
    k.f32_gemm_nn(y, O, x, N, w, this.ldO, this.ptr('bias_out'), rows, O, N, 0);
    if (this.readoutInput) {
      const wu = entry(w, this.layout.slots.get('weight_out')!.stride, N); // rows N.. of W_out^T read u
      k.f32_gemm_nn(y, O, u, this.inputSize, wu, this.ldO, 0, rows, O, this.inputSize, 1);
    }
  }

  /**
   * The reservoir over T steps of B rows, in chunks of `steps` steps that fit the working
   * memory: visit(heap, t0, work) sees the chunk's inputs u [steps, B, I], states
   * x [steps + 1, B, N] (x[0]: the state before step t0) and, with `readout`, outputs y.
   */
  private run(u: Float32Array, T: number, B: number, x0: Float32Array | null, readout: boolean,
    visit: (heap: Float32Array, t0: number, w: Work) => void): void {
    const N = this.reservoirSize, I = this.inputSize, O = this.outputSize, n = B * N;
    const C = Math.max(1, Math.min(T, Math.floor(CHUNK_FLOATS / (B * (2 * N + I + O)))));
    const layout = planLayout([
      { name: 'u', shape: [C, B, I], comment: "the chunk's inputs" },
      { name: 'pre', shape: [C, B, N], comment: 'W_in u + b for every step of the chunk, then + W x(t-1), then tanh' },
      { name: 'x', shape: [C + 1, B, N], comment: 'states; x[0] holds the state before the chunk, so step 0 needs no special case' },
      { name: 'y', shape: [C, B, O], comment: 'readout outputs' },
    ]);
    if (!this.work || this.work.bytes < layout.bytes) {
      const region = this.memory.alloc(layout.bytes, `EchoStateNetwork working memory (${C} steps, batch ${B})`);
      if (this.work) this.memory.free(this.work);
      this.work = region;
    }
    const slot = addresses(layout, this.work.ptr);
    const w: Work = { at: (name, s) => entry(slot(name), layout.slots.get(name)!.stride, s), steps: 0 };
    const heap = this.backend.arena.f32, k = this.backend.kernels;
    if (x0) heap.set(x0, f32Index(w.at('x', 0)));
    else k.f32_fill(w.at('x', 0), 0, n);
    for (let t0 = 0; t0 < T; t0 += C) {
      if (t0 > 0) k.f32_copy_rows(w.at('x', 0), n, w.at('x', w.steps), n, 1, n);
      w.steps = Math.min(C, T - t0);
      heap.set(u.subarray(t0 * B * I, (t0 + w.steps) * B * I), f32Index(w.at('u', 0)));
      this.project(w.at('pre', 0), w.at('u', 0), w.steps * B);
      for (let s = 0; s < w.steps; s++) this.cell(w.at('pre', s), w.at('x', s), w.at('x', s + 1), B);
      if (readout) this.readoutRows(w.at('y', 0), w.at('x', 1), w.at('u', 0), w.steps * B);
      visit(heap, t0, w);
    }
  }

  private checkSequence(value: Tensor, what: string, width: number) {
    const t = checkTensor(value, what), s = t.shape;
    if ((s.length !== 2 && s.length !== 3) || s[s.length - 1] !== width) {
      throw new RnnError('SHAPE_MISMATCH', `${what} must be [T, ${width}] or [T, B, ${width}], got [${s.join(', ')}]`);
    }
    if (s[0] < 1 || (s.length === 3 && s[1] < 1)) throw new RnnError('BAD_ARGUMENT', `${what} must hold at least one step and one batch row, got [${s.join(', ')}]`);
    checkFinite(t.data, what);
    return { data: t.data, T: s[0], B: s.length === 3 ? s[1] : 1, batched: s.length === 3 };
  }

  private checkState(opts: EsnRunOptions | undefined, what: string, B: number, batched: boolean): Float32Array | null {
    if (opts === undefined) return null;
    if (typeof opts !== 'object' || opts === null) throw new RnnError('BAD_ARGUMENT', `${what}: opts must be an object { state? }, got ${describe(opts)}`);
    checkOptions(opts, ['state'], `${what}: opts`);
    if (opts.state === undefined) return null;
    const t = checkTensor(opts.state, `${what}: opts.state`);
    checkShape(t.shape, batched ? [B, this.reservoirSize] : [this.reservoirSize], `${what}: opts.state`);
    checkFinite(t.data, `${what}: opts.state`);
    return t.data;
  }

  private shapes(): Record<(typeof KEYS)[number], number[]> {
    const N = this.reservoirSize, O = this.outputSize;
    return { weight_in: [N, this.inputSize], weight_res: [N, N], bias: [N], weight_out: [O, this.features], bias_out: [O] };
  }

  // A [rows, cols] matrix stored transposed at slot `name` with leading dimension ld.
  private writeMatrix(name: string, m: Float32Array, rows: number, cols: number, ld: number): void {
    const heap = this.backend.arena.f32, at = f32Index(this.ptr(name));
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) heap[at + c * ld + r] = m[r * cols + c];
  }

  private writeReadout(weight: Float32Array, bias: Float32Array): void {
    this.writeMatrix('weight_out', weight, this.outputSize, this.features, this.ldO);
    this.backend.arena.f32.set(bias, f32Index(this.ptr('bias_out')));
  }
}

/**
 * One step at a time through the network for `batch` sequences. Owns its state and scratch
 * (one arena region) and reads the network's weights live, so it sees every later fit().
 * step(u) returns y(t) [batch, O] as a view into wasm memory, valid until the next call on
 * this stream; nothing is allocated per step.
 */
export class EsnStream {
  /** The number of sequences stepped together. */
  readonly batch: number;
  /** Its one region, a child of the network's Holding: not live once either was disposed or collected. */
  private readonly memory: Holding;
  private readonly u: number;
  private readonly x: number;
  private readonly pre: number;
  private readonly y: number;
  private view: Tensor | null = null;
  private viewBuffer: ArrayBuffer | null = null;

  /** Holds `net` (whose weights every step reads), so the network lives as long as the stream. */
  constructor(private readonly net: EchoStateNetwork, batch: number, netMemory: Holding) {
    this.batch = batch;
    const N = net.reservoirSize, layout = planLayout([
      { name: 'u', shape: [batch, net.inputSize], comment: 'the current input' },
      { name: 'x', shape: [batch, N], comment: 'state, updated in place' },
      { name: 'pre', shape: [batch, N], comment: 'scratch: W_in u + b + W x' },
      { name: 'y', shape: [batch, net.outputSize], comment: 'the current output' },
    ]);
    this.memory = new Holding(this, net.backend.arena, netMemory);
    const at = addresses(layout, this.memory.alloc(layout.bytes, `EchoStateNetwork stream (batch ${batch})`).ptr);
    this.u = at('u'); this.x = at('x'); this.pre = at('pre'); this.y = at('y');
  }

  /** Advances one step; u: a Tensor [batch, I] or a bare Float32Array of batch * I values. */
  step(u: Tensor | Float32Array): Tensor {
    const what = 'EchoStateNetwork stream.step', net = this.net, B = this.batch, I = net.inputSize, O = net.outputSize;
    this.alive(what);
    net.ready(what);
    let data: Float32Array;
    if (u instanceof Float32Array) data = u;
    else {
      const t = checkTensor(u, `${what}: u`);
      checkShape(t.shape, [B, I], `${what}: u`);
      data = t.data;
    }
    if (data.length !== B * I) throw new RnnError('SHAPE_MISMATCH', `${what}: u must have batch * inputSize = ${B * I} elements, got ${data.length}`);
    checkFinite(data, `${what}: u`);
    net.backend.arena.f32.set(data, f32Index(this.u));
    net.project(this.pre, this.u, B);
    net.cell(this.pre, this.x, this.x, B);
    net.readoutRows(this.y, this.x, this.u, B);
    const buffer = net.backend.kernels.memory.buffer;
    if (!this.view || buffer !== this.viewBuffer) {
      this.viewBuffer = buffer;
      this.view = { data: new Float32Array(buffer, this.y, B * O), shape: [B, O] };
    }
    return this.view;
  }

  /** A copy of the reservoir state [batch, N]. */
  state(): Tensor {
    this.alive('EchoStateNetwork stream.state');
    const n = this.batch * this.net.reservoirSize;
    return { data: this.net.backend.arena.f32At(this.x, n).slice(), shape: [this.batch, this.net.reservoirSize] };
  }

  /** Sets the state [batch, N] (zeros when absent); checked before anything changes. */
  setState(state?: Tensor): void {
    const what = 'EchoStateNetwork stream.setState', N = this.net.reservoirSize;
    this.alive(what);
    if (state === undefined) { this.net.backend.kernels.f32_fill(this.x, 0, this.batch * N); return; }
    const t = checkTensor(state, `${what}: state`);
    checkShape(t.shape, [this.batch, N], `${what}: state`);
    checkFinite(t.data, `${what}: state`);
    this.net.backend.arena.f32.set(t.data, f32Index(this.x));
  }

  /** Zeroes the state. */
  reset(): void {
    this.setState();
  }

  /** Bytes of wasm memory this stream holds (0 after dispose). */
  memoryBytes(): number {
    return this.memory.bytes;
  }

  /** Returns the stream's memory; step, state and setState then throw DISPOSED. The network is not touched. */
  dispose(): void {
    this.memory.release();
    this.view = null;
  }

  private alive(what: string): void {
    if (!this.memory.live) throw new RnnError('DISPOSED', `${what}: the stream (or its network) was disposed`);
    this.net.alive(what);
  }
}
