// Products with few rows of A, for the recurrent step at batch 1: C[i, :] = init + A[i, :] B,
// one row of A at a time, B read in column panels of NR columns.
//
//   f32_pack_panels      P = B[K,N] cut into column panels (the layout below)
//   f32_gemm_nn_panels   C[M,N] = (acc ? C : 0) + bias[N] + A[M,K] B[K,N], B given as panels
//
// Why panels: a row of C is a sum over K rows of B. Kept in registers for one panel (seven
// vectors, 28 columns) while all K rows of the panel stream past, it is loaded and stored once
// instead of once per few rows of B (gemm.ts's row form did that: a load, a store and a
// dependent chain per four products). The accumulators' chains of multiply-adds bound the
// speed (one multiply-add per k each, four cycles of latency), so more is faster up to what
// the registers hold: V8 in Node 20 (x64, 16 XMM registers) loads all vectors of B for a k
// before their multiply-adds, so 7 + 7 + the splat of a[k] fit and 8 + 8 + 1 spill and run at
// half speed. Measured, GFLOP/s of 4, 6, 7, 8 accumulators at K = 256, N = 1024: Node 20
// 28 / 38 / 40 / 16, Deno 2.9 30 / 38 / 40 / 40, Bun 1.4 34 / 36 / 41 / 35.
//
// Panel layout (f32_pack_panels): panel q holds the columns q*NR .. q*NR + w - 1 (w = NR, the
// last panel w = N - q*NR) as [K][w] contiguous floats, and starts at float q*K*NR: the whole
// of P is K*N floats. The panels of B's row-major storage are the same columns read with a row
// step of ldb instead of w: gemm.ts runs its leftover rows through the same pass that way,
// and so does a stream, which reads the live parameters. Packed, the pass reads one contiguous
// stream (no partly used cache lines, no page per row): measured 1.5x the row-major pass when
// B is larger than L2 (H = 512), the same within L2.
//
// Sub-ranges (splitting the columns between threads): columns j0 .. j1 with j0 a multiple of
// NR (28) (and j1 a multiple of NR, or N) are the call with c + 4*j0, bias + 4*j0, P + 4*j0*K and
// N = j1 - j0; every column's result is the same as in the whole call.
//
// Accumulation order, as gemm.ts's f32_gemm_nn: the initial value (C or 0, then + bias), then
// k = 0 .. K-1 in order, one multiply-add each. The scalar twin follows it, so in the baseline
// build the two are bit-identical, and f32_gemm_nn_panels is bit-identical to f32_gemm_nn on
// the unpacked B in either build. Aliasing: C must not overlap A, B or P.

import { madd, init_v, init_s } from './simd';

/** Columns per panel: seven vectors of four. */
// @ts-ignore: decorator
@inline const NR = 28;

// Columns 0 .. 4v-1 of one panel, v = 7 .. 1 vectors in as many registers: row a (step a_k
// between its k), panel rows b (step b_k). One pass over K each, so a partial panel costs one
// pass too.
// @ts-ignore: decorator
@inline function cols28(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                        K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  let c2 = init_v(c + 32, bias ? bias + 32 : 0, acc), c3 = init_v(c + 48, bias ? bias + 48 : 0, acc);
  let c4 = init_v(c + 64, bias ? bias + 64 : 0, acc), c5 = init_v(c + 80, bias ? bias + 80 : 0, acc);
  let c6 = init_v(c + 96, bias ? bias + 96 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b, 32), c2); c3 = madd(s, v128.load(b, 48), c3);
    c4 = madd(s, v128.load(b, 64), c4); c5 = madd(s, v128.load(b, 80), c5);
    c6 = madd(s, v128.load(b, 96), c6);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96);
}

// @ts-ignore: decorator
@inline function cols24(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                        K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  let c2 = init_v(c + 32, bias ? bias + 32 : 0, acc), c3 = init_v(c + 48, bias ? bias + 48 : 0, acc);
  let c4 = init_v(c + 64, bias ? bias + 64 : 0, acc), c5 = init_v(c + 80, bias ? bias + 80 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b, 32), c2); c3 = madd(s, v128.load(b, 48), c3);
    c4 = madd(s, v128.load(b, 64), c4); c5 = madd(s, v128.load(b, 80), c5);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  v128.store(c, c4, 64); v128.store(c, c5, 80);
}

// @ts-ignore: decorator
@inline function cols20(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                        K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  let c2 = init_v(c + 32, bias ? bias + 32 : 0, acc), c3 = init_v(c + 48, bias ? bias + 48 : 0, acc);
  let c4 = init_v(c + 64, bias ? bias + 64 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b, 32), c2); c3 = madd(s, v128.load(b, 48), c3);
    c4 = madd(s, v128.load(b, 64), c4);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
  v128.store(c, c4, 64);
}

// @ts-ignore: decorator
@inline function cols16(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                        K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  let c2 = init_v(c + 32, bias ? bias + 32 : 0, acc), c3 = init_v(c + 48, bias ? bias + 48 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b, 32), c2); c3 = madd(s, v128.load(b, 48), c3);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
}

// @ts-ignore: decorator
@inline function cols12(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                        K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  let c2 = init_v(c + 32, bias ? bias + 32 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b, 32), c2);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32);
}

// @ts-ignore: decorator
@inline function cols8(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                       K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc), c1 = init_v(c + 16, bias ? bias + 16 : 0, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0); c1 = madd(s, v128.load(b, 16), c1);
    a += a_k; b += b_k;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

// @ts-ignore: decorator
@inline function cols4(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                       K: i32, acc: i32): void {
  let c0 = init_v(c, bias, acc);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a);
    c0 = madd(s, v128.load(b), c0);
    a += a_k; b += b_k;
  }
  v128.store(c, c0);
}

// @ts-ignore: decorator
@inline function col1(c: usize, a: usize, a_k: usize, b: usize, b_k: usize, bias: usize,
                      K: i32, acc: i32): void {
  let s = init_s(c, bias, acc);
  for (let k = 0; k < K; k++) {
    s += load<f32>(a) * load<f32>(b);
    a += a_k; b += b_k;
  }
  store<f32>(c, s);
}

/**
 * Columns 0 .. w-1 (w <= NR) of one panel of one row of C: c, bias at the panel's first
 * column, b its first element, b_k the bytes between its rows (w*4 packed, ldb*4 row-major).
 */
// @ts-ignore: decorator
@inline export function panel_row(c: usize, a: usize, a_k: usize, b: usize, b_k: usize,
                                  bias: usize, w: i32, K: i32, acc: i32): void {
  switch (w >> 2) {
    case 7: cols28(c, a, a_k, b, b_k, bias, K, acc); break;
    case 6: cols24(c, a, a_k, b, b_k, bias, K, acc); break;
    case 5: cols20(c, a, a_k, b, b_k, bias, K, acc); break;
    case 4: cols16(c, a, a_k, b, b_k, bias, K, acc); break;
    case 3: cols12(c, a, a_k, b, b_k, bias, K, acc); break;
    case 2: cols8(c, a, a_k, b, b_k, bias, K, acc); break;
    case 1: cols4(c, a, a_k, b, b_k, bias, K, acc); break;
  }
  for (let j = w & ~3; j < w; j++) {
    const o = <usize>j << 2;
    col1(c + o, a, a_k, b + o, b_k, bias ? bias + o : 0, K, acc);
  }
}

/**
 * Columns j0 .. N-1 of one row of C from B in row-major storage (leading dimension ldb
 * elements), panel by panel from j0. gemm.ts's rows outside its 4x8 tiles.
 */
// @ts-ignore: decorator
@inline export function row_panels_strided(c: usize, a: usize, a_k: usize, b: usize, ldb: usize,
                                           bias: usize, j0: i32, N: i32, K: i32, acc: i32): void {
  for (let j = j0; j < N; j += NR) {
    const o = <usize>j << 2;
    panel_row(c + o, a, a_k, b + o, ldb, bias ? bias + o : 0, min(NR, N - j), K, acc);
  }
}

/** P = B[K,N] (leading dimension ldb) as column panels (layout at the top). P must not overlap B. */
export function f32_pack_panels(p: usize, b: usize, ldb: i32, K: i32, N: i32): void {
  const rowB = <usize>ldb << 2;
  for (let j = 0; j < N; j += NR) {
    const w = min(NR, N - j), w4 = w & ~3;
    let src = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      let i = 0;
      for (; i < w4; i += 4) v128.store(p + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
      for (; i < w; i++) store<f32>(p + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
      p += <usize>w << 2; src += rowB;
    }
  }
}

/** C[M,N] = (accumulate ? C : 0) + bias[N] + A[M,K] B[K,N], B packed by f32_pack_panels. bias = 0: none. */
export function f32_gemm_nn_panels(c: usize, ldc: i32, a: usize, lda: i32, p: usize, bias: usize,
                                   M: i32, N: i32, K: i32, accumulate: i32): void {
  for (let i = 0; i < M; i++) {
    const ci = c + ((<usize>i * ldc) << 2), ai = a + ((<usize>i * lda) << 2);
    let q = p;
    for (let j = 0; j < N; j += NR) {
      const o = <usize>j << 2, w = min(NR, N - j);
      panel_row(ci + o, ai, 4, q, <usize>w << 2, bias ? bias + o : 0, w, K, accumulate);
      q += (<usize>w * K) << 2;
    }
  }
}

export function f32_gemm_nn_panels__scalar(c: usize, ldc: i32, a: usize, lda: i32, p: usize,
                                           bias: usize, M: i32, N: i32, K: i32,
                                           accumulate: i32): void {
  for (let i = 0; i < M; i++) {
    const ci = c + ((<usize>i * ldc) << 2), ai = a + ((<usize>i * lda) << 2);
    for (let j = 0; j < N; j++) {
      // column j: panel j / NR of width w, column j % NR in it
      const q = j / NR, w = min(NR, N - q * NR);
      let pb = p + ((<usize>q * NR * K + j % NR) << 2);
      const o = <usize>j << 2;
      let s = init_s(ci + o, bias ? bias + o : 0, accumulate);
      for (let k = 0; k < K; k++) {
        s += load<f32>(ai + (<usize>k << 2)) * load<f32>(pb);
        pb += <usize>w << 2;
      }
      store<f32>(ci + o, s);
    }
  }
}
