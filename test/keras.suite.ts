// loadKerasModel against TensorFlow.js: every case of test/fixtures/keras/cases.json (made by
// test/fixtures/keras/make_fixtures.mjs with @tensorflow/tfjs 4.22). A case to import loads
// its model.json and weight file, and predict on the case's input must give tfjs's
// model.predict output (or the float64 reference where tfjs refuses the model) within 1e-5;
// a case to refuse must throw the RnnError code and words it names. One backend per realm:
// keras.test.ts runs this on the relaxed build, keras-baseline.test.ts on the baseline one.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RnnError, init } from '../src/node.js';
import { loadKerasModel } from '../src/keras.js';
import type { SimdMode } from '../src/backend.js';

const DIR = fileURLToPath(new URL('./fixtures/keras/', import.meta.url));
interface Case {
  name: string; model: string; weights: string; covers: string; expect?: 'refuse';
  error?: { code: string; contains: string[] };
  input?: { shape: number[]; data?: number[]; ids?: number[] };
  output?: { shape: number[]; data: number[] };
}
export const KERAS_CASES: Case[] = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')).cases;
const TOL = 1e-5;

export const kerasFiles = (c: Case) => ({ json: readFileSync(DIR + c.model, 'utf8'), bin: new Uint8Array(readFileSync(DIR + c.weights)) });

export function kerasSuite(simd: SimdMode): void {
  beforeAll(async () => { await init({ simd }); });
  const worst: [string, number][] = [];
  afterAll(() => {
    if (!worst.length) return;
    worst.sort((a, b) => b[1] - a[1]);
    console.log(`loadKerasModel vs tfjs (${simd}): worst ${worst[0][1].toExponential(2)} (${worst[0][0]}), ${worst.length} cases`);
  });

  describe(`loadKerasModel: predict equals tfjs (${simd})`, () => {
    test.each(KERAS_CASES.filter((c) => c.expect !== 'refuse').map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { json, bin } = kerasFiles(c);
      const model = loadKerasModel(json, bin);
      try {
        const inp = c.input!;
        const x = inp.ids ? { data: Int32Array.from(inp.ids), shape: inp.shape } : { data: Float32Array.from(inp.data!), shape: inp.shape };
        const y = model.predict(x);
        expect(y.shape).toEqual(c.output!.shape);
        let diff = 0;
        y.data.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - c.output!.data[i])); });
        worst.push([c.name, diff]);
        expect(diff, c.covers).toBeLessThan(TOL);
        expect(model.memoryBytes()).toBeGreaterThan(0);
      } finally {
        model.dispose();
      }
    });
  });

  describe(`loadKerasModel: refused models (${simd})`, () => {
    test.each(KERAS_CASES.filter((c) => c.expect === 'refuse').map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { json, bin } = kerasFiles(c);
      let err: unknown;
      try { loadKerasModel(json, bin); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(RnnError);
      expect((err as RnnError).code).toBe(c.error!.code);
      for (const w of c.error!.contains) expect((err as RnnError).message).toContain(w);
    });
  });
}
