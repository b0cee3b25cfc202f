// ELMo's layer mix over a stacked bidirectional LSTM: forward and the gradients of x, of the
// LSTM's parameters and of the mix's w and gamma against central differences of a float64
// pipeline (test/reference/variants64.ts layer by layer, then the mix in float64).
import { beforeAll, expect, test } from 'vitest';
import { Adam, LSTM, RnnError, ScalarMix, init } from '../src/node.js';
import { variantForward64 } from './reference/variants64.js';
import { compareWithFiniteDifferences, type GradTarget } from './reference/rnn64.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const T = 4, B = 2, D = 3, H = 4, L = 2;

/** Every layer's output in float64: layer l is a one-layer reference fed the one below. */
function layers64(params: Record<string, Float64Array>, x: Float64Array): Float64Array[] {
  const out: Float64Array[] = [];
  let input = x;
  for (let l = 0; l < L; l++) {
    const p: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(params)) {
      const m = k.match(new RegExp(`^(.*)_l${l}(_reverse)?$`));
      if (m) p[`${m[1]}_l0${m[2] ?? ''}`] = v;
    }
    const cfg = { kind: 'LSTM' as const, inputSize: l === 0 ? D : 2 * H, hiddenSize: H, numLayers: 1, bias: true, bidirectional: true };
    input = variantForward64(cfg, p, input, T, B).output;
    out.push(input);
  }
  return out;
}

test('ScalarMix + LSTM(allLayers) gradients against float64 finite differences', () => {
  const lstm = new LSTM({ inputSize: D, hiddenSize: H, numLayers: L, bidirectional: true, seed: 5 });
  const mix = new ScalarMix({ numLayers: L });
  mix.loadStateDict({ scalar_parameters: new Float32Array([0.3, -0.2]), gamma: new Float32Array([1.3]) });
  const x = randomArray(1, T * B * D), dY = randomArray(2, T * B * 2 * H);
  const fwd = lstm.forward({ data: Float32Array.from(x), shape: [T, B, D] }, undefined, { train: true, allLayers: true });
  expect(fwd.layers!.map((t) => t.shape)).toEqual([[T, B, 2 * H], [T, B, 2 * H]]);
  expect(fwd.layers![1].data).toEqual(fwd.output.data);
  const y = mix.forward(fwd.layers!, { train: true });
  const { dLayers } = mix.backward({ data: Float32Array.from(dY), shape: y.shape });
  const back = lstm.backward(null, undefined, { dLayers });

  const params: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(lstm.stateDict())) params[k] = Float64Array.from(v.data);
  const mixP = { w: Float64Array.from([0.3, -0.2]), gamma: Float64Array.from([1.3]) };
  const loss = () => {
    const hs = layers64(params, x);
    const e = mixP.w.map(Math.exp), sum = e.reduce((a, b) => a + b, 0);
    let s = 0;
    for (let l = 0; l < L; l++) for (let i = 0; i < dY.length; i++) s += mixP.gamma[0] * (e[l] / sum) * hs[l][i] * dY[i];
    return s;
  };
  const want = loss();
  let fwdErr = 0;
  for (let i = 0; i < dY.length; i++) fwdErr += y.data[i] * dY[i];
  expect(Math.abs(fwdErr - want)).toBeLessThan(1e-5);

  const grads = lstm.grads(), mg = mix.grads();
  const targets: GradTarget[] = [
    ['x', x, back.dx!.data], ['w', mixP.w, mg.scalar_parameters.data], ['gamma', mixP.gamma, mg.gamma.data],
    ...Object.entries(params).map(([k, v]) => [k, v, grads[k].data] as GradTarget),
  ];
  const { worst, failures } = compareWithFiniteDifferences(loss, targets, 2e-5, 0, (n) => [...new Set([0, n - 1, Math.floor(n / 2)])]);
  expect(failures).toEqual([]);
  console.log(`ScalarMix over a 2-layer bidirectional LSTM: worst |ours - fd| / (1 + |fd|) = ${worst.toExponential(2)}`);
  lstm.dispose(); mix.dispose();
});

test('fixed weights and gamma are invisible to optimizers; training moves only what is trained', () => {
  const fixed = new ScalarMix({ numLayers: 3, trainWeights: false, trainGamma: false });
  expect(fixed.paramBuffers()).toEqual([]);
  const mix = new ScalarMix({ numLayers: 3, trainGamma: false, gamma: 2 });
  const layers = [0, 1, 2].map((l) => ({ data: new Float32Array(4).fill(l), shape: [4] }));
  const opt = new Adam(mix, { lr: 0.1, weightDecay: 0.5 });
  for (let i = 0; i < 5; i++) {
    mix.zeroGrad();
    const y = mix.forward(layers, { train: true });
    mix.backward({ data: y.data.map(() => 1), shape: y.shape }); // minimising sum(y) favours the smallest layer
    opt.step();
  }
  const s = mix.weights();
  expect(s[0]).toBeGreaterThan(s[1]);
  expect(s[1]).toBeGreaterThan(s[2]);
  expect(mix.stateDict().gamma.data[0]).toBe(2);
  expect(mix.forward(layers).data[0]).toBeCloseTo(2 * (s[1] + 2 * s[2]), 5);
  expect(() => mix.forward(layers.slice(0, 2))).toThrow(RnnError);
  expect(() => mix.backward({ data: new Float32Array(4), shape: [4] })).toThrow(/NO_TAPE|no tape/);
  expect(() => mix.loadStateDict({ scalar_parameters: new Float32Array(2), gamma: new Float32Array(1) })).toThrow(RnnError);
  mix.dispose(); fixed.dispose();
  expect(() => mix.weights()).toThrow(/disposed/);
});

test('bad allLayers / dLayers are rejected and the tape is kept', () => {
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, seed: 1 });
  const x = { data: new Float32Array(4 * 1 * 2).fill(0.3), shape: [4, 1, 2] };
  expect(() => lstm.forward(x, undefined, { allLayers: 1 as never })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  const fwd = lstm.forward(x, undefined, { train: true, allLayers: true });
  const good = { data: new Float32Array(12).fill(1), shape: [4, 1, 3] };
  expect(() => lstm.backward(null, undefined, { dLayers: [good] })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  expect(() => lstm.backward(null, undefined, { dLayers: [good, { data: new Float32Array(12), shape: [4, 3] }] })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  expect(() => lstm.backward(null, undefined, { dLayers: [null, { data: new Float32Array(12).fill(NaN), shape: [4, 1, 3] }] })).toThrow(expect.objectContaining({ code: 'NOT_FINITE' }));
  // nothing changed: the tape is still there and the gradients are still zero
  expect(Object.values(lstm.grads()).every((g) => g.data.every((v) => v === 0))).toBe(true);
  const r = lstm.backward(null, undefined, { dLayers: [good, null] });
  expect(r.dx!.shape).toEqual([4, 1, 2]);
  expect(fwd.layers).toHaveLength(2);
  lstm.dispose();
});
