// Absurd sizes are measured arithmetically and refused at once with OUT_OF_MEMORY, before any
// table is built or any memory allocated (they used to build per-layer tables until the
// JavaScript heap ran out, or draw N^2 random numbers first); nothing leaks. numLayers above
// MAX_LAYERS is BAD_ARGUMENT whatever memory would hold (a million layers of LSTM(3, 4) fit,
// but took a minute to build).

import { beforeAll, describe, expect, test } from 'vitest';
import { EchoStateNetwork, Embedding, GRU, LSTM, Linear, RNN, RnnError, ScalarMix, init } from '../src/node.js';
import type { Backend } from '../src/backend.js';
import { MAX_LAYERS, paramBytes, paramSlots, makeSpec } from '../src/rnn/spec.js';
import { planLayout } from '../src/layout.js';

let backend: Backend;
beforeAll(async () => { backend = await init(); });

function refused(f: () => unknown): { code: string | undefined; ms: number } {
  const t0 = performance.now();
  let code: string | undefined;
  try { f(); } catch (e) { code = (e as RnnError).code; }
  return { code, ms: performance.now() - t0 };
}

describe('absurd sizes', () => {
  const cases: [string, () => unknown, string?][] = [
    ['LSTM numLayers 1e9', () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 1e9 }), 'BAD_ARGUMENT'],
    ['RNN numLayers 1e9', () => new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 1e9 }), 'BAD_ARGUMENT'],
    ['GRU numLayers 1e9', () => new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 1e9, bidirectional: true }), 'BAD_ARGUMENT'],
    ['LSTM numLayers 1e6 (fits memory)', () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 1e6 }), 'BAD_ARGUMENT'],
    ['LSTM numLayers 2^40', () => new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 ** 40 }), 'BAD_ARGUMENT'],
    ['LSTM hiddenSize 1e6', () => new LSTM({ inputSize: 3, hiddenSize: 1e6 })],
    ['GRU hiddenSize 4096 x MAX_LAYERS layers', () => new GRU({ inputSize: 3, hiddenSize: 4096, numLayers: MAX_LAYERS })],
    ['Linear 1e6 x 1e6', () => new Linear({ inFeatures: 1e6, outFeatures: 1e6 })],
    ['Linear of 3/4 of memory', () => new Linear({ inFeatures: 16384, outFeatures: 49152 })],
    ['Embedding 1e9 x 64', () => new Embedding({ numEmbeddings: 1e9, embeddingDim: 64 })],
    ['ScalarMix numLayers 1e12', () => new ScalarMix({ numLayers: 1e12 })],
    ['EchoStateNetwork reservoir 1e6', () => new EchoStateNetwork({ inputSize: 1, reservoirSize: 1e6, outputSize: 1 })],
  ];
  for (const [name, make, want = 'OUT_OF_MEMORY'] of cases) {
    test(`${name}: ${want} at once, nothing allocated`, () => {
      const used = backend.arena.usedBytes;
      const r = refused(make);
      expect(r.code).toBe(want);
      expect(r.ms).toBeLessThan(10_000); // a guard against the minute-long builds of before, not a speed goal
      expect(backend.arena.usedBytes).toBe(used);
    });
  }

  test('numLayers at MAX_LAYERS builds, trains and streams; one more is BAD_ARGUMENT naming the limit', () => {
    const t0 = performance.now();
    const layer = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: MAX_LAYERS, seed: 1 });
    const built = performance.now() - t0;
    const r = layer.forward({ data: Float32Array.of(0.5, -0.5, 0.25, 0.1, 0.2, 0.3), shape: [2, 1, 3] }, undefined, { train: true });
    expect(r.h.shape).toEqual([MAX_LAYERS, 1, 4]);
    const { dx } = layer.backward({ data: new Float32Array(8).fill(1), shape: [2, 1, 4] });
    expect(dx!.data.every(Number.isFinite)).toBe(true);
    expect(layer.stream(1).step(Float32Array.of(0.5, -0.5, 0.25)).data).toEqual(r.output.data.subarray(0, 4));
    console.log(`LSTM(3, 4) with ${MAX_LAYERS} layers: built in ${built.toFixed(0)} ms, forward + backward + stream in ${(performance.now() - t0 - built).toFixed(0)} ms`);
    layer.dispose();
    let e: RnnError | undefined;
    try { new GRU({ inputSize: 3, hiddenSize: 4, numLayers: MAX_LAYERS + 1 }); } catch (err) { e = err as RnnError; }
    expect(e?.code).toBe('BAD_ARGUMENT');
    expect(e?.message).toContain('numLayers');
    expect(e?.message).toContain(`1 to ${MAX_LAYERS}`);
    expect(e?.message).toContain(`got ${MAX_LAYERS + 1}`);
  });

  test('workBytes of an absurd T or B is computed at once; forward refuses such a tape', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 8, numLayers: 3, seed: 1 });
    const t0 = performance.now();
    expect(layer.workBytes(1e7, 1e3, true)).toBeGreaterThan(2 ** 32);
    expect(refused(() => layer.workBytes(1e9, 1e6, true)).code).toBe('OUT_OF_MEMORY');
    expect(refused(() => layer.workBytes(1.5, 1, true)).code).toBe('BAD_ARGUMENT');
    expect(performance.now() - t0).toBeLessThan(10_000); // a hang guard, not a speed goal
    layer.dispose();
  });

  test('the arithmetic sizes equal the laid-out ones', () => {
    for (const kind of ['RNN', 'LSTM', 'GRU'] as const) {
      for (const numLayers of [1, 2, 3, 5]) {
        for (const bidirectional of [false, true]) {
          const spec = makeSpec(kind, { inputSize: 3, hiddenSize: 5, numLayers, bidirectional });
          expect(paramBytes(spec)).toBe(planLayout(paramSlots(spec)).bytes);
          const ctor = kind === 'RNN' ? RNN : kind === 'LSTM' ? LSTM : GRU;
          const layer = new ctor({ inputSize: 3, hiddenSize: 5, numLayers, bidirectional, seed: 1 });
          const x = { data: new Float32Array(4 * 2 * 3).fill(0.5), shape: [4, 2, 3] };
          layer.forward(x, undefined, { train: true });
          const trainBytes = layer.workBytes(4, 2, true);
          expect(layer.memoryBytes()).toBe(2 * paramBytes(spec) + trainBytes);
          layer.dispose();
        }
      }
    }
  });
});
