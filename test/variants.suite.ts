// The classic variants, forward and backward, against the float64 reference of
// test/reference/variants64.ts: the forward output / h_n / c_n within 1e-5, and our float32
// BPTT gradients of L = sum(output * dOut) + sum(h_n * dH) [+ sum(c_n * dC)] with respect to
// x, h0, c0 and every parameter against central differences of the reference, at sampled
// entries: |ours - fd| <= 2e-5 * (1 + |fd|). The measured worst is printed. One backend per
// realm, so variants.test.ts runs this on the relaxed build, variants-baseline.test.ts on the
// baseline build.
import { beforeAll, describe, expect, test } from 'vitest';
import { CEC, GRU, LSTM, RNN, init } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { variantForward64, type VariantConfig } from './reference/variants64.js';
import { compareWithFiniteDifferences, type GradTarget } from './reference/rnn64.js';
import { randomArray } from './helpers.js';

interface Case { name: string; cfg: Partial<VariantConfig> & { kind: VariantConfig['kind'] }; L?: number; bidir?: boolean; lengths?: number[]; h0?: boolean; T?: number; scale?: number }
const cases: Case[] = [
  { name: 'LSTM peepholes', cfg: { kind: 'LSTM', peepholes: true }, h0: true },
  { name: 'LSTM peepholes, 2 layers bidirectional, lengths', cfg: { kind: 'LSTM', peepholes: true }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
  { name: 'LSTM without forget gate (1997)', cfg: { kind: 'LSTM', forgetGate: false }, h0: true },
  { name: 'LSTM coupled input-forget gate, peepholes, bidirectional', cfg: { kind: 'LSTM', coupled: true, peepholes: true }, bidir: true, h0: true },
  { name: 'LSTM cellClip 0.7 (many clipped), peepholes', cfg: { kind: 'LSTM', cellClip: 0.7, peepholes: true }, h0: true, scale: 2 },
  { name: 'LSTM cellClip, coupled, projection, lengths', cfg: { kind: 'LSTM', cellClip: 0.9, coupled: true, projSize: 3 }, bidir: true, lengths: [4, 5, 1], h0: true, scale: 2 },
  { name: 'LSTM full gate recurrence', cfg: { kind: 'LSTM', gateRecurrence: true }, h0: true },
  { name: 'LSTM full gate recurrence, 2 layers bidirectional, lengths, projection', cfg: { kind: 'LSTM', gateRecurrence: true, projSize: 4 }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
  { name: 'GRU resetAfter false', cfg: { kind: 'GRU', resetAfter: false }, h0: true },
  { name: 'GRU resetAfter false, 2 layers bidirectional, lengths', cfg: { kind: 'GRU', resetAfter: false }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
  { name: 'GRU minimal', cfg: { kind: 'GRU', minimal: true }, h0: true },
  { name: 'GRU minimal, bidirectional, lengths', cfg: { kind: 'GRU', minimal: true }, bidir: true, lengths: [1, 5, 3] },
  { name: 'RNN leaky tau', cfg: { kind: 'RNN', tau: [1, 2, 3.5, 8, 1.5, 20] }, h0: true },
  { name: 'RNN leaky, trained tau, relu, bidirectional', cfg: { kind: 'RNN', tau: [1.2, 2, 3.5, 8, 1.5, 20], trainTau: true, nonlinearity: 'relu' }, bidir: true, h0: true },
  { name: 'RNN delays [1, 3]', cfg: { kind: 'RNN', delays: [1, 3] }, h0: true },
  { name: 'RNN delays [2, 5] (no delay 1), T=4, bidirectional, lengths', cfg: { kind: 'RNN', delays: [2, 5] }, T: 4, bidir: true, lengths: [4, 1, 3], h0: true },
  { name: 'RNN identity recurrence, delays [1, 2], leaky, 2 layers bidirectional, lengths', cfg: { kind: 'RNN', identityRecurrence: true, delays: [1, 2], tau: [1, 2, 3, 4, 5, 6] }, L: 2, bidir: true, lengths: [5, 3, 2], h0: true },
  // activations other than the defaults (the general kernels lstma_* / gruact_*)
  { name: 'LSTM gateActivation hardSigmoid', cfg: { kind: 'LSTM', gateActivation: 'hardSigmoid' }, h0: true, scale: 2 },
  { name: 'LSTM gateActivation hardSigmoid (Keras 1/6), peepholes, cellClip 0.8', cfg: { kind: 'LSTM', gateActivation: { type: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 }, peepholes: true, cellClip: 0.8 }, h0: true, scale: 2 },
  { name: 'LSTM cellActivation relu, hiddenActivation sigmoid', cfg: { kind: 'LSTM', cellActivation: 'relu', hiddenActivation: 'sigmoid' }, h0: true },
  { name: 'LSTM hiddenActivation relu, coupled, peepholes', cfg: { kind: 'LSTM', hiddenActivation: 'relu', coupled: true, peepholes: true }, h0: true },
  { name: 'LSTM gateActivation tanh, cellActivation hardSigmoid, no forget gate', cfg: { kind: 'LSTM', gateActivation: 'tanh', cellActivation: { type: 'hardSigmoid', alpha: 0.3, beta: 0.4 }, forgetGate: false }, h0: true },
  { name: 'LSTM cellActivation sigmoid, gateActivation relu, projection, 2 layers bidirectional, lengths', cfg: { kind: 'LSTM', cellActivation: 'sigmoid', gateActivation: 'relu', projSize: 3 }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
  { name: 'LSTM hiddenActivation hardSigmoid, gateActivation hardSigmoid, cellClip 0.7, coupled, bidirectional, lengths', cfg: { kind: 'LSTM', hiddenActivation: 'hardSigmoid', gateActivation: 'hardSigmoid', cellClip: 0.7, coupled: true }, bidir: true, lengths: [4, 5, 1], h0: true, scale: 2 },
  { name: 'GRU gateActivation hardSigmoid', cfg: { kind: 'GRU', gateActivation: 'hardSigmoid' }, h0: true, scale: 2 },
  { name: 'GRU cellActivation relu, resetAfter false', cfg: { kind: 'GRU', cellActivation: 'relu', resetAfter: false }, h0: true },
  { name: 'GRU gateActivation hardSigmoid (1/6), cellActivation sigmoid, 2 layers bidirectional, lengths', cfg: { kind: 'GRU', gateActivation: { type: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 }, cellActivation: 'sigmoid' }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
  { name: 'GRU gateActivation tanh, cellActivation hardSigmoid, resetAfter false, 2 layers bidirectional, lengths', cfg: { kind: 'GRU', gateActivation: 'tanh', cellActivation: 'hardSigmoid', resetAfter: false }, L: 2, bidir: true, lengths: [3, 5, 1], h0: true },
  { name: 'GRU minimal, gateActivation hardSigmoid, cellActivation relu, bidirectional, lengths', cfg: { kind: 'GRU', minimal: true, gateActivation: 'hardSigmoid', cellActivation: 'relu' }, bidir: true, lengths: [1, 5, 3], h0: true },
  { name: 'RNN nonlinearity hardSigmoid, bidirectional', cfg: { kind: 'RNN', nonlinearity: 'hardSigmoid' }, bidir: true, h0: true, scale: 2 },
  { name: 'RNN nonlinearity sigmoid, leaky tau', cfg: { kind: 'RNN', nonlinearity: 'sigmoid', tau: [1, 2, 3.5, 8, 1.5, 20] }, h0: true },
  { name: 'RNN nonlinearity hardSigmoid (0.3, 0.4), delays [1, 2], 2 layers', cfg: { kind: 'RNN', nonlinearity: { type: 'hardSigmoid', alpha: 0.3, beta: 0.4 }, delays: [1, 2] }, L: 2, h0: true },
  { name: 'CEC', cfg: { kind: 'CEC' }, h0: true },
  { name: 'CEC 2 layers bidirectional, lengths', cfg: { kind: 'CEC' }, L: 2, bidir: true, lengths: [5, 2, 4], h0: true },
];

function build(c: Case, D: number, H: number): RecurrentLayer {
  const { kind, ...options } = c.cfg;
  const common = { inputSize: D, hiddenSize: H, numLayers: c.L ?? 1, bidirectional: c.bidir ?? false, seed: 11, ...options };
  if (kind === 'LSTM') return new LSTM(common as never);
  if (kind === 'GRU') return new GRU(common as never);
  if (kind === 'CEC') return new CEC(common as never);
  return new RNN(common as never);
}

export function variantSuite(simd: 'relaxed' | 'baseline'): void {
  describe(`variants against float64 (${simd} build)`, () => {
    beforeAll(async () => { await init({ simd }); });
    test.each(cases.map((c) => [c.name, c]))('%s', (_name, c) => {
      const T = c.T ?? 5, B = 3, D = 4, H = 6, L = c.L ?? 1, dirs = c.bidir ? 2 : 1, P = c.cfg.projSize || H;
      const layer = build(c as Case, D, H);
      const cell = c.cfg.kind === 'LSTM' || c.cfg.kind === 'CEC';
      const x = randomArray(1, T * B * D, c.scale ?? 1), dOut = randomArray(2, T * B * dirs * P);
      const dH = randomArray(3, L * dirs * B * P), dC = randomArray(4, L * dirs * B * H);
      const h0 = c.h0 ? randomArray(5, L * dirs * B * P) : undefined;
      const c0 = c.h0 && cell ? randomArray(6, L * dirs * B * H) : undefined;
      const f32 = (a: Float64Array) => Float32Array.from(a);
      const state = h0 ? { h: { data: f32(h0), shape: [L * dirs, B, P] }, c: c0 ? { data: f32(c0), shape: [L * dirs, B, H] } : undefined } : undefined;
      layer.zeroGrad();
      const fwd = layer.forward({ data: f32(x), shape: [T, B, D] }, state, { train: true, lengths: c.lengths });
      const back = layer.backward({ data: f32(dOut), shape: fwd.output.shape }, {
        h: { data: f32(dH), shape: fwd.h.shape }, c: fwd.c ? { data: f32(dC), shape: fwd.c.shape } : undefined,
      });
      const grads = layer.grads();

      const params: Record<string, Float64Array> = {};
      for (const [k, v] of Object.entries(layer.stateDict())) params[k] = Float64Array.from(v.data);
      const cfg = { inputSize: D, hiddenSize: H, numLayers: L, bias: true, bidirectional: c.bidir ?? false, ...c.cfg } as VariantConfig;
      const ref = variantForward64(cfg, params, x, T, B, h0, c0, c.lengths);
      let fwdErr = 0;
      const cmp = (a: Float32Array, b: Float64Array) => { for (let i = 0; i < b.length; i++) fwdErr = Math.max(fwdErr, Math.abs(a[i] - b[i])); };
      cmp(fwd.output.data, ref.output); cmp(fwd.h.data, ref.h_n);
      if (ref.c_n) cmp(fwd.c!.data, ref.c_n);

      const loss = () => {
        const r = variantForward64(cfg, params, x, T, B, h0, c0, c.lengths);
        let s = 0;
        for (let i = 0; i < r.output.length; i++) s += r.output[i] * dOut[i];
        for (let i = 0; i < r.h_n.length; i++) s += r.h_n[i] * dH[i];
        if (r.c_n) for (let i = 0; i < r.c_n.length; i++) s += r.c_n[i] * dC[i];
        return s;
      };
      const targets: GradTarget[] = [['x', x, back.dx!.data]];
      if (h0) targets.push(['h0', h0, back.dh0.data]);
      if (c0) targets.push(['c0', c0, back.dc0!.data]);
      for (const [k, v] of Object.entries(params)) targets.push([k, v, grads[k].data]);
      const { worst, failures } = compareWithFiniteDifferences(loss, targets, 2e-5, 8);
      console.log(`${c.name}: forward ${fwdErr.toExponential(2)}, worst gradient |ours - fd| / (1 + |fd|) = ${worst.toExponential(2)} over ${targets.length} tensors`);
      expect(fwdErr).toBeLessThanOrEqual(1e-5);
      expect(failures.slice(0, 8)).toEqual([]);
      layer.dispose();
    });

    const streamable = cases.filter((c) => !c.bidir && !(c.cfg.delays && c.cfg.delays.join() !== '1'));
    test.each(streamable.map((c) => [c.name, c]))('stream equals forward: %s', (_name, c) => {
      const T = c.T ?? 5, B = 3, D = 4, H = 6, L = c.L ?? 1, P = c.cfg.projSize || H;
      const layer = build(c as Case, D, H);
      const x = Float32Array.from(randomArray(1, T * B * D, c.scale ?? 1));
      const { output } = layer.forward({ data: x, shape: [T, B, D] });
      const stream = layer.stream(B);
      let err = 0;
      for (let t = 0; t < T; t++) {
        const h = stream.step(x.subarray(t * B * D, (t + 1) * B * D));
        for (let i = 0; i < B * P; i++) err = Math.max(err, Math.abs(h.data[i] - output.data[t * B * P + i]));
      }
      expect(err).toBe(0);
      expect(stream.state().h.shape).toEqual([L, B, P]);
      layer.dispose();
    });

    test('stream() of an RNN with delays other than [1] is refused', () => {
      const layer = new RNN({ inputSize: 2, hiddenSize: 3, delays: [1, 3] });
      expect(() => layer.stream()).toThrow(/delays/);
      expect(() => layer.stream()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
      layer.dispose();
    });
  });
}
