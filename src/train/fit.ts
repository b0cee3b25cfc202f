/**
 * fit: the training loop over a Sequential, with no Node-only APIs (it runs in a browser).
 *
 * Data is time-major like the layers: x [T, N, ...] (a Tensor, or ids { data: Int32Array,
 * shape: [T, N] }) holds N sequences of T steps. Targets:
 *   target 'every' (many-to-many, the default): y holds one class per step and sequence
 *     (Int32Array of T*N, time-major) for crossEntropy, or a Tensor [T, N, out] for mse;
 *   target 'last' (many-to-one): y holds one class per sequence (Int32Array of N) or a
 *     Tensor [N, out]; the loss is on each sequence's last valid step.
 * lengths (one per sequence) mark padding, which takes no loss.
 *
 * Backpropagation through time is full by default. With bptt: { k1, k2 } (k1 <= k2,
 * Williams & Peng 1990) every k1 steps the loss on those k1 steps is backpropagated through
 * the last k2 steps, and the state is carried from chunk to chunk; k1 = k2 = T is full BPTT.
 *
 * Each update: forward (train), loss, zeroGrad, backward, clipping (clipNorm / clipValue),
 * then optimizer.step(); non-finite gradients follow the optimizer's `nonFinite` choice.
 * A learning-rate `schedule` steps after every update; ReduceLROnPlateau instead once per
 * epoch, with the epoch's validation loss (its mean training loss without validation).
 * Batches are drawn without replacement in an order shuffled by a seeded generator.
 * Every argument is checked before the first update (the targets against the model's
 * output width after the first forward, before zeroGrad), so a rejected call changes no
 * parameter, gradient or optimizer state.
 */
import { checkFinite, checkFlag, checkLengths, checkOptions, checkSeed, checkTensor } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import { Random } from '../random.js';
import type { RecurrentState } from '../rnn/layer.js';
import { shapeSize, type Tensor } from '../tensor.js';
import { clipGradNorm, clipGradValue } from './clip.js';
import type { IdTensor } from './embedding.js';
import { crossEntropy, mse } from './loss.js';
import type { Optimizer } from '../registry.js';
import { buffersOf } from '../params.js';
import { ReduceLROnPlateau, Schedule } from './schedule.js';
import { Sequential } from './sequential.js';

/** Training data for `fit`: N sequences of T steps, time-major like the layers. */
export interface FitData {
  /** Inputs [T, N, ...]: a Tensor, or ids { data: Int32Array, shape: [T, N] } for a model that starts with an Embedding. */
  x: Tensor | IdTensor;
  /**
   * Targets. With target 'every': one class per step and sequence (an Int32Array of T * N,
   * time-major) for crossEntropy, or a Tensor [T, N, out] for mse. With target 'last': one
   * class per sequence (an Int32Array of N), or a Tensor [N, out].
   */
  y: Int32Array | Tensor;
  /** The valid length of each sequence (1 to T); padded steps take no loss. */
  lengths?: ArrayLike<number>;
}

/** What `onProgress` receives: after every update, and at the end of every epoch with `valLoss`. */
export interface FitProgress {
  /** The epoch, from 1. */
  epoch: number;
  /** Updates (optimizer steps) so far, over all epochs. */
  step: number;
  /** The loss of this update's batch (the epoch's mean training loss in the end-of-epoch call). */
  loss: number;
  /** The global L2 norm of the gradients before clipping (NaN in the end-of-epoch call). */
  gradNorm: number;
  /** Updates per second since fit started. */
  stepsPerSecond: number;
  /** The validation loss, in the end-of-epoch call when `validation` is given. */
  valLoss?: number;
}

/** Options of `fit`; only the optimizer is required. */
export interface FitOptions {
  /** The optimizer over the model's parameters; its `nonFinite` choice applies to every update. */
  optimizer: Optimizer;
  /** Default 'crossEntropy' when y is an Int32Array of classes, else 'mse'. */
  loss?: 'crossEntropy' | 'mse';
  /** 'every' (many-to-many, the default): a loss at every step; 'last' (many-to-one): at each sequence's last valid step. */
  target?: 'every' | 'last';
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Sequences per update (default all N). */
  batchSize?: number;
  /** Draw the batches in a new seeded order every epoch (default true); false keeps the data's order. */
  shuffle?: boolean;
  /** Seed of the batch order (default 0: runs repeat exactly). */
  seed?: number;
  /**
   * Truncated BPTT (Williams & Peng 1990): every k1 steps, the loss on those k1 steps is
   * backpropagated through the last k2 steps (k1 <= k2, default k2 = k1), the state carried
   * from chunk to chunk. Needs target 'every' and no lengths. Default: full BPTT.
   */
  bptt?: {
    /** Steps per update. */
    k1: number;
    /** Steps backpropagated through (>= k1). */
    k2?: number;
  };
  /** Clip the global gradient norm to this before every update (clipGradNorm). */
  clipNorm?: number;
  /** Clamp every gradient to [-clipValue, clipValue] before every update (clipGradValue). */
  clipValue?: number;
  /**
   * A learning-rate schedule over `optimizer`, stepped after every update (skipped ones too,
   * as a PyTorch loop does). ReduceLROnPlateau is stepped once per epoch instead, with the
   * validation loss (the epoch's mean training loss without validation), and not for a
   * non-finite loss. A OneCycleLR with fewer steps left than the updates planned is refused
   * before any update.
   */
  schedule?: Schedule;
  /** Data of the same form, whose loss is computed after every epoch (and watched by earlyStopping). */
  validation?: FitData;
  /** Called after every update (and, with valLoss, at the end of every epoch); return false to stop. */
  onProgress?: (p: FitProgress) => void | boolean;
  /** Stop when the validation loss (the training loss without validation) has not improved by more than minDelta for `patience` epochs. */
  earlyStopping?: {
    /** Epochs without improvement before stopping. */
    patience: number;
    /** The improvement that counts (default 0). */
    minDelta?: number;
  };
}

/** What `fit` returns. */
export interface FitResult {
  /** One entry per epoch run. */
  history: {
    /** The epoch, from 1. */
    epoch: number;
    /** The mean training loss of the epoch's updates. */
    loss: number;
    /** The validation loss after the epoch, with `validation`. */
    valLoss?: number;
  }[];
  /** Updates (optimizer steps) made. */
  steps: number;
  /** Training was stopped by earlyStopping or by onProgress returning false. */
  stoppedEarly: boolean;
}

interface Batch { x: Tensor | IdTensor; y: Int32Array | Tensor; lengths?: number[]; T: number; B: number }

/** An integer >= 1; `fallback` when absent (no fallback: required). */
function positiveInt(v: unknown, what: string, fallback?: number): number {
  const x = v === undefined ? fallback : v;
  if (!Number.isSafeInteger(x) || (x as number) < 1) throw new RnnError('BAD_ARGUMENT', `fit: ${what} must be an integer >= 1, got ${describe(v)}`);
  return x as number;
}

/** An options object, or undefined; anything else is BAD_ARGUMENT naming it. */
function optionalObject(v: unknown, what: string, known: readonly string[]): void {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) throw new RnnError('BAD_ARGUMENT', `fit: ${what} must be an object { ${known.join(', ')} }, got ${describe(v)}`);
  checkOptions(v, known, `fit: ${what}`);
}

/**
 * Everything about the data that can be checked before the model has run: x ids or a finite
 * tensor whose data matches its time-major shape, y of the rows x gives (finite; classes
 * non-negative or -100), lengths from 1 to T. The class range and the width of a tensor y
 * need the model's output width: checkTargets, after the first forward.
 */
function checkData(data: FitData, target: 'every' | 'last', what: string): { T: number; N: number } {
  if (typeof data !== 'object' || data === null) throw new RnnError('BAD_ARGUMENT', `fit: ${what} must be { x, y, lengths? }, got ${describe(data)}`);
  checkOptions(data, ['x', 'y', 'lengths'], `fit: ${what}`);
  const x = data.x as { data?: unknown; shape?: unknown } | null;
  if (typeof x !== 'object' || x === null || !(x.data instanceof Float32Array || x.data instanceof Int32Array)) {
    throw new RnnError('BAD_ARGUMENT', `fit: ${what}.x must be a Tensor or ids { data: Int32Array, shape }, got ${describe(x)}`);
  }
  if (!Array.isArray(x.shape) || x.shape.length < 2) throw new RnnError('SHAPE_MISMATCH', `fit: ${what}.x must be time-major [T, N, ...], got ${describe(x.shape)}`);
  const size = shapeSize(x.shape, `fit: ${what}.x`), [T, N] = x.shape as number[];
  if (size !== x.data.length || T < 1 || N < 1) throw new RnnError('SHAPE_MISMATCH', `fit: ${what}.x: data has ${x.data.length} elements, shape [${x.shape.join(', ')}] (T, N >= 1) needs ${size}`);
  if (x.data instanceof Float32Array) checkFinite(x.data, `fit: ${what}.x`);
  const y = data.y;
  const rows = target === 'every' ? T * N : N;
  if (y instanceof Int32Array) {
    if (y.length !== rows) throw new RnnError('SHAPE_MISMATCH', `fit: ${what}.y must hold ${rows} classes (${target === 'every' ? 'T*N' : 'N'}), got ${y.length}`);
    const bad = y.findIndex((c) => c < 0 && c !== -100);
    if (bad >= 0) throw new RnnError('BAD_ARGUMENT', `fit: ${what}.y[${bad}] must be a class >= 0 (or -100, ignored), got ${y[bad]}`);
  } else if (typeof y !== 'object' || y === null || !(y.data instanceof Float32Array) || !Array.isArray(y.shape)) {
    throw new RnnError('BAD_ARGUMENT', `fit: ${what}.y must be an Int32Array of classes or a Tensor, got ${describe(y)}`);
  } else {
    const t = checkTensor(y, `fit: ${what}.y`);
    if (t.shape.length !== (target === 'every' ? 3 : 2) || t.shape[0] !== (target === 'every' ? T : N) || (target === 'every' && t.shape[1] !== N)) {
      throw new RnnError('SHAPE_MISMATCH', `fit: ${what}.y must be [${target === 'every' ? 'T, N' : 'N'}, out], got [${t.shape.join(', ')}]`);
    }
    checkFinite(t.data, `fit: ${what}.y`);
  }
  if (data.lengths !== undefined) checkLengths(data.lengths, T, N, `fit: ${what}.lengths`);
  return { T, N };
}

/** The targets against the model's output width C: classes below C, a tensor y's last axis C. */
function checkTargets(data: FitData, C: number, what: string): void {
  const y = data.y;
  if (y instanceof Int32Array) {
    const bad = y.findIndex((c) => c >= C);
    if (bad >= 0) throw new RnnError('BAD_ARGUMENT', `fit: ${what}.y[${bad}] must be a class from 0 to ${C - 1} (the model's output width), got ${y[bad]}`);
  } else if (y.shape[y.shape.length - 1] !== C) {
    throw new RnnError('SHAPE_MISMATCH', `fit: ${what}.y must end in the model's output width ${C}, got [${y.shape.join(', ')}]`);
  }
}

/** Sequences `rows` (and steps t0..t1) of the data, time-major. */
function slice(data: FitData, rows: number[], t0: number, t1: number, target: 'every' | 'last'): Batch {
  const [T, N] = data.x.shape, width = data.x.data.length / (T * N), B = rows.length, L = t1 - t0;
  const pick = <A extends Float32Array | Int32Array>(src: A, make: (n: number) => A, w: number, steps: number, from: number, n: number) => {
    const out = make(steps * B * w);
    for (let t = 0; t < steps; t++) rows.forEach((r, b) => out.set(src.subarray(((from + t) * n + r) * w, ((from + t) * n + r + 1) * w), (t * B + b) * w));
    return out;
  };
  const xs = data.x.data instanceof Int32Array
    ? { data: pick(data.x.data, (n) => new Int32Array(n), width, L, t0, N), shape: [L, B, ...data.x.shape.slice(2)] }
    : { data: pick(data.x.data as Float32Array, (n) => new Float32Array(n), width, L, t0, N), shape: [L, B, ...data.x.shape.slice(2)] };
  let y: Int32Array | Tensor;
  if (target === 'every') {
    if (data.y instanceof Int32Array) y = pick(data.y, (n) => new Int32Array(n), 1, L, t0, N);
    else { const w = data.y.data.length / (T * N); y = { data: pick(data.y.data, (n) => new Float32Array(n), w, L, t0, N), shape: [L, B, w] }; }
  } else if (data.y instanceof Int32Array) y = Int32Array.from(rows, (r) => (data.y as Int32Array)[r]);
  else { const w = data.y.data.length / N; y = { data: pick(data.y.data, (n) => new Float32Array(n), w, 1, 0, N), shape: [B, w] }; }
  const lengths = data.lengths ? rows.map((r) => Math.min(Math.max(data.lengths![r] - t0, 0), L)) : undefined;
  return { x: xs as Tensor | IdTensor, y, lengths, T: L, B };
}

/**
 * Loss and its gradient for output [T, B, C] of a batch; only steps >= lossFrom count
 * (truncated BPTT), and no padded step.
 */
function lossOf(out: Tensor, batch: Batch, kind: 'crossEntropy' | 'mse', target: 'every' | 'last', lossFrom: number): { loss: number; grad: Tensor } {
  const { T, B } = batch, C = out.shape[out.shape.length - 1];
  const valid = (t: number, b: number) => t >= lossFrom && (!batch.lengths || t < batch.lengths[b]);
  if (target === 'last') {
    const last = (b: number) => (batch.lengths ? batch.lengths[b] : T) - 1;
    const picked = new Float32Array(B * C);
    for (let b = 0; b < B; b++) picked.set(out.data.subarray((last(b) * B + b) * C, (last(b) * B + b + 1) * C), b * C);
    const r = kind === 'crossEntropy' ? crossEntropy({ data: picked, shape: [B, C] }, batch.y as Int32Array) : mse({ data: picked, shape: [B, C] }, batch.y as Tensor);
    const grad = new Float32Array(out.data.length);
    for (let b = 0; b < B; b++) grad.set(r.grad.data.subarray(b * C, (b + 1) * C), (last(b) * B + b) * C);
    return { loss: r.loss, grad: { data: grad, shape: out.shape } };
  }
  if (kind === 'crossEntropy') {
    const targets = Int32Array.from(batch.y as Int32Array, (c, i) => (valid(Math.floor(i / B), i % B) ? c : -100));
    return crossEntropy(out, targets);
  }
  // mse over the valid steps only: masked rows take neither loss nor gradient
  const y = batch.y as Tensor, grad = new Float32Array(out.data.length);
  let n = 0, total = 0;
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (valid(t, b)) n += C;
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
    if (!valid(t, b)) continue;
    for (let j = 0; j < C; j++) {
      const i = (t * B + b) * C + j, d = out.data[i] - y.data[i];
      total += d * d;
      grad[i] = (2 * d) / n;
    }
  }
  return { loss: Math.fround(total / n), grad: { data: grad, shape: out.shape } };
}

/**
 * Trains a Sequential on time-major data. Each update: a training forward, the loss,
 * zeroGrad, backward, clipping, then `optimizer.step()`; batches are drawn without
 * replacement. A rejected call changes no parameter, gradient or optimizer state.
 * Uses no Node-only API (it runs in a browser).
 */
export function fit(model: Sequential, data: FitData, options: FitOptions): FitResult {
  return fitFrom(model, data, options);
}

/**
 * Where `fitFrom` starts its first epoch: after `update` updates of it (batches of
 * `batchSize` in the epoch's order; in truncated BPTT, ceil(T / k1) updates per batch), with
 * the states at the chunk boundaries of the current batch that the chunks from there on read
 * (by step; each update adds the one at its end). The `simd-rnn` command steps through an
 * epoch one fitFrom call per update, so a signal can stop it between updates and a run can
 * continue from a saved position exactly; not part of the package's API.
 */
export interface FitStart {
  /** Updates of the first epoch already made. */
  update: number;
  /** Truncated BPTT: states at chunk boundaries by step, read and extended in place (cleared when a batch starts). */
  boundaries: Map<number, (RecurrentState | undefined)[]>;
  /**
   * The same data passed every check in an earlier call with this model and is unchanged: the
   * checks over all of it (its values, the classes against the output width) are skipped, which
   * would otherwise cost a pass over a whole epoch for each single update.
   */
  dataChecked?: boolean;
}

/** `fit`, whose first epoch starts at `start` (see FitStart); the same updates, bit for bit. */
export function fitFrom(model: Sequential, data: FitData, options: FitOptions, start?: FitStart): FitResult {
  if (!(model instanceof Sequential)) throw new RnnError('BAD_ARGUMENT', `fit: model must be a Sequential, got ${describe(model)}`);
  buffersOf(model, 'fit');
  if (typeof options !== 'object' || options === null || typeof options.optimizer?.step !== 'function') {
    throw new RnnError('BAD_ARGUMENT', `fit: options must hold an optimizer, got ${describe(options)}`);
  }
  checkOptions(options, ['optimizer', 'loss', 'target', 'epochs', 'batchSize', 'shuffle', 'seed', 'bptt', 'clipNorm', 'clipValue', 'validation', 'onProgress', 'earlyStopping', 'schedule'], 'fit: options');
  optionalObject(options.bptt, 'options.bptt', ['k1', 'k2']);
  optionalObject(options.earlyStopping, 'options.earlyStopping', ['patience', 'minDelta']);
  // the optimizer, and every module it updates (not only the model's), before any work: an
  // optimizer over a disposed module would otherwise throw only at the first step, after a
  // forward and a backward had changed the model's gradients
  (options.optimizer as { checkAlive?: (what: string) => void }).checkAlive?.('fit: options.optimizer');
  const target = options.target === undefined ? 'every' : options.target;
  if (target !== 'every' && target !== 'last') throw new RnnError('BAD_ARGUMENT', `fit: target must be 'every' or 'last', got ${describe(target)}`);
  const kind = options.loss === undefined ? (data?.y instanceof Int32Array ? 'crossEntropy' : 'mse') : options.loss;
  if (kind !== 'crossEntropy' && kind !== 'mse') throw new RnnError('BAD_ARGUMENT', `fit: loss must be 'crossEntropy' or 'mse', got ${describe(kind)}`);
  const trusted = start?.dataChecked === true;
  const { T, N } = trusted ? { T: data.x.shape[0], N: data.x.shape[1] } : checkData(data, target, 'data');
  if (options.validation !== undefined) checkData(options.validation, target, 'validation');
  const epochs = positiveInt(options.epochs, 'epochs', 1), batchSize = Math.min(positiveInt(options.batchSize, 'batchSize', N), N);
  const shuffle = checkFlag(options.shuffle, 'fit: shuffle', true);
  const seed = options.seed === undefined ? 0 : checkSeed(options.seed, 'fit: seed');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new RnnError('BAD_ARGUMENT', `fit: onProgress must be a function, got ${describe(options.onProgress)}`);
  const k1 = options.bptt ? positiveInt(options.bptt.k1, 'bptt.k1') : T;
  const k2 = options.bptt ? positiveInt(options.bptt.k2, 'bptt.k2', k1) : T;
  if (k2 < k1) throw new RnnError('BAD_ARGUMENT', `fit: bptt.k2 (${k2}) must be >= bptt.k1 (${k1})`);
  if (options.bptt && (target === 'last' || data.lengths)) throw new RnnError('BAD_ARGUMENT', "fit: truncated BPTT takes target 'every' without lengths (one long sequence per row)");
  for (const key of ['clipNorm', 'clipValue'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new RnnError('BAD_ARGUMENT', `fit: ${key} must be a positive number, got ${describe(v)}`);
  }
  const patience = options.earlyStopping ? positiveInt(options.earlyStopping.patience, 'earlyStopping.patience') : Infinity;
  const minDelta = options.earlyStopping?.minDelta === undefined ? 0 : options.earlyStopping.minDelta;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) throw new RnnError('BAD_ARGUMENT', `fit: earlyStopping.minDelta must be a finite number >= 0, got ${describe(minDelta)}`);
  const schedule = options.schedule;
  if (schedule !== undefined) {
    if (!(schedule instanceof Schedule)) throw new RnnError('BAD_ARGUMENT', `fit: schedule must be a schedule (StepLR, OneCycleLR, ...), got ${describe(schedule)}`);
    if (schedule.optimizer !== options.optimizer) throw new RnnError('BAD_ARGUMENT', `fit: the schedule's optimizer must be options.optimizer, got a schedule over another ${schedule.optimizer.kind}`);
    const planned = epochs * Math.ceil(N / batchSize) * Math.ceil(T / k1);
    if (planned > schedule.stepsLeft()) throw new RnnError('BAD_ARGUMENT', `fit: the ${schedule.kind} has ${schedule.stepsLeft()} steps left, fewer than the ${planned} updates planned (epochs * batches * bptt chunks)`);
  }
  const plateau = schedule instanceof ReduceLROnPlateau ? schedule : undefined;
  const perUpdate = plateau ? undefined : (schedule as { step(): void } | undefined);

  const perBatch = Math.ceil(T / k1), batches = Math.ceil(N / batchSize);
  if (start !== undefined && (!Number.isSafeInteger(start.update) || start.update < 0 || start.update >= perBatch * batches || !(start.boundaries instanceof Map))) {
    throw new RnnError('BAD_ARGUMENT', `fitFrom: start.update must be an integer from 0 to ${perBatch * batches - 1} (updates in an epoch) with a Map of boundaries, got ${describe(start.update)}`);
  }
  if (start !== undefined && start.update % perBatch > 0) {
    // a batch continued mid-way: the chunks from there on read the boundaries from the
    // start of the first one's window (k2 steps back, rounded down to a chunk) up to it
    const s0 = (start.update % perBatch) * k1, b0 = Math.floor(Math.max(0, s0 + k1 - k2) / k1) * k1;
    for (let b = b0; b <= s0; b += k1) if (!start.boundaries.has(b)) throw new RnnError('BAD_ARGUMENT', `fitFrom: start.boundaries must hold the states at step ${b} (continuing at step ${s0}, k1 ${k1}, k2 ${k2})`);
  }
  const random = new Random(seed);
  let checked = trusted;
  const history: FitResult['history'] = [];
  let steps = 0, best = Infinity, sinceBest = 0, stopped = false;
  const started = Date.now();
  for (let epoch = 1; epoch <= epochs && !stopped; epoch++) {
    const order = Array.from({ length: N }, (_, i) => i);
    if (shuffle) {
      for (let i = N - 1; i > 0; i--) { const j = Math.floor(random.nextUnit() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    }
    let sum = 0, count = 0;
    // the first epoch of a continued run skips the updates already made
    const skip = epoch === 1 && start ? start.update : 0;
    for (let first = Math.floor(skip / perBatch) * batchSize; first < N && !stopped; first += batchSize) {
      const rows = order.slice(first, first + batchSize);
      const s0 = first === Math.floor(skip / perBatch) * batchSize ? (skip % perBatch) * k1 : 0;
      // truncated BPTT: states at chunk boundaries, by step
      const boundary = start?.boundaries ?? new Map<number, (RecurrentState | undefined)[]>();
      if (s0 === 0) { boundary.clear(); boundary.set(0, []); }
      for (let s = s0; s < T; s += k1) {
        const e = Math.min(T, s + k1), w = Math.max(0, e - k2);
        const b0 = Math.floor(w / k1) * k1;
        let state = boundary.get(b0) ?? [];
        if (w > b0) {
          model.forward(slice(data, rows, b0, w, target).x, { initialStates: state });
          state = model.finalStates();
        }
        const batch = slice(data, rows, w, e, target);
        const out = model.forward(batch.x, { train: true, lengths: batch.lengths, initialStates: state });
        if (!checked) {
          // the first output gives the width the targets are checked against, before any update
          const C = out.shape[out.shape.length - 1];
          checkTargets(data, C, 'data');
          if (options.validation !== undefined) checkTargets(options.validation, C, 'validation');
          checked = true;
        }
        boundary.set(e, model.finalStates());
        const { loss, grad } = lossOf(out, batch, kind, target, s - w);
        model.zeroGrad();
        model.backward(grad, { inputGrad: false });
        let gradNorm: number;
        if (options.clipNorm) gradNorm = clipGradNorm(model, options.clipNorm, { nonFinite: 'skip' });
        else gradNorm = Math.sqrt(buffersOf(model, 'fit').reduce((acc, b) => acc + b.backend.kernels.f32_sumsq(b.grad, b.length), 0));
        if (options.clipValue) clipGradValue(model, options.clipValue);
        options.optimizer.step();
        perUpdate?.step();
        steps++;
        sum += loss; count++;
        const seconds = (Date.now() - started) / 1000;
        if (options.onProgress?.({ epoch, step: steps, loss, gradNorm, stepsPerSecond: seconds > 0 ? steps / seconds : 0 }) === false) stopped = true;
        if (stopped) break;
      }
    }
    const entry: FitResult['history'][number] = { epoch, loss: sum / Math.max(count, 1) };
    if (options.validation) {
      const v = options.validation, all = Array.from({ length: v.x.shape[1] }, (_, i) => i);
      const batch = slice(v, all, 0, v.x.shape[0], target);
      entry.valLoss = lossOf(model.forward(batch.x, { lengths: batch.lengths }), batch, kind, target, 0).loss;
      if (options.onProgress?.({ epoch, step: steps, loss: entry.loss, gradNorm: NaN, stepsPerSecond: steps / Math.max((Date.now() - started) / 1000, 1e-9), valLoss: entry.valLoss }) === false) stopped = true;
    }
    history.push(entry);
    const watched = entry.valLoss ?? entry.loss;
    if (plateau && Number.isFinite(watched)) plateau.step(watched);
    if (watched < best - minDelta) { best = watched; sinceBest = 0; } else if (++sinceBest >= patience) stopped = true;
  }
  return { history, steps, stoppedEarly: stopped };
}
