// Use after dispose: an optimizer, clipping, a penalty, fit or a Sequential over a disposed
// module throws DISPOSED and touches no memory, in particular not the memory of a module
// built afterwards in the disposed one's place.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, AdamW, Embedding, LSTM, Linear, RMSprop, RnnError, SGD, ScalarMix, Sequential,
  clipGradNorm, clipGradValue, fit, init, l1Penalty, l2Penalty,
} from '../src/node.js';

beforeAll(async () => { await init(); });

function code(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return (e as RnnError).code; }
  return undefined;
}

function bits(dict: Record<string, { data: Float32Array }>): Uint32Array[] {
  return Object.values(dict).map((t) => new Uint32Array(t.data.slice().buffer));
}

describe('an optimizer over a disposed module', () => {
  const kinds = [
    ['SGD', (m: unknown) => new SGD(m, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (m: unknown) => new Adam(m, { lr: 0.1 })],
    ['AdamW', (m: unknown) => new AdamW(m, { lr: 0.1 })],
    ['RMSprop', (m: unknown) => new RMSprop(m, { lr: 0.1, momentum: 0.5 })],
  ] as const;
  for (const [name, make] of kinds) {
    for (const stepFirst of [false, true]) {
      test(`${name}${stepFirst ? ' after a step' : ''}: step throws DISPOSED and leaves a later Linear bit-identical`, () => {
        const old = new Linear({ inFeatures: 8, outFeatures: 8, seed: 1 });
        const opt = make(old);
        if (stepFirst) opt.step();
        old.dispose();
        const fresh = new Linear({ inFeatures: 8, outFeatures: 8, seed: 2 });
        fresh.zeroGrad();
        // gradients that would move every weight
        fresh.forward({ data: new Float32Array(8).fill(1), shape: [1, 8] }, { train: true });
        fresh.backward({ data: new Float32Array(8).fill(1), shape: [1, 8] });
        const before = bits(fresh.stateDict()), gradsBefore = bits(fresh.grads());
        expect(code(() => opt.step())).toBe('DISPOSED');
        expect(code(() => opt.stateDict())).toBe('DISPOSED');
        expect(bits(fresh.stateDict())).toEqual(before);
        expect(bits(fresh.grads())).toEqual(gradsBefore);
        opt.dispose();
        fresh.dispose();
      });
    }
  }

  test('an optimizer over an array with one disposed member steps nothing', () => {
    const a = new Linear({ inFeatures: 4, outFeatures: 4, seed: 3 }), b = new Linear({ inFeatures: 4, outFeatures: 4, seed: 4 });
    const opt = new SGD([a, b], { lr: 0.1 });
    a.forward({ data: new Float32Array(4).fill(1), shape: [1, 4] }, { train: true });
    a.backward({ data: new Float32Array(4).fill(1), shape: [1, 4] });
    const before = bits(a.stateDict());
    b.dispose();
    expect(code(() => opt.step())).toBe('DISPOSED');
    expect(bits(a.stateDict())).toEqual(before);
    a.dispose();
  });
});

describe('other consumers of a disposed module', () => {
  test('clipping and penalties', () => {
    const lin = new Linear({ inFeatures: 3, outFeatures: 2, seed: 5 });
    lin.dispose();
    expect(code(() => clipGradNorm(lin, 1))).toBe('DISPOSED');
    expect(code(() => clipGradValue(lin, 1))).toBe('DISPOSED');
    expect(code(() => l1Penalty(lin, 0.1))).toBe('DISPOSED');
    expect(code(() => l2Penalty(lin, 0.1))).toBe('DISPOSED');
  });

  test('a ScalarMix, alone and with a live layer', () => {
    const mix = new ScalarMix({ numLayers: 2 }), lstm = new LSTM({ inputSize: 2, hiddenSize: 2, numLayers: 2, seed: 1 });
    const opt = new Adam([lstm, mix], { lr: 0.1 });
    mix.dispose();
    expect(code(() => opt.step())).toBe('DISPOSED');
    expect(code(() => clipGradNorm([lstm, mix], 1))).toBe('DISPOSED');
    expect(code(() => new SGD(mix, { lr: 0.1 }))).toBe('DISPOSED');
    lstm.dispose();
    opt.dispose();
  });

  test('a Sequential with a disposed layer, and fit over it', () => {
    const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 1 });
    const head = new Linear({ inFeatures: 3, outFeatures: 5, seed: 1 });
    const model = new Sequential([emb, head]);
    const opt = new SGD(model, { lr: 0.1 });
    head.dispose();
    const before = bits(emb.stateDict());
    expect(code(() => opt.step())).toBe('DISPOSED');
    expect(code(() => clipGradNorm(model, 1))).toBe('DISPOSED');
    expect(code(() => model.paramBuffers())).toBe('DISPOSED');
    const x = { data: Int32Array.from([1, 2, 3, 4]), shape: [2, 2] };
    expect(code(() => fit(model, { x, y: Int32Array.from([1, 2, 3, 4]) }, { optimizer: opt }))).toBe('DISPOSED');
    expect(bits(emb.stateDict())).toEqual(before);
    emb.dispose();
    opt.dispose();
  });
});

describe('fit checks everything it touches before any work', () => {
  const make = () => {
    const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 1 });
    const head = new Linear({ inFeatures: 3, outFeatures: 5, seed: 1 });
    const model = new Sequential([emb, head]);
    // gradients that a forward and backward would change
    model.forward({ data: Int32Array.from([1, 2]), shape: [2] }, { train: true });
    model.backward({ data: new Float32Array(10).fill(0.5), shape: [2, 5] });
    return { model, x: { data: Int32Array.from([1, 2, 3, 4]), shape: [2, 2] }, y: Int32Array.from([1, 2, 3, 4]) };
  };

  test('a live model with an optimizer that also updates a disposed module: DISPOSED, gradients and weights unchanged', () => {
    const { model, x, y } = make();
    const other = new Linear({ inFeatures: 2, outFeatures: 2, seed: 2 });
    const opt = new Adam([model, other], { lr: 0.1 });
    other.dispose();
    const weights = bits(model.stateDict()), grads = bits(model.grads());
    let e: RnnError | undefined;
    try { fit(model, { x, y }, { optimizer: opt }); } catch (err) { e = err as RnnError; }
    expect(e?.code).toBe('DISPOSED');
    expect(e?.message).toMatch(/^fit: options\.optimizer: a Linear/);
    expect(bits(model.grads())).toEqual(grads);
    expect(bits(model.stateDict())).toEqual(weights);
    model.dispose();
    opt.dispose();
  });

  test('a disposed optimizer over the live model: DISPOSED, gradients unchanged', () => {
    const { model, x, y } = make();
    const opt = new SGD(model, { lr: 0.1 });
    opt.dispose();
    const grads = bits(model.grads());
    expect(code(() => fit(model, { x, y }, { optimizer: opt }))).toBe('DISPOSED');
    expect(bits(model.grads())).toEqual(grads);
    model.dispose();
  });
});
