// Threads in real Chromium on a cross-origin isolated page (the chromium-isolated project
// serves every response with COOP: same-origin and COEP: require-corp): the browser entry
// starts module Web Workers over shared memory, and the smoke suite with every call cut gives
// Node's one-thread digest, bit for bit.
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
// @ts-expect-error: plain JavaScript shared with the other runtimes
import { runSmoke } from '../../smoke/smoke.js';
import * as api from '../../../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    nodeSmoke: (simd: string) => Promise<{ digest: string; simd: string }>;
  }
}

test('an isolated page runs two threads, bit-identical to one thread in Node', async () => {
  expect(crossOriginIsolated).toBe(true);
  const backend = await api.init({ simd: 'baseline', threads: 2 });
  expect(backend.threads).toBe(2);
  Object.assign(backend.pool!, { minWork: 0, takeOthers: false, adaptive: false });
  const result = runSmoke(backend, api);
  expect(backend.pool!.workerChunks).toBeGreaterThan(0);
  expect(result.ok, JSON.stringify(result.errors)).toBe(true);
  const node = await commands.nodeSmoke('baseline');
  expect(result.digest).toBe(node.digest);
  // 'auto' asks for what the page reports; the realm keeps the backend of the first init
  await expect(api.init({ threads: 'auto' })).resolves.toBe(backend);
  expect(navigator.hardwareConcurrency).toBe(2);
  backend.dispose();
  expect(backend.threads).toBe(1);
  expect(runSmoke(backend, api).digest).toBe(node.digest);
});
