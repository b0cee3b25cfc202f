// The smoke suite in real Chromium through the browser entry (src/index.ts, which fetches the
// wasm next to itself), compared with Node's run of the same suite in this test run.
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
// @ts-expect-error: plain JavaScript shared with the other runtimes
import { runSmoke } from '../smoke/smoke.js';
import * as api from '../../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    nodeSmoke: (simd: string) => Promise<{ digest: string; simd: string }>;
  }
}

test('Chromium runs relaxed SIMD, and the baseline build is bit-identical to Node', async () => {
  expect(api.runtimeSupport().relaxed).toBe(true);
  const backend = await api.init({ simd: 'baseline' });
  const result = runSmoke(backend, api);
  expect(result.errors).toBeDefined();
  expect(result.ok, JSON.stringify(result.errors)).toBe(true);
  const node = await commands.nodeSmoke('baseline');
  expect(node.simd).toBe('baseline');
  expect(result.digest).toBe(node.digest);
});
