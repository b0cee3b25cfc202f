// init() in Chromium picks the relaxed build (each browser test file has its own realm).
import { expect, test } from 'vitest';
// @ts-expect-error: plain JavaScript shared with the other runtimes
import { runSmoke } from '../smoke/smoke.js';
import * as api from '../../src/index.js';

test('init() picks relaxed SIMD in Chromium and its results are within tolerance', async () => {
  const backend = await api.init();
  expect(backend.simd).toBe('relaxed');
  const result = runSmoke(backend, api);
  expect(result.ok, JSON.stringify(result.errors)).toBe(true);
});
