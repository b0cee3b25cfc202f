// The variants reference (variants64.ts): with every option off it is rnn64.ts bit for bit
// (so PyTorch's RNN/LSTM/GRU), and each option does what its equation says on cases small
// enough to work out by hand. ONNX's variants are checked against onnxruntime in
// variants64-ort.test.ts.
import { describe, expect, test } from 'vitest';
import { forward64, type Config64, type Mode } from './rnn64.js';
import { variantForward64, variantParamShapes, type VariantConfig } from './variants64.js';

const f64 = (...v: number[]) => Float64Array.from(v);

function makeRand(seed: number) {
  return (n: number, scale = 1) => Float64Array.from({ length: n },
    () => (((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1) * scale);
}

/** Random parameters for every name of variantParamShapes(cfg). */
function randomParams(cfg: VariantConfig, seed: number): Record<string, Float64Array> {
  const rand = makeRand(seed);
  const params: Record<string, Float64Array> = {};
  for (const [name, shape] of Object.entries(variantParamShapes(cfg)))
    params[name] = rand(shape.reduce((a, b) => a * b, 1), 0.6);
  return params;
}

const sizes = (cfg: VariantConfig) => {
  const dirs = cfg.bidirectional ? 2 : 1;
  return { dirs, Hout: cfg.projSize || cfg.hiddenSize, S: cfg.numLayers * dirs };
};

// ---------------------------------------------------------------------------------------------
// All options off = PyTorch (rnn64.ts)

describe('with every option off it is rnn64.ts exactly', () => {
  const cases: [string, Mode, VariantConfig][] = [
    ['RNN tanh', 'RNN_TANH', { kind: 'RNN', inputSize: 3, hiddenSize: 5, numLayers: 2, bias: true, bidirectional: true }],
    ['RNN relu, no bias', 'RNN_RELU', { kind: 'RNN', inputSize: 4, hiddenSize: 3, numLayers: 1, bias: false, bidirectional: false, nonlinearity: 'relu' }],
    ['LSTM', 'LSTM', { kind: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, bias: true, bidirectional: true }],
    ['LSTM projSize', 'LSTM', { kind: 'LSTM', inputSize: 4, hiddenSize: 5, numLayers: 2, bias: true, bidirectional: false, projSize: 3 }],
    ['GRU', 'GRU', { kind: 'GRU', inputSize: 3, hiddenSize: 6, numLayers: 2, bias: true, bidirectional: true }],
    ['GRU explicit defaults', 'GRU', { kind: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 1, bias: false, bidirectional: false, resetAfter: true, minimal: false }],
  ];
  test.each(cases)('%s', (_name, mode, cfg) => {
    const { S, Hout } = sizes(cfg);
    const H = cfg.hiddenSize;
    const params = randomParams(cfg, 7);
    const torchCfg: Config64 = { mode, inputSize: cfg.inputSize, hiddenSize: H, numLayers: cfg.numLayers,
      bias: cfg.bias, bidirectional: cfg.bidirectional, projSize: cfg.projSize ?? 0 };
    const rand = makeRand(11);
    const T = 5, B = 3, lengths = [5, 2, 4];
    const x = rand(T * B * cfg.inputSize, 2), h0 = rand(S * B * Hout);
    const c0 = mode === 'LSTM' ? rand(S * B * H) : undefined;
    for (const [h, c, len] of [[undefined, undefined, undefined], [h0, c0, lengths]] as const) {
      const got = variantForward64(cfg, params, x, T, B, h, c, len);
      const want = forward64(torchCfg, params, x, T, B, h, c, len);
      expect(Array.from(got.output)).toEqual(Array.from(want.output));
      expect(Array.from(got.h_n)).toEqual(Array.from(want.h_n));
      expect(got.c_n && Array.from(got.c_n)).toEqual(want.c_n && Array.from(want.c_n));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Sanity facts and hand-worked cases

const one = { inputSize: 1, hiddenSize: 1, numLayers: 1, bias: true, bidirectional: false };

describe('RNN options', () => {
  const cfg: VariantConfig = { kind: 'RNN', inputSize: 3, hiddenSize: 4, numLayers: 2, bias: true, bidirectional: true };
  const rand = makeRand(5);
  const T = 6, B = 2, lengths = [6, 3];
  const x = rand(T * B * 3), h0 = rand(4 * B * 4);
  const plain = variantForward64(cfg, randomParams(cfg, 3), x, T, B, h0, undefined, lengths);

  test('tau = 1 is the plain RNN, fixed or trained (trained tau below 1 counts as 1)', () => {
    const fixed = variantForward64({ ...cfg, tau: [1, 1, 1, 1] }, randomParams(cfg, 3), x, T, B, h0, undefined, lengths);
    expect(Array.from(fixed.output)).toEqual(Array.from(plain.output));
    const trained = { ...cfg, trainTau: true };
    const params = randomParams(cfg, 3);
    for (const name of Object.keys(variantParamShapes(trained))) if (name.startsWith('tau_')) params[name] = f64(1, 0.5, -3, 1);
    const got = variantForward64(trained, params, x, T, B, h0, undefined, lengths);
    expect(Array.from(got.output)).toEqual(Array.from(plain.output));
  });

  test('leaky unit: h(t) = (1 - 1/tau) h(t-1) + a / tau, trained tau the same as fixed', () => {
    // H = 1, relu, W_ih = 1, W_hh = 0, no bias: a = relu(x); tau = 4.
    const c1: VariantConfig = { ...one, kind: 'RNN', bias: false, nonlinearity: 'relu', tau: [4] };
    const p = { weight_ih_l0: f64(1), weight_hh_l0: f64(0) };
    const r = variantForward64(c1, p, f64(8, -1, 4), 3, 1, f64(2));
    expect(Array.from(r.output)).toEqual([3.5, 2.625, 2.96875]); // 0.75*2 + 2, 0.75*3.5, 0.75*2.625 + 1
    const trained = variantForward64({ ...c1, tau: undefined, trainTau: true }, { ...p, tau_l0: f64(4) }, f64(8, -1, 4), 3, 1, f64(2));
    expect(Array.from(trained.output)).toEqual(Array.from(r.output));
  });

  test('identityRecurrence adds h(t-1): the same as W_hh + I', () => {
    const params = randomParams(cfg, 3);
    const shifted = { ...params };
    for (const name of Object.keys(params)) if (/^weight_hh_l/.test(name))
      shifted[name] = params[name].map((v, k) => v + (k % 5 === 0 ? 1 : 0)); // diagonal of [4, 4]
    const a = variantForward64({ ...cfg, identityRecurrence: true }, params, x, T, B, h0, undefined, lengths);
    const b = variantForward64(cfg, shifted, x, T, B, h0, undefined, lengths);
    a.output.forEach((v, k) => expect(v).toBeCloseTo(b.output[k], 14));
  });

  test('delays read h(t-d), and h0 before each row\'s first step, both directions', () => {
    // H = 1, relu, no bias: h(t) = relu(x(t) + h(t-2)) (W_1 = 0, W_2 = 1).
    const c1: VariantConfig = { ...one, kind: 'RNN', bias: false, bidirectional: true, nonlinearity: 'relu', delays: [2, 1] };
    const p = {
      weight_ih_l0: f64(1), weight_hh_l0: f64(0), weight_hh_d2_l0: f64(1),
      weight_ih_l0_reverse: f64(1), weight_hh_l0_reverse: f64(0), weight_hh_d2_l0_reverse: f64(1),
    };
    // Row 0 = [1, 2, 3, 4]; row 1 = [1, 2, 3, pad] (length 3). h0 = 10 forward, 100 reverse.
    const x = f64(1, 1, 2, 2, 3, 3, 4, 99);
    const r = variantForward64(c1, p, x, 4, 2, f64(10, 10, 100, 100), undefined, [4, 3]);
    // forward row 0: 1+10, 2+10, 3+11, 4+12; row 1: 11, 12, 14.
    // reverse row 0 from t=3: 4+100, 3+100, 2+104, 1+103; row 1 from t=2: 103, 102, 1+103.
    expect(Array.from(r.output)).toEqual([11, 104, 11, 104, 12, 106, 12, 102, 14, 103, 14, 103, 16, 104, 0, 0]);
    expect(Array.from(r.h_n)).toEqual([16, 14, 104, 104]);
  });
});

describe('LSTM options', () => {
  const s = (p: number) => Math.log(p / (1 - p)); // inverse sigmoid

  test('forgetGate false with a closed input gate keeps c', () => {
    const cfg: VariantConfig = { kind: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 1, bias: true, bidirectional: true, forgetGate: false };
    const params = randomParams(cfg, 9);
    for (const sfx of ['_l0', '_l0_reverse']) { // rows 0..H-1 are i: W = 0, b_ih = -1000 -> i = 0
      params[`weight_ih${sfx}`].fill(0, 0, 4 * 3);
      params[`weight_hh${sfx}`].fill(0, 0, 4 * 4);
      params[`bias_ih${sfx}`].fill(-1000, 0, 4);
    }
    const rand = makeRand(2);
    const c0 = rand(2 * 2 * 4);
    const r = variantForward64(cfg, params, rand(5 * 2 * 3, 3), 5, 2, rand(2 * 2 * 4), c0);
    expect(Array.from(r.c_n!)).toEqual(Array.from(c0));
  });

  test('one step with peepholes, clip and the coupled gate, by hand', () => {
    // H = 1, all weights 0; gate rows i, g, o set by b_ih; peepholes p_i, p_o; clip 0.5.
    // c0 = 3: i = sigmoid(clip(0.1 + 0.3 * 3)) = sigmoid(0.5), f = 1 - i,
    // g = tanh(clip(-3)) = tanh(-0.5), c = f * 3 + i g, o = sigmoid(clip(-0.2 + 0.25 c)),
    // h = o tanh(c) (c unclipped).
    const cfg: VariantConfig = { ...one, kind: 'LSTM', peepholes: true, coupled: true, cellClip: 0.5 };
    expect(variantParamShapes(cfg).weight_ch_l0).toEqual([2, 1]);
    const params = { weight_ih_l0: f64(0, 0, 0), weight_hh_l0: f64(0, 0, 0), bias_ih_l0: f64(0.1, -3, -0.2),
      bias_hh_l0: f64(0, 0, 0), weight_ch_l0: f64(0.3, 0.25) };
    const r = variantForward64(cfg, params, f64(5), 1, 1, f64(0.7), f64(3));
    const sg = (v: number) => 1 / (1 + Math.exp(-v));
    const clip = (v: number) => Math.min(Math.max(v, -0.5), 0.5);
    const i = sg(0.5), c = (1 - i) * 3 + i * Math.tanh(-0.5), o = sg(clip(-0.2 + 0.25 * c));
    expect(r.c_n![0]).toBeCloseTo(c, 15);
    expect(r.h_n[0]).toBeCloseTo(o * Math.tanh(c), 15); // c > 0.5, and tanh sees it unclipped
  });

  test('4-gate peepholes: rows i, f, o, the output peephole sees the new c', () => {
    // H = 1, weights 0, biases give i = 3/4, f = 1/4, g = 1/2, o from its peephole only.
    const cfg: VariantConfig = { ...one, kind: 'LSTM', peepholes: true };
    const params = { weight_ih_l0: f64(0, 0, 0, 0), weight_hh_l0: f64(0, 0, 0, 0),
      bias_ih_l0: f64(s(0.75), s(0.25), Math.atanh(0.5), 0), bias_hh_l0: f64(0, 0, 0, 0), weight_ch_l0: f64(0, 0, 2) };
    const r = variantForward64(cfg, params, f64(1), 1, 1, undefined, f64(1));
    const c = 0.25 + 0.375;
    expect(r.c_n![0]).toBeCloseTo(c, 15);
    expect(r.h_n[0]).toBeCloseTo(Math.tanh(c) / (1 + Math.exp(-2 * c)), 15);
  });

  test('a huge cellClip changes nothing', () => {
    const cfg: VariantConfig = { kind: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, bias: true, bidirectional: true, projSize: 2, peepholes: true };
    const params = randomParams(cfg, 4);
    const rand = makeRand(8);
    const x = rand(4 * 2 * 3, 3);
    const a = variantForward64(cfg, params, x, 4, 2);
    const b = variantForward64({ ...cfg, cellClip: 1e9 }, params, x, 4, 2);
    expect(Array.from(b.output)).toEqual(Array.from(a.output));
  });
});

describe('GRU options', () => {
  test('minimal GRU with a closed forget gate keeps h', () => {
    const cfg: VariantConfig = { kind: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 1, bias: true, bidirectional: false, minimal: true };
    expect(variantParamShapes(cfg).weight_ih_l0).toEqual([8, 3]);
    const params = randomParams(cfg, 6);
    params.weight_ih_l0.fill(0, 0, 12);
    params.weight_hh_l0.fill(0, 0, 16);
    params.bias_ih_l0.fill(-1000, 0, 4); // f = 0
    const rand = makeRand(3);
    const h0 = rand(2 * 4);
    const r = variantForward64(cfg, params, rand(3 * 2 * 3, 3), 3, 2, h0);
    expect(Array.from(r.h_n)).toEqual(Array.from(h0));
    expect(Array.from(r.output.subarray(16))).toEqual(Array.from(h0));
  });

  test('minimal GRU, one step by hand: h\' = (1 - f) h + f tanh(x W_in + W_hn (f h) + b_hn)', () => {
    const cfg: VariantConfig = { ...one, kind: 'GRU', minimal: true };
    const params = { weight_ih_l0: f64(0, 0.5), weight_hh_l0: f64(0, 2), bias_ih_l0: f64(0, 0), bias_hh_l0: f64(Math.log(3), 0.25) };
    const r = variantForward64(cfg, params, f64(1), 1, 1, f64(-0.4));
    expect(r.h_n[0]).toBeCloseTo(0.25 * -0.4 + 0.75 * Math.tanh(0.5 + 2 * 0.75 * -0.4 + 0.25), 15);
  });

  test('resetAfter false: r multiplies h before W_hn, and b_hn is outside', () => {
    // H = 1, W_ih = [0, 0, 1], W_hh = [0, 0, 2], b_hh = [0, ln 3, 0.5]: r = 1/2, z = 3/4.
    const params = { weight_ih_l0: f64(0, 0, 1), weight_hh_l0: f64(0, 0, 2), bias_ih_l0: f64(0, 0, 0), bias_hh_l0: f64(0, Math.log(3), 0.5) };
    const h0 = f64(0.6), x = f64(0.3);
    const before = variantForward64({ ...one, kind: 'GRU', resetAfter: false }, params, x, 1, 1, h0);
    const after = variantForward64({ ...one, kind: 'GRU' }, params, x, 1, 1, h0);
    expect(before.h_n[0]).toBeCloseTo(0.25 * Math.tanh(0.3 + 2 * 0.3 + 0.5) + 0.75 * 0.6, 15);
    expect(after.h_n[0]).toBeCloseTo(0.25 * Math.tanh(0.3 + 0.5 * (1.2 + 0.5)) + 0.75 * 0.6, 15);
  });
});

test('CEC: with zero weights c grows by tanh(b) each step and h = tanh(c)', () => {
  const cfg: VariantConfig = { ...one, kind: 'CEC' };
  const params = { weight_ih_l0: f64(0), weight_hh_l0: f64(0), bias_ih_l0: f64(0.25), bias_hh_l0: f64(0.25) };
  const r = variantForward64(cfg, params, f64(1, 2, 3), 3, 1, f64(0.9), f64(-1));
  const d = Math.tanh(0.5);
  expect(r.c_n![0]).toBeCloseTo(-1 + 3 * d, 15);
  [1, 2, 3].forEach((k, t) => expect(r.output[t]).toBeCloseTo(Math.tanh(-1 + k * d), 15));
  // The state h feeds back: with W_hh = 1, step 1 sees h0.
  const r2 = variantForward64(cfg, { ...params, weight_hh_l0: f64(1) }, f64(0), 1, 1, f64(0.9), f64(-1));
  expect(r2.c_n![0]).toBeCloseTo(-1 + Math.tanh(0.5 + 0.9), 15);
});

test('variantParamShapes: names and shapes in order', () => {
  const rnn: VariantConfig = { kind: 'RNN', inputSize: 3, hiddenSize: 4, numLayers: 2, bias: true, bidirectional: true, delays: [3, 1, 2], trainTau: true };
  const l0 = ['weight_ih', 'weight_hh', 'weight_hh_d2', 'weight_hh_d3', 'bias_ih', 'bias_hh', 'tau'];
  expect(Object.keys(variantParamShapes(rnn))).toEqual(
    ['_l0', '_l0_reverse', '_l1', '_l1_reverse'].flatMap((sfx) => l0.map((n) => n + sfx)));
  expect(variantParamShapes(rnn).weight_ih_l1).toEqual([4, 8]);
  const lstm: VariantConfig = { kind: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 1, bias: false, bidirectional: false, projSize: 2, peepholes: true };
  expect(variantParamShapes(lstm)).toEqual({ weight_ih_l0: [20, 3], weight_hh_l0: [20, 2], weight_ch_l0: [3, 5], weight_hr_l0: [2, 5] });
  const cec: VariantConfig = { kind: 'CEC', inputSize: 3, hiddenSize: 5, numLayers: 1, bias: true, bidirectional: false };
  expect(variantParamShapes(cec)).toEqual({ weight_ih_l0: [5, 3], weight_hh_l0: [5, 5], bias_ih_l0: [5], bias_hh_l0: [5] });
});

test('rejects contradictory or misplaced options', () => {
  const lstm: VariantConfig = { kind: 'LSTM', inputSize: 1, hiddenSize: 2, numLayers: 1, bias: true, bidirectional: false };
  expect(() => variantParamShapes({ ...lstm, forgetGate: false, coupled: true })).toThrow(/coupled/);
  expect(() => variantParamShapes({ ...lstm, minimal: true })).toThrow(/minimal is for GRU/);
  expect(() => variantParamShapes({ ...lstm, kind: 'RNN', tau: [1, 0.5] })).toThrow(/tau/);
  expect(() => variantParamShapes({ ...lstm, kind: 'RNN', delays: [1, 1] })).toThrow(/delays/);
  expect(() => variantParamShapes({ ...lstm, kind: 'GRU', resetAfter: true, projSize: 0 })).not.toThrow();
});
