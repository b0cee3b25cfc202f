// Every backward against float64 finite differences: for each cell and a grid of options,
// our float32 BPTT gradients of L = sum(output * dOut) + sum(h_n * dH) [+ sum(c_n * dC)]
// with respect to x, h0, c0 and every parameter tensor are compared with central
// differences of the float64 reference forward (test/reference/rnn64.ts) at sampled entries.
// Tolerance: |ours - fd| <= 1e-5 * (1 + |fd|); the measured worst is printed.
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, init } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { compareWithFiniteDifferences, forward64, type GradTarget, type Mode } from './reference/rnn64.js';
import { randomArray } from './helpers.js';

interface Case { name: string; mode: Mode; L: number; bidir: boolean; proj?: number; lengths?: number[]; h0?: boolean; bias?: boolean; T?: number }
const cases: Case[] = [];
for (const mode of ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'] as Mode[]) {
  cases.push({ name: `${mode} 1 layer`, mode, L: 1, bidir: false });
  cases.push({ name: `${mode} 2 layers bidirectional, lengths, h0`, mode, L: 2, bidir: true, lengths: [5, 2, 4], h0: true });
  cases.push({ name: `${mode} no bias, lengths with T and 1`, mode, L: 1, bidir: true, lengths: [1, 5, 3], bias: false });
}
cases.push({ name: 'LSTM projection, 2 layers bidirectional, lengths, h0', mode: 'LSTM', L: 2, bidir: true, proj: 3, lengths: [4, 5, 1], h0: true });
cases.push({ name: 'LSTM T=1', mode: 'LSTM', L: 1, bidir: false, T: 1, h0: true });

function build(c: Case, D: number, H: number): RecurrentLayer {
  const common = { inputSize: D, hiddenSize: H, numLayers: c.L, bidirectional: c.bidir, bias: c.bias ?? true, seed: 7 };
  if (c.mode === 'LSTM') return new LSTM({ ...common, projSize: c.proj ?? 0 });
  if (c.mode === 'GRU') return new GRU(common);
  return new RNN({ ...common, nonlinearity: c.mode === 'RNN_RELU' ? 'relu' : 'tanh' });
}

beforeAll(async () => { await init(); });

describe('BPTT gradients against float64 finite differences', () => {
  test.each(cases.map((c) => [c.name, c]))('%s', (_name, c) => {
    const T = c.T ?? 5, B = 3, D = 4, H = 6, dirs = c.bidir ? 2 : 1, P = c.proj || H;
    const layer = build(c as Case, D, H);
    const x = randomArray(1, T * B * D), dOut = randomArray(2, T * B * dirs * P);
    const dH = randomArray(3, c.L * dirs * B * P), dC = randomArray(4, c.L * dirs * B * H);
    const h0 = c.h0 ? randomArray(5, c.L * dirs * B * P) : undefined;
    const c0 = c.h0 && c.mode === 'LSTM' ? randomArray(6, c.L * dirs * B * H) : undefined;
    const f32 = (a: Float64Array) => Float32Array.from(a);
    const state = h0 ? { h: { data: f32(h0), shape: [c.L * dirs, B, P] }, c: c0 ? { data: f32(c0), shape: [c.L * dirs, B, H] } : undefined } : undefined;
    layer.zeroGrad();
    const fwd = layer.forward({ data: f32(x), shape: [T, B, D] }, state, { train: true, lengths: c.lengths });
    const back = layer.backward({ data: f32(dOut), shape: fwd.output.shape }, {
      h: { data: f32(dH), shape: fwd.h.shape }, c: fwd.c ? { data: f32(dC), shape: fwd.c.shape } : undefined,
    });
    const grads = layer.grads();

    const params: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(layer.stateDict())) params[k] = Float64Array.from(v.data);
    const cfg = { mode: c.mode, inputSize: D, hiddenSize: H, numLayers: c.L, bias: c.bias ?? true, bidirectional: c.bidir, projSize: c.proj ?? 0 };
    const loss = () => {
      const r = forward64(cfg, params, x, T, B, h0, c0, c.lengths);
      let s = 0;
      for (let i = 0; i < r.output.length; i++) s += r.output[i] * dOut[i];
      for (let i = 0; i < r.h_n.length; i++) s += r.h_n[i] * dH[i];
      if (r.c_n) for (let i = 0; i < r.c_n.length; i++) s += r.c_n[i] * dC[i];
      return s;
    };
    const targets: GradTarget[] = [['x', x, back.dx.data]];
    if (h0) targets.push(['h0', h0, back.dh0.data]);
    if (c0) targets.push(['c0', c0, back.dc0!.data]);
    for (const [k, v] of Object.entries(params)) targets.push([k, v, grads[k].data]);
    const { worst, failures } = compareWithFiniteDifferences(loss, targets, 1e-5, 6);
    console.log(`${c.name}: worst |ours - fd| / (1 + |fd|) = ${worst.toExponential(2)} over ${targets.length} tensors`);
    expect(failures.slice(0, 8)).toEqual([]);
    layer.dispose();
  });
});
