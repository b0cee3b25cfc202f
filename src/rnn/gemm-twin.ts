/**
 * JS twins of the three wasm kernels the orthogonal initialiser's QR runs on, exact to the
 * bit: f32_gemm_nn, f32_gemm_tn_acc and f32_fill (assembly/gemm.ts, assembly/vector.ts),
 * over a Float32Array standing in for wasm memory (pointers are byte addresses into it).
 *
 *   f32_gemm_nn      C[M,N] = (acc ? C : 0) + bias[N] + A[M,K] B[K,N]
 *   f32_gemm_tn_acc  C[M,N] += A[K,M]^T B[K,N]
 *
 * Each C[i, j] starts from its initial value and adds a[i, k] b[k, j] for k = 0, 1, ... in
 * order, as the kernels do. In the baseline build every step rounds twice (product, then
 * sum). In the relaxed build the SIMD lanes use relaxed_madd, which fuses (one rounding)
 * where the machine has a fused multiply-add, and the scalar tail does not: the lanes are the
 * columns j < N & ~3 on every row (the 4x8 tiles and the four-wide part of row_stream), the
 * tail the last N mod 4 columns. `fused` says which build to follow.
 *
 * fma32 rounds a b + c once to f32: a b is exact in float64 (24-bit significands), the sum
 * s = a b + c rounds once to float64 with error e (Knuth's TwoSum), and rounding s to f32 is
 * wrong only when s lies exactly halfway between two floats and e != 0; then e decides.
 */
import { runtimeSupport } from '../backend.js';
import type { Kernels } from '../kernels.js';
import { f32Index } from '../layout.js';

/** The kernels the QR needs, as the wasm module exports them. */
export type QrKernels = Pick<Kernels, 'f32_gemm_nn' | 'f32_gemm_tn_acc' | 'f32_fill'>;

/** round_f32(a b + c) for f32 values a, b, c. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b, s = p + c, r = Math.fround(s);
  const d = s - r, other = s + d; // the float on the far side of s when s is halfway
  if (d === 0 || Math.fround(other) !== other) return r;
  const z = s - p, e = (p - (s - z)) + (c - z);
  return e === 0 || (e > 0) !== (d > 0) ? r : other;
}

/** The twins over `heap`; `fused`: follow the relaxed build on a machine that fuses. */
export function gemmTwins(heap: Float32Array, fused: boolean): QrKernels {
  // C = init + A B with A read through two float steps: aRow (next row of C), aK (next k)
  const gemm = (c: number, ldc: number, a: number, aRow: number, aK: number, b: number, ldb: number,
    bias: number, M: number, N: number, K: number, acc: number): void => {
    const c0 = f32Index(c), a0 = f32Index(a), b0 = f32Index(b), bias0 = f32Index(bias);
    const lanes = fused ? N & ~3 : 0;
    for (let i = 0; i < M; i++) {
      const ci = c0 + i * ldc;
      for (let j = 0; j < N; j++) {
        let s = acc ? heap[ci + j] : 0;
        if (bias) s = Math.fround(s + heap[bias0 + j]);
        heap[ci + j] = s;
      }
      for (let k = 0; k < K; k++) {
        const aik = heap[a0 + i * aRow + k * aK], bk = b0 + k * ldb;
        let j = 0;
        for (; j < lanes; j++) heap[ci + j] = fma32(aik, heap[bk + j], heap[ci + j]);
        for (; j < N; j++) heap[ci + j] = heap[ci + j] + Math.fround(aik * heap[bk + j]);
      }
    }
  };
  return {
    f32_gemm_nn: (c, ldc, a, lda, b, ldb, bias, M, N, K, acc) => gemm(c, ldc, a, lda, 1, b, ldb, bias, M, N, K, acc),
    f32_gemm_tn_acc: (c, ldc, a, lda, b, ldb, M, N, K) => gemm(c, ldc, a, 1, lda, b, ldb, 0, M, N, K, 1),
    f32_fill: (y, v, n) => { heap.fill(v, f32Index(y), f32Index(y) + n); },
  };
}

// (func (param f32 f32 f32) (result f32) lane 0 of f32x4.relaxed_madd of the three splats),
// exported as "f"
const MADD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d, // type: (f32 f32 f32) -> f32
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0x20, 0x00, 0xfd, 0x13, 0x20, 0x01, 0xfd, 0x13, 0x20, 0x02, 0xfd, 0x13, // three f32x4.splat
  0xfd, 0x85, 0x02, 0xfd, 0x1f, 0x00, 0x0b, // f32x4.relaxed_madd, f32x4.extract_lane 0, end
]);

let defaultFused: boolean | undefined;

/**
 * Whether the build `init()` picks by default fuses its multiply-adds here: the relaxed build
 * where the runtime has relaxed SIMD, and then whether relaxed_madd rounds once, tried on
 * (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 (0 when rounded twice). False where the runtime will
 * not compile a module synchronously.
 */
export function defaultBuildFuses(): boolean {
  if (defaultFused === undefined) {
    defaultFused = false;
    if (runtimeSupport().relaxed) {
      try {
        const { f } = new WebAssembly.Instance(new WebAssembly.Module(MADD_PROBE)).exports as { f: (a: number, b: number, c: number) => number };
        defaultFused = f(1 + 2 ** -23, 1 - 2 ** -23, -1) !== 0;
      } catch {
        // no synchronous compilation here: assume the baseline build's rounding
      }
    }
  }
  return defaultFused;
}
