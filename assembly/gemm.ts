// f32 matrix products for the recurrent layers, forward and backward. Row-major; every
// leading dimension (ld*) is in elements; every pointer is a byte offset, 4-byte aligned
// (SIMD loads are unaligned-safe, 16-byte alignment only makes them faster).
//
//   f32_gemm_nn      C[M,N] = (acc ? C : 0) + bias[N] + A[M,K] B[K,N]   input projection
//                                                                         over all steps
//                                                                         (rows = T*B) and the
//                                                                         recurrent product
//   f32_gemm_nt_acc  C[M,N] += A[M,K] B[N,K]^T                          dX += dY W
//   f32_gemm_tn_acc  C[M,N] += A[K,M]^T B[K,N]                          dW += X^T dY
//   f32_colsum_acc   y[N]   += sum over rows of A[M,N]                  db += column sums
//
// Weights are kept as [in, out] (the transpose of PyTorch's [out, in]) so the forward
// products vectorise along the output columns with no horizontal sums.
//
// Accumulation order, fixed so results are reproducible: nn and tn sum over k in increasing
// order onto the initial value; nt keeps four partial sums (k mod 4), reduces them as
// (s0 + s1) + (s2 + s3), then adds the k tail in order. Each scalar twin (`__scalar`) follows
// the same order, so in the baseline build SIMD and scalar results are bit-identical.
//
// Aliasing: C must not overlap A or B. bias = 0 means no bias (the arena never hands out 0).

import { madd, hsum, init_v, init_s } from './simd';
import { row_panels_strided } from './panels';

// ---------------------------------------------------------------------------------------
// C = init + A B with A read through two byte steps: a_row (next row of C) and a_k (next k).
// nn: a_row = lda*4, a_k = 4.   tn: a_row = 4, a_k = lda*4.

// Four rows by eight columns: eight accumulators, B's two vectors reused by four rows.
// @ts-ignore: decorator
@inline function tile_4x8(c: usize, ldc: usize, a: usize, a_row: usize, a_k: usize,
                          b: usize, ldb: usize, bias: usize, K: i32, acc: i32): void {
  const bias1 = bias ? bias + 16 : 0;
  let c00 = init_v(c, bias, acc), c01 = init_v(c + 16, bias1, acc);
  let c10 = init_v(c + ldc, bias, acc), c11 = init_v(c + ldc + 16, bias1, acc);
  let c20 = init_v(c + 2 * ldc, bias, acc), c21 = init_v(c + 2 * ldc + 16, bias1, acc);
  let c30 = init_v(c + 3 * ldc, bias, acc), c31 = init_v(c + 3 * ldc + 16, bias1, acc);
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a + a_row);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a + 2 * a_row);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a + 3 * a_row);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a += a_k; b += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

// One row of C over columns j0..N, streaming B row by row: C is first set to its initial
// value, then for every four k, C[j0..N] += a_k0 B[k0, :] + ... + a_k3 B[k3, :]. B is read
// sequentially (prefetch-friendly, one TLB page after another), the row of C stays in L1.
// Used for the rows that do not fill a block of four when B is larger than PANEL_BYTES.
// @ts-ignore: decorator
@inline function row_stream(c: usize, a: usize, a_k: usize, b: usize, ldb: usize, bias: usize,
                            j0: i32, N: i32, K: i32, acc: i32): void {
  const N4 = j0 + ((N - j0) & ~3);
  if (!acc || bias) {
    for (let j = j0; j < N4; j += 4) {
      const o = <usize>j << 2;
      v128.store(c + o, init_v(c + o, bias ? bias + o : 0, acc));
    }
    for (let j = N4; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(c + o, init_s(c + o, bias ? bias + o : 0, acc));
    }
  }
  const K4 = K & ~3;
  let k = 0;
  for (; k < K4; k += 4) {
    const pa = a + <usize>k * a_k, pb = b + <usize>k * ldb;
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + a_k);
    const a2 = v128.load32_splat(pa + 2 * a_k), a3 = v128.load32_splat(pa + 3 * a_k);
    for (let j = j0; j < N4; j += 4) {
      const o = <usize>j << 2, q = pb + o;
      let y = v128.load(c + o);
      y = madd(a0, v128.load(q), y);
      y = madd(a1, v128.load(q + ldb), y);
      y = madd(a2, v128.load(q + 2 * ldb), y);
      y = madd(a3, v128.load(q + 3 * ldb), y);
      v128.store(c + o, y);
    }
    const s0 = load<f32>(pa), s1 = load<f32>(pa + a_k), s2 = load<f32>(pa + 2 * a_k), s3 = load<f32>(pa + 3 * a_k);
    for (let j = N4; j < N; j++) {
      const o = <usize>j << 2, q = pb + o;
      let y = load<f32>(c + o);
      y += s0 * load<f32>(q);
      y += s1 * load<f32>(q + ldb);
      y += s2 * load<f32>(q + 2 * ldb);
      y += s3 * load<f32>(q + 3 * ldb);
      store<f32>(c + o, y);
    }
  }
  for (; k < K; k++) {
    const pa = a + <usize>k * a_k, pb = b + <usize>k * ldb;
    const av = v128.load32_splat(pa), as = load<f32>(pa);
    for (let j = j0; j < N4; j += 4) {
      const o = <usize>j << 2;
      v128.store(c + o, madd(av, v128.load(pb + o), v128.load(c + o)));
    }
    for (let j = N4; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(c + o, load<f32>(c + o) + as * load<f32>(pb + o));
    }
  }
}

// Above this size of B (bytes of its K rows), the rows outside the tiles stream B row by row
// (row_stream) instead of in column panels (panels.ts): panels of row-major B use part of each
// cache line they touch per row, and once B is out of L2 the lines come twice from farther
// away. Measured (Node 20, x64): K = 128, N = 512 panels 1.2x row_stream; K = 512, N = 2048
// row_stream 1.3x panels. (The recurrent step of a small batch reads packed panels instead,
// which win at every size.)
// @ts-ignore: decorator
@inline const PANEL_BYTES: usize = 1 << 20;
// Nor when rows of B are a multiple of this many bytes apart: a panel's rows then fall into a
// few cache sets (rows 1536 bytes apart, as an unpadded 3H = 384: eight of the 64 sets of
// L1) and evict each other: measured, a GRU stream step at H = 128 (N = 384) 1.03 to 1.05x
// slower with panels than with row_stream, three runs.
// (paddedWidth pads the widths that are multiples of 256 floats.)
// @ts-ignore: decorator
@inline const PANEL_ALIAS: usize = 512;

// Rows of B per pass of the 4x8 tiles: a strip of KC rows x 8 columns stays in L1 while the
// blocks of four rows use it, and KC pages (at most) are live in the TLB however wide B is.
// @ts-ignore: decorator
@inline const KC = 64;
// Rows of A per group in the 4x8 tile passes (see gemm_kn).
// @ts-ignore: decorator
@inline const MC = 16;

// @ts-ignore: decorator
@inline function gemm_kn(c: usize, ldc_: i32, a: usize, a_row: usize, a_k: usize,
                         b: usize, ldb_: i32, bias: usize, M: i32, N: i32, K: i32,
                         acc: i32): void {
  const ldc = <usize>ldc_ << 2, ldb = <usize>ldb_ << 2;
  const M4 = M & ~3, N8 = N & ~7;
  // Blocks of four rows: pass over K in chunks of KC; within a chunk, groups of MC rows
  // (their KC columns of A stay in L1), then column blocks, then the row blocks of the group
  // (the KC x 8 strip of B stays in L1 while they use it). The first chunk starts from the
  // initial value, the others from C.
  let k0 = 0;
  do {
    const kc = min(KC, K - k0), first = k0 == 0;
    const ak = a + <usize>k0 * a_k, bk = b + <usize>k0 * ldb;
    for (let i0 = 0; i0 < M4; i0 += MC) {
      const i1 = min(i0 + MC, M4);
      for (let j = 0; j < N8; j += 8) {
        const jb = <usize>j << 2;
        for (let i = i0; i < i1; i += 4) {
          tile_4x8(c + <usize>i * ldc + jb, ldc, ak + <usize>i * a_row, a_row, a_k,
                   bk + jb, ldb, first && bias ? bias + jb : 0, kc, first ? acc : 1);
        }
      }
    }
    k0 += KC;
  } while (k0 < K);
  // the columns right of the tiles, and the rows below them (all rows when M < 4, as a
  // stream's step at batch 1): one row at a time
  const panels = <usize>K * ldb <= PANEL_BYTES && (ldb & (PANEL_ALIAS - 1)) != 0;
  for (let i = 0; i < M; i++) {
    const ci = c + <usize>i * ldc, ai = a + <usize>i * a_row, j0 = i < M4 ? N8 : 0;
    if (panels) row_panels_strided(ci, ai, a_k, b, ldb, bias, j0, N, K, acc);
    else row_stream(ci, ai, a_k, b, ldb, bias, j0, N, K, acc);
  }
}

// @ts-ignore: decorator
@inline function gemm_kn_scalar(c: usize, ldc: i32, a: usize, a_row: usize, a_k: usize,
                                b: usize, ldb: i32, bias: usize, M: i32, N: i32, K: i32,
                                acc: i32): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const cij = c + ((<usize>i * ldc + j) << 2);
      let s = init_s(cij, bias ? bias + (<usize>j << 2) : 0, acc);
      let pa = a + <usize>i * a_row, pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += a_k; pb += <usize>ldb << 2;
      }
      store<f32>(cij, s);
    }
  }
}

/** C[M,N] = (accumulate ? C : 0) + bias[N] + A[M,K] B[K,N]. bias = 0: none. */
export function f32_gemm_nn(c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            bias: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  gemm_kn(c, ldc, a, <usize>lda << 2, 4, b, ldb, bias, M, N, K, accumulate);
}

export function f32_gemm_nn__scalar(c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32,
                                    bias: usize, M: i32, N: i32, K: i32, accumulate: i32): void {
  gemm_kn_scalar(c, ldc, a, <usize>lda << 2, 4, b, ldb, bias, M, N, K, accumulate);
}

/** C[M,N] += A[K,M]^T B[K,N]. */
export function f32_gemm_tn_acc(c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32,
                                M: i32, N: i32, K: i32): void {
  gemm_kn(c, ldc, a, 4, <usize>lda << 2, b, ldb, 0, M, N, K, 1);
}

export function f32_gemm_tn_acc__scalar(c: usize, ldc: i32, a: usize, lda: i32, b: usize,
                                        ldb: i32, M: i32, N: i32, K: i32): void {
  gemm_kn_scalar(c, ldc, a, 4, <usize>lda << 2, b, ldb, 0, M, N, K, 1);
}

// ---------------------------------------------------------------------------------------
// C += A B^T: dot products along the contiguous k of both operands.

// sum_k a[k] b[k] in the fixed order described at the top.
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, K: i32): f32 {
  const K4 = K & ~3;
  let v = f32x4.splat(0);
  for (let k = 0; k < K4; k += 4) {
    const o = <usize>k << 2;
    v = madd(v128.load(a + o), v128.load(b + o), v);
  }
  let s = hsum(v);
  for (let k = K4; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

// @ts-ignore: decorator
@inline function dot_tail(a: usize, b: usize, K4: i32, K: i32, s: f32): f32 {
  for (let k = K4; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/** C[M,N] += A[M,K] B[N,K]^T. */
export function f32_gemm_nt_acc(c: usize, ldc_: i32, a: usize, lda_: i32, b: usize, ldb_: i32,
                                M: i32, N: i32, K: i32): void {
  const ldc = <usize>ldc_ << 2, lda = <usize>lda_ << 2, ldb = <usize>ldb_ << 2;
  const M2 = M & ~1, N4 = N & ~3, K4 = K & ~3;
  for (let i = 0; i < M2; i += 2) {
    const a0 = a + <usize>i * lda, a1 = a0 + lda;
    const c0 = c + <usize>i * ldc, c1 = c0 + ldc;
    for (let j = 0; j < N4; j += 4) {
      const b0 = b + <usize>j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
      let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let w = v128.load(b0 + o); s00 = madd(x0, w, s00); s10 = madd(x1, w, s10);
        w = v128.load(b1 + o); s01 = madd(x0, w, s01); s11 = madd(x1, w, s11);
        w = v128.load(b2 + o); s02 = madd(x0, w, s02); s12 = madd(x1, w, s12);
        w = v128.load(b3 + o); s03 = madd(x0, w, s03); s13 = madd(x1, w, s13);
      }
      const cj0 = c0 + (<usize>j << 2), cj1 = c1 + (<usize>j << 2);
      store<f32>(cj0, load<f32>(cj0) + dot_tail(a0, b0, K4, K, hsum(s00)));
      store<f32>(cj0, load<f32>(cj0, 4) + dot_tail(a0, b1, K4, K, hsum(s01)), 4);
      store<f32>(cj0, load<f32>(cj0, 8) + dot_tail(a0, b2, K4, K, hsum(s02)), 8);
      store<f32>(cj0, load<f32>(cj0, 12) + dot_tail(a0, b3, K4, K, hsum(s03)), 12);
      store<f32>(cj1, load<f32>(cj1) + dot_tail(a1, b0, K4, K, hsum(s10)));
      store<f32>(cj1, load<f32>(cj1, 4) + dot_tail(a1, b1, K4, K, hsum(s11)), 4);
      store<f32>(cj1, load<f32>(cj1, 8) + dot_tail(a1, b2, K4, K, hsum(s12)), 8);
      store<f32>(cj1, load<f32>(cj1, 12) + dot_tail(a1, b3, K4, K, hsum(s13)), 12);
    }
    for (let j = N4; j < N; j++) {
      const bj = b + <usize>j * ldb, o = <usize>j << 2;
      store<f32>(c0 + o, load<f32>(c0 + o) + dot(a0, bj, K));
      store<f32>(c1 + o, load<f32>(c1 + o) + dot(a1, bj, K));
    }
  }
  for (let i = M2; i < M; i++) {
    const ai = a + <usize>i * lda, ci = c + <usize>i * ldc;
    for (let j = 0; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(ci + o, load<f32>(ci + o) + dot(ai, b + <usize>j * ldb, K));
    }
  }
}

export function f32_gemm_nt_acc__scalar(c: usize, ldc: i32, a: usize, lda: i32, b: usize,
                                        ldb: i32, M: i32, N: i32, K: i32): void {
  const K4 = K & ~3;
  for (let i = 0; i < M; i++) {
    const ai = a + ((<usize>i * lda) << 2);
    for (let j = 0; j < N; j++) {
      const bj = b + ((<usize>j * ldb) << 2);
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        s0 += load<f32>(ai + o) * load<f32>(bj + o);
        s1 += load<f32>(ai + o, 4) * load<f32>(bj + o, 4);
        s2 += load<f32>(ai + o, 8) * load<f32>(bj + o, 8);
        s3 += load<f32>(ai + o, 12) * load<f32>(bj + o, 12);
      }
      const cij = c + ((<usize>i * ldc + j) << 2);
      store<f32>(cij, load<f32>(cij) + dot_tail(ai, bj, K4, K, (s0 + s1) + (s2 + s3)));
    }
  }
}

// ---------------------------------------------------------------------------------------
// y[N] += sum over i of A[i, :], rows added in increasing order.

/** y[N] += column sums of A[M,N] (leading dimension lda). */
export function f32_colsum_acc(y: usize, a: usize, lda_: i32, M: i32, N: i32): void {
  const lda = <usize>lda_ << 2, N16 = N & ~15, N4 = N & ~3;
  let j = 0;
  for (; j < N16; j += 16) {
    const o = <usize>j << 2;
    let s0 = v128.load(y + o), s1 = v128.load(y + o, 16);
    let s2 = v128.load(y + o, 32), s3 = v128.load(y + o, 48);
    let p = a + o;
    for (let i = 0; i < M; i++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += lda;
    }
    v128.store(y + o, s0); v128.store(y + o, s1, 16);
    v128.store(y + o, s2, 32); v128.store(y + o, s3, 48);
  }
  for (; j < N4; j += 4) {
    const o = <usize>j << 2;
    let s = v128.load(y + o), p = a + o;
    for (let i = 0; i < M; i++) { s = f32x4.add(s, v128.load(p)); p += lda; }
    v128.store(y + o, s);
  }
  f32_colsum_acc__scalar(y + (<usize>N4 << 2), a + (<usize>N4 << 2), lda_, M, N - N4);
}

export function f32_colsum_acc__scalar(y: usize, a: usize, lda: i32, M: i32, N: i32): void {
  for (let j = 0; j < N; j++) {
    const o = <usize>j << 2;
    let s = load<f32>(y + o), p = a + o;
    for (let i = 0; i < M; i++) { s += load<f32>(p); p += <usize>lda << 2; }
    store<f32>(y + o, s);
  }
}
