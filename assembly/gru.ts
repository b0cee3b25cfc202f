// Fused pointwise parts of one GRU step, forward next to backward, for B rows of H units.
// The matrix products around them are GEMM calls; these kernels do everything elementwise in
// one pass. All arrays are contiguous row-major; pointers are byte offsets, 4-byte aligned.
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
// GRU with the reset before the hidden product (G = 3, gates r, z, n: Cho et al. 2014, ONNX
// linear_before_reset = 0) and the minimal gated unit (G = 2, gates f, n: r = f, z = 1 - f):
//   r = sig(gx_r + gh_r)   z = sig(gx_z + gh_z)   rh = r h_prev            (gru_rb_gate_fwd)
//   gh_n = rh W_hn + b_hn                                                  (a GEMM between)
//   n = tanh(gx_n + gh_n)  h = n + z (h_prev - n)                          (gru_rb_out_fwd)
// backward: d_n = dh (1 - z) (1 - n^2), d(z) = dh (h_prev - n), dh_prev = dh z  (gru_rb_out_bwd);
// d(rh) = d_n W_hn^T by a GEMM; d_r = d(rh) h_prev r (1 - r) (minimal: plus the output
// part -d(z)), dh_prev += d(rh) r                                         (gru_rb_gate_bwd).
//
// Other activations (gruact_*: run only when a layer asks for one, so the default cells keep
// gru_cell_* and gru_rb_*): the sigmoid of r and z (f) replaced by the gate activation act_g,
// the tanh of n by the cell activation act_c, each selected by id with its alpha and beta
// (assembly/math.ts act_s). One pair of halves serves both resets: `after` = 1 computes
// n = act_c(gx_n + r gh_n) with gh = h_prev W_hh + b_hh in full (and keeps gh_n in ghn),
// `after` = 0 n = act_c(gx_n + gh_n) with gh_n = (r h_prev) W_hn + b_hn from the GEMM between.
//   r, z = act_g(gx + gh), rh = r h_prev (reset before only)               (gruact_gate_fwd)
//   n, h = n + z (h_prev - n)                                              (gruact_out_fwd)
// backward: every y (1 - y) or 1 - y^2 above becomes the activation's derivative from its
// output (act_d_s); with after = 1, gruact_out_bwd also writes d_r = d_n gh_n act_g'(r) and
// dgh_n = d_n r, and no gruact_gate_bwd follows.
//
// Each kernel runs four units at a time and the H % 4 tail with the scalar form of the same
// operations; each `__scalar` twin uses the scalar form throughout. In the baseline build a
// twin is bit-identical to its kernel; in the relaxed build the kernel may fuse multiply-adds
// and differ from its twin by rounding. test/gru.test.ts checks both.

import { madd } from './simd';
import { act_d_s, act_d_v, act_s, act_v, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './math';

// @ts-ignore: decorator
@inline function at(p: usize, j: i32): usize {
  return p + (<usize>j << 2);
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
// ---------------------------------------------------------------------------------------
// GRU with the reset before the hidden product, and the minimal gated unit

/**
 * First half of a step. gates: [B, G*H] gx in; r (and z) out in their blocks. gh: [B, G*H],
 * h_prev W_hh + b_hh in its r (and z) blocks. rh: [B, H] out, r * h_prev.
 */
export function gru_rb_gate_fwd(gates: usize, gh: usize, rh: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const xr = gates + go, hr = gh + go, hp = h_prev + row, rb = rh + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const r = sigmoid_v(f32x4.add(v128.load(at(xr, j)), v128.load(at(hr, j))));
      v128.store(at(xr, j), r);
      if (G == 3) v128.store(at(xr, H + j), sigmoid_v(f32x4.add(v128.load(at(xr, H + j)), v128.load(at(hr, H + j)))));
      v128.store(at(rb, j), f32x4.mul(r, v128.load(at(hp, j))));
    }
    for (; j < H; j++) {
      const r = sigmoid_s(load<f32>(at(xr, j)) + load<f32>(at(hr, j)));
      store<f32>(at(xr, j), r);
      if (G == 3) store<f32>(at(xr, H + j), sigmoid_s(load<f32>(at(xr, H + j)) + load<f32>(at(hr, H + j))));
      store<f32>(at(rb, j), r * load<f32>(at(hp, j)));
    }
  }
}

export function gru_rb_gate_fwd__scalar(gates: usize, gh: usize, rh: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const xr = gates + go, hr = gh + go;
    for (let j = 0; j < H; j++) {
      const r = sigmoid_s(load<f32>(at(xr, j)) + load<f32>(at(hr, j)));
      store<f32>(at(xr, j), r);
      if (G == 3) store<f32>(at(xr, H + j), sigmoid_s(load<f32>(at(xr, H + j)) + load<f32>(at(hr, H + j))));
      store<f32>(at(rh + row, j), r * load<f32>(at(h_prev + row, j)));
    }
  }
}

/**
 * Second half. gates: n block in (gx_n), n out; gh: its n block holds rh W_hn + b_hn.
 * h = n + z (h_prev - n), z = 1 - f for the minimal unit. h may alias h_prev.
 */
export function gru_rb_out_fwd(gates: usize, gh: usize, h_prev: usize, h: usize, B: i32, H: i32, G: i32): void {
  const H4 = H & ~3, one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const g = gates + go, xn = at(g, (G - 1) * H), hn = at(gh + go, (G - 1) * H), hp = h_prev + row, hb = h + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const n = tanh_v(f32x4.add(v128.load(at(xn, j)), v128.load(at(hn, j))));
      const z = G == 3 ? v128.load(at(g, H + j)) : f32x4.sub(one, v128.load(at(g, j)));
      v128.store(at(xn, j), n);
      v128.store(at(hb, j), madd(z, f32x4.sub(v128.load(at(hp, j)), n), n));
    }
    for (; j < H; j++) {
      const n = tanh_s(load<f32>(at(xn, j)) + load<f32>(at(hn, j)));
      const z = G == 3 ? load<f32>(at(g, H + j)) : 1 - load<f32>(at(g, j));
      store<f32>(at(xn, j), n);
      store<f32>(at(hb, j), z * (load<f32>(at(hp, j)) - n) + n);
    }
  }
}

export function gru_rb_out_fwd__scalar(gates: usize, gh: usize, h_prev: usize, h: usize, B: i32, H: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const g = gates + go, xn = at(g, (G - 1) * H), hn = at(gh + go, (G - 1) * H);
    for (let j = 0; j < H; j++) {
      const n = tanh_s(load<f32>(at(xn, j)) + load<f32>(at(hn, j)));
      const z = G == 3 ? load<f32>(at(g, H + j)) : 1 - load<f32>(at(g, j));
      store<f32>(at(xn, j), n);
      store<f32>(at(h + row, j), z * (load<f32>(at(h_prev + row, j)) - n) + n);
    }
  }
}

/**
 * Backward of the second half. dgx, dgh: [B, G*H]; writes their n blocks (d_n) and z blocks
 * (G = 3); for the minimal unit writes the output's part of dL/df, -dh (h_prev - n), into
 * dgx's f block for gru_rb_gate_bwd. dh: dL/dh_t in, its direct part dh z out.
 */
export function gru_rb_out_bwd(dgx: usize, dgh: usize, dh: usize, gates: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  const H4 = H & ~3, one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const g = gates + go, dx = dgx + go, dhh = dgh + go, nO = (G - 1) * H, hp = h_prev + row, db = dh + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const d = v128.load(at(db, j)), n = v128.load(at(g, nO + j));
      const z = G == 3 ? v128.load(at(g, H + j)) : f32x4.sub(one, v128.load(at(g, j)));
      const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dzpost = f32x4.mul(d, f32x4.sub(v128.load(at(hp, j)), n));
      v128.store(at(dx, nO + j), dn); v128.store(at(dhh, nO + j), dn);
      if (G == 3) {
        const dz = f32x4.mul(dzpost, f32x4.mul(z, f32x4.sub(one, z)));
        v128.store(at(dx, H + j), dz); v128.store(at(dhh, H + j), dz);
      } else v128.store(at(dx, j), f32x4.neg(dzpost));
      v128.store(at(db, j), f32x4.mul(d, z));
    }
    for (; j < H; j++) gru_rb_out_bwd_s(dx, dhh, db, g, hp, j, H, G);
  }
}

// @ts-ignore: decorator
@inline function gru_rb_out_bwd_s(dx: usize, dhh: usize, db: usize, g: usize, hp: usize, j: i32, H: i32, G: i32): void {
  const nO = (G - 1) * H;
  const d = load<f32>(at(db, j)), n = load<f32>(at(g, nO + j));
  const z = G == 3 ? load<f32>(at(g, H + j)) : 1 - load<f32>(at(g, j));
  const dn = (d * (1 - z)) * (1 - n * n);
  const dzpost = d * (load<f32>(at(hp, j)) - n);
  store<f32>(at(dx, nO + j), dn); store<f32>(at(dhh, nO + j), dn);
  if (G == 3) {
    const dz = dzpost * (z * (1 - z));
    store<f32>(at(dx, H + j), dz); store<f32>(at(dhh, H + j), dz);
  } else store<f32>(at(dx, j), -dzpost);
  store<f32>(at(db, j), d * z);
}

export function gru_rb_out_bwd__scalar(dgx: usize, dgh: usize, dh: usize, gates: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) gru_rb_out_bwd_s(dgx + go, dgh + go, dh + row, gates + go, h_prev + row, j, H, G);
  }
}

/**
 * Backward of the first half. drh: [B, H], dL/d(r h_prev) (from the GEMM d_n W_hn^T).
 * Writes the r (f) blocks of dgx and dgh; dh += drh r.
 */
export function gru_rb_gate_bwd(dgx: usize, dgh: usize, dh: usize, drh: usize, gates: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  const H4 = H & ~3, one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const dx = dgx + go, dhh = dgh + go, r_ = gates + go, hp = h_prev + row, db = dh + row, dr = drh + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const r = v128.load(at(r_, j)), d = v128.load(at(dr, j));
      let dpost = f32x4.mul(d, v128.load(at(hp, j)));
      if (G == 2) dpost = f32x4.add(dpost, v128.load(at(dx, j)));
      const dpre = f32x4.mul(dpost, f32x4.mul(r, f32x4.sub(one, r)));
      v128.store(at(dx, j), dpre); v128.store(at(dhh, j), dpre);
      v128.store(at(db, j), madd(d, r, v128.load(at(db, j))));
    }
    for (; j < H; j++) gru_rb_gate_bwd_s(dx, dhh, db, dr, r_, hp, j, G);
  }
}

// @ts-ignore: decorator
@inline function gru_rb_gate_bwd_s(dx: usize, dhh: usize, db: usize, dr: usize, r_: usize, hp: usize, j: i32, G: i32): void {
  const r = load<f32>(at(r_, j)), d = load<f32>(at(dr, j));
  let dpost = d * load<f32>(at(hp, j));
  if (G == 2) dpost = dpost + load<f32>(at(dx, j));
  const dpre = dpost * (r * (1 - r));
  store<f32>(at(dx, j), dpre); store<f32>(at(dhh, j), dpre);
  store<f32>(at(db, j), d * r + load<f32>(at(db, j)));
}

export function gru_rb_gate_bwd__scalar(dgx: usize, dgh: usize, dh: usize, drh: usize, gates: usize, h_prev: usize, B: i32, H: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) gru_rb_gate_bwd_s(dgx + go, dgh + go, dh + row, drh + row, gates + go, h_prev + row, j, G);
  }
}

// ---------------------------------------------------------------------------------------
// GRU and the minimal gated unit with other activations

// @ts-ignore: decorator
@inline function gruact_gate_fwd_s(xr: usize, hr: usize, hp: usize, rb: usize, j: i32, H: i32, G: i32,
                                   act: i32, alpha: f32, beta: f32): void {
  const r = act_s(act, load<f32>(at(xr, j)) + load<f32>(at(hr, j)), alpha, beta);
  store<f32>(at(xr, j), r);
  if (G == 3) store<f32>(at(xr, H + j), act_s(act, load<f32>(at(xr, H + j)) + load<f32>(at(hr, H + j)), alpha, beta));
  if (rb) store<f32>(at(rb, j), r * load<f32>(at(hp, j)));
}

/**
 * First half of a step with gate activation `act`. gates: [B, G*H] gx in; r (and z) out in
 * their blocks. gh: [B, G*H], h_prev W_hh + b_hh in its r (and z) blocks. rh: [B, H] out,
 * r * h_prev (0: not written, the reset after the product).
 */
export function gruact_gate_fwd(gates: usize, gh: usize, rh: usize, h_prev: usize, B: i32, H: i32, G: i32,
                                act: i32, alpha: f32, beta: f32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const xr = gates + go, hr = gh + go, hp = h_prev + row, rb = rh ? rh + row : 0;
    let j = 0;
    for (; j < H4; j += 4) {
      const r = act_v(act, f32x4.add(v128.load(at(xr, j)), v128.load(at(hr, j))), alpha, beta);
      v128.store(at(xr, j), r);
      if (G == 3) v128.store(at(xr, H + j), act_v(act, f32x4.add(v128.load(at(xr, H + j)), v128.load(at(hr, H + j))), alpha, beta));
      if (rb) v128.store(at(rb, j), f32x4.mul(r, v128.load(at(hp, j))));
    }
    for (; j < H; j++) gruact_gate_fwd_s(xr, hr, hp, rb, j, H, G, act, alpha, beta);
  }
}

export function gruact_gate_fwd__scalar(gates: usize, gh: usize, rh: usize, h_prev: usize, B: i32, H: i32, G: i32,
                                        act: i32, alpha: f32, beta: f32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) gruact_gate_fwd_s(gates + go, gh + go, h_prev + row, rh ? rh + row : 0, j, H, G, act, alpha, beta);
  }
}

// @ts-ignore: decorator
@inline function gruact_out_fwd_s(g: usize, ghb: usize, gnb: usize, hp: usize, hb: usize, j: i32, H: i32, G: i32,
                                  after: i32, act: i32, alpha: f32, beta: f32): void {
  const nO = (G - 1) * H, ghv = load<f32>(at(ghb, nO + j)), xn = load<f32>(at(g, nO + j));
  const n = act_s(act, after ? load<f32>(at(g, j)) * ghv + xn : xn + ghv, alpha, beta);
  const z = G == 3 ? load<f32>(at(g, H + j)) : 1 - load<f32>(at(g, j));
  store<f32>(at(g, nO + j), n);
  if (gnb) store<f32>(at(gnb, j), ghv);
  store<f32>(at(hb, j), z * (load<f32>(at(hp, j)) - n) + n);
}

/**
 * Second half with cell activation `act`. gates: r (and z) in, the n block gx_n in, n out.
 * gh: its n block holds h_prev W_hn + b_hn (after = 1) or rh W_hn + b_hn (after = 0).
 * ghn: [B, H], receives gh's n part when after = 1 (0: not kept). h = n + z (h_prev - n),
 * z = 1 - f for the minimal unit; h may alias h_prev.
 */
export function gruact_out_fwd(gates: usize, gh: usize, ghn: usize, h_prev: usize, h: usize, B: i32, H: i32, G: i32,
                               after: i32, act: i32, alpha: f32, beta: f32): void {
  const H4 = H & ~3, one = f32x4.splat(1), nO = (G - 1) * H;
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const g = gates + go, ghb = gh + go, gnb = after && ghn ? ghn + row : 0, hp = h_prev + row, hb = h + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const ghv = v128.load(at(ghb, nO + j)), xn = v128.load(at(g, nO + j));
      const n = act_v(act, after ? madd(v128.load(at(g, j)), ghv, xn) : f32x4.add(xn, ghv), alpha, beta);
      const z = G == 3 ? v128.load(at(g, H + j)) : f32x4.sub(one, v128.load(at(g, j)));
      v128.store(at(g, nO + j), n);
      if (gnb) v128.store(at(gnb, j), ghv);
      v128.store(at(hb, j), madd(z, f32x4.sub(v128.load(at(hp, j)), n), n));
    }
    for (; j < H; j++) gruact_out_fwd_s(g, ghb, gnb, hp, hb, j, H, G, after, act, alpha, beta);
  }
}

export function gruact_out_fwd__scalar(gates: usize, gh: usize, ghn: usize, h_prev: usize, h: usize, B: i32, H: i32, G: i32,
                                       after: i32, act: i32, alpha: f32, beta: f32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      gruact_out_fwd_s(gates + go, gh + go, after && ghn ? ghn + row : 0, h_prev + row, h + row, j, H, G, after, act, alpha, beta);
    }
  }
}

// @ts-ignore: decorator
@inline function gruact_out_bwd_s(dx: usize, dhh: usize, db: usize, g: usize, gnb: usize, hp: usize, j: i32, H: i32, G: i32,
                                  after: i32, gate_act: i32, gate_alpha: f32, cell_act: i32, cell_alpha: f32): void {
  const nO = (G - 1) * H;
  const d = load<f32>(at(db, j)), n = load<f32>(at(g, nO + j));
  const z = G == 3 ? load<f32>(at(g, H + j)) : 1 - load<f32>(at(g, j));
  const dn = (d * (1 - z)) * act_d_s(cell_act, n, cell_alpha);
  const dzpost = d * (load<f32>(at(hp, j)) - n);
  store<f32>(at(dx, nO + j), dn);
  if (G == 3) {
    const dz = dzpost * act_d_s(gate_act, z, gate_alpha);
    store<f32>(at(dx, H + j), dz); store<f32>(at(dhh, H + j), dz);
  } else store<f32>(at(dx, j), -dzpost);
  if (after) {
    const r = load<f32>(at(g, j));
    const dr = (dn * load<f32>(at(gnb, j))) * act_d_s(gate_act, r, gate_alpha);
    store<f32>(at(dx, j), dr); store<f32>(at(dhh, j), dr); store<f32>(at(dhh, nO + j), dn * r);
  } else store<f32>(at(dhh, nO + j), dn);
  store<f32>(at(db, j), d * z);
}

/**
 * Backward of the second half. dgx, dgh: [B, G*H]; writes their n and z blocks, and with
 * after = 1 their r blocks (ghn: the forward's gh_n, read only then); for the minimal unit
 * writes the output's part of dL/df, -dh (h_prev - n), into dgx's f block for
 * gruact_gate_bwd. dh: dL/dh_t in, its direct part dh z out.
 */
export function gruact_out_bwd(dgx: usize, dgh: usize, dh: usize, gates: usize, ghn: usize, h_prev: usize,
                               B: i32, H: i32, G: i32, after: i32,
                               gate_act: i32, gate_alpha: f32, cell_act: i32, cell_alpha: f32): void {
  const H4 = H & ~3, one = f32x4.splat(1), nO = (G - 1) * H;
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const g = gates + go, dx = dgx + go, dhh = dgh + go, gnb = after ? ghn + row : 0, hp = h_prev + row, db = dh + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const d = v128.load(at(db, j)), n = v128.load(at(g, nO + j));
      const z = G == 3 ? v128.load(at(g, H + j)) : f32x4.sub(one, v128.load(at(g, j)));
      const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), act_d_v(cell_act, n, cell_alpha));
      const dzpost = f32x4.mul(d, f32x4.sub(v128.load(at(hp, j)), n));
      v128.store(at(dx, nO + j), dn);
      if (G == 3) {
        const dz = f32x4.mul(dzpost, act_d_v(gate_act, z, gate_alpha));
        v128.store(at(dx, H + j), dz); v128.store(at(dhh, H + j), dz);
      } else v128.store(at(dx, j), f32x4.neg(dzpost));
      if (after) {
        const r = v128.load(at(g, j));
        const dr = f32x4.mul(f32x4.mul(dn, v128.load(at(gnb, j))), act_d_v(gate_act, r, gate_alpha));
        v128.store(at(dx, j), dr); v128.store(at(dhh, j), dr); v128.store(at(dhh, nO + j), f32x4.mul(dn, r));
      } else v128.store(at(dhh, nO + j), dn);
      v128.store(at(db, j), f32x4.mul(d, z));
    }
    for (; j < H; j++) gruact_out_bwd_s(dx, dhh, db, g, gnb, hp, j, H, G, after, gate_act, gate_alpha, cell_act, cell_alpha);
  }
}

export function gruact_out_bwd__scalar(dgx: usize, dgh: usize, dh: usize, gates: usize, ghn: usize, h_prev: usize,
                                       B: i32, H: i32, G: i32, after: i32,
                                       gate_act: i32, gate_alpha: f32, cell_act: i32, cell_alpha: f32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      gruact_out_bwd_s(dgx + go, dgh + go, dh + row, gates + go, after ? ghn + row : 0, h_prev + row, j, H, G, after,
                       gate_act, gate_alpha, cell_act, cell_alpha);
    }
  }
}

// @ts-ignore: decorator
@inline function gruact_gate_bwd_s(dx: usize, dhh: usize, db: usize, dr: usize, r_: usize, hp: usize, j: i32, G: i32,
                                   act: i32, alpha: f32): void {
  const r = load<f32>(at(r_, j)), d = load<f32>(at(dr, j));
  let dpost = d * load<f32>(at(hp, j));
  if (G == 2) dpost = dpost + load<f32>(at(dx, j));
  const dpre = dpost * act_d_s(act, r, alpha);
  store<f32>(at(dx, j), dpre); store<f32>(at(dhh, j), dpre);
  store<f32>(at(db, j), d * r + load<f32>(at(db, j)));
}

/**
 * Backward of the first half, reset before the product. drh: [B, H], dL/d(r h_prev) (from
 * the GEMM d_n W_hn^T). Writes the r (f) blocks of dgx and dgh; dh += drh r.
 */
export function gruact_gate_bwd(dgx: usize, dgh: usize, dh: usize, drh: usize, gates: usize, h_prev: usize,
                                B: i32, H: i32, G: i32, act: i32, alpha: f32): void {
  const H4 = H & ~3;
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const dx = dgx + go, dhh = dgh + go, r_ = gates + go, hp = h_prev + row, db = dh + row, dr = drh + row;
    let j = 0;
    for (; j < H4; j += 4) {
      const r = v128.load(at(r_, j)), d = v128.load(at(dr, j));
      let dpost = f32x4.mul(d, v128.load(at(hp, j)));
      if (G == 2) dpost = f32x4.add(dpost, v128.load(at(dx, j)));
      const dpre = f32x4.mul(dpost, act_d_v(act, r, alpha));
      v128.store(at(dx, j), dpre); v128.store(at(dhh, j), dpre);
      v128.store(at(db, j), madd(d, r, v128.load(at(db, j))));
    }
    for (; j < H; j++) gruact_gate_bwd_s(dx, dhh, db, dr, r_, hp, j, G, act, alpha);
  }
}

export function gruact_gate_bwd__scalar(dgx: usize, dgh: usize, dh: usize, drh: usize, gates: usize, h_prev: usize,
                                        B: i32, H: i32, G: i32, act: i32, alpha: f32): void {
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) gruact_gate_bwd_s(dgx + go, dgh + go, dh + row, drh + row, gates + go, h_prev + row, j, G, act, alpha);
  }
}
