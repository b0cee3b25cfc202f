// Memory a user forgets, and memory that must stay flat:
// - modules dropped without dispose() return their wasm memory once collected (a process of
//   its own with --expose-gc, test/memory/run.mjs, against dist/: npm test builds first),
//   while whatever something reachable still uses stays;
// - 10,000 create / forward / backward / step / dispose cycles leave the arena as they found it;
// - 10^6 streaming steps allocate nothing: the arena and the JavaScript heap stay flat.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, GRU, LSTM, Linear, Sequential, init } from '../src/node.js';
import type { Backend } from '../src/backend.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

async function memoryScript(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--experimental-wasm-relaxed-simd', 'test/memory/run.mjs', ...args], { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

let backend: Backend;
beforeAll(async () => { backend = await init(); });

describe('modules nobody disposed', () => {
  test('every owner kind returns its memory when collected; what something reachable uses stays', async () => {
    const r = await memoryScript('forgotten') as Record<string, number | boolean>;
    console.log(`forgotten modules: baseline ${r.baseline} B, ${r.held} B held by the dropped modules, back to ${r.afterForgotten} B after ${r.rounds} collection round(s); capacity ${r.capacityBefore} -> ${r.capacityAfter} B`);
    // layers with work memory, optimizer state and streams, Linear, Embedding, ScalarMix,
    // Sequential under fit, an echo state network and its stream: all dropped undisposed
    expect(r.held).toBeGreaterThan(50_000);
    expect(r.rounds).toBeGreaterThan(0);
    expect(r.afterForgotten).toBe(r.baseline);
    // a Linear reachable only through its optimizer, an LSTM only through its stream: their
    // dropped twins were collected, they were not, and they still work
    expect(r.keptHeld).toBeGreaterThan(0);
    expect(r.withDroppedTwins).toBe(2 * (r.keptHeld as number));
    expect(r.keptRounds).toBeGreaterThan(0);
    expect(r.keptAfter).toBe(r.keptHeld);
    expect(r.keptStep).toBe(true);
    expect(r.keptStream).toBe(true);
    expect(r.droppedRounds).toBeGreaterThan(0);
    // 100 streams of a layer that stays: the streams' memory returns, the layer keeps its own
    expect(r.streamsHeld).toBeGreaterThan(0);
    expect(r.streamRounds).toBeGreaterThan(0);
    expect(r.layerAfterStreams).toBe(true);
    // disposed objects are unregistered: collecting them frees nothing twice
    expect(r.afterDisposed).toBe(r.baseline);
    expect(r.afterDisposedCollected).toBe(r.baseline);
  });
});

describe('memory stays flat', () => {
  test('10,000 create / forward / backward / step / dispose cycles', () => {
    const arena = backend.arena;
    const used = arena.usedBytes;
    let capacity = -1, leaks = 0;
    const x = { data: Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i)), shape: [4, 2, 3] };
    const dy = { data: new Float32Array(4 * 2 * 2).fill(0.1), shape: [4, 2, 2] };
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const Recurrent = i % 2 ? GRU : LSTM;
      const model = new Sequential([new Recurrent({ inputSize: 3, hiddenSize: 8, seed: i }), new Linear({ inFeatures: 8, outFeatures: 2, seed: i })]);
      const opt = new Adam(model, { lr: 0.01 });
      model.forward(x, { train: true });
      model.backward(dy);
      opt.step();
      model.layers[0].stream(1).step(new Float32Array(3));
      model.dispose();
      opt.dispose();
      if (arena.usedBytes !== used) leaks++;
      if (i === 0) capacity = arena.capacityBytes;
      else if (arena.capacityBytes !== capacity) leaks++;
    }
    console.log(`10,000 cycles in ${(performance.now() - t0).toFixed(0)} ms: arena ${used} B in use before and ${arena.usedBytes} B after, capacity ${capacity} B throughout`);
    expect(leaks).toBe(0);
    expect(arena.usedBytes).toBe(used);
    expect(arena.capacityBytes).toBe(capacity);
  });

  test('10^6 streaming steps allocate nothing', async () => {
    const r = await memoryScript('stream', '1000000') as {
      steps: number; ms: number; finite: boolean;
      before: Record<string, number>; after: Record<string, number>;
    };
    const { before: b, after: a } = r;
    console.log(`${r.steps} stream steps in ${r.ms.toFixed(0)} ms: arena ${b.used} -> ${a.used} B used, capacity ${b.capacity} -> ${a.capacity} B; heapUsed ${b.heapUsed} -> ${a.heapUsed} B, arrayBuffers ${b.arrayBuffers} -> ${a.arrayBuffers} B, rss ${b.rss} -> ${a.rss} B`);
    expect(r.steps).toBe(1_000_000);
    expect(r.finite).toBe(true);
    expect(a.used).toBe(b.used);
    expect(a.capacity).toBe(b.capacity);
    // after a full collection: one byte kept per step would be 1 MB
    expect(a.heapUsed - b.heapUsed).toBeLessThan(2 ** 20);
    expect(a.arrayBuffers - b.arrayBuffers).toBeLessThan(2 ** 20);
    // the resident set moves with code and allocator pages, so only a loose bound: a leak of
    // one Float32Array view per step would be over 60 MB
    expect(a.rss - b.rss).toBeLessThan(32 * 2 ** 20);
  });
});
