// What this machine's WebAssembly can do at best, for bench/recurrent-product.bench.js to rate
// the kernels against (compiled by that script with the library's two feature sets: baseline
// SIMD128 and relaxed SIMD; not part of the package).
//
//   fma_peak(n, seed)    n rounds of a register tile: twelve four-lane accumulators in six
//                        pairs, each updated as acc = other * x + acc from the pair's values of
//                        the round before (relaxed: one fused multiply-add; baseline: a
//                        multiply and an add, as the library's madd, the multiply off the
//                        accumulator's own chain as in a GEMM); no memory access; 12
//                        multiply-adds of four lanes, 96 flops per round.
//   f32_copy(y, x, n)    y[0..n) = x[0..n), sixteen floats (four vectors) per iteration;
//                        n a multiple of 16. Copy bandwidth counts the bytes read and written.
//
// Twelve accumulators: the four-cycle latency of a multiply-add and two issued per cycle need
// eight in flight; twelve leave room, and with the constant and the pair's old value they fit
// the sixteen x64 vector registers (more would spill). x is small, so the values stay near
// the seed (no overflow, no subnormals) for any n this benchmark uses.

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

export function fma_peak(n: i32, seed: f32): f32 {
  const x = f32x4.splat(1e-7);
  let a0 = f32x4.splat(seed), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0;
  let a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0;
  for (let i = 0; i < n; i++) {
    let t = a0; a0 = madd(b0, x, a0); b0 = madd(t, x, b0);
    t = a1; a1 = madd(b1, x, a1); b1 = madd(t, x, b1);
    t = a2; a2 = madd(b2, x, a2); b2 = madd(t, x, b2);
    t = a3; a3 = madd(b3, x, a3); b3 = madd(t, x, b3);
    t = a4; a4 = madd(b4, x, a4); b4 = madd(t, x, b4);
    t = a5; a5 = madd(b5, x, a5); b5 = madd(t, x, b5);
  }
  // every accumulator reaches the result, so none of the work can be dropped
  const s = f32x4.add(f32x4.add(f32x4.add(a0, b0), f32x4.add(a1, b1)), f32x4.add(f32x4.add(a2, b2), f32x4.add(a3, b3)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(a4, b4), f32x4.add(a5, b5))), 0);
}

export function f32_copy(y: usize, x: usize, n: i32): void {
  const end = x + (<usize>n << 2);
  while (x < end) {
    v128.store(y, v128.load(x)); v128.store(y, v128.load(x, 16), 16);
    v128.store(y, v128.load(x, 32), 32); v128.store(y, v128.load(x, 48), 48);
    x += 64; y += 64;
  }
}
