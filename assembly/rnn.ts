// The pointwise part of the leaky (time-constant) RNN step, forward next to backward, B rows
// of H units, contiguous row-major; pointers are byte offsets, 4-byte aligned. The plain RNN
// needs no fused kernel: h = act(gates) and its backward are the activation kernels
// (activation.ts) over B*H contiguous elements.
//
// Leaky integration (RNN with time constants, alpha = 1/tau per unit):
//   h = h_prev + alpha (a - h_prev);  da = dh alpha, dh_prev += dh (1 - alpha), dalpha += dh (a - h_prev).
//
// Each kernel runs four units at a time and the H % 4 tail with the scalar form of the same
// operations; each `__scalar` twin uses the scalar form throughout. In the baseline build a
// twin is bit-identical to its kernel; in the relaxed build the kernel may fuse multiply-adds
// and differ from its twin by rounding. test/rnn.test.ts checks both.

import { madd } from './simd';

// @ts-ignore: decorator
@inline function at(p: usize, j: i32): usize {
  return p + (<usize>j << 2);
}

// ---------------------------------------------------------------------------------------
// Leaky integration

/** h = h_prev + alpha (a - h_prev); h, h_prev, a: [B, H], alpha: [H]. h may alias h_prev. */
export function leaky_fwd(h: usize, h_prev: usize, a: usize, alpha: usize, B: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (<usize>H << 2), hb = h + row, hp = h_prev + row, ab = a + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const p = v128.load(at(hp, j));
      v128.store(at(hb, j), madd(v128.load(at(alpha, j)), f32x4.sub(v128.load(at(ab, j)), p), p));
    }
    for (; j < H; j++) {
      const p = load<f32>(at(hp, j));
      store<f32>(at(hb, j), load<f32>(at(alpha, j)) * (load<f32>(at(ab, j)) - p) + p);
    }
  }
}

export function leaky_fwd__scalar(h: usize, h_prev: usize, a: usize, alpha: usize, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      const p = load<f32>(at(h_prev + row, j));
      store<f32>(at(h + row, j), load<f32>(at(alpha, j)) * (load<f32>(at(a + row, j)) - p) + p);
    }
  }
}

/**
 * Backward of leaky_fwd. da = dh alpha (written); dprev += dh (1 - alpha); dalpha (0 = not
 * wanted) += sum over rows of dh (a - h_prev).
 */
export function leaky_bwd(da: usize, dprev: usize, dh: usize, dalpha: usize, a: usize, h_prev: usize,
                          alpha: usize, B: i32, H: i32): void {
  const H4 = H & ~3, one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) {
      const d = v128.load(at(dh + row, j)), al = v128.load(at(alpha, j));
      v128.store(at(da + row, j), f32x4.mul(d, al));
      v128.store(at(dprev + row, j), madd(d, f32x4.sub(one, al), v128.load(at(dprev + row, j))));
      if (dalpha) v128.store(at(dalpha, j), madd(d, f32x4.sub(v128.load(at(a + row, j)), v128.load(at(h_prev + row, j))), v128.load(at(dalpha, j))));
    }
    for (; j < H; j++) leaky_bwd_s(da + row, dprev + row, dh + row, dalpha, a + row, h_prev + row, alpha, j);
  }
}

// @ts-ignore: decorator
@inline function leaky_bwd_s(da: usize, dprev: usize, dh: usize, dalpha: usize, a: usize, hp: usize, alpha: usize, j: i32): void {
  const d = load<f32>(at(dh, j)), al = load<f32>(at(alpha, j));
  store<f32>(at(da, j), d * al);
  store<f32>(at(dprev, j), d * (1 - al) + load<f32>(at(dprev, j)));
  if (dalpha) store<f32>(at(dalpha, j), d * (load<f32>(at(a, j)) - load<f32>(at(hp, j))) + load<f32>(at(dalpha, j)));
}

export function leaky_bwd__scalar(da: usize, dprev: usize, dh: usize, dalpha: usize, a: usize, h_prev: usize,
                                  alpha: usize, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) leaky_bwd_s(da + row, dprev + row, dh + row, dalpha, a + row, h_prev + row, alpha, j);
  }
}
