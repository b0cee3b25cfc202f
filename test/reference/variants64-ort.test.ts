// The variants reference (variants64.ts) against onnxruntime's float32 results for the ONNX
// LSTM and GRU variants (test/fixtures/ort_variants.json, made by make_ort_fixtures.py): LSTM
// peepholes, the coupled input-forget gate (input_forget = 1) and clip, GRU with
// linear_before_reset = 0 (our resetAfter: false), and the activations of LSTM, GRU and RNN
// (ONNX `activations` with alpha and beta), with sequence_lens and initial states.
// Matching them within 1e-5 shows the reference's equations are onnxruntime's (which clips
// only the gates' inputs and computes h = o tanh(c) with c unclipped).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { variantForward64, variantParamShapes, type VariantConfig } from './variants64.js';

const TOL = 1e-5;

interface OrtCase {
  name: string;
  kind: 'LSTM' | 'GRU' | 'RNN';
  options: Omit<VariantConfig, 'kind'>;
  T: number;
  B: number;
  lengths?: number[];
  params: Record<string, number[]>;
  x: number[];
  h0?: number[];
  c0?: number[];
  output: number[];
  h_n: number[];
  c_n?: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ort_variants.json', import.meta.url), 'utf8')) as {
  onnxruntime: string; opset: number; cases: OrtCase[];
};

/** Max abs difference; prints the first few entries over TOL. */
function maxAbsDiff(what: string, got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let m = 0, shown = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= TOL) && shown++ < 5) console.log(`${what}[${i}]: reference ${got[i]}, onnxruntime ${want[i]}`);
    if (!(e <= m)) m = e; // NaN propagates as a failure
  }
  return m;
}

const f64 = (a?: number[]) => (a ? Float64Array.from(a) : undefined);

const ortConfig = (c: OrtCase): VariantConfig => ({ kind: c.kind, ...c.options });

function maxErr(got: ArrayLike<number>, want: number[]): number {
  return want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0);
}

function run(c: OrtCase, cfg: VariantConfig) {
  const params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Float64Array.from(v)]));
  return variantForward64(cfg, params, Float64Array.from(c.x), c.T, c.B, f64(c.h0), f64(c.c0), c.lengths);
}

describe(`variantForward64 against onnxruntime ${fixture.onnxruntime} (opset ${fixture.opset})`, () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const cfg = ortConfig(c);
    expect(Object.keys(c.params)).toEqual(Object.keys(variantParamShapes(cfg)));
    const got = run(c, cfg);
    const errOut = maxAbsDiff('output', got.output, c.output);
    const errH = maxAbsDiff('h_n', got.h_n, c.h_n);
    const errC = c.c_n ? maxAbsDiff('c_n', got.c_n!, c.c_n) : 0;
    console.log(`${c.name}: max abs err output ${errOut.toExponential(2)}, h_n ${errH.toExponential(2)}` +
      (c.c_n ? `, c_n ${errC.toExponential(2)}` : ''));
    expect(errOut).toBeLessThanOrEqual(TOL);
    expect(errH).toBeLessThanOrEqual(TOL);
    expect(errC).toBeLessThanOrEqual(TOL);
  });

  // The clip cases exercise the clip: without it the reference is far from onnxruntime.
  const clipped = fixture.cases.filter((c) => c.options.cellClip);
  test.each(clipped.map((c) => [c.name, c] as const))('the clip matters: %s', (_name, c) => {
    const err = maxErr(run(c, { ...ortConfig(c), cellClip: 0 }).output, c.output);
    console.log(`${c.name}: without the clip max err ${err.toExponential(2)}`);
    expect(err).toBeGreaterThan(1e-2);
  });
});
