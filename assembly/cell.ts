// Fused pointwise parts of one recurrent step, forward next to backward, for B rows of H
// units. The matrix products around them (gates += h W_hh, dh += dgates W_hh^T) are GEMM
// calls; these kernels do everything elementwise in one pass. All arrays are contiguous
// row-major; pointers are byte offsets, 4-byte aligned.
//
// LSTM (gate order i, f, g, o, PyTorch's):
//   gates = x W_ih + b_ih + h_prev W_hh + b_hh           (summed by the GEMMs beforehand)
//   i, f, o = sigmoid(.)   g = tanh(.)
//   c = f * c_prev + i * g        tanh_c = tanh(c)        h = o * tanh_c
// backward, from the saved post-activation gates, c_prev and tanh_c:
//   dc_t  = dc + dh * o * (1 - tanh_c^2)
//   d_i = dc_t * g * i (1 - i)    d_f = dc_t * c_prev * f (1 - f)
//   d_g = dc_t * i * (1 - g^2)    d_o = dh * tanh_c * o (1 - o)       dc_prev = dc_t * f
//
// GRU (gate order r, z, n, reset applied after the hidden product, PyTorch's):
//   gx = x W_ih + b_ih            gh = h_prev W_hh + b_hh
//   r = sigmoid(gx_r + gh_r)      z = sigmoid(gx_z + gh_z)
//   n = tanh(gx_n + r * gh_n)     h = n + z * (h_prev - n)      (= (1 - z) n + z h_prev)
// backward, from the saved r, z, n, gh_n and h_prev:
//   d_n = dh (1 - z) (1 - n^2)    d_z = dh (h_prev - n) z (1 - z)
//   d_r = d_n gh_n r (1 - r)      dgx = [d_r, d_z, d_n]   dgh = [d_r, d_z, d_n r]
//   dh_prev (direct part) = dh z; the rest, dgh W_hh^T, is added by a GEMM.
//
// The vanilla RNN needs no fused kernel: h = act(gates) and its backward are the activation
// kernels (activation.ts) over B*H contiguous elements.
//
// Each kernel computes four units at a time, then the H % 4 tail with the scalar form of the
// same operations; each `__scalar` twin uses the scalar form throughout.

import { madd } from './simd';
import { sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './math';

// @ts-ignore: decorator
@inline function at(p: usize, j: i32): usize {
  return p + (<usize>j << 2);
}

// ---------------------------------------------------------------------------------------
// LSTM

// @ts-ignore: decorator
@inline function lstm_fwd_v(gi: usize, gf: usize, gg: usize, go: usize, cp: usize, c: usize,
                            tc: usize, h: usize): void {
  const i = sigmoid_v(v128.load(gi)), f = sigmoid_v(v128.load(gf));
  const g = tanh_v(v128.load(gg)), o = sigmoid_v(v128.load(go));
  v128.store(gi, i); v128.store(gf, f); v128.store(gg, g); v128.store(go, o);
  const cv = madd(f, v128.load(cp), f32x4.mul(i, g));
  const t = tanh_v(cv);
  v128.store(c, cv); v128.store(tc, t); v128.store(h, f32x4.mul(o, t));
}

// @ts-ignore: decorator
@inline function lstm_fwd_s(gi: usize, gf: usize, gg: usize, go: usize, cp: usize, c: usize,
                            tc: usize, h: usize): void {
  const i = sigmoid_s(load<f32>(gi)), f = sigmoid_s(load<f32>(gf));
  const g = tanh_s(load<f32>(gg)), o = sigmoid_s(load<f32>(go));
  store<f32>(gi, i); store<f32>(gf, f); store<f32>(gg, g); store<f32>(go, o);
  const cv = f * load<f32>(cp) + i * g;
  const t = tanh_s(cv);
  store<f32>(c, cv); store<f32>(tc, t); store<f32>(h, o * t);
}

/**
 * One LSTM step, pointwise. gates: [B, 4H] pre-activations in, post-activations out (the
 * tape keeps them). c_prev, c, tanh_c, h: [B, H]. c may alias c_prev.
 */
export function lstm_cell_fwd(gates: usize, c_prev: usize, c: usize, tanh_c: usize, h: usize,
                              B: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * (<usize>H << 4), gf = at(gi, H), gg = at(gi, 2 * H), go = at(gi, 3 * H);
    const row = <usize>b * (<usize>H << 2);
    const cp = c_prev + row, cb = c + row, tb = tanh_c + row, hb = h + row;
    let j = 0;
    for (; j < H4; j += 4) lstm_fwd_v(at(gi, j), at(gf, j), at(gg, j), at(go, j), at(cp, j), at(cb, j), at(tb, j), at(hb, j));
    for (; j < H; j++) lstm_fwd_s(at(gi, j), at(gf, j), at(gg, j), at(go, j), at(cp, j), at(cb, j), at(tb, j), at(hb, j));
  }
}

export function lstm_cell_fwd__scalar(gates: usize, c_prev: usize, c: usize, tanh_c: usize,
                                      h: usize, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * (<usize>H << 4), gf = at(gi, H), gg = at(gi, 2 * H), go = at(gi, 3 * H);
    const row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      lstm_fwd_s(at(gi, j), at(gf, j), at(gg, j), at(go, j), at(c_prev + row, j), at(c + row, j), at(tanh_c + row, j), at(h + row, j));
    }
  }
}

// @ts-ignore: decorator
@inline function lstm_bwd_v(dgi: usize, dgf: usize, dgg: usize, dgo: usize, dc: usize, dh: usize,
                            gi: usize, gf: usize, gg: usize, go: usize, cp: usize, tc: usize): void {
  const one = f32x4.splat(1);
  const i = v128.load(gi), f = v128.load(gf), g = v128.load(gg), o = v128.load(go);
  const t = v128.load(tc), d = v128.load(dh);
  const dct = madd(f32x4.mul(d, o), f32x4.sub(one, f32x4.mul(t, t)), v128.load(dc));
  v128.store(dgi, f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one, i))));
  v128.store(dgf, f32x4.mul(f32x4.mul(dct, v128.load(cp)), f32x4.mul(f, f32x4.sub(one, f))));
  v128.store(dgg, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))));
  v128.store(dgo, f32x4.mul(f32x4.mul(d, t), f32x4.mul(o, f32x4.sub(one, o))));
  v128.store(dc, f32x4.mul(dct, f));
}

// @ts-ignore: decorator
@inline function lstm_bwd_s(dgi: usize, dgf: usize, dgg: usize, dgo: usize, dc: usize, dh: usize,
                            gi: usize, gf: usize, gg: usize, go: usize, cp: usize, tc: usize): void {
  const i = load<f32>(gi), f = load<f32>(gf), g = load<f32>(gg), o = load<f32>(go);
  const t = load<f32>(tc), d = load<f32>(dh);
  const dct = (d * o) * (1 - t * t) + load<f32>(dc);
  store<f32>(dgi, (dct * g) * (i * (1 - i)));
  store<f32>(dgf, (dct * load<f32>(cp)) * (f * (1 - f)));
  store<f32>(dgg, (dct * i) * (1 - g * g));
  store<f32>(dgo, (d * t) * (o * (1 - o)));
  store<f32>(dc, dct * f);
}

/**
 * LSTM step backward, pointwise. dgates: [B, 4H] out (pre-activation gradients, written).
 * dc: [B, H], dL/dc_t in, dL/dc_{t-1} out. dh: [B, H] dL/dh_t (all of it: from the output
 * and from the next step). gates (post-activation), c_prev, tanh_c: the tape.
 */
export function lstm_cell_bwd(dgates: usize, dc: usize, dh: usize, gates: usize, c_prev: usize,
                              tanh_c: usize, B: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g4 = <usize>b * (<usize>H << 4), row = <usize>b * (<usize>H << 2);
    const dgi = dgates + g4, dgf = at(dgi, H), dgg = at(dgi, 2 * H), dgo = at(dgi, 3 * H);
    const gi = gates + g4, gf = at(gi, H), gg = at(gi, 2 * H), go = at(gi, 3 * H);
    const dcb = dc + row, dhb = dh + row, cp = c_prev + row, tb = tanh_c + row;
    let j = 0;
    for (; j < H4; j += 4) {
      lstm_bwd_v(at(dgi, j), at(dgf, j), at(dgg, j), at(dgo, j), at(dcb, j), at(dhb, j),
                 at(gi, j), at(gf, j), at(gg, j), at(go, j), at(cp, j), at(tb, j));
    }
    for (; j < H; j++) {
      lstm_bwd_s(at(dgi, j), at(dgf, j), at(dgg, j), at(dgo, j), at(dcb, j), at(dhb, j),
                 at(gi, j), at(gf, j), at(gg, j), at(go, j), at(cp, j), at(tb, j));
    }
  }
}

export function lstm_cell_bwd__scalar(dgates: usize, dc: usize, dh: usize, gates: usize,
                                      c_prev: usize, tanh_c: usize, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const g4 = <usize>b * (<usize>H << 4), row = <usize>b * (<usize>H << 2);
    const dgi = dgates + g4, gi = gates + g4;
    for (let j = 0; j < H; j++) {
      lstm_bwd_s(at(dgi, j), at(dgi, H + j), at(dgi, 2 * H + j), at(dgi, 3 * H + j),
                 at(dc + row, j), at(dh + row, j), at(gi, j), at(gi, H + j), at(gi, 2 * H + j),
                 at(gi, 3 * H + j), at(c_prev + row, j), at(tanh_c + row, j));
    }
  }
}

// ---------------------------------------------------------------------------------------
// GRU

// @ts-ignore: decorator
@inline function gru_fwd_v(xr: usize, xz: usize, xn: usize, hr: usize, hz: usize, hn: usize,
                           ghn: usize, hp: usize, h: usize): void {
  const r = sigmoid_v(f32x4.add(v128.load(xr), v128.load(hr)));
  const z = sigmoid_v(f32x4.add(v128.load(xz), v128.load(hz)));
  const ghv = v128.load(hn);
  const n = tanh_v(madd(r, ghv, v128.load(xn)));
  v128.store(xr, r); v128.store(xz, z); v128.store(xn, n);
  if (ghn) v128.store(ghn, ghv);
  v128.store(h, madd(z, f32x4.sub(v128.load(hp), n), n));
}

// @ts-ignore: decorator
@inline function gru_fwd_s(xr: usize, xz: usize, xn: usize, hr: usize, hz: usize, hn: usize,
                           ghn: usize, hp: usize, h: usize): void {
  const r = sigmoid_s(load<f32>(xr) + load<f32>(hr));
  const z = sigmoid_s(load<f32>(xz) + load<f32>(hz));
  const ghv = load<f32>(hn);
  const n = tanh_s(r * ghv + load<f32>(xn));
  store<f32>(xr, r); store<f32>(xz, z); store<f32>(xn, n);
  if (ghn) store<f32>(ghn, ghv);
  store<f32>(h, z * (load<f32>(hp) - n) + n);
}

/**
 * One GRU step, pointwise. gates: [B, 3H], x W_ih + b_ih in, r, z, n out (the tape keeps
 * them). gh: [B, 3H], h_prev W_hh + b_hh. ghn: [B, H], receives gh's n part for backward
 * (0: not kept). h_prev, h: [B, H]; h may alias h_prev.
 */
export function gru_cell_fwd(gates: usize, gh: usize, ghn: usize, h_prev: usize, h: usize,
                             B: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g3 = <usize>b * <usize>H * 12, row = <usize>b * (<usize>H << 2);
    const xr = gates + g3, xz = at(xr, H), xn = at(xr, 2 * H);
    const hr = gh + g3, hz = at(hr, H), hn = at(hr, 2 * H);
    const gb = ghn ? ghn + row : 0, hp = h_prev + row, hb = h + row;
    let j = 0;
    for (; j < H4; j += 4) {
      gru_fwd_v(at(xr, j), at(xz, j), at(xn, j), at(hr, j), at(hz, j), at(hn, j), gb ? at(gb, j) : 0, at(hp, j), at(hb, j));
    }
    for (; j < H; j++) {
      gru_fwd_s(at(xr, j), at(xz, j), at(xn, j), at(hr, j), at(hz, j), at(hn, j), gb ? at(gb, j) : 0, at(hp, j), at(hb, j));
    }
  }
}

export function gru_cell_fwd__scalar(gates: usize, gh: usize, ghn: usize, h_prev: usize, h: usize,
                                     B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const g3 = <usize>b * <usize>H * 12, row = <usize>b * (<usize>H << 2);
    const xr = gates + g3, hr = gh + g3, gb = ghn ? ghn + row : 0;
    for (let j = 0; j < H; j++) {
      gru_fwd_s(at(xr, j), at(xr, H + j), at(xr, 2 * H + j), at(hr, j), at(hr, H + j), at(hr, 2 * H + j),
                gb ? at(gb, j) : 0, at(h_prev + row, j), at(h + row, j));
    }
  }
}

// @ts-ignore: decorator
@inline function gru_bwd_v(dxr: usize, dxz: usize, dxn: usize, dhr: usize, dhz: usize, dhn: usize,
                           dh: usize, r_: usize, z_: usize, n_: usize, ghn: usize, hp: usize): void {
  const one = f32x4.splat(1);
  const r = v128.load(r_), z = v128.load(z_), n = v128.load(n_), d = v128.load(dh);
  const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
  const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(hp), n)), f32x4.mul(z, f32x4.sub(one, z)));
  const dr = f32x4.mul(f32x4.mul(dn, v128.load(ghn)), f32x4.mul(r, f32x4.sub(one, r)));
  v128.store(dxr, dr); v128.store(dxz, dz); v128.store(dxn, dn);
  v128.store(dhr, dr); v128.store(dhz, dz); v128.store(dhn, f32x4.mul(dn, r));
  v128.store(dh, f32x4.mul(d, z));
}

// @ts-ignore: decorator
@inline function gru_bwd_s(dxr: usize, dxz: usize, dxn: usize, dhr: usize, dhz: usize, dhn: usize,
                           dh: usize, r_: usize, z_: usize, n_: usize, ghn: usize, hp: usize): void {
  const r = load<f32>(r_), z = load<f32>(z_), n = load<f32>(n_), d = load<f32>(dh);
  const dn = (d * (1 - z)) * (1 - n * n);
  const dz = (d * (load<f32>(hp) - n)) * (z * (1 - z));
  const dr = (dn * load<f32>(ghn)) * (r * (1 - r));
  store<f32>(dxr, dr); store<f32>(dxz, dz); store<f32>(dxn, dn);
  store<f32>(dhr, dr); store<f32>(dhz, dz); store<f32>(dhn, dn * r);
  store<f32>(dh, d * z);
}

/**
 * GRU step backward, pointwise. dgx, dgh: [B, 3H] out (gradients of gx and gh, written).
 * dh: [B, H], dL/dh_t in, the direct part of dL/dh_{t-1} (dh z) out. gates (r, z, n),
 * ghn, h_prev: the tape.
 */
export function gru_cell_bwd(dgx: usize, dgh: usize, dh: usize, gates: usize, ghn: usize,
                             h_prev: usize, B: i32, H: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const g3 = <usize>b * <usize>H * 12, row = <usize>b * (<usize>H << 2);
    const xr = dgx + g3, hr = dgh + g3, r = gates + g3;
    const dhb = dh + row, gb = ghn + row, hp = h_prev + row;
    let j = 0;
    for (; j < H4; j += 4) {
      gru_bwd_v(at(xr, j), at(xr, H + j), at(xr, 2 * H + j), at(hr, j), at(hr, H + j), at(hr, 2 * H + j),
                at(dhb, j), at(r, j), at(r, H + j), at(r, 2 * H + j), at(gb, j), at(hp, j));
    }
    for (; j < H; j++) {
      gru_bwd_s(at(xr, j), at(xr, H + j), at(xr, 2 * H + j), at(hr, j), at(hr, H + j), at(hr, 2 * H + j),
                at(dhb, j), at(r, j), at(r, H + j), at(r, 2 * H + j), at(gb, j), at(hp, j));
    }
  }
}

export function gru_cell_bwd__scalar(dgx: usize, dgh: usize, dh: usize, gates: usize, ghn: usize,
                                     h_prev: usize, B: i32, H: i32): void {
  for (let b = 0; b < B; b++) {
    const g3 = <usize>b * <usize>H * 12, row = <usize>b * (<usize>H << 2);
    const xr = dgx + g3, hr = dgh + g3, r = gates + g3;
    for (let j = 0; j < H; j++) {
      gru_bwd_s(at(xr, j), at(xr, H + j), at(xr, 2 * H + j), at(hr, j), at(hr, H + j), at(hr, 2 * H + j),
                at(dh + row, j), at(r, j), at(r, H + j), at(r, 2 * H + j), at(ghn + row, j), at(h_prev + row, j));
    }
  }
}
