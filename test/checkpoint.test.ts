// Checkpoints: a model and its optimizer in one safetensors file; a resumed run continues
// bit-identically to an uninterrupted one; truncated, corrupt and foreign files are BAD_FILE
// and leave the model as it was.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, Embedding, GRU, LSTM, Linear, RnnError, Sequential, checkpointInfo, crossEntropy, init, loadCheckpoint, loadCheckpointInto, saveCheckpoint, saveSafetensors } from '../src/node.js';
import type { Model } from '../src/io/checkpoint.js';
import { readFileSync } from 'node:fs';

beforeAll(async () => { await init(); });

const V = 13, T = 7, B = 3;
const ids = { data: Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % V), shape: [T, B] };
const targets = Int32Array.from(ids.data, (x) => (x * 3) % V);
const makeModel = (H = 9) => new Sequential([
  new Embedding({ numEmbeddings: V, embeddingDim: 4, seed: 3 }),
  new LSTM({ inputSize: 4, hiddenSize: H, numLayers: 2, seed: 3 }),
  new Linear({ inFeatures: H, outFeatures: V, seed: 3 }),
]);
function train(model: Model, opt: Adam, steps: number): void {
  for (let s = 0; s < steps; s++) {
    model.zeroGrad();
    const out = (model as Sequential).forward(ids, { train: true });
    (model as Sequential).backward(crossEntropy(out, targets).grad);
    opt.step();
  }
}
const bits = (m: Model) => Object.values(m.stateDict()).flatMap((t) => Array.from(new Uint32Array(t.data.buffer)));
const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };

describe('checkpoints', () => {
  test('a resumed run continues bit-identically, through loadCheckpoint and loadCheckpointInto', () => {
    const model = makeModel(), opt = new Adam(model, { lr: 0.01, weightDecay: 0.01 });
    train(model, opt, 3);
    const file = saveCheckpoint(model, opt);
    train(model, opt, 3);

    const loaded = loadCheckpoint(file);
    expect(loaded.model.config()).toEqual(model.config());
    train(loaded.model, loaded.optimizer as Adam, 3);
    expect(bits(loaded.model)).toEqual(bits(model));

    const fresh = makeModel(), freshOpt = new Adam(fresh, { lr: 0.01, weightDecay: 0.01 });
    loadCheckpointInto(file, fresh, freshOpt);
    train(fresh, freshOpt, 3);
    expect(bits(fresh)).toEqual(bits(model));
  });

  test('a single layer saves without an optimizer and loads back', () => {
    const gru = new GRU({ inputSize: 3, hiddenSize: 5, bidirectional: true, seed: 4 });
    const { model, optimizer } = loadCheckpoint(saveCheckpoint(gru));
    expect(optimizer).toBeUndefined();
    expect(model.config()).toEqual(gru.config());
    expect(bits(model)).toEqual(bits(gru));
  });

  test('truncated, corrupt and foreign files are BAD_FILE and change nothing', () => {
    const model = makeModel(), opt = new Adam(model, { lr: 0.01 });
    train(model, opt, 1);
    const file = saveCheckpoint(model, opt);
    const target = makeModel(), before = bits(target);
    expect(code(() => loadCheckpointInto(file.subarray(0, file.length - 3), target))).toBe('BAD_FILE');
    const flipped = file.slice(); flipped[20] ^= 0xff;
    expect(code(() => loadCheckpointInto(flipped, target))).toBe('BAD_FILE');
    expect(code(() => loadCheckpoint(file.subarray(0, 100)))).toBe('BAD_FILE');
    const other = saveCheckpoint(makeModel(10));
    expect(code(() => loadCheckpointInto(other, target))).toBe('BAD_FILE');
    expect(code(() => loadCheckpointInto(saveSafetensors({ x: new Float32Array(1) }), target))).toBe('BAD_FILE');
    expect(code(() => loadCheckpointInto(saveCheckpoint(makeModel()), target, new Adam(target, { lr: 1 })))).toBe('BAD_FILE');
    expect(bits(target)).toEqual(before);
    expect(code(() => saveCheckpoint({} as never))).toBe('BAD_ARGUMENT');
  });
});

describe('metadata and checkpointInfo', () => {
  test('strings of your own travel with the checkpoint; checkpointInfo reads without building', () => {
    const model = makeModel(5), opt = new Adam(model, { lr: 0.01 });
    const file = saveCheckpoint(model, opt, { vocabulary: 'abc', note: 'x' });
    const loaded = loadCheckpoint(file);
    expect(loaded.metadata).toEqual({ vocabulary: 'abc', note: 'x' });
    const info = checkpointInfo(file);
    expect(info.model).toEqual(model.config());
    expect(info.optimizer).toMatchObject({ kind: 'Adam', step: 0 });
    expect(info.tensors['1.weight_ih_l0']).toEqual([20, 4]);
    expect(info.metadata).toEqual({ vocabulary: 'abc', note: 'x' });
    expect(code(() => saveCheckpoint(model, undefined, { 'simd-rnn': 'mine' }))).toBe('BAD_ARGUMENT');
    expect(code(() => saveCheckpoint(model, undefined, { n: 1 as never }))).toBe('BAD_ARGUMENT');
    expect(code(() => checkpointInfo(saveSafetensors({ a: new Float32Array(1) })))).toBe('BAD_FILE');
  });
});

test('an optimizer reset to a step-0 state is a fresh optimizer again (and checkpoints load)', () => {
  const model = makeModel(4), opt = new Adam(model, { lr: 0.01 });
  const fresh = opt.stateDict();
  train(model, opt, 2);
  opt.loadStateDict(fresh);
  expect(opt.stateDict()).toEqual(fresh);
  const loaded = loadCheckpoint(saveCheckpoint(model, opt));
  expect(loaded.optimizer!.stateDict().step).toBe(0);
  train(model, opt, 1);
  expect(opt.stateDict().buffers.length).toBeGreaterThan(0);
});

test('a format-1 checkpoint written before the registry still loads (test/fixtures/make_checkpoint_fixture.mjs)', () => {
  const file = readFileSync(new URL('./fixtures/checkpoint-format1.safetensors', import.meta.url));
  const want = JSON.parse(readFileSync(new URL('./fixtures/checkpoint-format1.expected.json', import.meta.url), 'utf8')) as { ids: number[]; shape: number[]; logits: number[]; logitsShape: number[]; step: number };
  const { model, optimizer, metadata } = loadCheckpoint(file);
  expect(metadata).toEqual({ note: 'format 1 fixture' });
  expect(model).toBeInstanceOf(Sequential);
  expect(optimizer).toBeInstanceOf(Adam);
  expect(optimizer!.stateDict().step).toBe(want.step);
  const out = (model as Sequential).forward({ data: Int32Array.from(want.ids), shape: want.shape });
  expect(out.shape).toEqual(want.logitsShape);
  // written by the baseline build; the relaxed one may differ in the last bits
  const worst = want.logits.reduce((m, v, i) => Math.max(m, Math.abs(out.data[i] - v)), 0);
  expect(worst).toBeLessThan(1e-6);
});

test('checkpointInfo and loadCheckpoint agree on a configuration naming an unknown module type or optimizer: BAD_FILE from both', () => {
  const file = (meta: unknown) => saveSafetensors({ weight: { data: new Float32Array(6), shape: [3, 2] } }, { 'simd-rnn': JSON.stringify(meta) });
  for (const meta of [
    { format: 1, model: { type: 'Transformer', dModel: 4 } },
    { format: 1, model: { type: 'Sequential', layers: [{ type: 'Linear', inFeatures: 2, outFeatures: 3 }, { type: 'Conv1d' }] } },
    { format: 1, model: { inFeatures: 2, outFeatures: 3 } },
    { format: 1, model: { type: 'Linear', inFeatures: 2, outFeatures: 3, bias: false }, optimizer: { kind: 'Adagrad', options: { lr: 1 }, step: 0, buffers: 0 } },
  ]) {
    expect(code(() => checkpointInfo(file(meta))), JSON.stringify(meta)).toBe('BAD_FILE');
    expect(code(() => loadCheckpoint(file(meta))), JSON.stringify(meta)).toBe('BAD_FILE');
  }
  const ok = file({ format: 1, model: { type: 'Linear', inFeatures: 2, outFeatures: 3, bias: false } });
  expect(checkpointInfo(ok).model).toMatchObject({ type: 'Linear' });
  const { model } = loadCheckpoint(ok);
  model.dispose();
});
