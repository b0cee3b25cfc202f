// The GEMM family (assembly/gemm.ts) against float64 at every tile edge, in both builds, SIMD
// and scalar twin. Bound: recursive summation of K products plus the initial value and bias,
// |err| <= (K + 2) u (|init| + sum |a b|), u = 2^-24 (Higham, "Accuracy and Stability of
// Numerical Algorithms", 2nd ed., sec. 3.1); fused multiply-add only tightens it. The
// products tried are those of the kernel table (src/kernels.ts) for assembly/gemm.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../src/backend.js';
import { kernelsIn } from '../src/kernels.js';
import { BUILDS, F32_EPS, Heap, TILE_SIZES, loadBackend, randomArray, sameBits, worstRatio } from './helpers.js';

const SENTINEL = 12345.5;

interface Case { M: number; N: number; K: number; pad: number }
const cases: Case[] = [];
for (const M of TILE_SIZES) for (const N of TILE_SIZES) for (const K of TILE_SIZES) {
  cases.push({ M, N, K, pad: (M + N + K) % 3 });
}

/** A padded [rows, cols] matrix with leading dimension cols + pad; pad cells hold SENTINEL. */
function padded(data: Float64Array, rows: number, cols: number, pad: number): Float64Array {
  const out = new Float64Array(rows * (cols + pad)).fill(SENTINEL);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * (cols + pad) + j] = data[i * cols + j];
  return out;
}

function unpad(data: Float32Array, rows: number, cols: number, pad: number) {
  const out = new Float64Array(rows * cols);
  let padOk = true;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = data[i * (cols + pad) + j];
    for (let j = cols; j < cols + pad; j++) if (data[i * (cols + pad) + j] !== SENTINEL) padOk = false;
  }
  return { out, padOk };
}

type Op = 'nn' | 'nt' | 'tn';
const OPS = kernelsIn('gemm').flatMap((name) => name.match(/^f32_gemm_(nn|nt|tn)/)?.[1] ?? []) as Op[];

test('the tests cover exactly the kernels of assembly/gemm.ts', () => {
  expect(kernelsIn('gemm').sort()).toEqual(['f32_colsum_acc', 'f32_gemm_nn', 'f32_gemm_nt_acc', 'f32_gemm_tn_acc']);
  expect([...OPS].sort()).toEqual(['nn', 'nt', 'tn']);
});

/** Runs one kernel on one case and returns the result and the float64 reference and bound. */
function runCase(b: Backend, heap: Heap, op: Op, scalar: boolean, c: Case, seed: number, accumulate = 1, withBias = true) {
  const { M, N, K, pad } = c;
  const k = b.kernels;
  // A is [M,K] (nn, nt) or [K,M] (tn); B is [K,N] (nn, tn) or [N,K] (nt)
  const aRows = op === 'tn' ? K : M, aCols = op === 'tn' ? M : K;
  const bRows = op === 'nt' ? N : K, bCols = op === 'nt' ? K : N;
  const A = randomArray(seed, aRows * aCols), B = randomArray(seed + 1, bRows * bCols);
  const C0 = randomArray(seed + 2, M * N), bias = randomArray(seed + 3, N);
  const pA = heap.put(padded(A, aRows, aCols, pad)), pB = heap.put(padded(B, bRows, bCols, pad));
  const init = accumulate ? C0 : new Float64Array(M * N).fill(NaN);
  const pC = heap.put(padded(init, M, N, pad));
  const pBias = op === 'nn' && withBias ? heap.put(bias) : 0;
  const lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
  const suffix = scalar ? '__scalar' : '';
  if (op === 'nn') k[`f32_gemm_nn${suffix}`](pC, ldc, pA, lda, pB, ldb, pBias, M, N, K, accumulate);
  if (op === 'nt') k[`f32_gemm_nt_acc${suffix}`](pC, ldc, pA, lda, pB, ldb, M, N, K);
  if (op === 'tn') k[`f32_gemm_tn_acc${suffix}`](pC, ldc, pA, lda, pB, ldb, M, N, K);
  const raw = heap.get(pC, M * ldc);
  const want = new Float64Array(M * N), bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = accumulate ? C0[i * N + j] : 0, mag = Math.abs(s);
    if (pBias) { s += bias[j]; mag += Math.abs(bias[j]); }
    for (let q = 0; q < K; q++) {
      const a = op === 'tn' ? A[q * M + i] : A[i * K + q];
      const bb = op === 'nt' ? B[j * K + q] : B[q * N + j];
      s += a * bb; mag += Math.abs(a * bb);
    }
    want[i * N + j] = s;
    bound[i * N + j] = (K + 2) * F32_EPS * mag + 1e-30;
  }
  return { raw, ...unpad(raw, M, N, pad), want, bound };
}

for (const build of BUILDS) {
  describe(`gemm (${build})`, () => {
    let b: Backend, heap: Heap;
    beforeAll(async () => { b = await loadBackend(build); heap = new Heap(b); });
    afterAll(() => heap.reset());

    for (const op of OPS) {
      for (const scalar of [false, true]) {
        test(`f32_gemm_${op}${scalar ? '__scalar' : ''}: ${cases.length} shapes (M, N, K in ${TILE_SIZES.join(', ')}), padded and packed`, () => {
          let worst = 0, maxAbs = 0;
          const failures: string[] = [];
          cases.forEach((c, n) => {
            const r = runCase(b, heap, op, scalar, c, 1000 + n);
            const w = worstRatio(r.out, r.want, r.bound);
            worst = Math.max(worst, w.worst); maxAbs = Math.max(maxAbs, w.maxAbs);
            if (!(w.worst <= 1) || !r.padOk) {
              failures.push(`M=${c.M} N=${c.N} K=${c.K} pad=${c.pad}: at ${w.at} got ${r.out[w.at]} want ${r.want[w.at]}${r.padOk ? '' : ', padding overwritten'}`);
            }
            heap.reset();
          });
          console.log(`${build} f32_gemm_${op}${scalar ? '__scalar' : ''}: max abs error ${maxAbs.toExponential(2)}, worst error / bound ${worst.toFixed(3)}`);
          expect(failures.slice(0, 5)).toEqual([]);
        });
      }
    }

    test('f32_gemm_nn without accumulate ignores C (NaN there) and without bias adds none', () => {
      for (const c of cases.filter((_, n) => n % 7 === 0)) {
        for (const withBias of [false, true]) {
          const r = runCase(b, heap, 'nn', false, c, 7, 0, withBias);
          expect(worstRatio(r.out, r.want, r.bound).worst).toBeLessThanOrEqual(1);
          heap.reset();
        }
      }
    });

    test('f32_colsum_acc and its scalar twin at every tile edge', () => {
      for (const M of TILE_SIZES) for (const N of TILE_SIZES) {
        const pad = (M + N) % 3, A = randomArray(M * 131 + N, M * N), y0 = randomArray(N, N);
        const want = Float64Array.from(y0, (v, j) => { let s = v; for (let i = 0; i < M; i++) s += A[i * N + j]; return s; });
        const bound = Float64Array.from(y0, (v, j) => { let s = Math.abs(v); for (let i = 0; i < M; i++) s += Math.abs(A[i * N + j]); return (M + 1) * F32_EPS * s; });
        for (const scalar of [false, true]) {
          const pA = heap.put(padded(A, M, N, pad)), py = heap.put(y0);
          b.kernels[scalar ? 'f32_colsum_acc__scalar' : 'f32_colsum_acc'](py, pA, N + pad, M, N);
          expect(worstRatio(heap.get(py, N), want, bound).worst, `M=${M} N=${N}`).toBeLessThanOrEqual(1);
          heap.reset();
        }
      }
    });

    if (build === 'baseline') {
      test('baseline SIMD is bit-identical to the scalar twins (same accumulation order)', () => {
        for (const op of OPS) {
          cases.filter((_, n) => n % 5 === 0).forEach((c, n) => {
            const simd = runCase(b, heap, op, false, c, 500 + n).raw;
            heap.reset();
            const scalar = runCase(b, heap, op, true, c, 500 + n).raw;
            heap.reset();
            expect(sameBits(simd, scalar), `${op} M=${c.M} N=${c.N} K=${c.K}`).toBe(true);
          });
        }
        for (const M of TILE_SIZES) {
          const A = randomArray(M, M * 37), y0 = randomArray(3, 37);
          const p1 = heap.put(y0), p2 = heap.put(y0), pA = heap.put(A);
          b.kernels.f32_colsum_acc(p1, pA, 37, M, 37);
          b.kernels.f32_colsum_acc__scalar(p2, pA, 37, M, 37);
          expect(sameBits(heap.get(p1, 37), heap.get(p2, 37))).toBe(true);
          heap.reset();
        }
      });
    }
  });
}
