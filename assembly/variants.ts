// Fused pointwise parts of the classic cell variants, forward next to backward, B rows of H
// units (contiguous, row-major; pointers are byte offsets). The plain LSTM and GRU of
// PyTorch keep their own kernels in cell.ts; these run only when a variant is asked for, so
// the common path pays nothing for the options.
//
// LSTM variants (ONNX's LSTM semantics where ONNX has the option). mode 0: gates i, f, g, o;
// mode 1: no forget gate (Hochreiter and Schmidhuber 1997), gates i, g, o, f = 1; mode 2:
// coupled input-forget gate, gates i, g, o, f = 1 - i. peep (0 = none): per-unit peephole
// weights, rows i, f, o (mode 0) or i, o. clip(v) = min(max(v, -clip), clip), clip = +inf
// when off; it bounds the input of every gate activation, as onnxruntime's LSTM `clip` (which
// leaves c and tanh(c) unclipped).
//   i = sig(clip(gi + p_i c_prev))    f = sig(clip(gf + p_f c_prev))   g = tanh(clip(gg))
//   c = f c_prev + i g                o = sig(clip(go + p_o c))         h = o tanh(c)
// backward, from the saved post-activation gates, c_prev, c and tanh(c):
//   d_o = dh tanh_c o (1 - o) m_o     dc_t = dc + dh o (1 - tanh_c^2) + d_o p_o
//   d_i = dc_t g i (1 - i) m_i        (coupled: dc_t (g - c_prev) i (1 - i) m_i)
//   d_f = dc_t c_prev f (1 - f) m_f   d_g = dc_t i (1 - g^2) m_g
//   dc_prev = dc_t f + d_i p_i + d_f p_f          dp_i += d_i c_prev, dp_f += d_f c_prev, dp_o += d_o c
// m_x is 0 where the gate's input was clipped, that is where its saved value equals the
// activation of +-clip (an input within an ulp of the bound counts as
// clipped; there the true derivative differs by a rounding error). With clip off the bounds
// are the activation's limits 0, +-1, where the derivative is 0 anyway.
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
// Leaky integration (RNN with time constants, alpha = 1/tau per unit):
//   h = h_prev + alpha (a - h_prev);  da = dh alpha, dh_prev += dh (1 - alpha), dalpha += dh (a - h_prev).
//
// Each kernel runs four units at a time and the H % 4 tail with the scalar form; each
// `__scalar` twin uses the scalar form throughout (bit-identical in the baseline build).

import { madd } from './simd';
import { sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './math';

// @ts-ignore: decorator
@inline function at(p: usize, j: i32): usize {
  return p + (<usize>j << 2);
}

// @ts-ignore: decorator
@inline function clamp_s(v: f32, clip: f32): f32 {
  return min<f32>(max<f32>(v, -clip), clip);
}

// @ts-ignore: decorator
@inline function clamp_v(v: v128, clip: f32): v128 {
  return f32x4.min(f32x4.max(v, f32x4.splat(-clip)), f32x4.splat(clip));
}

// Lanes of v kept where the mask is set, +0 elsewhere (the scalar form selects +0 too).
// @ts-ignore: decorator
@inline function keep_v(v: v128, mask: v128): v128 {
  return v128.and(v, mask);
}

// @ts-ignore: decorator
@inline function unclipped_v(y: v128, lo: f32, hi: f32): v128 {
  return v128.and(f32x4.ne(y, f32x4.splat(lo)), f32x4.ne(y, f32x4.splat(hi)));
}

// ---------------------------------------------------------------------------------------
// LSTM variants

// @ts-ignore: decorator
@inline function lstmx_fwd_s(g: usize, cp: usize, c: usize, tc: usize, h: usize, peep: usize,
                             H: i32, mode: i32, clip: f32): void {
  const G = mode == 0 ? 4 : 3;
  const gi = g, gf = at(g, H), gg = at(g, (G - 2) * H), go = at(g, (G - 1) * H);
  const po = mode == 0 ? at(peep, 2 * H) : at(peep, H);
  const cpv = load<f32>(cp);
  const i = sigmoid_s(clamp_s(load<f32>(gi) + (peep ? load<f32>(peep) * cpv : 0), clip));
  let f: f32 = 1;
  if (mode == 0) f = sigmoid_s(clamp_s(load<f32>(gf) + (peep ? load<f32>(at(peep, H)) * cpv : 0), clip));
  else if (mode == 2) f = 1 - i;
  const gv = tanh_s(clamp_s(load<f32>(gg), clip));
  const cv = f * cpv + i * gv;
  const o = sigmoid_s(clamp_s(load<f32>(go) + (peep ? load<f32>(po) * cv : 0), clip));
  const t = tanh_s(cv);
  store<f32>(gi, i); if (mode == 0) store<f32>(gf, f); store<f32>(gg, gv); store<f32>(go, o);
  store<f32>(c, cv); store<f32>(tc, t); store<f32>(h, o * t);
}

// @ts-ignore: decorator
@inline function lstmx_fwd_v(g: usize, cp: usize, c: usize, tc: usize, h: usize, peep: usize,
                             H: i32, mode: i32, clip: f32): void {
  const G = mode == 0 ? 4 : 3;
  const gi = g, gf = at(g, H), gg = at(g, (G - 2) * H), go = at(g, (G - 1) * H);
  const po = mode == 0 ? at(peep, 2 * H) : at(peep, H);
  const one = f32x4.splat(1);
  const cpv = v128.load(cp);
  const i = sigmoid_v(clamp_v(peep ? madd(v128.load(peep), cpv, v128.load(gi)) : v128.load(gi), clip));
  let f = one;
  if (mode == 0) f = sigmoid_v(clamp_v(peep ? madd(v128.load(at(peep, H)), cpv, v128.load(gf)) : v128.load(gf), clip));
  else if (mode == 2) f = f32x4.sub(one, i);
  const gv = tanh_v(clamp_v(v128.load(gg), clip));
  const cv = madd(f, cpv, f32x4.mul(i, gv));
  const o = sigmoid_v(clamp_v(peep ? madd(v128.load(po), cv, v128.load(go)) : v128.load(go), clip));
  const t = tanh_v(cv);
  v128.store(gi, i); if (mode == 0) v128.store(gf, f); v128.store(gg, gv); v128.store(go, o);
  v128.store(c, cv); v128.store(tc, t); v128.store(h, f32x4.mul(o, t));
}

/**
 * One step of an LSTM variant, pointwise. gates: [B, G*H] pre-activations in, post-activations
 * out. c_prev, c, tanh_c, h: [B, H]; c may alias c_prev. peep: [3 or 2, H]
 * or 0. mode, clip: see the top of the file (clip = +inf when off).
 */
export function lstmx_cell_fwd(gates: usize, c_prev: usize, c: usize, tanh_c: usize, h: usize,
                               peep: usize, B: i32, H: i32, mode: i32, clip: f32): void {
  const H4 = H & ~3, G = mode == 0 ? 4 : 3;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) {
      lstmx_fwd_v(at(g, j), at(c_prev + row, j), at(c + row, j), at(tanh_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip);
    }
    for (; j < H; j++) {
      lstmx_fwd_s(at(g, j), at(c_prev + row, j), at(c + row, j), at(tanh_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip);
    }
  }
}

export function lstmx_cell_fwd__scalar(gates: usize, c_prev: usize, c: usize, tanh_c: usize, h: usize,
                                       peep: usize, B: i32, H: i32, mode: i32, clip: f32): void {
  const G = mode == 0 ? 4 : 3;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      lstmx_fwd_s(at(g, j), at(c_prev + row, j), at(c + row, j), at(tanh_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip);
    }
  }
}

// @ts-ignore: decorator
@inline function lstmx_bwd_s(dg: usize, dc: usize, dh: usize, g: usize, cp: usize, c: usize, tc: usize,
                             peep: usize, dpeep: usize, H: i32, mode: i32, clip: f32,
                             sLo: f32, sHi: f32, tLo: f32, tHi: f32): void {
  const G = mode == 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode == 0 ? 2 * H : H;
  const i = load<f32>(g), gv = load<f32>(at(g, ig)), o = load<f32>(at(g, io));
  const f = mode == 0 ? load<f32>(at(g, H)) : mode == 1 ? <f32>1 : 1 - i;
  const cpv = load<f32>(cp), cv = load<f32>(c), t = load<f32>(tc), d = load<f32>(dh);
  const d_o = select<f32>((d * t) * (o * (1 - o)), 0, o != sLo && o != sHi);
  let dct = load<f32>(dc) + (d * o) * (1 - t * t);
  if (peep) dct += d_o * load<f32>(at(peep, ipo));
  const di_from_c = mode == 2 ? dct * (gv - cpv) : dct * gv;
  const d_i = select<f32>(di_from_c * (i * (1 - i)), 0, i != sLo && i != sHi);
  const d_g = select<f32>((dct * i) * (1 - gv * gv), 0, gv != tLo && gv != tHi);
  let dcp = dct * f;
  let d_f: f32 = 0;
  if (mode == 0) {
    d_f = select<f32>((dct * cpv) * (f * (1 - f)), 0, f != sLo && f != sHi);
    store<f32>(at(dg, H), d_f);
  }
  if (peep) {
    dcp += d_i * load<f32>(peep);
    if (mode == 0) dcp += d_f * load<f32>(at(peep, H));
    store<f32>(dpeep, load<f32>(dpeep) + d_i * cpv);
    if (mode == 0) store<f32>(at(dpeep, H), load<f32>(at(dpeep, H)) + d_f * cpv);
    store<f32>(at(dpeep, ipo), load<f32>(at(dpeep, ipo)) + d_o * cv);
  }
  store<f32>(dg, d_i); store<f32>(at(dg, ig), d_g); store<f32>(at(dg, io), d_o);
  store<f32>(dc, dcp);
}

// @ts-ignore: decorator
@inline function lstmx_bwd_v(dg: usize, dc: usize, dh: usize, g: usize, cp: usize, c: usize, tc: usize,
                             peep: usize, dpeep: usize, H: i32, mode: i32, clip: f32,
                             sLo: f32, sHi: f32, tLo: f32, tHi: f32): void {
  const G = mode == 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode == 0 ? 2 * H : H;
  const one = f32x4.splat(1);
  const i = v128.load(g), gv = v128.load(at(g, ig)), o = v128.load(at(g, io));
  const f = mode == 0 ? v128.load(at(g, H)) : mode == 1 ? one : f32x4.sub(one, i);
  const cpv = v128.load(cp), cv = v128.load(c), t = v128.load(tc), d = v128.load(dh);
  const d_o = keep_v(f32x4.mul(f32x4.mul(d, t), f32x4.mul(o, f32x4.sub(one, o))), unclipped_v(o, sLo, sHi));
  let dct = f32x4.add(v128.load(dc), f32x4.mul(f32x4.mul(d, o), f32x4.sub(one, f32x4.mul(t, t))));
  if (peep) dct = madd(d_o, v128.load(at(peep, ipo)), dct);
  const di_from_c = mode == 2 ? f32x4.mul(dct, f32x4.sub(gv, cpv)) : f32x4.mul(dct, gv);
  const d_i = keep_v(f32x4.mul(di_from_c, f32x4.mul(i, f32x4.sub(one, i))), unclipped_v(i, sLo, sHi));
  const d_g = keep_v(f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(gv, gv))), unclipped_v(gv, tLo, tHi));
  let dcp = f32x4.mul(dct, f);
  let d_f = f32x4.splat(0);
  if (mode == 0) {
    d_f = keep_v(f32x4.mul(f32x4.mul(dct, cpv), f32x4.mul(f, f32x4.sub(one, f))), unclipped_v(f, sLo, sHi));
    v128.store(at(dg, H), d_f);
  }
  if (peep) {
    dcp = madd(d_i, v128.load(peep), dcp);
    if (mode == 0) dcp = madd(d_f, v128.load(at(peep, H)), dcp);
    v128.store(dpeep, madd(d_i, cpv, v128.load(dpeep)));
    if (mode == 0) v128.store(at(dpeep, H), madd(d_f, cpv, v128.load(at(dpeep, H))));
    v128.store(at(dpeep, ipo), madd(d_o, cv, v128.load(at(dpeep, ipo))));
  }
  v128.store(dg, d_i); v128.store(at(dg, ig), d_g); v128.store(at(dg, io), d_o);
  v128.store(dc, dcp);
}

/**
 * Backward of one LSTM-variant step, pointwise. dgates: [B, G*H] out (pre-activation
 * gradients). dc: [B, H], dL/dc_t in, dL/dc_{t-1} out. dh: [B, H], dL/dh_t (all of it).
 * gates (post-activation), c_prev, c, tanh_c: the tape. dpeep: the peepholes' gradient,
 * accumulated (0 when peep = 0).
 */
export function lstmx_cell_bwd(dgates: usize, dc: usize, dh: usize, gates: usize, c_prev: usize,
                               c: usize, tanh_c: usize, peep: usize, dpeep: usize,
                               B: i32, H: i32, mode: i32, clip: f32): void {
  const H4 = H & ~3, G = mode == 0 ? 4 : 3;
  // the saved activations of +-clip, lane forms and scalar forms
  const sv = sigmoid_v(f32x4.splat(clip)), svl = sigmoid_v(f32x4.splat(-clip));
  const tv = tanh_v(f32x4.splat(clip)), tvl = tanh_v(f32x4.splat(-clip));
  const sHiV = f32x4.extract_lane(sv, 0), sLoV = f32x4.extract_lane(svl, 0);
  const tHiV = f32x4.extract_lane(tv, 0), tLoV = f32x4.extract_lane(tvl, 0);
  const sHi = sigmoid_s(clip), sLo = sigmoid_s(-clip), tHi = tanh_s(clip), tLo = tanh_s(-clip);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const dg = dgates + go, g = gates + go;
    let j = 0;
    for (; j < H4; j += 4) {
      lstmx_bwd_v(at(dg, j), at(dc + row, j), at(dh + row, j), at(g, j), at(c_prev + row, j), at(c + row, j),
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, clip, sLoV, sHiV, tLoV, tHiV);
    }
    for (; j < H; j++) {
      lstmx_bwd_s(at(dg, j), at(dc + row, j), at(dh + row, j), at(g, j), at(c_prev + row, j), at(c + row, j),
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, clip, sLo, sHi, tLo, tHi);
    }
  }
}

export function lstmx_cell_bwd__scalar(dgates: usize, dc: usize, dh: usize, gates: usize, c_prev: usize,
                                       c: usize, tanh_c: usize, peep: usize, dpeep: usize,
                                       B: i32, H: i32, mode: i32, clip: f32): void {
  const G = mode == 0 ? 4 : 3;
  const sHi = sigmoid_s(clip), sLo = sigmoid_s(-clip), tHi = tanh_s(clip), tLo = tanh_s(-clip);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      lstmx_bwd_s(at(dgates + go, j), at(dc + row, j), at(dh + row, j), at(gates + go, j), at(c_prev + row, j), at(c + row, j),
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, clip, sLo, sHi, tLo, tHi);
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
