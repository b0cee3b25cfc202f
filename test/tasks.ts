// The classic recurrent-net benchmark tasks for test/learning.test.ts: seeded data
// generators (a generator of our own, so the data never depends on the library under test),
// training loops built from the public training pieces, and their evaluations. Everything is
// time-major: x [T, B, D].
import { Linear, Sequential, clipGradNorm, crossEntropy, mse, type RecurrentLayer, type Tensor } from '../src/node.js';

/**
 * Small seeded generator: sfc32 (C. Doty-Humphrey's "small fast counting" generator, public
 * domain), 32-bit integer arithmetic only, so the data are the same on every runtime.
 */
export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9; this.b = 0x243f6a88; this.c = 0xb7e15162; this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();   // mix the seed through the state
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** Uniform in [0, 1), 24 bits (exact in float32). */
  unit(): number { return (this.u32() >>> 8) / 16777216; }
  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.unit() * n); }
  bit(): number { return this.u32() >>> 31; }
}

export interface Batch { x: Tensor; lengths?: number[] }

// ---- the adding problem ------------------------------------------------------------------

/**
 * Adding problem (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly & Hinton 2015):
 * at each of T steps a value uniform in [0, 1) and a marker; the marker is 1 at one step in
 * the first half and one in the second half. Target: the sum of the two marked values.
 * Always answering the mean 1 scores MSE = Var(U + U) = 1/6.
 */
export function addingBatch(rng: Rng, T: number, B: number): Batch & { y: Tensor } {
  const x = new Float32Array(T * B * 2), y = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    const m1 = rng.int(half), m2 = half + rng.int(T - half);
    for (let t = 0; t < T; t++) {
      const v = rng.unit(), at = (t * B + b) * 2;
      x[at] = v;
      if (t === m1 || t === m2) { x[at + 1] = 1; y[b] += v; }
    }
  }
  return { x: { data: x, shape: [T, B, 2] }, y: { data: y, shape: [1, B, 1] } };
}

// ---- parity --------------------------------------------------------------------------------

/**
 * Parity: a stream of random bits (input 1 for a one, 0 for a zero); target at every step is
 * the parity (XOR) of the bits seen so far. With `lengths`, row b holds lengths[b] steps
 * (the rest is padding, target -100 = ignored); the padded batch has max(lengths) steps.
 */
export function parityBatch(rng: Rng, lengths: number[]): Batch & { targets: Int32Array } {
  const B = lengths.length, T = Math.max(...lengths);
  const x = new Float32Array(T * B), targets = new Int32Array(T * B).fill(-100);
  for (let b = 0; b < B; b++) {
    let p = 0;
    for (let t = 0; t < lengths[b]; t++) {
      const bit = rng.bit();
      p ^= bit;
      x[t * B + b] = bit;
      targets[t * B + b] = p;
    }
  }
  return { x: { data: x, shape: [T, B, 1] }, targets, lengths };
}

// ---- binary addition -----------------------------------------------------------------------

/**
 * Binary addition: two random `bits`-bit numbers fed least significant bit first, one bit of
 * each per step, then one more step of zeros; the target at each of the bits + 1 steps is
 * that bit of the sum (the last one the final carry).
 */
export function additionBatch(rng: Rng, bits: number, B: number): Batch & { targets: Int32Array } {
  const T = bits + 1, x = new Float32Array(T * B * 2), targets = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    let carry = 0;
    for (let t = 0; t < T; t++) {
      const p = t < bits ? rng.bit() : 0, q = t < bits ? rng.bit() : 0, s = p + q + carry;
      x[(t * B + b) * 2] = p;
      x[(t * B + b) * 2 + 1] = q;
      targets[t * B + b] = s & 1;
      carry = s >> 1;
    }
  }
  return { x: { data: x, shape: [T, B, 2] }, targets };
}

// ---- training and evaluation ---------------------------------------------------------------

/** A recurrent layer and a linear head; `all` holds both for the optimizer and clipping. */
export interface Model { rnn: RecurrentLayer; head: Linear; all: Sequential }

export function model(rnn: RecurrentLayer, head: Linear): Model {
  return { rnn, head, all: new Sequential([rnn, head]) };
}

/** Many-to-one regression on the final hidden state h_n (the last layer's). */
export function regressStep(m: Model, batch: Batch & { y: Tensor }, clip: number): number {
  m.all.zeroGrad();
  const { h } = m.rnn.forward(batch.x, undefined, { train: true });
  const pred = m.head.forward(h, { train: true });               // [1, B, 1]
  const { loss, grad } = mse(pred, batch.y);
  const { dx } = m.head.backward(grad);                          // dL/dh_n [1, B, H]
  m.rnn.backward(null, { h: dx });
  clipNorm(m, clip);
  return loss;
}

/** Many-to-many classification at every (unpadded) step. */
export function classifyStep(m: Model, batch: Batch & { targets: Int32Array }, clip: number): number {
  m.all.zeroGrad();
  const { output } = m.rnn.forward(batch.x, undefined, { train: true, lengths: batch.lengths });
  const logits = m.head.forward(output, { train: true });        // [T, B, C]
  const { loss, grad } = crossEntropy(logits, batch.targets);
  m.rnn.backward(m.head.backward(grad).dx);
  clipNorm(m, clip);
  return loss;
}

function clipNorm(m: Model, clip: number): void {
  if (clip > 0) clipGradNorm(m.all, clip);
}

/** Test MSE of a many-to-one regression model. */
export function regressMse(m: Model, batch: Batch & { y: Tensor }): number {
  const { h } = m.rnn.forward(batch.x);
  return mse(m.head.forward(h), batch.y).loss;
}

/**
 * Accuracy of per-step classification: over all counted steps, over the last step of each
 * row, and over whole rows (every step right).
 */
export function classifyAccuracy(m: Model, batch: Batch & { targets: Int32Array }): { step: number; last: number; row: number } {
  const { output } = m.rnn.forward(batch.x, undefined, { lengths: batch.lengths });
  const logits = m.head.forward(output), C = m.head.outFeatures;
  const [T, B] = batch.x.shape;
  let right = 0, counted = 0, lastRight = 0, rowsRight = 0;
  for (let b = 0; b < B; b++) {
    let rowOk = true, last = -1;
    for (let t = 0; t < T; t++) {
      const r = t * B + b, want = batch.targets[r];
      if (want === -100) continue;
      let best = 0;
      for (let c = 1; c < C; c++) if (logits.data[r * C + c] > logits.data[r * C + best]) best = c;
      const ok = best === want;
      right += +ok; counted++; rowOk &&= ok; last = +ok;
    }
    lastRight += last; rowsRight += +rowOk;
  }
  return { step: right / counted, last: lastRight / B, row: rowsRight / B };
}

/** Many-to-one classification from the final hidden state h_n (each row's last real step). */
export function classifyLastStep(m: Model, batch: Batch, targets: Int32Array, clip: number): number {
  m.all.zeroGrad();
  const { h } = m.rnn.forward(batch.x, undefined, { train: true, lengths: batch.lengths });
  const logits = m.head.forward(h, { train: true });             // [1, B, C]
  const { loss, grad } = crossEntropy(logits, targets);
  m.rnn.backward(null, { h: m.head.backward(grad).dx });
  clipNorm(m, clip);
  return loss;
}

/** Accuracy of many-to-one classification from h_n. */
export function lastStepAccuracy(m: Model, batch: Batch, targets: Int32Array): number {
  const { h } = m.rnn.forward(batch.x, undefined, { lengths: batch.lengths });
  const logits = m.head.forward(h), C = m.head.outFeatures;
  let right = 0;
  for (let b = 0; b < targets.length; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits.data[b * C + c] > logits.data[b * C + best]) best = c;
    right += +(best === targets[b]);
  }
  return right / targets.length;
}

/** The target of each row's last real step (for many-to-one from a per-step batch). */
export function lastTargets(batch: Batch & { targets: Int32Array }): Int32Array {
  const [T, B] = batch.x.shape, out = new Int32Array(B);
  for (let b = 0; b < B; b++) out[b] = batch.targets[((batch.lengths?.[b] ?? T) - 1) * B + b];
  return out;
}
