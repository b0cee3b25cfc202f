// Elementwise activations, forward and backward. Pointers are byte offsets, 4-byte aligned;
// n is a count of f32. Forward may run in place (y == x); backward may run in place
// (dx == dy). Backward reads the saved OUTPUT y, never the input, so the BPTT tape keeps
// post-activation values only.
//
//   sigmoid  y = 1 / (1 + exp(-x))            dx = dy * ((1 - y) * y)
//   tanh     y = tanh(x)                      dx = dy * (1 - y * y)
//   relu     y = max(x, 0)                    dx = y > 0 ? dy : 0
//   hard sigmoid  y = max(0, min(1, alpha x + beta))   dx = 0 < y < 1 ? dy * alpha : 0
//            (ONNX HardSigmoid; the relaxed build may fuse alpha x + beta)
//
// sigmoid and tanh: see assembly/math.ts for the method, its error and its sources.
//
// The scalar twins perform the same operations in the same order; in the baseline build they
// are bit-identical to the SIMD forms.

import { act_d_s, act_d_v, act_s, act_v, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './math';

export function f32_sigmoid_fwd(y: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, sigmoid_v(v128.load(x + o)));
  }
  f32_sigmoid_fwd__scalar(y + (<usize>n4 << 2), x + (<usize>n4 << 2), n - n4);
}

export function f32_sigmoid_fwd__scalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sigmoid_s(load<f32>(x + o)));
  }
}

export function f32_tanh_fwd(y: usize, x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh_v(v128.load(x + o)));
  }
  f32_tanh_fwd__scalar(y + (<usize>n4 << 2), x + (<usize>n4 << 2), n - n4);
}

export function f32_tanh_fwd__scalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanh_s(load<f32>(x + o)));
  }
}

export function f32_relu_fwd(y: usize, x: usize, n: i32): void {
  const n4 = n & ~3, zero = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), zero));
  }
  f32_relu_fwd__scalar(y + (<usize>n4 << 2), x + (<usize>n4 << 2), n - n4);
}

export function f32_relu_fwd__scalar(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max(load<f32>(x + o), <f32>0));
  }
}

export function f32_sigmoid_bwd(dx: usize, y: usize, dy: usize, n: i32): void {
  const n4 = n & ~3, one = f32x4.splat(1);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const yv = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(f32x4.sub(one, yv), yv)));
  }
  f32_sigmoid_bwd__scalar(dx + (<usize>n4 << 2), y + (<usize>n4 << 2), dy + (<usize>n4 << 2), n - n4);
}

export function f32_sigmoid_bwd__scalar(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const yv = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * ((1 - yv) * yv));
  }
}

export function f32_tanh_bwd(dx: usize, y: usize, dy: usize, n: i32): void {
  const n4 = n & ~3, one = f32x4.splat(1);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const yv = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(yv, yv))));
  }
  f32_tanh_bwd__scalar(dx + (<usize>n4 << 2), y + (<usize>n4 << 2), dy + (<usize>n4 << 2), n - n4);
}

export function f32_tanh_bwd__scalar(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const yv = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * (1 - yv * yv));
  }
}

export function f32_relu_bwd(dx: usize, y: usize, dy: usize, n: i32): void {
  const n4 = n & ~3, zero = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
  }
  f32_relu_bwd__scalar(dx + (<usize>n4 << 2), y + (<usize>n4 << 2), dy + (<usize>n4 << 2), n - n4);
}

export function f32_relu_bwd__scalar(dx: usize, y: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

export function f32_hardsigmoid_fwd(y: usize, x: usize, n: i32, alpha: f32, beta: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, act_v(3, v128.load(x + o), alpha, beta));
  }
  f32_hardsigmoid_fwd__scalar(y + (<usize>n4 << 2), x + (<usize>n4 << 2), n - n4, alpha, beta);
}

export function f32_hardsigmoid_fwd__scalar(y: usize, x: usize, n: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, act_s(3, load<f32>(x + o), alpha, beta));
  }
}

export function f32_hardsigmoid_bwd(dx: usize, y: usize, dy: usize, n: i32, alpha: f32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), act_d_v(3, v128.load(y + o), alpha)));
  }
  f32_hardsigmoid_bwd__scalar(dx + (<usize>n4 << 2), y + (<usize>n4 << 2), dy + (<usize>n4 << 2), n - n4, alpha);
}

export function f32_hardsigmoid_bwd__scalar(dx: usize, y: usize, dy: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * act_d_s(3, load<f32>(y + o), alpha));
  }
}
