// Elementwise vector kernels: fill, add, Hadamard product, axpy, scale, clamp, and the
// reductions used by gradient clipping and input validation. Pointers are byte offsets,
// 4-byte aligned; n is a count of f32. Outputs may alias inputs element for element
// (y == a, y == x), never with an offset.
//
//   f32_fill(y, v, n)             y = v
//   f32_add(y, a, b, n)           y = a + b
//   f32_mul(y, a, b, n)           y = a * b           (Hadamard)
//   f32_mul_acc(y, a, b, n)       y += a * b
//   f32_axpy(y, alpha, x, n)      y += alpha * x
//   f32_scale(y, x, alpha, n)     y = alpha * x
//   f32_clamp(y, x, lo, hi, n)    y = min(max(x, lo), hi)
//   f32_sumsq(x, n) -> f64        sum of x*x, accumulated in f64 (the square of an f32 is
//                                 exact in f64), four partial sums (i mod 4) reduced as
//                                 (s0 + s1) + (s2 + s3), then the tail in order
//   f32_count_nonfinite(x, n)     how many elements are NaN or +-Infinity
//   f32_copy_rows(y, ldy, x, ldx, rows, cols)   y[r, :cols] = x[r, :cols]   (strided 2-D copy)
//   f32_add_rows(y, ldy, x, ldx, rows, cols)    y[r, :cols] += x[r, :cols]

import { madd } from './simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

export function f32_fill(y: usize, v: f32, n: i32): void {
  const n4 = n & ~3, vv = f32x4.splat(v);
  for (let i = 0; i < n4; i += 4) v128.store(at(y, i), vv);
  f32_fill__scalar(at(y, n4), v, n - n4);
}

export function f32_fill__scalar(y: usize, v: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), v);
}

export function f32_add(y: usize, a: usize, b: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    v128.store(at(y, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  f32_add__scalar(at(y, n4), at(a, n4), at(b, n4), n - n4);
}

export function f32_add__scalar(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

export function f32_mul(y: usize, a: usize, b: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    v128.store(at(y, i), f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  f32_mul__scalar(at(y, n4), at(a, n4), at(b, n4), n - n4);
}

export function f32_mul__scalar(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), load<f32>(at(a, i)) * load<f32>(at(b, i)));
}

export function f32_mul_acc(y: usize, a: usize, b: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    v128.store(at(y, i), madd(v128.load(at(a, i)), v128.load(at(b, i)), v128.load(at(y, i))));
  }
  f32_mul_acc__scalar(at(y, n4), at(a, n4), at(b, n4), n - n4);
}

export function f32_mul_acc__scalar(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<f32>(at(y, i), load<f32>(at(a, i)) * load<f32>(at(b, i)) + load<f32>(at(y, i)));
  }
}

export function f32_axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const n4 = n & ~3, av = f32x4.splat(alpha);
  for (let i = 0; i < n4; i += 4) {
    v128.store(at(y, i), madd(av, v128.load(at(x, i)), v128.load(at(y, i))));
  }
  f32_axpy__scalar(at(y, n4), alpha, at(x, n4), n - n4);
}

export function f32_axpy__scalar(y: usize, alpha: f32, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), alpha * load<f32>(at(x, i)) + load<f32>(at(y, i)));
}

export function f32_scale(y: usize, x: usize, alpha: f32, n: i32): void {
  const n4 = n & ~3, av = f32x4.splat(alpha);
  for (let i = 0; i < n4; i += 4) v128.store(at(y, i), f32x4.mul(av, v128.load(at(x, i))));
  f32_scale__scalar(at(y, n4), at(x, n4), alpha, n - n4);
}

export function f32_scale__scalar(y: usize, x: usize, alpha: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), alpha * load<f32>(at(x, i)));
}

export function f32_clamp(y: usize, x: usize, lo: f32, hi: f32, n: i32): void {
  const n4 = n & ~3, lv = f32x4.splat(lo), hv = f32x4.splat(hi);
  for (let i = 0; i < n4; i += 4) {
    v128.store(at(y, i), f32x4.min(f32x4.max(v128.load(at(x, i)), lv), hv));
  }
  f32_clamp__scalar(at(y, n4), at(x, n4), lo, hi, n - n4);
}

export function f32_clamp__scalar(y: usize, x: usize, lo: f32, hi: f32, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(y, i), min(max(load<f32>(at(x, i)), lo), hi));
}

export function f32_sumsq(x: usize, n: i32): f64 {
  const n4 = n & ~3;
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(at(x, i));
    const vl = f64x2.promote_low_f32x4(v);
    const vh = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(vl, vl));
    hi = f64x2.add(hi, f64x2.mul(vh, vh));
  }
  let s = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) +
          (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
  for (let i = n4; i < n; i++) {
    const v = <f64>load<f32>(at(x, i));
    s += v * v;
  }
  return s;
}

export function f32_sumsq__scalar(x: usize, n: i32): f64 {
  const n4 = n & ~3;
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  for (let i = 0; i < n4; i += 4) {
    const v0 = <f64>load<f32>(at(x, i)), v1 = <f64>load<f32>(at(x, i + 1));
    const v2 = <f64>load<f32>(at(x, i + 2)), v3 = <f64>load<f32>(at(x, i + 3));
    s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
  }
  let s = (s0 + s1) + (s2 + s3);
  for (let i = n4; i < n; i++) {
    const v = <f64>load<f32>(at(x, i));
    s += v * v;
  }
  return s;
}

export function f32_count_nonfinite(x: usize, n: i32): i32 {
  const n4 = n & ~3;
  let count = i32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(at(x, i));
    const d = f32x4.sub(v, v); // 0 when finite, NaN for NaN and +-Infinity
    count = i32x4.sub(count, f32x4.ne(d, d));
  }
  return i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1) +
         i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3) +
         f32_count_nonfinite__scalar(at(x, n4), n - n4);
}

export function f32_count_nonfinite__scalar(x: usize, n: i32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(at(x, i));
    if (v - v != v - v) count++;
  }
  return count;
}

export function f32_copy_rows(y: usize, ldy: i32, x: usize, ldx: i32, rows: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(y + ((<usize>r * ldy) << 2), x + ((<usize>r * ldx) << 2), bytes);
  }
}

export function f32_add_rows(y: usize, ldy: i32, x: usize, ldx: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = y + ((<usize>r * ldy) << 2);
    f32_add(yr, yr, x + ((<usize>r * ldx) << 2), cols);
  }
}
