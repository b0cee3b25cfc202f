// The variants' options, names and shapes, training, checkpoints and bad input.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, CEC, GRU, LSTM, RNN, RnnError, init, loadCheckpoint, mse, saveCheckpoint } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
const shapes = (l: RecurrentLayer) => Object.fromEntries(Object.entries(l.stateDict()).map(([k, v]) => [k, v.shape]));

describe('names and shapes of the variant parameters', () => {
  test('LSTM peepholes: weight_ch [3, H] rows i, f, o; [2, H] rows i, o with three gates', () => {
    expect(shapes(new LSTM({ inputSize: 2, hiddenSize: 5, peepholes: true }))).toMatchObject({ weight_ih_l0: [20, 2], weight_ch_l0: [3, 5] });
    expect(shapes(new LSTM({ inputSize: 2, hiddenSize: 5, peepholes: true, coupled: true }))).toMatchObject({ weight_ih_l0: [15, 2], weight_hh_l0: [15, 5], weight_ch_l0: [2, 5] });
    expect(shapes(new LSTM({ inputSize: 2, hiddenSize: 5, forgetGate: false, bidirectional: true }))).toMatchObject({ weight_hh_l0_reverse: [15, 5] });
    expect(Object.entries(shapes(new LSTM({ inputSize: 2, hiddenSize: 5, gateRecurrence: true, projSize: 3 }))).slice(4))
      .toEqual([['weight_gg_l0', [15, 15]], ['weight_hr_l0', [3, 5]]]);
  });
  test('GRU minimal: gates f, n; RNN delays and trained tau', () => {
    expect(shapes(new GRU({ inputSize: 2, hiddenSize: 5, minimal: true }))).toEqual({ weight_ih_l0: [10, 2], weight_hh_l0: [10, 5], bias_ih_l0: [10], bias_hh_l0: [10] });
    expect(Object.keys(shapes(new RNN({ inputSize: 2, hiddenSize: 3, delays: [3, 1], tau: 2, trainTau: true }))))
      .toEqual(['weight_ih_l0', 'weight_hh_l0', 'weight_hh_d3_l0', 'bias_ih_l0', 'bias_hh_l0', 'tau_l0']);
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3, tau: [1, 2, 4], trainTau: true });
    expect(Array.from(rnn.stateDict().tau_l0.data)).toEqual([1, 2, 4]);
    expect(shapes(new CEC({ inputSize: 2, hiddenSize: 3 }))).toEqual({ weight_ih_l0: [3, 2], weight_hh_l0: [3, 3], bias_ih_l0: [3], bias_hh_l0: [3] });
  });
});

describe('bad options are rejected at construction', () => {
  test.each([
    ['a delay of 0', () => new RNN({ inputSize: 1, hiddenSize: 2, delays: [0] })],
    ['repeated delays', () => new RNN({ inputSize: 1, hiddenSize: 2, delays: [1, 1] })],
    ['no delays', () => new RNN({ inputSize: 1, hiddenSize: 2, delays: [] })],
    ['tau < 1', () => new RNN({ inputSize: 1, hiddenSize: 2, tau: 0.5 })],
    ['tau of the wrong length', () => new RNN({ inputSize: 1, hiddenSize: 2, tau: [2, 2, 2] })],
    ['tau NaN', () => new RNN({ inputSize: 1, hiddenSize: 2, tau: [2, NaN] })],
    ['trainTau without tau', () => new RNN({ inputSize: 1, hiddenSize: 2, trainTau: true })],
    ['coupled without a forget gate', () => new LSTM({ inputSize: 1, hiddenSize: 2, forgetGate: false, coupled: true })],
    ['a negative cellClip', () => new LSTM({ inputSize: 1, hiddenSize: 2, cellClip: -1 })],
    ['an infinite cellClip', () => new LSTM({ inputSize: 1, hiddenSize: 2, cellClip: Infinity })],
    ['peepholes not a boolean', () => new LSTM({ inputSize: 1, hiddenSize: 2, peepholes: 1 as never })],
    ['forgetBias with a coupled gate', () => new LSTM({ inputSize: 1, hiddenSize: 2, coupled: true, forgetBias: 1 })],
    ['minimal with resetAfter true', () => new GRU({ inputSize: 1, hiddenSize: 2, minimal: true, resetAfter: true })],
    ['gateRecurrence with peepholes', () => new LSTM({ inputSize: 1, hiddenSize: 2, gateRecurrence: true, peepholes: true })],
    ['gateRecurrence without a forget gate', () => new LSTM({ inputSize: 1, hiddenSize: 2, gateRecurrence: true, forgetGate: false })],
    ['an RNN option on an LSTM', () => new LSTM({ inputSize: 1, hiddenSize: 2, tau: 2 } as never)],
    ['an unknown init', () => new RNN({ inputSize: 1, hiddenSize: 2, init: 'he' as never })],
    ['initScale 0', () => new RNN({ inputSize: 1, hiddenSize: 2, initScale: 0 })],
  ])('%s', (_name, make) => {
    expect(code(make)).toBe('BAD_ARGUMENT');
  });
});

// Each variant learns: the running mean of its input, one output per step, 40 Adam steps;
// the loss must fall to under half its start.
const variants: [string, () => RecurrentLayer][] = [
  ['LSTM peepholes', () => new LSTM({ inputSize: 2, hiddenSize: 8, peepholes: true, seed: 1 })],
  ['LSTM 1997 (no forget gate)', () => new LSTM({ inputSize: 2, hiddenSize: 8, forgetGate: false, seed: 1 })],
  ['LSTM coupled, cellClip 3', () => new LSTM({ inputSize: 2, hiddenSize: 8, coupled: true, cellClip: 3, seed: 1 })],
  ['LSTM full gate recurrence', () => new LSTM({ inputSize: 2, hiddenSize: 8, gateRecurrence: true, seed: 1 })],
  ['GRU resetAfter false', () => new GRU({ inputSize: 2, hiddenSize: 8, resetAfter: false, seed: 1 })],
  ['GRU minimal', () => new GRU({ inputSize: 2, hiddenSize: 8, minimal: true, seed: 1 })],
  ['RNN leaky, trained tau', () => new RNN({ inputSize: 2, hiddenSize: 8, tau: 2, trainTau: true, seed: 1 })],
  ['RNN delays [1, 2], identity', () => new RNN({ inputSize: 2, hiddenSize: 8, delays: [1, 2], identityRecurrence: true, seed: 1 })],
  ['CEC', () => new CEC({ inputSize: 2, hiddenSize: 8, seed: 1 })],
];

describe('every variant trains', () => {
  test.each(variants)('%s', (_name, make) => {
    const layer = make(), T = 6, B = 8, x = Float32Array.from(randomArray(9, T * B * 2, 0.5));
    const target = new Float32Array(T * B * 8);
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let t = 0; t < T; t++) {
        sum += x[(t * B + b) * 2] - x[(t * B + b) * 2 + 1];
        target.fill(sum / (t + 1), (t * B + b) * 8, (t * B + b + 1) * 8);
      }
    }
    const opt = new Adam(layer, { lr: 0.02 });
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      layer.zeroGrad();
      const { output } = layer.forward({ data: x, shape: [T, B, 2] }, undefined, { train: true });
      const { loss, grad } = mse(output, { data: target, shape: output.shape });
      losses.push(loss);
      layer.backward(grad);
      opt.step();
    }
    expect(losses[39]).toBeLessThan(losses[0] / 2);
    layer.dispose();
  });
});

test('a variant saves to a checkpoint and loads back with its options', () => {
  const layer = new LSTM({ inputSize: 3, hiddenSize: 4, peepholes: true, coupled: true, cellClip: 2, seed: 2 });
  const loaded = loadCheckpoint(saveCheckpoint(layer)).model as RecurrentLayer;
  expect(loaded.config()).toEqual(layer.config());
  expect(loaded.config()).toMatchObject({ peepholes: true, coupled: true, cellClip: 2 });
  const x = { data: Float32Array.from(randomArray(1, 15)), shape: [5, 1, 3] };
  expect(loaded.forward(x).output.data).toEqual(layer.forward(x).output.data);
  const rnn = new RNN({ inputSize: 1, hiddenSize: 2, delays: [1, 4], tau: [1.5, 3], seed: 1 });
  expect((loadCheckpoint(saveCheckpoint(rnn)).model as RecurrentLayer).config()).toMatchObject({ delays: [1, 4], tau: [1.5, 3] });
});

describe('initialisation schemes', () => {
  const gram = (w: Float32Array, rows: number, cols: number, r0: number) => {
    let err = 0;
    for (let a = 0; a < cols; a++) for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let r = r0; r < r0 + rows; r++) s += w[r * cols + a] * w[r * cols + b];
      err = Math.max(err, Math.abs(s - (a === b ? 1 : 0)));
    }
    return err;
  };
  test("'identity' (IRNN): W_hh = scale * I, zero biases", () => {
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'relu', init: 'identity', initScale: 0.5, seed: 1 });
    const d = rnn.stateDict();
    expect(Array.from(d.weight_hh_l0.data)).toEqual([0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5]);
    expect([...d.bias_ih_l0.data, ...d.bias_hh_l0.data].every((v) => v === 0)).toBe(true);
  });
  test("'orthogonal': every gate block of W_hh orthogonal", () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 16, init: 'orthogonal', seed: 1 });
    const w = lstm.stateDict().weight_hh_l0.data;
    for (let g = 0; g < 4; g++) expect(gram(w, 16, 16, g * 16)).toBeLessThan(1e-5);
    const [e] = lstm.recurrentSpectrum();
    expect(e.sigmaMax).toBeCloseTo(1, 5);
  });
  test("'xavier': Glorot bounds over the whole matrix, zero biases", () => {
    const gru = new GRU({ inputSize: 5, hiddenSize: 7, init: 'xavier', initScale: 2, seed: 1 });
    const d = gru.stateDict(), bound = 2 * Math.sqrt(6 / (21 + 5));
    expect(Math.max(...d.weight_ih_l0.data.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...d.weight_ih_l0.data.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(d.bias_hh_l0.data.every((v) => v === 0)).toBe(true);
  });
  test('forgetBias: the f block of bias_ih, bias_hh f block 0, the rest unchanged', () => {
    const a = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 4 }).stateDict();
    const b = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 4, forgetBias: 1 }).stateDict();
    expect(Array.from(b.bias_ih_l0.data.subarray(3, 6))).toEqual([1, 1, 1]);
    expect(Array.from(b.bias_hh_l0.data.subarray(3, 6))).toEqual([0, 0, 0]);
    expect(b.bias_ih_l0.data.subarray(0, 3)).toEqual(a.bias_ih_l0.data.subarray(0, 3));
    expect(b.weight_hh_l0.data).toEqual(a.weight_hh_l0.data);
  });
});
