// Vectorised and scalar sigmoid and tanh, shared by the activation kernels and the fused
// recurrent cells. Inline helpers only: this module adds no wasm exports.
//
// Both go through expm1 rather than exp, so neither loses relative accuracy near 0 by
// cancellation:
//   sigmoid(x) = 1 / (2 + expm1(-x))
//   tanh(x)    = -u / (2 + u),  u = expm1(-2x)   (any sign: for x < 0, u is large and the
//                quotient tends to -1; expm1 clamps its argument, so u stays finite), with
//                x's sign (which only +0 needs)
// expm1(z), z clamped to [-87.3, 88.3] so 2^n stays a normal float:
//   n = nearest(z / ln2), r = z - n*C1 - n*C2 (Cody-Waite split of ln2, |r| <= ln2/2),
//   where n comes from adding 1.5 * 2^23 + 127: the addition itself rounds to an integer and
//   leaves n + 127 in the low mantissa bits, so 2^n is those bits shifted into the exponent
//   (no float-to-int conversion, which wasm SIMD makes expensive),
//   expm1(z) = (2^n - 1) + 2^n * (r * q(r)),  q(r) = 1 + r/2! + r^2/3! + ... + r^6/7!
//   evaluated by Estrin's scheme in r and r^2 (three short chains, not Horner's one of six).
//   The range reduction's multiply-adds are madd too: fused in the relaxed build (three
//   operations fewer, and a more exact r), the same multiply and add as the scalar twin's in
//   the baseline build.
// The Taylor tail past r^7/7! is below 5.2e-9 relative on |r| <= ln2/2, under f32 rounding.
// The max abs error against float64 over a dense grid is checked by test/activation.test.ts.
// see: W. J. Cody, W. Waite, "Software Manual for the Elementary Functions" (1980), ch. 6
//      (range reduction); C1, C2 as in Cephes expf (S. L. Moshier, "Methods and Programs for
//      Mathematical Functions", 1989).
//
// The scalar forms perform the same operations in the same order as the vector forms; in the
// baseline build they give bit-identical results (test/activation.test.ts checks it).

import { madd } from './simd';

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const C1: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const C2: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const MAGIC: f32 = 12583039.0; // 1.5 * 2^23 + 127
// @ts-ignore: decorator
@inline const Z_MIN: f32 = -87.3;
// @ts-ignore: decorator
@inline const Z_MAX: f32 = 88.3;
// Q1..Q6 = 1/k! for k = 2..7, the coefficients of q(r) past its constant 1.
// @ts-ignore: decorator
@inline const Q6: f32 = 1.0 / 5040.0;
// @ts-ignore: decorator
@inline const Q5: f32 = 1.0 / 720.0;
// @ts-ignore: decorator
@inline const Q4: f32 = 1.0 / 120.0;
// @ts-ignore: decorator
@inline const Q3: f32 = 1.0 / 24.0;
// @ts-ignore: decorator
@inline const Q2: f32 = 1.0 / 6.0;
// @ts-ignore: decorator
@inline const Q1: f32 = 0.5;

// The vector forms read their constants from this table, four equal lanes each, rather than
// writing f32x4.splat(constant): V8 (Node 20, x64) builds a v128 constant inside the loop at
// every use, several instructions each, where a load from L1 is one. Measured on the sigmoid
// loop: 14.0 -> 10.5 cycles per vector (tanh and the fused cells alike).
const VK = memory.data<f32>([
  Z_MIN, Z_MIN, Z_MIN, Z_MIN, Z_MAX, Z_MAX, Z_MAX, Z_MAX,
  LOG2E, LOG2E, LOG2E, LOG2E, MAGIC, MAGIC, MAGIC, MAGIC,
  -C1, -C1, -C1, -C1, -C2, -C2, -C2, -C2,
  Q1, Q1, Q1, Q1, Q2, Q2, Q2, Q2, Q3, Q3, Q3, Q3,
  Q4, Q4, Q4, Q4, Q5, Q5, Q5, Q5, Q6, Q6, Q6, Q6,
  1, 1, 1, 1, 2, 2, 2, 2, -2, -2, -2, -2,
  -0.0, -0.0, -0.0, -0.0, // the sign bit alone
], 16);
// @ts-ignore: decorator
@inline const K_ZMIN = 0;
// @ts-ignore: decorator
@inline const K_ZMAX = 1;
// @ts-ignore: decorator
@inline const K_LOG2E = 2;
// @ts-ignore: decorator
@inline const K_MAGIC = 3;
// @ts-ignore: decorator
@inline const K_NC1 = 4;
// @ts-ignore: decorator
@inline const K_NC2 = 5;
// @ts-ignore: decorator
@inline const K_Q1 = 6; // .. K_Q6 = 11
// @ts-ignore: decorator
@inline const K_ONE = 12;
// @ts-ignore: decorator
@inline const K_TWO = 13;
// @ts-ignore: decorator
@inline const K_MINUS_TWO = 14;
// @ts-ignore: decorator
@inline const K_SIGN = 15;

// @ts-ignore: decorator
@inline function vk(i: i32): v128 {
  return v128.load(VK + (<usize>i << 4));
}

// -x, as f32x4.neg (the sign bit flipped), with the sign mask from the table: V8 builds
// f32x4.neg's mask anew at every use.
// @ts-ignore: decorator
@inline function neg_v(x: v128): v128 {
  return v128.xor(x, vk(K_SIGN));
}

// @ts-ignore: decorator
@inline function expm1_v(z: v128): v128 {
  // pmin/pmax: one instruction each (min/max carry NaN and -0 rules that cost several);
  // the same as min/max for the finite inputs the layers admit.
  z = f32x4.pmin(f32x4.pmax(z, vk(K_ZMIN)), vk(K_ZMAX));
  const t = madd(z, vk(K_LOG2E), vk(K_MAGIC));
  const n = f32x4.sub(t, vk(K_MAGIC));
  let r = madd(n, vk(K_NC1), z);
  r = madd(n, vk(K_NC2), r);
  // q(r) by Estrin's scheme: three short chains instead of one six-deep Horner chain, so the
  // polynomial's latency no longer bounds the throughput of the activation loops.
  const r2 = f32x4.mul(r, r);
  const p01 = madd(r, vk(K_Q1), vk(K_ONE));
  const p23 = madd(r, vk(K_Q1 + 2), vk(K_Q1 + 1));
  const p45 = madd(r, vk(K_Q1 + 4), vk(K_Q1 + 3));
  const q = madd(r2, madd(r2, madd(r2, vk(K_Q1 + 5), p45), p23), p01);
  const scale = i32x4.shl(t, 23);
  return madd(scale, f32x4.mul(r, q), f32x4.sub(scale, vk(K_ONE)));
}

// @ts-ignore: decorator
@inline function expm1_s(z: f32): f32 {
  z = z < Z_MIN ? Z_MIN : z; // pmax / pmin order, as in expm1_v
  z = Z_MAX < z ? Z_MAX : z;
  const t = z * LOG2E + MAGIC;
  const n = t - MAGIC;
  let r = n * -C1 + z;
  r = n * -C2 + r;
  const r2 = r * r;
  const p01 = r * Q1 + 1;
  const p23 = r * Q3 + Q2;
  const p45 = r * Q5 + Q4;
  const q = r2 * (r2 * (r2 * Q6 + p45) + p23) + p01;
  const scale = reinterpret<f32>(reinterpret<i32>(t) << 23);
  return scale * (r * q) + (scale - 1);
}

// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  return f32x4.div(vk(K_ONE), f32x4.add(vk(K_TWO), expm1_v(neg_v(x))));
}

// @ts-ignore: decorator
@inline export function sigmoid_s(x: f32): f32 {
  return 1 / (2 + expm1_s(-x));
}

// @ts-ignore: decorator
@inline export function tanh_v(x: v128): v128 {
  const u = expm1_v(f32x4.mul(x, vk(K_MINUS_TWO)));
  const t = f32x4.div(neg_v(u), f32x4.add(vk(K_TWO), u));
  // copysign(t, x): already t's sign except at x = +0, where expm1(-0) gives +0, so t is -0
  return v128.bitselect(x, t, vk(K_SIGN));
}

// @ts-ignore: decorator
@inline export function tanh_s(x: f32): f32 {
  const u = expm1_s(x * -2);
  return copysign(-u / (2 + u), x);
}


// The activations a fused kernel selects by id (src/rnn/activations.ts ACTIVATION_IDS), for
// the cells' non-default activations; the default cells call sigmoid and tanh directly.
//   0 sigmoid   1 tanh   2 relu max(x, 0)   3 hard sigmoid max(0, min(1, alpha x + beta))
// act_d is the derivative from the saved output y (the tape keeps outputs only):
//   y (1 - y), 1 - y^2, 1 where y > 0 else 0, alpha where 0 < y < 1 else 0.
// The id is the same for every element of a call, so the branches are predicted. act_s and
// act_v are calls, not inlined: inlined, their four forms would repeat in every use and double
// the module; these paths are not the default cells'.

export function act_s(id: i32, x: f32, alpha: f32, beta: f32): f32 {
  if (id == 0) return sigmoid_s(x);
  if (id == 1) return tanh_s(x);
  if (id == 2) return max<f32>(x, 0);
  return min<f32>(max<f32>(alpha * x + beta, 0), 1);
}

export function act_v(id: i32, x: v128, alpha: f32, beta: f32): v128 {
  if (id == 0) return sigmoid_v(x);
  if (id == 1) return tanh_v(x);
  if (id == 2) return f32x4.max(x, f32x4.splat(0));
  return f32x4.min(f32x4.max(madd(f32x4.splat(alpha), x, f32x4.splat(beta)), f32x4.splat(0)), f32x4.splat(1));
}

// @ts-ignore: decorator
@inline export function act_d_s(id: i32, y: f32, alpha: f32): f32 {
  if (id == 0) return y * (1 - y);
  if (id == 1) return 1 - y * y;
  if (id == 2) return y > 0 ? <f32>1 : <f32>0;
  return y > 0 && y < 1 ? alpha : <f32>0;
}

// @ts-ignore: decorator
@inline export function act_d_v(id: i32, y: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (id == 0) return f32x4.mul(y, f32x4.sub(one, y));
  if (id == 1) return f32x4.sub(one, f32x4.mul(y, y));
  if (id == 2) return v128.and(one, f32x4.gt(y, zero));
  return v128.and(f32x4.splat(alpha), v128.and(f32x4.gt(y, zero), f32x4.lt(y, one)));
}
