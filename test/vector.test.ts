// Elementwise kernels and reductions (assembly/vector.ts): exact expected values (each op
// rounds once, or twice for unfused multiply-add), tile edges, in place, both builds.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../src/backend.js';
import { kernelsIn } from '../src/kernels.js';
import { BUILDS, Heap, TILE_SIZES, loadBackend, randomArray, sameBits } from './helpers.js';

const f = Math.fround;

// The kernels each test below tries (with their twins where the table lists one).
const TESTED = ['f32_fill', 'f32_add', 'f32_mul', 'f32_scale', 'f32_clamp', 'f32_mul_acc', 'f32_axpy',
  'f32_sumsq', 'f32_count_nonfinite', 'f32_copy_rows', 'f32_add_rows'];

test('the tests cover exactly the kernels of assembly/vector.ts', () => {
  expect(kernelsIn('vector').sort()).toEqual([...TESTED].sort());
});

for (const build of BUILDS) {
  describe(`vector kernels (${build})`, () => {
    let b: Backend, heap: Heap;
    beforeAll(async () => { b = await loadBackend(build); heap = new Heap(b); });
    afterAll(() => heap.reset());

    const variants = ['', '__scalar'] as const;

    test('fill, add, mul, scale, clamp: exact, in place, at every tile edge', () => {
      for (const n of TILE_SIZES) for (const s of variants) {
        const a = randomArray(n, n, 4), c = randomArray(n + 7, n, 4);
        const check = (ptr: number, want: (i: number) => number, what: string) => {
          const got = heap.get(ptr, n);
          for (let i = 0; i < n; i++) expect(got[i], `${what}${s} n=${n} i=${i}`).toBe(want(i));
        };
        let p = heap.put(a); b.kernels[`f32_fill${s}`](p, -2.5, n); check(p, () => -2.5, 'fill');
        p = heap.put(a); b.kernels[`f32_add${s}`](p, p, heap.put(c), n); check(p, (i) => f(a[i] + c[i]), 'add');
        p = heap.put(a); b.kernels[`f32_mul${s}`](p, p, heap.put(c), n); check(p, (i) => f(a[i] * c[i]), 'mul');
        p = heap.put(a); b.kernels[`f32_scale${s}`](p, p, 0.1, n); check(p, (i) => f(f(0.1) * a[i]), 'scale');
        p = heap.put(a); b.kernels[`f32_clamp${s}`](p, p, -1, 2, n); check(p, (i) => Math.min(Math.max(a[i], -1), 2), 'clamp');
        heap.reset();
      }
    });

    test('mul_acc and axpy: exact for fused or unfused multiply-add, at every tile edge', () => {
      for (const n of TILE_SIZES) for (const s of variants) {
        const a = randomArray(2 * n, n, 4), c = randomArray(2 * n + 1, n, 4), y = randomArray(2 * n + 2, n, 4);
        const oneOf = (got: number, x: number, m: number, acc: number) => {
          const unfused = f(f(x * m) + acc), fused = f(x * m + acc);
          // the scalar twins and the baseline build never fuse
          return build === 'baseline' || s === '__scalar' ? got === unfused : got === unfused || got === fused;
        };
        let p = heap.put(y); b.kernels[`f32_mul_acc${s}`](p, heap.put(a), heap.put(c), n);
        let got = heap.get(p, n);
        for (let i = 0; i < n; i++) expect(oneOf(got[i], a[i], c[i], y[i]), `mul_acc${s} n=${n} i=${i}`).toBe(true);
        p = heap.put(y); b.kernels[`f32_axpy${s}`](p, 0.3, heap.put(a), n);
        got = heap.get(p, n);
        for (let i = 0; i < n; i++) expect(oneOf(got[i], f(0.3), a[i], y[i]), `axpy${s} n=${n} i=${i}`).toBe(true);
        heap.reset();
      }
    });

    test('sumsq: float64 accumulation in the documented order, exactly', () => {
      for (const n of [...TILE_SIZES, 1000, 4097]) {
        const x = randomArray(3 * n, n, 100);
        const s4 = [0, 0, 0, 0], n4 = n & ~3;
        for (let i = 0; i < n4; i++) s4[i % 4] += x[i] * x[i];
        let want = (s4[0] + s4[1]) + (s4[2] + s4[3]);
        for (let i = n4; i < n; i++) want += x[i] * x[i];
        const p = heap.put(x);
        expect(b.kernels.f32_sumsq(p, n), `n=${n}`).toBe(want);
        expect(b.kernels.f32_sumsq__scalar(p, n), `n=${n}`).toBe(want);
        heap.reset();
      }
      expect(b.kernels.f32_sumsq(heap.zeros(0), 0)).toBe(0);
    });

    test('count_nonfinite finds NaN and +-Infinity at any position, tails included', () => {
      for (const n of TILE_SIZES) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of new Set([0, n >> 1, n - 1])) {
            const x = randomArray(n, n, 1e30);
            x[at] = bad;
            const p = heap.put(x);
            expect(b.kernels.f32_count_nonfinite(p, n), `n=${n} at=${at}`).toBe(1);
            expect(b.kernels.f32_count_nonfinite__scalar(p, n)).toBe(1);
            heap.reset();
          }
        }
        const all = heap.put(new Float32Array(n).fill(NaN));
        expect(b.kernels.f32_count_nonfinite(all, n)).toBe(n);
        const fine = heap.put(randomArray(n, n, 3.4e38));
        expect(b.kernels.f32_count_nonfinite(fine, n)).toBe(0);
        heap.reset();
      }
    });

    test('copy_rows and add_rows: strided rows, exact, padding untouched, at every tile edge', () => {
      for (const rows of [1, 3]) for (const cols of TILE_SIZES) {
        const ldx = cols + 2, ldy = cols + 3, x = randomArray(rows * cols, rows * ldx), y = randomArray(rows + cols, rows * ldy);
        const copied = Float64Array.from(y), added = Float64Array.from(y);
        for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) {
          copied[r * ldy + j] = x[r * ldx + j];
          added[r * ldy + j] = f(y[r * ldy + j] + x[r * ldx + j]);
        }
        const px = heap.put(x);
        let py = heap.put(y);
        b.kernels.f32_copy_rows(py, ldy, px, ldx, rows, cols);
        expect(Array.from(heap.get(py, y.length)), `copy rows=${rows} cols=${cols}`).toEqual(Array.from(copied));
        py = heap.put(y);
        b.kernels.f32_add_rows(py, ldy, px, ldx, rows, cols);
        expect(Array.from(heap.get(py, y.length)), `add rows=${rows} cols=${cols}`).toEqual(Array.from(added));
        heap.reset();
      }
    });

    if (build === 'baseline') {
      test('baseline SIMD is bit-identical to the scalar twins', () => {
        const n = 1001, a = randomArray(1, n), c = randomArray(2, n), y = randomArray(3, n);
        for (const op of ['add', 'mul', 'mul_acc'] as const) {
          const p1 = heap.put(y), p2 = heap.put(y), pa = heap.put(a), pc = heap.put(c);
          b.kernels[`f32_${op}`](p1, pa, pc, n);
          b.kernels[`f32_${op}__scalar`](p2, pa, pc, n);
          expect(sameBits(heap.get(p1, n), heap.get(p2, n)), op).toBe(true);
          heap.reset();
        }
        const p1 = heap.put(y), p2 = heap.put(y), pa = heap.put(a);
        b.kernels.f32_axpy(p1, 0.7, pa, n);
        b.kernels.f32_axpy__scalar(p2, 0.7, pa, n);
        expect(sameBits(heap.get(p1, n), heap.get(p2, n))).toBe(true);
        heap.reset();
      });
    }
  });
}
