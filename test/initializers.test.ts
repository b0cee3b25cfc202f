// Weight initialisers: orthogonality of orthogonal() (square, tall, wide, odd sizes) on both
// paths (wasm products after init, their JS twins before), the twins equal to both builds bit
// for bit, that its Q is the one of G = Q R with diag R > 0 (torch's sign correction, against
// the float64 reference), determinism, Xavier bounds and variance, identity, and argument
// checks. Every check is computed in float64 from the float32 results.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, RnnError } from '../src/node.js';
import { createBackend, getBackend, type Backend } from '../src/backend.js';
import { Random } from '../src/random.js';
import { defaultBuildFuses, fma32 } from '../src/rnn/gemm-twin.js';
import {
  identityInit, orthogonal, orthogonalBlocks, orthonormalColumns, orthonormalReference, orthonormalTwin,
  uniformInit, xavierNormal, xavierUniform,
} from '../src/rnn/initializers.js';

/** max |W^T W - g^2 I| (rows >= cols) or max |W W^T - g^2 I| (rows < cols), in float64. */
function orthogonalityError(w: ArrayLike<number>, rows: number, cols: number, gain = 1): number {
  const tall = rows >= cols, n = tall ? cols : rows, len = tall ? rows : cols;
  // the n columns (tall) or rows (wide), each contiguous
  const v = Array.from({ length: n }, (_, a) => Float64Array.from({ length: len }, (_, i) => (tall ? w[i * cols + a] : w[a * cols + i])));
  let worst = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      const x = v[a], y = v[b];
      let s = 0;
      for (let i = 0; i < len; i++) s += x[i] * y[i];
      worst = Math.max(worst, Math.abs(s - (a === b ? gain * gain : 0)));
    }
  }
  return worst;
}

function gaussian(seed: number, m: number, n: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: m * n }, () => r.nextNormal());
}

function codeOf(f: () => unknown): string {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(RnnError);
    return (e as RnnError).code;
  }
  return 'no error';
}

const SHAPES: [number, number][] = [
  [1, 1], [3, 3], [7, 7], [33, 33], [64, 64], [100, 100], // square; 33 and 100 cross panel edges
  [7, 3], [33, 5], [64, 16], [100, 33], [1024, 256], // tall ([4H, H] for H = 16 and 256)
  [3, 7], [5, 33], [1, 7], [7, 1], [16, 64], // wide, and single rows / columns
];

describe('orthogonal before init: the JS twins of the products', () => {
  test.each(SHAPES.filter(([r, c]) => r * c <= 10000))('%i x %i', (rows, cols) => {
    expect(() => getBackend('test')).toThrow(/init/);
    const w = orthogonal(new Float32Array(rows * cols), rows, cols, new Random(7));
    expect(orthogonalityError(w, rows, cols)).toBeLessThan(1e-6);
  });
});

describe('orthogonal after init: wasm products', () => {
  beforeAll(() => init());

  test.each(SHAPES)('%i x %i: orthonormal columns (tall) or rows (wide)', (rows, cols) => {
    const w = orthogonal(new Float32Array(rows * cols), rows, cols, new Random(rows * 1000 + cols));
    const err = orthogonalityError(w, rows, cols);
    expect(err).toBeLessThan(2e-5);
  });

  test.each([[1, 1], [7, 7], [33, 5], [100, 33], [64, 64]])('%i x %i: the Q of G = Q R with diag(R) > 0, same as the float64 reference', (m, n) => {
    const g = gaussian(m + n, m, n);
    const q = orthonormalColumns(g, m, n, getBackend('test'));
    const ref = orthonormalReference(g, m, n);
    let diff = 0;
    for (let i = 0; i < q.length; i++) diff = Math.max(diff, Math.abs(q[i] - ref[i]));
    expect(diff).toBeLessThan(1e-4); // Q moves by about cond(G) eps_f32
    // R = Q^T G: upper triangular, positive diagonal
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += q[i * n + r] * g[i * n + c];
        if (r > c) expect(Math.abs(s)).toBeLessThan(1e-4 * Math.sqrt(m));
        if (r === c) expect(s).toBeGreaterThan(0);
      }
    }
  });

  test('gain scales, a seed repeats bit for bit, another seed differs', () => {
    const a = orthogonal(new Float32Array(40 * 24), 40, 24, new Random(3), 1.5);
    const b = orthogonal(new Float32Array(40 * 24), 40, 24, new Random(3), 1.5);
    const c = orthogonal(new Float32Array(40 * 24), 40, 24, new Random(4), 1.5);
    expect(orthogonalityError(a, 40, 24, 1.5)).toBeLessThan(4e-5);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  test('orthogonalBlocks: every gate block orthogonal on its own; orthogonal on [4H, H] is not', () => {
    const H = 24, gates = 4;
    const w = orthogonalBlocks(new Float32Array(gates * H * H), gates, H, H, new Random(11));
    for (let g = 0; g < gates; g++) {
      expect(orthogonalityError(w.subarray(g * H * H, (g + 1) * H * H), H, H)).toBeLessThan(1e-5);
    }
    const whole = orthogonal(new Float32Array(gates * H * H), gates * H, H, new Random(11));
    expect(orthogonalityError(whole, gates * H, H)).toBeLessThan(1e-5);
    expect(orthogonalityError(whole.subarray(0, H * H), H, H)).toBeGreaterThan(0.1);
  });

  test('512 x 512 (time printed, not asserted)', () => {
    const w = new Float32Array(512 * 512);
    orthogonal(w, 512, 512, new Random(1)); // warm-up
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      orthogonal(w, 512, 512, new Random(r));
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const err = orthogonalityError(w, 512, 512);
    console.log(`orthogonal 512 x 512 (${getBackend('test').simd}): min ${times[0].toFixed(1)} ms, median ${times[2].toFixed(1)} ms; max |Q^T Q - I| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-5);
  });
});

describe('the JS twins of the products equal the wasm builds bit for bit', () => {
  const wasmFile = (mode: string) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url));
  let relaxed: Backend, baseline: Backend;
  beforeAll(async () => {
    relaxed = await createBackend({ simd: 'relaxed' }, wasmFile);
    baseline = await createBackend({ simd: 'baseline' }, wasmFile);
  });
  const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

  // edges of the 4x8 tiles, the four-wide lanes, the panels (8) and blocks (32)
  test.each([...SHAPES, [4, 4], [5, 5], [8, 8], [9, 9], [12, 12], [31, 31], [32, 32], [65, 40], [70, 66]])('%i x %i', (m, n) => {
    if (m < n) [m, n] = [n, m];
    const g = gaussian(m * 7 + n, m, n);
    expect(same(orthonormalTwin(g, m, n, false), orthonormalColumns(g, m, n, baseline))).toBe(true);
    expect(same(orthonormalTwin(g, m, n, defaultBuildFuses()), orthonormalColumns(g, m, n, relaxed))).toBe(true);
  });

  test('fma32 rounds once, also where a float64 sum lands halfway between two floats', () => {
    const u = 2 ** -23, h = 2 ** -24;
    expect(fma32(1 + u, 1 - u, -1)).toBe(-(2 ** -46));
    // exact 1 + u + h - 2^-70: just below halfway, so 1 + u (rounding the float64 sum gives 1 + 2u)
    expect(fma32(h * (1 + u), 1 - u, 1 + u)).toBe(1 + u);
    // exact 1 + h + 2^-70: just above halfway, so 1 + u (rounding the float64 sum gives 1)
    expect(fma32(-h * (1 + u), 1 - u, 1 + u)).toBe(1 + u);
    expect(fma32(3, 5, 7)).toBe(22);
  });
});

describe('uniform and Xavier', () => {
  function stats(w: Float32Array) {
    let mean = 0, sq = 0, max = 0;
    for (const x of w) { mean += x; sq += x * x; max = Math.max(max, Math.abs(x)); }
    mean /= w.length;
    return { mean, variance: sq / w.length - mean * mean, max };
  }

  test('uniformInit: within [-bound, bound), variance bound^2 / 3', () => {
    const bound = 1 / Math.sqrt(64), w = uniformInit(new Float32Array(50000), bound, new Random(1));
    const s = stats(w);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(s.variance / (bound * bound / 3) - 1)).toBeLessThan(0.03);
  });

  test('xavierUniform: bound gain sqrt(6 / (fan_in + fan_out)), variance bound^2 / 3', () => {
    const rows = 200, cols = 300, gain = 5 / 3, bound = gain * Math.sqrt(6 / (rows + cols));
    const s = stats(xavierUniform(new Float32Array(rows * cols), rows, cols, new Random(2), gain));
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * bound);
    expect(Math.abs(s.variance / (bound * bound / 3) - 1)).toBeLessThan(0.03);
  });

  test('xavierNormal: variance gain^2 2 / (fan_in + fan_out)', () => {
    const rows = 300, cols = 100, gain = 2, v = gain * gain * 2 / (rows + cols);
    const s = stats(xavierNormal(new Float32Array(rows * cols), rows, cols, new Random(3), gain));
    expect(Math.abs(s.mean)).toBeLessThan(0.02 * Math.sqrt(v));
    expect(Math.abs(s.variance / v - 1)).toBeLessThan(0.03);
  });

  test('sizes 1 and a seed repeats', () => {
    const a = xavierUniform(new Float32Array(1), 1, 1, new Random(5));
    expect(Math.abs(a[0])).toBeLessThanOrEqual(Math.sqrt(3));
    expect(xavierUniform(new Float32Array(6), 2, 3, new Random(5))).toEqual(xavierUniform(new Float32Array(6), 2, 3, new Random(5)));
  });
});

describe('identityInit', () => {
  test('square, tall, wide, scaled', () => {
    expect(Array.from(identityInit(new Float32Array(4).fill(9), 2, 2))).toEqual([1, 0, 0, 1]);
    expect(Array.from(identityInit(new Float32Array(6).fill(9), 3, 2, 0.5))).toEqual([0.5, 0, 0, 0.5, 0, 0]);
    expect(Array.from(identityInit(new Float32Array(6).fill(9), 2, 3, -1))).toEqual([-1, 0, 0, 0, -1, 0]);
    expect(Array.from(identityInit(new Float32Array(1), 1, 1))).toEqual([1]);
  });

  test('per gate block of a [4H, H] matrix through subarray', () => {
    const H = 3, w = new Float32Array(4 * H * H);
    for (let g = 0; g < 4; g++) identityInit(w.subarray(g * H * H, (g + 1) * H * H), H, H);
    for (let r = 0; r < 4 * H; r++) {
      for (let c = 0; c < H; c++) expect(w[r * H + c]).toBe(r % H === c ? 1 : 0);
    }
  });
});

describe('argument checks', () => {
  const r = new Random(0);
  test.each([
    ['rows 0', () => orthogonal(new Float32Array(0), 0, 3, r)],
    ['cols 2.5', () => xavierUniform(new Float32Array(5), 2, 2.5, r)],
    ['wrong length', () => orthogonal(new Float32Array(5), 2, 3, r)],
    ['not a Float32Array', () => identityInit([0, 0, 0, 0] as unknown as Float32Array, 2, 2)],
    ['gain NaN', () => orthogonal(new Float32Array(4), 2, 2, r, NaN)],
    ['gain negative', () => xavierNormal(new Float32Array(4), 2, 2, r, -1)],
    ['bound Infinity', () => uniformInit(new Float32Array(4), Infinity, r)],
    ['scale NaN', () => identityInit(new Float32Array(4), 2, 2, NaN)],
    ['gates 0', () => orthogonalBlocks(new Float32Array(4), 0, 2, 2, r)],
    ['blocks wrong length', () => orthogonalBlocks(new Float32Array(12), 4, 2, 2, r)],
  ])('%s: BAD_ARGUMENT', (_, f) => {
    expect(codeOf(f)).toBe('BAD_ARGUMENT');
  });

  test('messages name the function, the argument and what came', () => {
    expect(() => orthogonal(new Float32Array(5), 2, 3, r)).toThrow(/orthogonal: values must hold rows \* cols = 2 \* 3 = 6 floats, got 5/);
    expect(() => xavierUniform(new Float32Array(4), 2, 2, r, NaN)).toThrow(/xavierUniform: gain must be a finite number >= 0, got NaN/);
  });
});
