// Helpers shared by every SIMD kernel.
//
// One source builds two binaries (asconfig.json): `--enable simd` gives the baseline SIMD128
// build, `--enable simd,relaxed-simd` the relaxed build with fused multiply-add. The branch on
// the compiler's constant ASC_FEATURE_RELAXED_SIMD is folded away, so each binary holds one
// form only.
//
// Baseline madd rounds twice (mul, then add), exactly like the scalar twins, which is why the
// baseline build is bit-identical to them and to itself on every runtime. relaxed_madd may
// fuse (one rounding) and its result may differ by runtime and machine, as the relaxed-SIMD
// proposal allows.

// a * b + c, four lanes.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Horizontal sum of four lanes in the fixed order (l0 + l1) + (l2 + l3); the scalar twins
// reduce their four partial sums in the same order.
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// 1 when this binary uses relaxed SIMD, so the host can check what it loaded.
export function simd_relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
