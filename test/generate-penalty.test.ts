// Weight penalties add exactly their gradient; generation carries the recurrent state (greedy
// generation equals re-running the whole sequence), is reproducible by seed, and samples the
// softmax distribution (with temperature and top-k).
import { beforeAll, describe, expect, test } from 'vitest';
import { Embedding, GRU, LSTM, Linear, RnnError, Sequential, generate, init, l1Penalty, l2Penalty } from '../src/node.js';
import { sampleLogits } from '../src/train/generate.js';
import { Random } from '../src/random.js';

beforeAll(async () => { await init(); });

describe('penalties', () => {
  test('l2 and l1 return their value and add their gradient', () => {
    const lin = new Linear({ inFeatures: 5, outFeatures: 3, seed: 4 });
    const { weight, bias } = lin.stateDict();
    const all = [...weight.data, ...bias.data];
    lin.zeroGrad();
    const v2 = l2Penalty(lin, 0.1);
    expect(v2).toBeCloseTo(0.1 * all.reduce((s, p) => s + p * p, 0), 6);
    const g2 = lin.grads();
    weight.data.forEach((p, i) => expect(g2.weight.data[i]).toBeCloseTo(0.2 * p, 7));
    lin.zeroGrad();
    const v1 = l1Penalty(lin, 0.01);
    expect(v1).toBeCloseTo(0.01 * all.reduce((s, p) => s + Math.abs(p), 0), 7);
    bias.data.forEach((p, i) => expect(lin.grads().bias.data[i]).toBe(Math.fround(p > 0 ? 0.01 : -0.01)));
    expect(() => l2Penalty(lin, -1)).toThrow(RnnError);
  });
});

describe('generate', () => {
  const V = 9;
  const makeModel = (Cell: typeof LSTM | typeof GRU) => new Sequential([
    new Embedding({ numEmbeddings: V, embeddingDim: 4, seed: 6 }),
    new Cell({ inputSize: 4, hiddenSize: 12, numLayers: 2, seed: 6 }),
    new Linear({ inFeatures: 12, outFeatures: V, seed: 6 }),
  ]);

  test.each([['LSTM', LSTM], ['GRU', GRU]] as const)('%s: greedy generation equals re-running the whole sequence', (_n, Cell) => {
    const model = makeModel(Cell);
    const prompt = [1, 4, 2];
    const ids = generate(model, prompt, { length: 8, temperature: 0 });
    const seq = [...prompt];
    for (let i = 0; i < 8; i++) {
      const out = model.forward({ data: Int32Array.from(seq), shape: [seq.length, 1] });
      const last = Array.from(out.data.subarray(out.data.length - V));
      seq.push(last.indexOf(Math.max(...last)));
    }
    expect(Array.from(ids)).toEqual(seq.slice(prompt.length));
    expect(Array.from(generate(model, prompt, { length: 8, topK: 1, seed: 3 }))).toEqual(Array.from(ids));
  });

  test('the same seed gives the same text; temperature and top-k shape the draw', () => {
    const model = makeModel(LSTM);
    const a = generate(model, [0], { length: 30, seed: 11 }), b = generate(model, [0], { length: 30, seed: 11 });
    expect(a).toEqual(b);
    const logits = [2, 1, 0, -1], random = new Random(5), counts = [0, 0, 0, 0], n = 20000;
    for (let i = 0; i < n; i++) counts[sampleLogits(logits, 1, Infinity, random)]++;
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    logits.forEach((l, i) => expect(Math.abs(counts[i] / n - Math.exp(l) / z)).toBeLessThan(0.015));
    const top2 = [0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) top2[sampleLogits(logits, 1, 2, random)]++;
    expect(top2[2] + top2[3]).toBe(0);
    const cold = [0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) cold[sampleLogits(logits, 0.1, Infinity, random)]++;
    expect(cold[0]).toBeGreaterThan(1990);
    expect(() => generate(model, [], { length: 3 })).toThrow(RnnError);
    expect(() => generate(model, [1], { length: 3, topK: 0 })).toThrow(RnnError);
  });
});

describe('generate refuses prompt ids as Embedding.forward does', () => {
  test('fractional, NaN, negative, out of range or beyond 2^31: BAD_ARGUMENT naming the id, nothing run', () => {
    const V = 5;
    const model = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: 3, seed: 1 }), new GRU({ inputSize: 3, hiddenSize: 4, seed: 2 }), new Linear({ inFeatures: 4, outFeatures: V, seed: 3 })]);
    for (const bad of [1.5, NaN, -1, V, 2 ** 31 + 1, 2 ** 32, Infinity]) {
      let err: RnnError | undefined;
      try { generate(model, [0, bad], { length: 2, seed: 1 }); } catch (e) { err = e as RnnError; }
      expect(err?.code, String(bad)).toBe('BAD_ARGUMENT');
      expect(err?.message).toContain('generate: prompt[1]');
      let fromLayer: RnnError | undefined;
      const ids = Int32Array.from([bad]);
      if (ids[0] >= 0 && ids[0] < V) continue; // wraps into range in an Int32Array: only generate sees it
      try { model.layers[0].forward({ data: ids, shape: [1] } as never); } catch (e) { fromLayer = e as RnnError; }
      expect(fromLayer?.code).toBe('BAD_ARGUMENT');
    }
    expect(generate(model, [0, 4], { length: 2, seed: 1 })).toHaveLength(2);
    model.dispose();
  });
});
