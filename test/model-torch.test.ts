// Whole training steps of Embedding -> LSTM -> Linear with cross-entropy, SGD or Adam and
// gradient clipping, against PyTorch (test/fixtures/make_model_fixtures.py): the loss of every
// step, the clipping norms and every parameter after the last step. Also Sequential's state
// dict rules and Embedding's own checks.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, Embedding, LSTM, Linear, RnnError, SGD, Sequential, clipGradNorm, crossEntropy, init } from '../src/node.js';
import type { Tensor } from '../src/tensor.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fixture = Record<string, any> & { name: string; tensors: Record<string, { offset: number; shape: number[] }> };
const meta = JSON.parse(readFileSync(new URL('./fixtures/model.json', import.meta.url), 'utf8')) as { torch: string; cases: Fixture[] };
const bin = readFileSync(new URL('./fixtures/model.bin', import.meta.url));
const floats = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
const get = (c: Fixture, key: string): Tensor => {
  const t = c.tensors[key];
  return { data: floats.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)), shape: t.shape };
};

beforeAll(async () => { await init(); });

describe(`training steps against PyTorch ${meta.torch}`, () => {
  test.each(meta.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const model = new Sequential([
      new Embedding({ numEmbeddings: c.V, embeddingDim: c.E, seed: 1 }),
      new LSTM({ inputSize: c.E, hiddenSize: c.H, seed: 1 }),
      new Linear({ inFeatures: c.H, outFeatures: c.V, seed: 1 }),
    ]);
    const initial: Record<string, Tensor> = {};
    for (const key of Object.keys(c.tensors)) if (!key.startsWith('after.')) initial[key] = get(c, key);
    model.loadStateDict(initial);
    const opt = c.optimizer === 'SGD' ? new SGD(model, c.options) : new Adam(model, c.options);
    const ids = { data: Int32Array.from(c.ids), shape: [c.T, c.B] };
    let worstLoss = 0;
    for (let s = 0; s < c.steps; s++) {
      model.zeroGrad();
      const logits = model.forward(ids, { train: true });
      const { loss, grad } = crossEntropy(logits, c.targets);
      worstLoss = Math.max(worstLoss, Math.abs(loss - c.losses[s]));
      model.backward(grad);
      if (c.maxNorm !== null) expect(Math.abs(clipGradNorm(model, c.maxNorm) - c.norms[s])).toBeLessThanOrEqual(1e-6);
      opt.step();
    }
    let worstParam = 0;
    for (const [key, value] of Object.entries(model.stateDict())) {
      const want = get(c, `after.${key}`);
      expect(value.shape, key).toEqual(want.shape);
      for (let i = 0; i < want.data.length; i++) worstParam = Math.max(worstParam, Math.abs(value.data[i] - want.data[i]));
    }
    console.log(`${c.name}: worst loss error ${worstLoss.toExponential(2)}, worst parameter error ${worstParam.toExponential(2)}`);
    expect(worstLoss).toBeLessThanOrEqual(2e-6);
    expect(worstParam).toBeLessThanOrEqual(5e-6);
  });
});

describe('Sequential and Embedding', () => {
  const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };

  test('state dicts carry prefixes, and loading is strict and all or nothing', () => {
    const model = new Sequential([new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 2 }), new Linear({ inFeatures: 3, outFeatures: 2, seed: 2 })]);
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '1.weight', '1.bias']);
    expect(model.parameters().map((t) => t.shape)).toEqual([[5, 3], [2, 3], [2]]);
    const bad = { ...sd, '1.bias': { data: Float32Array.of(NaN, 0), shape: [2] }, '0.weight': { data: new Float32Array(15).fill(7), shape: [5, 3] } };
    expect(code(() => model.loadStateDict(bad))).toBe('NOT_FINITE');
    expect(model.stateDict()['0.weight'].data).toEqual(sd['0.weight'].data); // layer 0 restored
    expect(code(() => model.loadStateDict({ ...sd, '2.weight': sd['1.weight'] }))).toBe('BAD_ARGUMENT');
    expect(code(() => model.loadStateDict({ '0.weight': sd['0.weight'] }))).toBe('BAD_ARGUMENT');
    expect(code(() => new Sequential([new Linear({ inFeatures: 3, outFeatures: 3 }), new Embedding({ numEmbeddings: 2, embeddingDim: 3 })]))).toBe('BAD_ARGUMENT');
    expect(code(() => new Sequential([]))).toBe('BAD_ARGUMENT');
  });

  test('Embedding: seeded normal table, ids checked, repeated ids add their gradients', () => {
    const a = new Embedding({ numEmbeddings: 200, embeddingDim: 50, seed: 9 }), b = new Embedding({ numEmbeddings: 200, embeddingDim: 50, seed: 9 });
    const w = a.stateDict().weight.data;
    expect(w).toEqual(b.stateDict().weight.data);
    const mean = w.reduce((s, v) => s + v, 0) / w.length, variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(code(() => a.forward({ data: Int32Array.of(0, 200), shape: [2] }))).toBe('BAD_ARGUMENT');
    expect(code(() => a.forward({ data: Int32Array.of(-1), shape: [1] }))).toBe('BAD_ARGUMENT');
    expect(code(() => a.forward({ data: [1, 2] as never, shape: [2] }))).toBe('BAD_ARGUMENT');
    const y = a.forward({ data: Int32Array.of(3, 3, 4), shape: [3] }, { train: true });
    expect(y.shape).toEqual([3, 50]);
    expect(Array.from(y.data.subarray(0, 50))).toEqual(Array.from(w.subarray(150, 200)));
    a.backward({ data: new Float32Array(150).fill(1), shape: [3, 50] });
    const g = a.grads().weight.data;
    expect(g[150]).toBe(2);
    expect(g[200]).toBe(1);
    expect(g[0]).toBe(0);
    expect(code(() => a.backward({ data: new Float32Array(150), shape: [3, 50] }))).toBe('NO_TAPE');
  });
});
