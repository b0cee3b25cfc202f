// Our LSTM, GRU and RNN variants against onnxruntime 1.30 (test/fixtures/ort_variants.json, made
// by make_ort_fixtures.py with Debian's python3-onnx and onnxruntime-node): peepholes, the
// coupled input-forget gate (ONNX input_forget = 1), cellClip (ONNX clip), GRU resetAfter: false
// (ONNX linear_before_reset = 0), the activations (ONNX `activations`, `activation_alpha`,
// `activation_beta`: HardSigmoid, Relu, Sigmoid, Tanh in each position), with sequence lengths
// and initial states. Forward output, h_n and c_n within 1e-5 (measured worst printed). One
// backend per realm: variants-ort.test.ts runs this on the relaxed build,
// variants-ort-baseline.test.ts on the baseline build.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, init } from '../src/node.js';

interface OrtCase {
  name: string; kind: 'LSTM' | 'GRU' | 'RNN'; options: Record<string, unknown>; T: number; B: number; lengths?: number[];
  params: Record<string, number[]>; x: number[]; h0?: number[]; c0?: number[]; output: number[]; h_n: number[]; c_n?: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/ort_variants.json', import.meta.url), 'utf8')) as { onnxruntime: string; cases: OrtCase[] };

export function ortSuite(simd: 'relaxed' | 'baseline'): void {
  describe(`variants against onnxruntime (${simd} build)`, () => {
    beforeAll(async () => { await init({ simd }); });

    test('the fixtures come from onnxruntime and cover every variant it has', () => {
      expect(fixture.onnxruntime).toMatch(/^1\.30/);
      const has = (p: (c: OrtCase) => boolean) => fixture.cases.some(p);
      const hard = (v: unknown) => v === 'hardSigmoid' || (typeof v === 'object' && v !== null && (v as { type: string }).type === 'hardSigmoid');
      expect(has((c) => c.options.peepholes === true && c.options.bidirectional === true)).toBe(true);
      expect(has((c) => c.options.coupled === true)).toBe(true);
      expect(has((c) => (c.options.cellClip as number) > 0 && c.lengths !== undefined)).toBe(true);
      expect(has((c) => c.kind === 'GRU' && c.options.resetAfter === false && c.lengths !== undefined)).toBe(true);
      expect(has((c) => c.kind === 'LSTM' && hard(c.options.gateActivation) && (c.options.cellClip as number) > 0)).toBe(true);
      expect(has((c) => c.kind === 'LSTM' && c.options.cellActivation === 'relu')).toBe(true);
      expect(has((c) => c.kind === 'LSTM' && c.options.hiddenActivation === 'sigmoid')).toBe(true);
      expect(has((c) => c.kind === 'GRU' && hard(c.options.gateActivation) && c.options.resetAfter === false)).toBe(true);
      expect(has((c) => c.kind === 'RNN' && hard(c.options.nonlinearity))).toBe(true);
    });

    test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const layer = c.kind === 'LSTM' ? new LSTM(c.options as never) : c.kind === 'GRU' ? new GRU(c.options as never) : new RNN(c.options as never);
      const dict: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(c.params)) dict[k] = Float32Array.from(v);
      layer.loadStateDict(dict);
      const H = c.options.hiddenSize as number, dirs = c.options.bidirectional ? 2 : 1, D = c.options.inputSize as number;
      const state = {
        h: c.h0 ? { data: Float32Array.from(c.h0), shape: [dirs, c.B, H] } : undefined,
        c: c.c0 ? { data: Float32Array.from(c.c0), shape: [dirs, c.B, H] } : undefined,
      };
      const r = layer.forward({ data: Float32Array.from(c.x), shape: [c.T, c.B, D] }, state, { lengths: c.lengths });
      const err = (a: Float32Array, b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const e = Math.max(err(r.output.data, c.output), err(r.h.data, c.h_n), c.c_n ? err(r.c!.data, c.c_n) : 0);
      console.log(`${c.name} (${simd}): max abs error against onnxruntime ${e.toExponential(2)}`);
      expect(e).toBeLessThanOrEqual(1e-5);
      layer.dispose();
    });
  });
}
