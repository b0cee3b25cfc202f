// Training runs in the browser too: fit (truncated BPTT, Adam, clipping), a checkpoint saved
// and loaded back, all in real Chromium.
import { expect, test } from 'vitest';
import * as api from '../../src/index.js';

test('fit, checkpoints and generation run in Chromium', async () => {
  await api.init();
  const V = 5, T = 24, N = 4;
  const ids = Int32Array.from({ length: T * N }, (_, i) => Math.floor(i / N) % V);   // 0 1 2 3 4 0 1 ...
  const targets = Int32Array.from(ids, (id) => (id + 1) % V);
  const model = new api.Sequential([
    new api.Embedding({ numEmbeddings: V, embeddingDim: 4, seed: 1 }),
    new api.GRU({ inputSize: 4, hiddenSize: 16, seed: 1 }),
    new api.Linear({ inFeatures: 16, outFeatures: V, seed: 1 }),
  ]);
  const optimizer = new api.Adam(model, { lr: 0.05 });
  const r = api.fit(model, { x: { data: ids, shape: [T, N] }, y: targets }, { optimizer, epochs: 30, bptt: { k1: 8, k2: 12 }, clipNorm: 1 });
  expect(r.history[r.history.length - 1].loss).toBeLessThan(r.history[0].loss / 5);
  expect(Array.from(api.generate(model, [0], { length: 6, temperature: 0 }))).toEqual([1, 2, 3, 4, 0, 1]);
  const { model: back } = api.loadCheckpoint(api.saveCheckpoint(model, optimizer));
  expect(back.stateDict()['1.weight_hh_l0'].data).toEqual(model.stateDict()['1.weight_hh_l0'].data);
});
