// A page without cross-origin isolation (the chromium project sends no COOP / COEP headers):
// no SharedArrayBuffer, so init({ threads }) runs on one thread, without an error, and says so.
import { expect, test } from 'vitest';
import * as api from '../../src/index.js';

test('a page without isolation falls back to one thread', async () => {
  expect(crossOriginIsolated).toBe(false);
  expect(typeof SharedArrayBuffer).toBe('undefined');
  const backend = await api.init({ threads: 'auto' });
  expect(backend.threads).toBe(1);
  const layer = new api.LSTM({ inputSize: 3, hiddenSize: 5, seed: 1 });
  expect(layer.forward(api.tensor(new Float32Array(2 * 3), [2, 3])).output.shape).toEqual([2, 5]);
  layer.dispose();
});
