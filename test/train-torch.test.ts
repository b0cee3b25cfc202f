// Losses, optimizers, clipping and Linear against PyTorch: every case of
// test/fixtures/train.json (made by test/fixtures/make_train_fixtures.py with Debian's
// python3-torch). Tolerance |ours - torch| <= TOL * (1 + |torch|), measured worst printed.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, Linear, RMSprop, RnnError, SGD, clipGradNorm, clipGradValue, crossEntropy, init, mse } from '../src/node.js';
import type { Backend } from '../src/backend.js';
import type { Tensor } from '../src/tensor.js';
import type { ParamBuffer } from '../src/params.js';

const TOL = 2e-6;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fixture = Record<string, any> & { name: string; kind: string; tensors: Record<string, { offset: number; shape: number[] }> };
const meta = JSON.parse(readFileSync(new URL('./fixtures/train.json', import.meta.url), 'utf8')) as { torch: string; cases: Fixture[] };
const bin = readFileSync(new URL('./fixtures/train.bin', import.meta.url));
const floats = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
const get = (c: Fixture, key: string): Tensor => {
  const t = c.tensors[key];
  if (!t) throw new Error(`${c.name}: no tensor ${key}`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  return { data: floats.slice(t.offset, t.offset + n), shape: t.shape };
};
const cases = (kind: string) => meta.cases.filter((c) => c.kind === kind).map((c) => [c.name, c] as const);

function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) { expect(Number.isNaN(got[i])).toBe(true); continue; }
    w = Math.max(w, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  }
  return w;
}

/** A model made of raw parameter tensors, the way an optimizer sees any layer. */
function rawModel(backend: Backend, params: Float32Array[]) {
  const buffers: ParamBuffer[] = params.map((p) => {
    const param = backend.arena.alloc(p.length * 4, 'param'), grad = backend.arena.alloc(p.length * 4, 'grad');
    backend.arena.f32At(param.ptr, p.length).set(p);
    return { param: param.ptr, grad: grad.ptr, length: p.length, backend, alive: () => true, owner: 'test buffer' };
  });
  return {
    paramBuffers: () => buffers,
    setGrads: (gs: Float32Array[]) => gs.forEach((g, i) => backend.arena.f32At(buffers[i].grad, g.length).set(g)),
    params: (i: number) => backend.arena.f32At(buffers[i].param, buffers[i].length).slice(),
    grads: (i: number) => backend.arena.f32At(buffers[i].grad, buffers[i].length).slice(),
  };
}

let backend: Backend;
beforeAll(async () => { backend = await init(); });

describe(`losses against PyTorch ${meta.torch}`, () => {
  test.each(cases('cross_entropy'))('%s', (_n, c) => {
    const logits = get(c, 'logits');
    const r = crossEntropy(logits, Int32Array.from(c.targets), { ignoreIndex: c.ignoreIndex, reduction: c.reduction });
    const want = get(c, 'loss').data[0];
    if (c.lossIsNaN) expect(r.loss).toBeNaN();
    else expect(Math.abs(r.loss - want) / (1 + Math.abs(want))).toBeLessThanOrEqual(TOL);
    expect(r.grad.shape).toEqual(logits.shape);
    expect(worst(r.grad.data, get(c, 'grad').data)).toBeLessThanOrEqual(TOL);
  });
  test.each(cases('mse'))('%s', (_n, c) => {
    const r = mse(get(c, 'pred'), get(c, 'target'), { reduction: c.reduction });
    expect(Math.abs(r.loss - get(c, 'loss').data[0])).toBeLessThanOrEqual(TOL * (1 + Math.abs(r.loss)));
    expect(worst(r.grad.data, get(c, 'grad').data)).toBeLessThanOrEqual(TOL);
  });
  test('bad targets and shapes are clear errors', () => {
    const logits = { data: new Float32Array(6), shape: [2, 3] };
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
    expect(code(() => crossEntropy(logits, [0, 3]))).toBe('BAD_ARGUMENT');
    expect(code(() => crossEntropy(logits, [0, -1]))).toBe('BAD_ARGUMENT');
    expect(code(() => crossEntropy(logits, [0, 1.5]))).toBe('BAD_ARGUMENT');
    expect(code(() => crossEntropy(logits, [0]))).toBe('SHAPE_MISMATCH');
    expect(code(() => crossEntropy(logits, [0, 1], { reduction: 'none' as never }))).toBe('BAD_ARGUMENT');
    expect(code(() => crossEntropy({ data: Float32Array.of(NaN, 0, 0), shape: [1, 3] }, [0]))).toBe('NOT_FINITE');
    expect(code(() => mse({ data: new Float32Array(3), shape: [3] }, { data: new Float32Array(4), shape: [4] }))).toBe('SHAPE_MISMATCH');
  });
});

describe(`optimizers against PyTorch ${meta.torch}`, () => {
  const make = { SGD, Adam, AdamW, RMSprop } as const;
  test.each(cases('optimizer'))('%s', (_n, c) => {
    const model = rawModel(backend, [get(c, 'p0').data, get(c, 'p1').data]);
    const opt = new make[c.optimizer as keyof typeof make](model, c.options);
    let w = 0;
    for (let s = 1; s <= c.steps; s++) {
      model.setGrads([get(c, `g${s}_0`).data, get(c, `g${s}_1`).data]);
      expect(opt.step()).toBe(true);
      w = Math.max(w, worst(model.params(0), get(c, `p0_after${s}`).data), worst(model.params(1), get(c, `p1_after${s}`).data));
    }
    console.log(`${c.name}: worst ${w.toExponential(2)} after ${c.steps} steps`);
    expect(w).toBeLessThanOrEqual(TOL);
    opt.dispose();
  });

  test('a resumed optimizer continues bit-identically', () => {
    const c = meta.cases.find((x) => x.name === 'adam_betas_eps_wd')!;
    const run = (resumeAt: number | null) => {
      const model = rawModel(backend, [get(c, 'p0').data, get(c, 'p1').data]);
      let opt = new Adam(model, c.options);
      for (let s = 1; s <= 4; s++) {
        if (s === resumeAt) {
          const saved = opt.stateDict();
          opt.dispose();
          opt = new Adam(model, c.options);
          opt.loadStateDict(saved);
        }
        model.setGrads([get(c, `g${s}_0`).data, get(c, `g${s}_1`).data]);
        opt.step();
      }
      return model.params(0);
    };
    expect(run(3)).toEqual(run(null));
  });

  test('non-finite gradients are never applied: thrown by default, skipped on request', () => {
    const model = rawModel(backend, [Float32Array.of(1, 2, 3)]);
    model.setGrads([Float32Array.of(0.1, NaN, 0.1)]);
    expect(() => new SGD(model, { lr: 0.1 }).step()).toThrow(/NaN or Infinity/);
    expect(new Adam(model, { lr: 0.1, nonFinite: 'skip' }).step()).toBe(false);
    expect(Array.from(model.params(0))).toEqual([1, 2, 3]);
    expect(() => new SGD(model, { lr: -1 })).toThrow(RnnError);
    expect(() => new SGD(model, { lr: 0.1, nesterov: true })).toThrow(/momentum/);
    expect(() => new Adam(model, { lr: 0.1, betas: [0.9, 1] })).toThrow(RnnError);
    expect(() => new RMSprop({}, { lr: 0.1 })).toThrow(RnnError);
  });
});

describe(`clipping against PyTorch ${meta.torch}`, () => {
  test.each(cases('clip_norm'))('%s', (_n, c) => {
    const model = rawModel(backend, [0, 1, 2].map((i) => new Float32Array(get(c, `g${i}`).data.length)));
    model.setGrads([0, 1, 2].map((i) => get(c, `g${i}`).data));
    const norm = clipGradNorm(model, c.maxNorm);
    expect(Math.abs(norm - get(c, 'total_norm').data[0])).toBeLessThanOrEqual(TOL * (1 + norm));
    for (const i of [0, 1, 2]) expect(worst(model.grads(i), get(c, `g${i}_after`).data)).toBeLessThanOrEqual(TOL);
  });
  test.each(cases('clip_value'))('%s', (_n, c) => {
    const model = rawModel(backend, [0, 1, 2].map((i) => new Float32Array(get(c, `g${i}`).data.length)));
    model.setGrads([0, 1, 2].map((i) => get(c, `g${i}`).data));
    clipGradValue(model, c.clipValue);
    for (const i of [0, 1, 2]) expect(Array.from(model.grads(i))).toEqual(Array.from(get(c, `g${i}_after`).data));
  });
  test('a non-finite norm scales nothing', () => {
    const model = rawModel(backend, [new Float32Array(2)]);
    model.setGrads([Float32Array.of(3, Infinity)]);
    expect(() => clipGradNorm(model, 1)).toThrow(/norm is Infinity/);
    expect(clipGradNorm(model, 1, { nonFinite: 'skip' })).toBe(Infinity);
    expect(Array.from(model.grads(0))).toEqual([3, Infinity]);
  });
});

describe(`Linear against PyTorch ${meta.torch}`, () => {
  test.each(cases('linear'))('%s', (_n, c) => {
    const layer = new Linear({ inFeatures: c.inFeatures, outFeatures: c.outFeatures, bias: c.bias, seed: 1 });
    layer.loadStateDict(c.bias ? { weight: get(c, 'weight'), bias: get(c, 'bias') } : { weight: get(c, 'weight') });
    const y = layer.forward(get(c, 'x'), { train: true });
    expect(y.shape).toEqual(c.yShape);
    expect(worst(y.data, get(c, 'y').data)).toBeLessThanOrEqual(TOL);
    const { dx } = layer.backward(get(c, 'dOut'));
    expect(dx.shape).toEqual(c.xShape);
    expect(worst(dx.data, get(c, 'dx').data)).toBeLessThanOrEqual(TOL);
    const g = layer.grads();
    expect(worst(g.weight.data, get(c, 'grad.weight').data)).toBeLessThanOrEqual(TOL);
    if (c.bias) expect(worst(g.bias.data, get(c, 'grad.bias').data)).toBeLessThanOrEqual(TOL);
    expect(() => layer.backward(get(c, 'dOut'))).toThrow(/forward/);
    layer.dispose();
    expect(() => layer.forward(get(c, 'x'))).toThrow(/disposed/);
  });
});
