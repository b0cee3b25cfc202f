// init 'chrono' (Tallec & Ollivier 2018): per unit u ~ U(1, T_max - 1); an LSTM's forget
// gate bias log(u) and input gate bias -log(u) in bias_ih (0 in bias_hh), a GRU's update
// gate +log(u), the minimal unit's gate -log(u); every other parameter as PyTorch's default
// (the weights drawn before the biases are the default init's, number for number). Bounds,
// the spread of u, the i = -f relation, seeding, checkpoints and the options' checks.
import { beforeAll, describe, expect, test } from 'vitest';
import { CEC, GRU, LSTM, RNN, RnnError, init, loadCheckpoint, saveCheckpoint } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';

beforeAll(async () => { await init(); });

const block = (v: Float32Array, g: number, H: number) => Array.from(v.subarray(g * H, (g + 1) * H));

describe("init 'chrono'", () => {
  test('LSTM: b_f = log(u), b_i = -b_f, u spread over [1, T_max - 1); bias_hh 0 there; the rest the default', () => {
    const H = 1000, tMax = 100;
    const chrono = new LSTM({ inputSize: 1, hiddenSize: H, init: 'chrono', chronoTMax: tMax, seed: 5 }).stateDict();
    const bi = chrono.bias_ih_l0.data, bh = chrono.bias_hh_l0.data;
    const f = block(bi, 1, H), i = block(bi, 0, H), u = f.map(Math.exp);
    expect(i).toEqual(f.map((v) => -v));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(1 - 1e-6);
    expect(Math.max(...u)).toBeLessThan(tMax - 1 + 1e-4);
    // U(1, 99): mean 50, sd 28.3; over 1000 units the mean's sd is 0.9, and an end farther than 1
    // from every u has probability (1 - 1/98)^1000 < 1e-4
    const mean = u.reduce((a, b) => a + b, 0) / H;
    expect(Math.abs(mean - 50)).toBeLessThan(3);
    expect(Math.min(...u)).toBeLessThan(2);
    expect(Math.max(...u)).toBeGreaterThan(98);
    expect(block(bh, 0, H).every((v) => v === 0) && block(bh, 1, H).every((v) => v === 0)).toBe(true);
    // g and o keep the default U(-1/sqrt(H), 1/sqrt(H)), on both sides
    const others = [2, 3].flatMap((g) => [...block(bi, g, H), ...block(bh, g, H)]);
    expect(Math.max(...others.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(H));
    expect(others.filter((v) => v !== 0).length).toBe(others.length);
  });

  test('the matrices, drawn before the biases, are the default init number for number', () => {
    const o = { inputSize: 3, hiddenSize: 8, seed: 5 };
    const chrono = new LSTM({ ...o, init: 'chrono', chronoTMax: 100 }).stateDict(), plain = new LSTM(o).stateDict();
    expect(chrono.weight_ih_l0.data).toEqual(plain.weight_ih_l0.data);
    expect(chrono.weight_hh_l0.data).toEqual(plain.weight_hh_l0.data);
    expect(chrono.bias_ih_l0.data).not.toEqual(plain.bias_ih_l0.data);
  });

  test('the same seed gives the same weights, another seed others; every layer and direction its own u', () => {
    const o = { inputSize: 2, hiddenSize: 8, numLayers: 2, bidirectional: true, init: 'chrono' as const, chronoTMax: 50 };
    const a = new LSTM({ ...o, seed: 9 }).stateDict(), b = new LSTM({ ...o, seed: 9 }).stateDict(), c = new LSTM({ ...o, seed: 10 }).stateDict();
    for (const k of Object.keys(a)) expect(b[k].data).toEqual(a[k].data);
    expect(c.bias_ih_l0.data).not.toEqual(a.bias_ih_l0.data);
    const fs = ['bias_ih_l0', 'bias_ih_l0_reverse', 'bias_ih_l1', 'bias_ih_l1_reverse'].map((k) => {
      const f = block(a[k].data, 1, 8);
      expect(block(a[k].data, 0, 8)).toEqual(f.map((v) => -v));
      for (const v of f) expect(v >= 0 && v < Math.log(49) + 1e-6).toBe(true);
      return f.join();
    });
    expect(new Set(fs).size).toBe(4);
  });

  test('coupled LSTM: the input gate -log(u), so f = 1 - i = sigmoid(log u)', () => {
    const d = new LSTM({ inputSize: 1, hiddenSize: 6, coupled: true, init: 'chrono', chronoTMax: 20, seed: 1 }).stateDict();
    const i = block(d.bias_ih_l0.data, 0, 6);
    for (const v of i) expect(v <= 0 && v > -Math.log(19) - 1e-6).toBe(true);
    expect(i.some((v) => v < -0.5)).toBe(true);
    expect(block(d.bias_hh_l0.data, 0, 6).every((v) => v === 0)).toBe(true);
  });

  test('GRU: the update gate z +log(u) (keeps h); the minimal unit: its gate f -log(u)', () => {
    const H = 500;
    const d = new GRU({ inputSize: 1, hiddenSize: H, init: 'chrono', chronoTMax: 30, seed: 2 }).stateDict();
    const z = block(d.bias_ih_l0.data, 1, H);
    expect(Math.min(...z)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...z)).toBeLessThan(Math.log(29) + 1e-6);
    expect(Math.max(...z.map(Math.exp))).toBeGreaterThan(28);
    expect(block(d.bias_hh_l0.data, 1, H).every((v) => v === 0)).toBe(true);
    expect(Math.max(...block(d.bias_ih_l0.data, 0, H).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(H));
    const m = new GRU({ inputSize: 1, hiddenSize: 4, minimal: true, init: 'chrono', chronoTMax: 30, seed: 2 }).stateDict();
    for (const v of block(m.bias_ih_l0.data, 0, 4)) expect(v <= 0 && v > -Math.log(29) - 1e-6).toBe(true);
    expect(block(m.bias_hh_l0.data, 0, 4)).toEqual([0, 0, 0, 0]);
  });

  test('a checkpoint keeps the chrono weights exactly (the option itself only shapes the start)', () => {
    const layer = new GRU({ inputSize: 2, hiddenSize: 5, init: 'chrono', chronoTMax: 100, seed: 3 });
    const loaded = loadCheckpoint(saveCheckpoint(layer)).model as RecurrentLayer;
    const a = layer.stateDict(), b = loaded.stateDict();
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k].data).toEqual(a[k].data);
    expect(loaded.config()).toEqual(layer.config());
  });

  test('bad options are BAD_ARGUMENT naming chronoTMax or init', () => {
    const base = { inputSize: 1, hiddenSize: 2 };
    const cases: [() => unknown, RegExp][] = [
      [() => new LSTM({ ...base, init: 'chrono' }), /needs chronoTMax/],
      [() => new LSTM({ ...base, chronoTMax: 100 }), /chronoTMax is the T_max of init 'chrono'/],
      [() => new LSTM({ ...base, init: 'orthogonal', chronoTMax: 100 }), /chronoTMax/],
      ...[2, 1, 0, -5, NaN, Infinity, '100', null].map((v): [() => unknown, RegExp] => [() => new GRU({ ...base, init: 'chrono', chronoTMax: v as number }), /chronoTMax must be a number > 2/]),
      [() => new RNN({ ...base, init: 'chrono', chronoTMax: 100 }), /init 'chrono' .* this RNN has none/],
      [() => new CEC({ ...base, init: 'chrono', chronoTMax: 100 }), /this CEC has none/],
      [() => new LSTM({ ...base, forgetGate: false, init: 'chrono', chronoTMax: 100 }), /this LSTM has none/],
      [() => new LSTM({ ...base, bias: false, init: 'chrono', chronoTMax: 100 }), /needs bias: true/],
      [() => new LSTM({ ...base, forgetBias: 1, init: 'chrono', chronoTMax: 100 }), /forgetBias and init 'chrono'/],
    ];
    for (const [make, message] of cases) {
      let error: unknown;
      try { make(); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(RnnError);
      expect((error as RnnError).code).toBe('BAD_ARGUMENT');
      expect((error as RnnError).message).toMatch(message);
    }
  });
});
