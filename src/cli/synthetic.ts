/**
 * The classic synthetic tasks of `simd-rnn train --task adding|parity`: seeded generators of
 * fresh sequences (time-major, T = --seq steps), the validation measure and its baseline.
 *
 * adding (Hochreiter & Schmidhuber 1997, as in Le, Jaitly & Hinton 2015): at each step a value
 *   uniform in [0, 1) and a marker; one marker in the first half, one in the second. Target, at
 *   the last step: the sum of the two marked values (mse). Always answering the mean, 1, scores
 *   Var(U + U) = 1/6.
 * parity: a stream of random bits; the target at every step is the parity of the bits so far
 *   (cross-entropy over two classes). Guessing scores ln 2 nats; the headline is the accuracy
 *   on the parity of the whole sequence (the last step).
 */
import { crossEntropy, mse, type FitData, type Random, type Sequential, type Tensor } from '../node.js';

export interface SyntheticTask {
  name: 'adding' | 'parity';
  inputSize: number;
  outputSize: number;
  loss: 'mse' | 'crossEntropy';
  target: 'every' | 'last';
  /** The loss of the best answer that ignores the input, and what it is. */
  baseline: number;
  baselineName: string;
  data(random: Random, T: number, N: number): FitData;
  /** Validation loss (in the training loss's units) and a line about it. */
  evaluate(model: Sequential, data: FitData): { loss: number; summary: string };
  /** A few worked examples, one line each. */
  examples(model: Sequential, random: Random, T: number, n: number): string[];
}

function adding(random: Random, T: number, N: number): FitData & { x: Tensor; y: Tensor } {
  const x = new Float32Array(T * N * 2), y = new Float32Array(N), half = Math.floor(T / 2);
  for (let b = 0; b < N; b++) {
    const m1 = Math.floor(random.nextUnit() * half), m2 = half + Math.floor(random.nextUnit() * (T - half));
    for (let t = 0; t < T; t++) {
      const v = random.nextUnit(), at = (t * N + b) * 2;
      x[at] = v;
      if (t === m1 || t === m2) { x[at + 1] = 1; y[b] += v; }
    }
  }
  return { x: { data: x, shape: [T, N, 2] }, y: { data: y, shape: [N, 1] } };
}

function parity(random: Random, T: number, N: number): FitData & { x: Tensor; y: Int32Array } {
  const x = new Float32Array(T * N), y = new Int32Array(T * N);
  for (let b = 0; b < N; b++) {
    let p = 0;
    for (let t = 0; t < T; t++) {
      const bit = random.nextU32() >>> 31;
      p ^= bit;
      x[t * N + b] = bit;
      y[t * N + b] = p;
    }
  }
  return { x: { data: x, shape: [T, N, 1] }, y };
}

/** Row b of the last step of out [T, N, C]. */
const lastRow = (out: Tensor, b: number): Float32Array => {
  const [T, N, C] = out.shape;
  return out.data.subarray(((T - 1) * N + b) * C, ((T - 1) * N + b + 1) * C);
};

export const TASKS: Record<'adding' | 'parity', SyntheticTask> = {
  adding: {
    name: 'adding', inputSize: 2, outputSize: 1, loss: 'mse', target: 'last',
    baseline: 1 / 6, baselineName: 'always answering 1',
    data: adding,
    evaluate(model, data) {
      const out = model.forward(data.x as Tensor), N = out.shape[1];
      const pred = new Float32Array(N);
      for (let b = 0; b < N; b++) pred[b] = lastRow(out, b)[0];
      const loss = mse({ data: pred, shape: [N, 1] }, data.y as Tensor).loss;
      return { loss, summary: `validation MSE ${loss.toFixed(4)} (${this.baselineName}: ${this.baseline.toFixed(4)})` };
    },
    examples(model, random, T, n) {
      const d = adding(random, T, n), out = model.forward(d.x);
      return Array.from({ length: n }, (_, b) => {
        const marked: string[] = [];
        for (let t = 0; t < T; t++) if (d.x.data[(t * n + b) * 2 + 1] === 1) marked.push(d.x.data[(t * n + b) * 2].toFixed(3));
        return `${marked.join(' + ')} = ${d.y.data[b].toFixed(3)}, the model says ${lastRow(out, b)[0].toFixed(3)}`;
      });
    },
  },
  parity: {
    name: 'parity', inputSize: 1, outputSize: 2, loss: 'crossEntropy', target: 'every',
    baseline: Math.log(2), baselineName: 'guessing',
    data: parity,
    evaluate(model, data) {
      const out = model.forward(data.x as Tensor), N = out.shape[1], y = data.y as Int32Array, T = out.shape[0];
      const loss = crossEntropy(out, y).loss;
      let right = 0;
      for (let b = 0; b < N; b++) { const l = lastRow(out, b); right += +((l[1] > l[0] ? 1 : 0) === y[(T - 1) * N + b]); }
      return { loss, summary: `validation loss ${loss.toFixed(4)} nats (${this.baselineName}: ${this.baseline.toFixed(4)}), parity of all ${T} bits right for ${(100 * right / N).toFixed(1)}% of sequences` };
    },
    examples(model, random, T, n) {
      const d = parity(random, T, n), out = model.forward(d.x);
      return Array.from({ length: n }, (_, b) => {
        const bits = Array.from({ length: T }, (_, t) => d.x.data[t * n + b]).join(''), l = lastRow(out, b);
        return `${bits}: parity ${d.y[(T - 1) * n + b]}, the model says ${l[1] > l[0] ? 1 : 0}`;
      });
    },
  },
};
