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

// The start of a product's accumulators: C where the call accumulates (acc != 0), else 0,
// plus the bias where there is one (bias != 0); four lanes, and one lane for tails.
// @ts-ignore: decorator
@inline export function init_v(c: usize, bias: usize, acc: i32): v128 {
  let v = acc ? v128.load(c) : f32x4.splat(0);
  if (bias) v = f32x4.add(v, v128.load(bias));
  return v;
}

// @ts-ignore: decorator
@inline export function init_s(c: usize, bias: usize, acc: i32): f32 {
  let s: f32 = acc ? load<f32>(c) : 0;
  if (bias) s += load<f32>(bias);
  return s;
}

// 1 when this binary uses relaxed SIMD, so the host can check what it loaded.
export function simd_relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
