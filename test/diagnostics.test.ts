// Gradient-flow diagnostics: the per-step gradient norms a backward records, gate statistics
// and the recurrent spectrum, each against an independent computation.
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, RnnError, init, type Tensor } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { largestSingularValue } from '../src/rnn/diagnostics.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const f32 = (a: Float64Array) => Float32Array.from(a);
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describe('gradientNorms', () => {
  // ||dL/dh(t)|| = ||dOut(t) + dL/dh(t) through the future||, and the second term is the dh0
  // of a backward over the suffix x(t+1..) started from the state at t. Likewise dc0 of that
  // suffix is dL/dc(t) through c(t+1).
  test.each([['RNN'], ['LSTM'], ['GRU']])('%s: each step equals a backward over the suffix', (kind) => {
    const T = 7, B = 2, D = 3, H = 5;
    const opts = { inputSize: D, hiddenSize: H, seed: 3 };
    const layer: RecurrentLayer = kind === 'LSTM' ? new LSTM(opts) : kind === 'GRU' ? new GRU(opts) : new RNN(opts);
    const x = f32(randomArray(1, T * B * D)), dOut = f32(randomArray(2, T * B * H)), dH = f32(randomArray(3, B * H));
    const dC = f32(randomArray(4, B * H));
    const states: { h: Tensor; c?: Tensor }[] = [];
    for (let t = 0; t < T; t++) states.push(layer.forward({ data: x.subarray(0, (t + 1) * B * D), shape: [t + 1, B, D] }));
    const fwd = layer.forward({ data: x, shape: [T, B, D] }, undefined, { train: true });
    layer.backward({ data: dOut, shape: fwd.output.shape }, { h: { data: dH, shape: [1, B, H] }, c: fwd.c ? { data: dC, shape: [1, B, H] } : undefined });
    const [trace] = layer.gradientNorms();
    expect(trace.h.length).toBe(T);
    for (let t = 0; t < T; t++) {
      const total = dOut.slice(t * B * H, (t + 1) * B * H);
      let carried: Float32Array | null = null;
      if (t === T - 1) { total.forEach((v, i) => (total[i] = v + dH[i])); if (fwd.c) carried = dC; }
      else {
        const n = T - 1 - t;
        layer.forward({ data: x.subarray((t + 1) * B * D), shape: [n, B, D] }, states[t], { train: true });
        const r = layer.backward({ data: dOut.subarray((t + 1) * B * H), shape: [n, B, H] }, { h: { data: dH, shape: [1, B, H] }, c: fwd.c ? { data: dC, shape: [1, B, H] } : undefined });
        r.dh0.data.forEach((v, i) => (total[i] += v));
        carried = r.dc0?.data ?? null;
      }
      expect(Math.abs(trace.h[t] - norm(total))).toBeLessThanOrEqual(1e-5 * (1 + norm(total)));
      if (carried) expect(Math.abs(trace.c![t] - norm(carried))).toBeLessThanOrEqual(1e-5 * (1 + norm(carried)));
    }
    layer.dispose();
  });

  test('per layer and direction, and NO_TAPE before any backward', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, seed: 1 });
    expect(() => layer.gradientNorms()).toThrow(RnnError);
    const fwd = layer.forward({ data: new Float32Array(4 * 2), shape: [4, 1, 2] }, undefined, { train: true });
    layer.backward({ data: new Float32Array(fwd.output.data.length).fill(1), shape: fwd.output.shape });
    const traces = layer.gradientNorms();
    expect(traces.map((t) => [t.layer, t.direction])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    for (const t of traces) expect(t.h.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    layer.dispose();
  });
});

describe('gateStats', () => {
  test('LSTM gates driven into saturation by their biases, counted only within lengths', () => {
    const H = 4, D = 2, layer = new LSTM({ inputSize: D, hiddenSize: H, seed: 1 });
    const dict = layer.stateDict();
    dict.weight_ih_l0.data.fill(0); dict.weight_hh_l0.data.fill(0); dict.bias_hh_l0.data.fill(0);
    // i = sigmoid(5), f = sigmoid(-5), g = tanh(0.5), o = sigmoid(0)
    dict.bias_ih_l0.data.set([...Array(H).fill(5), ...Array(H).fill(-5), ...Array(H).fill(0.5), ...Array(H).fill(0)]);
    layer.loadStateDict(dict);
    layer.forward({ data: new Float32Array(3 * 2 * D), shape: [3, 2, D] }, undefined, { lengths: [3, 1] });
    const [{ gates }] = layer.gateStats();
    const by = Object.fromEntries(gates.map((g) => [g.gate, g]));
    expect(by.i.mean).toBeCloseTo(1 / (1 + Math.exp(-5)), 6);
    expect([by.i.saturatedHigh, by.i.saturatedLow]).toEqual([1, 0]);
    expect([by.f.saturatedHigh, by.f.saturatedLow]).toEqual([0, 1]);
    expect(by.g.activation).toBe('tanh');
    expect(by.g.mean).toBeCloseTo(Math.tanh(0.5), 6);
    expect([by.o.mean, by.o.saturatedHigh, by.o.saturatedLow]).toEqual([0.5, 0, 0]);
    layer.dispose();
  });

  test('a relu RNN reports its dead units; a tanh RNN its saturation', () => {
    const layer = new RNN({ inputSize: 1, hiddenSize: 2, nonlinearity: 'relu', bias: false, seed: 1 });
    layer.loadStateDict({ weight_ih_l0: new Float32Array([1, -1]), weight_hh_l0: new Float32Array(4) });
    layer.forward({ data: new Float32Array([1, 2, 3, 4]), shape: [4, 1, 1] });
    const [{ gates: [h] }] = layer.gateStats();
    expect(h).toMatchObject({ gate: 'h', activation: 'relu', saturatedLow: 0.5, mean: (1 + 2 + 3 + 4) / 8 });
    layer.dispose();
  });
});

describe('recurrentSpectrum', () => {
  test('power iteration finds the largest singular value', () => {
    // a rotation scaled by 1.7 (all singular values 1.7, complex eigenvalues), and a
    // rank-one matrix u v^T with singular value |u||v|
    const c = Math.cos(0.3) * 1.7, s = Math.sin(0.3) * 1.7;
    expect(largestSingularValue([c, -s, s, c], 2, 2, 2)).toBeCloseTo(1.7, 8);
    const u = [1, 2, 3], v = [0.5, -1];
    const a = u.flatMap((ui) => v.map((vj) => ui * vj));
    expect(largestSingularValue(a, 3, 2, 2)).toBeCloseTo(norm(u) * norm(v), 8);
  });

  test('per gate block, with the regime against 1 / gamma', () => {
    const H = 2, layer = new RNN({ inputSize: 1, hiddenSize: H, bias: false, identityRecurrence: true, seed: 1 });
    layer.loadStateDict({ weight_ih_l0: new Float32Array(2), weight_hh_l0: new Float32Array([0.5, 0, 0, -0.25]) });
    const [e] = layer.recurrentSpectrum();
    expect(e).toMatchObject({ name: 'weight_hh_l0', gate: 'h', gamma: 1, regime: 'may explode' }); // W + I = diag(1.5, 0.75)
    expect(e.sigmaMax).toBeCloseTo(1.5, 6);
    layer.dispose();

    const lstm = new LSTM({ inputSize: 1, hiddenSize: H, seed: 1 });
    const dict = lstm.stateDict();
    dict.weight_hh_l0.data.set([3, 0, 0, 3, /* f */ 1, 0, 0, 1, /* g */ 0.5, 0, 0, 0.5, /* o */ 5, 0, 0, 5]);
    lstm.loadStateDict(dict);
    const spectrum = lstm.recurrentSpectrum();
    expect(spectrum.map((x) => [x.gate, x.gamma, x.regime])).toEqual([
      ['i', 0.25, 'vanishing'], ['f', 0.25, 'vanishing'], ['g', 1, 'vanishing'], ['o', 0.25, 'may explode']]);
    expect(spectrum[0].sigmaMax).toBeCloseTo(3, 6);
    lstm.dispose();

    const irnn = new RNN({ inputSize: 1, hiddenSize: 4, nonlinearity: 'relu', init: 'identity' });
    expect(irnn.recurrentSpectrum()[0].regime).toBe('marginal');
    irnn.dispose();
  });
});
