// The float64 reference (rnn64.ts) against PyTorch's own float32 results (test/fixtures/rnn.*,
// max abs error <= 1e-5), against small cases worked out by hand, and its finite-difference
// helper against a function with a known derivative.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { forward64, gradCheck, type Config64, type Mode } from './rnn64.js';

const TOL = 1e-5;

function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= m)) m = e; // NaN propagates as a failure
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// PyTorch fixtures

interface Tensor { offset: number; shape: number[] }
interface FixtureCase {
  name: string;
  mode: string;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  bidirectional: boolean;
  projSize: number;
  unbatched: boolean;
  T: number;
  B: number | null;
  lengths: number[] | null;
  seed: number;
  tensors: Record<string, Tensor>;
}

const fixtureJson = new URL('../fixtures/rnn.json', import.meta.url);
const fixtureBin = new URL('../fixtures/rnn.bin', import.meta.url);
const haveFixtures = existsSync(fixtureJson) && existsSync(fixtureBin);

function loadFixtures(): { torch: string; cases: FixtureCase[]; data: Float32Array } {
  const json = JSON.parse(readFileSync(fixtureJson, 'utf8'));
  const buf = readFileSync(fixtureBin);
  // Little-endian float32, read explicitly so host byte order does not matter.
  const data = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(i * 4);
  return { torch: json.torch, cases: json.cases, data };
}

function modeOf(m: string): Mode {
  const mode = ({ RNN_TANH: 'RNN_TANH', RNN_RELU: 'RNN_RELU', LSTM: 'LSTM', GRU: 'GRU',
    rnn_tanh: 'RNN_TANH', rnn_relu: 'RNN_RELU', lstm: 'LSTM', gru: 'GRU',
    RNN: 'RNN_TANH', tanh: 'RNN_TANH', relu: 'RNN_RELU' } as Record<string, Mode>)[m];
  if (!mode) throw new Error(`unknown mode ${m}`);
  return mode;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** [A, C, D] -> [C, A, D]: swaps the first two axes (batch-first <-> time-major). */
function swap01(a: ArrayLike<number>, A: number, C: number, D: number): Float64Array {
  const out = new Float64Array(A * C * D);
  for (let i = 0; i < A; i++)
    for (let j = 0; j < C; j++)
      for (let k = 0; k < D; k++) out[(j * A + i) * D + k] = a[(i * C + j) * D + k];
  return out;
}

describe.skipIf(!haveFixtures)('forward64 against PyTorch fixtures', () => {
  const { torch, cases, data } = haveFixtures ? loadFixtures() : { torch: '', cases: [], data: new Float32Array() };
  const get = (c: FixtureCase, name: string) => {
    const t = c.tensors[name];
    return Float64Array.from(data.subarray(t.offset, t.offset + size(t.shape)));
  };

  test('fixtures are present and non-empty', () => {
    console.log(`fixtures from torch ${torch}: ${cases.length} cases`);
    expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const cfg: Config64 = {
      mode: modeOf(c.mode), inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
      bias: c.bias, bidirectional: c.bidirectional, projSize: c.projSize ?? 0,
    };
    const params: Record<string, Float64Array> = {};
    for (const name of Object.keys(c.tensors))
      if (/^(weight|bias)_/.test(name)) params[name] = get(c, name);

    const T = c.T;
    const B = c.unbatched ? 1 : c.B!;
    const dirs = c.bidirectional ? 2 : 1;
    const width = dirs * (cfg.projSize || cfg.hiddenSize);

    // Input to time-major [T, B, D]. Unbatched [T, D] is already [T, 1, D] in memory;
    // unbatched h0/c0 [L*dirs, H] likewise are [L*dirs, 1, H].
    let x: Float64Array = get(c, 'x');
    if (c.batchFirst && !c.unbatched) x = swap01(x, B, T, c.inputSize);
    const h0 = c.tensors.h0 ? get(c, 'h0') : undefined;
    const c0 = c.tensors.c0 ? get(c, 'c0') : undefined;

    const got = forward64(cfg, params, x, T, B, h0, c0, c.lengths ?? undefined);

    // PyTorch's output may be shorter in time than T (pad_packed_sequence pads to the longest
    // length only); ours must then be zero past it.
    const outShape = c.tensors.output.shape;
    const Tout = c.unbatched ? outShape[0] : c.batchFirst ? outShape[1] : outShape[0];
    expect(Tout).toBeLessThanOrEqual(T);
    let want: Float64Array = get(c, 'output');
    if (c.batchFirst && !c.unbatched) want = swap01(want, B, Tout, width); // -> [Tout, B, W]
    const errOut = maxAbsDiff(got.output.subarray(0, Tout * B * width), want);
    const tail = got.output.subarray(Tout * B * width);
    expect(tail.every((v) => v === 0)).toBe(true);

    const errH = maxAbsDiff(got.h_n, get(c, 'h_n'));
    let errC = 0;
    if (cfg.mode === 'LSTM') errC = maxAbsDiff(got.c_n!, get(c, 'c_n'));
    else expect(got.c_n).toBeUndefined();

    console.log(`${c.name}: max abs err output ${errOut.toExponential(2)}, h_n ${errH.toExponential(2)}` +
      (cfg.mode === 'LSTM' ? `, c_n ${errC.toExponential(2)}` : ''));
    expect(errOut).toBeLessThanOrEqual(TOL);
    expect(errH).toBeLessThanOrEqual(TOL);
    expect(errC).toBeLessThanOrEqual(TOL);
  });

  // The use the reference is for: central differences of the fixture's loss
  //   (output * dOut).sum() + (h_n * dH).sum() [+ (c_n * dC).sum()]
  // through forward64 against PyTorch's autograd, at the first, middle and last entry of every
  // parameter, x, h0 and c0.
  test.each(cases.map((c) => [c.name, c] as const))('finite differences match autograd: %s', (_name, c) => {
    const cfg: Config64 = {
      mode: modeOf(c.mode), inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
      bias: c.bias, bidirectional: c.bidirectional, projSize: c.projSize ?? 0,
    };
    const T = c.T, B = c.unbatched ? 1 : c.B!;
    const bf = c.batchFirst && !c.unbatched;
    const width = (c.bidirectional ? 2 : 1) * (cfg.projSize || cfg.hiddenSize);
    const params: Record<string, Float64Array> = {};
    for (const name of Object.keys(c.tensors)) if (/^(weight|bias)_/.test(name)) params[name] = get(c, name);
    const x = bf ? swap01(get(c, 'x'), B, T, c.inputSize) : get(c, 'x');
    const h0 = c.tensors.h0 ? get(c, 'h0') : undefined;
    const c0 = c.tensors.c0 ? get(c, 'c0') : undefined;
    const dOut = bf ? swap01(get(c, 'dOut'), B, T, width) : get(c, 'dOut');
    const dH = get(c, 'dH');
    const dC = c.tensors.dC ? get(c, 'dC') : undefined;
    const loss = () => {
      const r = forward64(cfg, params, x, T, B, h0, c0, c.lengths ?? undefined);
      let s = 0;
      for (let i = 0; i < dOut.length; i++) s += r.output[i] * dOut[i];
      for (let i = 0; i < dH.length; i++) s += r.h_n[i] * dH[i];
      if (dC) for (let i = 0; i < dC.length; i++) s += r.c_n![i] * dC[i];
      return s;
    };
    // [values, PyTorch gradient in the same layout]
    const checks: [string, Float64Array, Float64Array][] = Object.keys(params).map((n) => [n, params[n], get(c, `grad.${n}`)]);
    checks.push(['x', x, bf ? swap01(get(c, 'dx'), B, T, c.inputSize) : get(c, 'dx')]);
    if (h0) checks.push(['h0', h0, get(c, 'dh0')]);
    if (c0) checks.push(['c0', c0, get(c, 'dc0')]);
    let worst = 0;
    for (const [name, values, want] of checks) {
      const n = values.length;
      const indices = [...new Set([0, n >> 1, n - 1])];
      const got = gradCheck(loss, values, indices);
      indices.forEach((idx, k) => {
        // PyTorch's float32 gradients carry relative error; large ones (long sequences) get
        // the same 1e-5 bound relative to their size.
        const e = Math.abs(got[k] - want[idx]) / Math.max(1, Math.abs(want[idx]));
        worst = Math.max(worst, e);
        if (!(e <= TOL)) throw new Error(`${name}[${idx}]: finite difference ${got[k]}, autograd ${want[idx]}`);
      });
    }
    console.log(`${c.name}: max |finite difference - autograd| / max(1, |autograd|) ${worst.toExponential(2)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-computed cases

const base = { inputSize: 1, numLayers: 1, bias: false, bidirectional: false, projSize: 0 };
const f64 = (...v: number[]) => Float64Array.from(v);

describe('forward64 on hand-computed cases', () => {
  // RNN_RELU, H = 2, W_ih = [[1], [-1]], W_hh = [[0.5, 0], [1, 0.5]], no bias; exact in binary.
  //   t0 x=1:  [1, -1]               -> [1, 0]
  //   t1 x=2:  [2, -2] + [0.5, 1]    -> [2.5, 0]
  //   t2 x=-1: [-1, 1] + [1.25, 2.5] -> [0.25, 3.5]
  const fwd = { weight_ih_l0: f64(1, -1), weight_hh_l0: f64(0.5, 0, 1, 0.5) };

  test('RNN_RELU, one direction', () => {
    const r = forward64({ ...base, mode: 'RNN_RELU', hiddenSize: 2 }, fwd, f64(1, 2, -1), 3, 1);
    expect(Array.from(r.output)).toEqual([1, 0, 2.5, 0, 0.25, 3.5]);
    expect(Array.from(r.h_n)).toEqual([0.25, 3.5]);
    expect(r.c_n).toBeUndefined();
  });

  test('RNN_RELU, bidirectional with lengths (packed semantics)', () => {
    // Reverse: W_ih = [[1], [1]], W_hh = I: a running relu sum from each row's own last step.
    const params = { ...fwd, weight_ih_l0_reverse: f64(1, 1), weight_hh_l0_reverse: f64(1, 0, 0, 1) };
    // Row 0 = [1, 2, -1] (length 3); row 1 = [3, 1, pad 99] (length 2). Time-major [T, B, 1].
    const x = f64(1, 3, 2, 1, -1, 99);
    const r = forward64({ ...base, mode: 'RNN_RELU', hiddenSize: 2, bidirectional: true }, params, x, 3, 2,
      undefined, undefined, [3, 2]);
    // Row 0 fwd as above; reverse from t=2: relu(-1) = 0, relu(2 + 0) = 2, relu(1 + 2) = 3.
    // Row 1 fwd: [3, 0], then [1, -1] + [1.5, 3] = [2.5, 2]; reverse from t=1: 1, then 3 + 1 = 4.
    expect(Array.from(r.output)).toEqual([
      1, 0, 3, 3, /**/ 3, 0, 4, 4, // t0: row0, row1 (fwd | rev)
      2.5, 0, 2, 2, /**/ 2.5, 2, 1, 1, // t1
      0.25, 3.5, 0, 0, /**/ 0, 0, 0, 0, // t2: row1 is padding -> zeros
    ]);
    // h_n [dirs, B, H]: forward = last valid step; reverse = state after t = 0.
    expect(Array.from(r.h_n)).toEqual([0.25, 3.5, 2.5, 2, /**/ 3, 3, 4, 4]);
  });

  test('RNN_TANH with bias and h0', () => {
    // H = 1: h' = tanh(0.5 x + 0.25 + (-0.75) h + 0.125)
    const params = { weight_ih_l0: f64(0.5), weight_hh_l0: f64(-0.75), bias_ih_l0: f64(0.25), bias_hh_l0: f64(0.125) };
    const r = forward64({ ...base, mode: 'RNN_TANH', hiddenSize: 1, bias: true }, params, f64(1, -2), 2, 1, f64(0.5));
    const h1 = Math.tanh(0.5 + 0.25 - 0.375 + 0.125);
    const h2 = Math.tanh(-1 + 0.25 - 0.75 * h1 + 0.125);
    expect(r.output[0]).toBeCloseTo(h1, 15);
    expect(r.output[1]).toBeCloseTo(h2, 15);
    expect(r.h_n[0]).toBeCloseTo(h2, 15);
  });

  test('GRU: gate order r, z, n and r applied to W_hn h + b_hn', () => {
    // W_ih = W_hh = [0, 0, 1] (rows r, z, n); b_hh = [0, ln 3, 2] -> r = 1/2, z = 3/4 always.
    //   n = tanh(x + r (h + 2)), h' = (1 - z) n + z h
    const params = {
      weight_ih_l0: f64(0, 0, 1), weight_hh_l0: f64(0, 0, 1),
      bias_ih_l0: f64(0, 0, 0), bias_hh_l0: f64(0, Math.log(3), 2),
    };
    const r = forward64({ ...base, mode: 'GRU', hiddenSize: 1, bias: true }, params, f64(1, 0), 2, 1);
    const h1 = 0.25 * Math.tanh(1 + 0.5 * (0 + 2)); // = 0.25 tanh 2
    const h2 = 0.25 * Math.tanh(0 + 0.5 * (h1 + 2)) + 0.75 * h1;
    expect(r.output[0]).toBeCloseTo(h1, 14);
    expect(r.output[1]).toBeCloseTo(h2, 14);
    expect(r.h_n[0]).toBeCloseTo(h2, 14);
  });

  test('LSTM with projection: gate order i, f, g, o and h = W_hr (o * tanh c)', () => {
    // H = 2, P = 1, all weights 0; biases set the gates per unit:
    //   i = 3/4, f = 1/4, g = 1/2 (both units); o = 1/2 for unit 0, 3/4 for unit 1.
    // So c' = c/4 + 3/8, and with W_hr = [2, -1]: h = (2 * 1/2 - 3/4) tanh c = tanh(c) / 4.
    const H = 2, P = 1;
    const s = (p: number) => Math.log(p / (1 - p)); // inverse sigmoid
    const b = f64(s(0.75), s(0.75), s(0.25), s(0.25), Math.atanh(0.5), Math.atanh(0.5), s(0.5), s(0.75));
    const params = {
      weight_ih_l0: new Float64Array(4 * H), weight_hh_l0: new Float64Array(4 * H * P),
      bias_ih_l0: b, bias_hh_l0: new Float64Array(4 * H), weight_hr_l0: f64(2, -1),
    };
    const r = forward64({ ...base, mode: 'LSTM', hiddenSize: H, bias: true, projSize: P }, params,
      f64(7, -7), 2, 1, f64(0.3), f64(1, 1));
    const c1 = 0.625, c2 = 0.53125;
    expect(r.output[0]).toBeCloseTo(Math.tanh(c1) / 4, 14);
    expect(r.output[1]).toBeCloseTo(Math.tanh(c2) / 4, 14);
    expect(r.h_n.length).toBe(1);
    expect(r.h_n[0]).toBeCloseTo(Math.tanh(c2) / 4, 14);
    expect(r.c_n!.length).toBe(2);
    expect(r.c_n![0]).toBeCloseTo(c2, 14);
    expect(r.c_n![1]).toBeCloseTo(c2, 14);
  });

  test('two layers equal layer 0 then layer 1 fed its output', () => {
    const cfg: Config64 = { mode: 'GRU', inputSize: 2, hiddenSize: 3, numLayers: 2, bias: true, bidirectional: true, projSize: 0 };
    let seed = 1;
    const rand = (n: number) => Float64Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
    const params: Record<string, Float64Array> = {};
    for (const l of [0, 1]) for (const sfx of ['', '_reverse']) {
      const inSize = l === 0 ? 2 : 6;
      params[`weight_ih_l${l}${sfx}`] = rand(9 * inSize);
      params[`weight_hh_l${l}${sfx}`] = rand(9 * 3);
      params[`bias_ih_l${l}${sfx}`] = rand(9);
      params[`bias_hh_l${l}${sfx}`] = rand(9);
    }
    const T = 4, B = 2, lengths = [4, 3];
    const x = rand(T * B * 2), h0 = rand(4 * B * 3);
    const both = forward64(cfg, params, x, T, B, h0, undefined, lengths);
    const pick = (l: number) => Object.fromEntries(Object.entries(params).filter(([k]) => k.includes(`_l${l}`))
      .map(([k, v]) => [k.replace(`_l${l}`, '_l0'), v]));
    const one = { ...cfg, numLayers: 1 };
    const l0 = forward64(one, pick(0), x, T, B, h0.slice(0, 2 * B * 3), undefined, lengths);
    const l1 = forward64({ ...one, inputSize: 6 }, pick(1), l0.output, T, B, h0.slice(2 * B * 3), undefined, lengths);
    expect(Array.from(both.output)).toEqual(Array.from(l1.output));
    expect(Array.from(both.h_n)).toEqual([...l0.h_n, ...l1.h_n]);
  });

  test('rejects wrong parameter shapes', () => {
    expect(() => forward64({ ...base, mode: 'RNN_TANH', hiddenSize: 2 }, { weight_ih_l0: f64(1), weight_hh_l0: f64(1, 0, 0, 1) },
      f64(1), 1, 1)).toThrow(/weight_ih_l0/);
  });
});

// ---------------------------------------------------------------------------------------------
// Finite differences

test('gradCheck: known derivative, values restored', () => {
  // f(v) = v0^3 + sin(v1) * v2  ->  df/dv0 = 3 v0^2, df/dv1 = cos(v1) v2, df/dv2 = sin(v1)
  const v = f64(1.5, 0.7, -2);
  const before = Array.from(v);
  const f = () => v[0] ** 3 + Math.sin(v[1]) * v[2];
  const g = gradCheck(f, v, [0, 1, 2]);
  expect(Array.from(v)).toEqual(before);
  expect(Math.abs(g[0] - 3 * 1.5 ** 2)).toBeLessThan(1e-8);
  expect(Math.abs(g[1] - Math.cos(0.7) * -2)).toBeLessThan(1e-8);
  expect(Math.abs(g[2] - Math.sin(0.7))).toBeLessThan(1e-8);
});

test('gradCheck through forward64: d h_n / d x of a one-step tanh RNN', () => {
  // H = 1, one step from h0 = 0: h = tanh(w x + b), dh/dx = w (1 - h^2)
  const params = { weight_ih_l0: f64(0.8), weight_hh_l0: f64(0.3), bias_ih_l0: f64(0.1), bias_hh_l0: f64(-0.2) };
  const cfg: Config64 = { ...base, mode: 'RNN_TANH', hiddenSize: 1, bias: true };
  const x = f64(0.4);
  const [g] = gradCheck(() => forward64(cfg, params, x, 1, 1).h_n[0], x, [0]);
  const h = Math.tanh(0.8 * 0.4 + 0.1 - 0.2);
  expect(Math.abs(g - 0.8 * (1 - h * h))).toBeLessThan(1e-8);
  expect(x[0]).toBe(0.4);
});
