// The column-panel products (assembly/panels.ts) in both builds: the packed layout against its
// description, f32_gemm_nn_panels and its scalar twin against float64 at the panel edges
// (N around multiples of 28, the panel width, and the four-column vectors inside a panel),
// bit-identity with f32_gemm_nn on the unpacked matrix (same accumulation order) and with the
// twin in the baseline build, and the sub-range rule the header states (columns from a
// multiple of 28 are the same call on offset pointers).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../src/backend.js';
import { kernelsIn } from '../src/kernels.js';
import { BUILDS, F32_EPS, Heap, TILE_SIZES, loadBackend, randomArray, sameBits, worstRatio } from './helpers.js';

const NR = 28; // columns per panel, as assembly/panels.ts
const PANEL_N = [1, 3, 4, 5, 7, 8, 12, 16, 20, 23, 24, 25, 27, 28, 29, 31, 32, 52, 55, 56, 57, 60, 100];
const ROWS = [1, 2, 3, 5];

/** The layout of the header: panel q holds columns q*NR .. q*NR+w-1 as [K][w], from float q*K*NR. */
function packRef(B: Float64Array, K: number, N: number): Float64Array {
  const p = new Float64Array(K * N);
  for (let j = 0; j < N; j++) {
    const q = Math.floor(j / NR), w = Math.min(NR, N - q * NR);
    for (let k = 0; k < K; k++) p[q * K * NR + k * w + (j - q * NR)] = B[k * N + j];
  }
  return p;
}

test('the tests cover exactly the kernels of assembly/panels.ts', () => {
  expect(kernelsIn('panels').sort()).toEqual(['f32_gemm_nn_panels', 'f32_pack_panels']);
});

for (const build of BUILDS) {
  describe(`panels (${build})`, () => {
    let b: Backend, heap: Heap;
    beforeAll(async () => { b = await loadBackend(build); heap = new Heap(b); });
    afterAll(() => heap.reset());

    /** B [K,N] in row-major storage with leading dimension N + pad, packed by the kernel. */
    function packed(B: Float64Array, K: number, N: number, pad: number) {
      const ld = N + pad, rows = new Float64Array(K * ld).fill(-7);
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) rows[k * ld + j] = B[k * N + j];
      const pB = heap.put(rows), pP = heap.put(new Float64Array(K * N + 8).fill(NaN));
      b.kernels.f32_pack_panels(pP, pB, ld, K, N);
      return { pB, pP, ld };
    }

    test(`f32_pack_panels writes the documented layout and nothing past it (N in ${PANEL_N.join(', ')})`, () => {
      for (const N of PANEL_N) for (const K of [1, 5, 33]) {
        const B = randomArray(N * 7 + K, K * N), { pP } = packed(B, K, N, N % 3);
        const got = heap.get(pP, K * N + 8);
        expect(Array.from(got.subarray(0, K * N)), `K=${K} N=${N}`).toEqual(Array.from(packRef(B, K, N)));
        expect(got.subarray(K * N).every((v) => Number.isNaN(v)), `K=${K} N=${N}: written past the end`).toBe(true);
        heap.reset();
      }
    });

    for (const scalar of [false, true]) {
      const fn = scalar ? 'f32_gemm_nn_panels__scalar' : 'f32_gemm_nn_panels';
      test(`${fn}: M in ${ROWS.join(', ')}, N at the panel edges, K in ${TILE_SIZES.join(', ')}, with and without C and bias`, () => {
        let worst = 0, maxAbs = 0, n = 0;
        const failures: string[] = [];
        for (const M of ROWS) for (const N of PANEL_N) for (const K of TILE_SIZES) {
          const seed = 100 * M + 7 * N + K, acc = n % 2, withBias = n % 3 !== 0;
          n++;
          const A = randomArray(seed, M * K), B = randomArray(seed + 1, K * N);
          const C0 = randomArray(seed + 2, M * N), bias = randomArray(seed + 3, N);
          const { pP } = packed(B, K, N, 0);
          const ldc = N + 1, init = new Float64Array(M * ldc).fill(acc ? 0 : NaN);
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) if (acc) init[i * ldc + j] = C0[i * N + j];
          for (let i = 0; i < M; i++) init[i * ldc + N] = 99; // the gap between rows stays
          const pA = heap.put(A), pC = heap.put(init), pBias = withBias ? heap.put(bias) : 0;
          b.kernels[fn](pC, ldc, pA, K, pP, pBias, M, N, K, acc);
          const raw = heap.get(pC, M * ldc), got = new Float64Array(M * N);
          const want = new Float64Array(M * N), bound = new Float64Array(M * N);
          for (let i = 0; i < M; i++) {
            if (raw[i * ldc + N] !== 99) failures.push(`M=${M} N=${N} K=${K}: wrote past column N in row ${i}`);
            for (let j = 0; j < N; j++) {
              let s = acc ? C0[i * N + j] : 0, mag = Math.abs(s);
              if (withBias) { s += bias[j]; mag += Math.abs(bias[j]); }
              for (let k = 0; k < K; k++) { s += A[i * K + k] * B[k * N + j]; mag += Math.abs(A[i * K + k] * B[k * N + j]); }
              got[i * N + j] = raw[i * ldc + j];
              want[i * N + j] = s;
              bound[i * N + j] = (K + 2) * F32_EPS * mag + 1e-30;
            }
          }
          const w = worstRatio(got, want, bound);
          worst = Math.max(worst, w.worst); maxAbs = Math.max(maxAbs, w.maxAbs);
          if (!(w.worst <= 1)) failures.push(`M=${M} N=${N} K=${K}: at ${w.at} got ${got[w.at]} want ${want[w.at]}`);
          heap.reset();
        }
        console.log(`${build} ${fn}: max abs error ${maxAbs.toExponential(2)}, worst error / bound ${worst.toFixed(3)}`);
        expect(failures.slice(0, 5)).toEqual([]);
      });
    }

    test('f32_gemm_nn_panels is bit-identical to f32_gemm_nn on the unpacked matrix, and to its twin in the baseline build', () => {
      for (const M of ROWS) for (const N of PANEL_N) for (const K of [1, 7, 33]) {
        const A = randomArray(M + N, M * K), B = randomArray(N + K, K * N), C0 = randomArray(K, M * N), bias = randomArray(3, N);
        const { pB, pP, ld } = packed(B, K, N, 16);
        const pA = heap.put(A), pBias = heap.put(bias);
        const c1 = heap.put(C0), c2 = heap.put(C0), c3 = heap.put(C0);
        b.kernels.f32_gemm_nn(c1, N, pA, K, pB, ld, pBias, M, N, K, 1);
        b.kernels.f32_gemm_nn_panels(c2, N, pA, K, pP, pBias, M, N, K, 1);
        b.kernels.f32_gemm_nn_panels__scalar(c3, N, pA, K, pP, pBias, M, N, K, 1);
        expect(sameBits(heap.get(c2, M * N), heap.get(c1, M * N)), `M=${M} N=${N} K=${K}: panels vs f32_gemm_nn`).toBe(true);
        if (build === 'baseline') expect(sameBits(heap.get(c2, M * N), heap.get(c3, M * N)), `M=${M} N=${N} K=${K}: twin`).toBe(true);
        heap.reset();
      }
    });

    test('columns from a multiple of 28 are the same call on offset pointers (a split between threads)', () => {
      for (const [N, K] of [[100, 9], [48, 33], [73, 4]]) {
        const A = randomArray(N, K), B = randomArray(K, K * N), bias = randomArray(1, N);
        const { pP } = packed(B, K, N, 0);
        const pA = heap.put(A), pBias = heap.put(bias), whole = heap.zeros(N), parts = heap.zeros(N);
        b.kernels.f32_gemm_nn_panels(whole, N, pA, K, pP, pBias, 1, N, K, 0);
        for (let j0 = 0; j0 < N; j0 += 2 * NR) {
          const j1 = Math.min(N, j0 + 2 * NR);
          b.kernels.f32_gemm_nn_panels(parts + 4 * j0, N, pA, K, pP + 4 * j0 * K, pBias + 4 * j0, 1, j1 - j0, K, 0);
        }
        expect(sameBits(heap.get(parts, N), heap.get(whole, N)), `N=${N} K=${K}`).toBe(true);
        heap.reset();
      }
    });
  });
}
