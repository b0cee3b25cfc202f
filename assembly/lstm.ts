// Fused pointwise parts of one LSTM step, forward next to backward, for B rows of H units.
// The matrix products around them (gates += h W_hh, dh += dgates W_hh^T) are GEMM calls;
// these kernels do everything elementwise in one pass. All arrays are contiguous row-major;
// pointers are byte offsets, 4-byte aligned.
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
// Variants (lstmx_*: run only when one is asked for, so the plain cell pays nothing for the
// options; ONNX's LSTM semantics where ONNX has the option). mode 0: gates i, f, g, o;
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
// Other activations (lstma_*: run only when a layer asks for one, so the default cells keep
// lstm_* and lstmx_*): lstmx_* with the sigmoid of i, f, o replaced by the gate activation
// act_g, the tanh of g by the cell activation act_c and the tanh of c in h by the hidden
// activation act_h, each selected by id with its alpha and beta (assembly/math.ts act_s):
//   i = act_g(clip(gi + p_i c_prev)) ...  g = act_c(clip(gg))  h = o act_h(c)
// backward: every y (1 - y) or 1 - y^2 above becomes the activation's derivative from its
// output (act_d_s); the masks of clipped gates compare with act_g(+-clip) and act_c(+-clip).
// act_c: [B, H] holds act_h(c) (the slot that keeps tanh(c) for the default cell).
//
// Each kernel runs four units at a time and the H % 4 tail with the scalar form of the same
// operations; each `__scalar` twin uses the scalar form throughout. In the baseline build a
// twin is bit-identical to its kernel; in the relaxed build the kernel may fuse multiply-adds
// and differ from its twin by rounding. test/lstm.test.ts checks both.

import { madd } from './simd';
import { act_d_s, act_d_v, act_s, act_v, sigmoid_s, sigmoid_v, tanh_s, tanh_v } from './math';

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
                             peep: usize, dpeep: usize, H: i32, mode: i32,
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
                             peep: usize, dpeep: usize, H: i32, mode: i32,
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
 * accumulated (0 when peep = 0). clip: the forward's; it gives the saturated values that mark
 * a gate as clipped.
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
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, sLoV, sHiV, tLoV, tHiV);
    }
    for (; j < H; j++) {
      lstmx_bwd_s(at(dg, j), at(dc + row, j), at(dh + row, j), at(g, j), at(c_prev + row, j), at(c + row, j),
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, sLo, sHi, tLo, tHi);
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
                  at(tanh_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode, sLo, sHi, tLo, tHi);
    }
  }
}

// ---------------------------------------------------------------------------------------
// LSTM with other activations

// @ts-ignore: decorator
@inline function lstma_fwd_s(g: usize, cp: usize, c: usize, tc: usize, h: usize, peep: usize,
                             H: i32, mode: i32, clip: f32, ga: i32, gA: f32, gB: f32,
                             ca: i32, cA: f32, cB: f32, ha: i32, hA: f32, hB: f32): void {
  const G = mode == 0 ? 4 : 3;
  const gi = g, gf = at(g, H), gg = at(g, (G - 2) * H), go = at(g, (G - 1) * H);
  const po = mode == 0 ? at(peep, 2 * H) : at(peep, H);
  const cpv = load<f32>(cp);
  const i = act_s(ga, clamp_s(load<f32>(gi) + (peep ? load<f32>(peep) * cpv : 0), clip), gA, gB);
  let f: f32 = 1;
  if (mode == 0) f = act_s(ga, clamp_s(load<f32>(gf) + (peep ? load<f32>(at(peep, H)) * cpv : 0), clip), gA, gB);
  else if (mode == 2) f = 1 - i;
  const gv = act_s(ca, clamp_s(load<f32>(gg), clip), cA, cB);
  const cv = f * cpv + i * gv;
  const o = act_s(ga, clamp_s(load<f32>(go) + (peep ? load<f32>(po) * cv : 0), clip), gA, gB);
  const t = act_s(ha, cv, hA, hB);
  store<f32>(gi, i); if (mode == 0) store<f32>(gf, f); store<f32>(gg, gv); store<f32>(go, o);
  store<f32>(c, cv); store<f32>(tc, t); store<f32>(h, o * t);
}

// @ts-ignore: decorator
@inline function lstma_fwd_v(g: usize, cp: usize, c: usize, tc: usize, h: usize, peep: usize,
                             H: i32, mode: i32, clip: f32, ga: i32, gA: f32, gB: f32,
                             ca: i32, cA: f32, cB: f32, ha: i32, hA: f32, hB: f32): void {
  const G = mode == 0 ? 4 : 3;
  const gi = g, gf = at(g, H), gg = at(g, (G - 2) * H), go = at(g, (G - 1) * H);
  const po = mode == 0 ? at(peep, 2 * H) : at(peep, H);
  const one = f32x4.splat(1);
  const cpv = v128.load(cp);
  const i = act_v(ga, clamp_v(peep ? madd(v128.load(peep), cpv, v128.load(gi)) : v128.load(gi), clip), gA, gB);
  let f = one;
  if (mode == 0) f = act_v(ga, clamp_v(peep ? madd(v128.load(at(peep, H)), cpv, v128.load(gf)) : v128.load(gf), clip), gA, gB);
  else if (mode == 2) f = f32x4.sub(one, i);
  const gv = act_v(ca, clamp_v(v128.load(gg), clip), cA, cB);
  const cv = madd(f, cpv, f32x4.mul(i, gv));
  const o = act_v(ga, clamp_v(peep ? madd(v128.load(po), cv, v128.load(go)) : v128.load(go), clip), gA, gB);
  const t = act_v(ha, cv, hA, hB);
  v128.store(gi, i); if (mode == 0) v128.store(gf, f); v128.store(gg, gv); v128.store(go, o);
  v128.store(c, cv); v128.store(tc, t); v128.store(h, f32x4.mul(o, t));
}

/**
 * One step of an LSTM (variant) with other activations, pointwise: lstmx_cell_fwd with the
 * gate, cell and hidden activations given by id, alpha and beta (see the top of the file).
 * act_c: [B, H], act_h(c) out.
 */
export function lstma_cell_fwd(gates: usize, c_prev: usize, c: usize, act_c: usize, h: usize,
                               peep: usize, B: i32, H: i32, mode: i32, clip: f32,
                               gate_act: i32, gate_alpha: f32, gate_beta: f32,
                               cell_act: i32, cell_alpha: f32, cell_beta: f32,
                               hidden_act: i32, hidden_alpha: f32, hidden_beta: f32): void {
  const H4 = H & ~3, G = mode == 0 ? 4 : 3;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) {
      lstma_fwd_v(at(g, j), at(c_prev + row, j), at(c + row, j), at(act_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip,
                  gate_act, gate_alpha, gate_beta, cell_act, cell_alpha, cell_beta, hidden_act, hidden_alpha, hidden_beta);
    }
    for (; j < H; j++) {
      lstma_fwd_s(at(g, j), at(c_prev + row, j), at(c + row, j), at(act_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip,
                  gate_act, gate_alpha, gate_beta, cell_act, cell_alpha, cell_beta, hidden_act, hidden_alpha, hidden_beta);
    }
  }
}

export function lstma_cell_fwd__scalar(gates: usize, c_prev: usize, c: usize, act_c: usize, h: usize,
                                       peep: usize, B: i32, H: i32, mode: i32, clip: f32,
                                       gate_act: i32, gate_alpha: f32, gate_beta: f32,
                                       cell_act: i32, cell_alpha: f32, cell_beta: f32,
                                       hidden_act: i32, hidden_alpha: f32, hidden_beta: f32): void {
  const G = mode == 0 ? 4 : 3;
  for (let b = 0; b < B; b++) {
    const g = gates + <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      lstma_fwd_s(at(g, j), at(c_prev + row, j), at(c + row, j), at(act_c + row, j), at(h + row, j), peep ? at(peep, j) : 0, H, mode, clip,
                  gate_act, gate_alpha, gate_beta, cell_act, cell_alpha, cell_beta, hidden_act, hidden_alpha, hidden_beta);
    }
  }
}

// @ts-ignore: decorator
@inline function lstma_bwd_s(dg: usize, dc: usize, dh: usize, g: usize, cp: usize, c: usize, tc: usize,
                             peep: usize, dpeep: usize, H: i32, mode: i32, ga: i32, gA: f32,
                             ca: i32, cA: f32, ha: i32, hA: f32, sLo: f32, sHi: f32, tLo: f32, tHi: f32): void {
  const G = mode == 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode == 0 ? 2 * H : H;
  const i = load<f32>(g), gv = load<f32>(at(g, ig)), o = load<f32>(at(g, io));
  const f = mode == 0 ? load<f32>(at(g, H)) : mode == 1 ? <f32>1 : 1 - i;
  const cpv = load<f32>(cp), cv = load<f32>(c), t = load<f32>(tc), d = load<f32>(dh);
  const d_o = select<f32>((d * t) * act_d_s(ga, o, gA), 0, o != sLo && o != sHi);
  let dct = load<f32>(dc) + (d * o) * act_d_s(ha, t, hA);
  if (peep) dct += d_o * load<f32>(at(peep, ipo));
  const di_from_c = mode == 2 ? dct * (gv - cpv) : dct * gv;
  const d_i = select<f32>(di_from_c * act_d_s(ga, i, gA), 0, i != sLo && i != sHi);
  const d_g = select<f32>((dct * i) * act_d_s(ca, gv, cA), 0, gv != tLo && gv != tHi);
  let dcp = dct * f;
  let d_f: f32 = 0;
  if (mode == 0) {
    d_f = select<f32>((dct * cpv) * act_d_s(ga, f, gA), 0, f != sLo && f != sHi);
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
@inline function lstma_bwd_v(dg: usize, dc: usize, dh: usize, g: usize, cp: usize, c: usize, tc: usize,
                             peep: usize, dpeep: usize, H: i32, mode: i32, ga: i32, gA: f32,
                             ca: i32, cA: f32, ha: i32, hA: f32, sLo: f32, sHi: f32, tLo: f32, tHi: f32): void {
  const G = mode == 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode == 0 ? 2 * H : H;
  const one = f32x4.splat(1);
  const i = v128.load(g), gv = v128.load(at(g, ig)), o = v128.load(at(g, io));
  const f = mode == 0 ? v128.load(at(g, H)) : mode == 1 ? one : f32x4.sub(one, i);
  const cpv = v128.load(cp), cv = v128.load(c), t = v128.load(tc), d = v128.load(dh);
  const d_o = keep_v(f32x4.mul(f32x4.mul(d, t), act_d_v(ga, o, gA)), unclipped_v(o, sLo, sHi));
  let dct = f32x4.add(v128.load(dc), f32x4.mul(f32x4.mul(d, o), act_d_v(ha, t, hA)));
  if (peep) dct = madd(d_o, v128.load(at(peep, ipo)), dct);
  const di_from_c = mode == 2 ? f32x4.mul(dct, f32x4.sub(gv, cpv)) : f32x4.mul(dct, gv);
  const d_i = keep_v(f32x4.mul(di_from_c, act_d_v(ga, i, gA)), unclipped_v(i, sLo, sHi));
  const d_g = keep_v(f32x4.mul(f32x4.mul(dct, i), act_d_v(ca, gv, cA)), unclipped_v(gv, tLo, tHi));
  let dcp = f32x4.mul(dct, f);
  let d_f = f32x4.splat(0);
  if (mode == 0) {
    d_f = keep_v(f32x4.mul(f32x4.mul(dct, cpv), act_d_v(ga, f, gA)), unclipped_v(f, sLo, sHi));
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
 * Backward of lstma_cell_fwd, pointwise: lstmx_cell_bwd with the activations' derivatives
 * from their saved outputs. act_c: act_h(c) from the forward. The activations and clip are
 * the forward's (the betas give the saved values that mark a gate as clipped).
 */
export function lstma_cell_bwd(dgates: usize, dc: usize, dh: usize, gates: usize, c_prev: usize,
                               c: usize, act_c: usize, peep: usize, dpeep: usize,
                               B: i32, H: i32, mode: i32, clip: f32,
                               gate_act: i32, gate_alpha: f32, gate_beta: f32,
                               cell_act: i32, cell_alpha: f32, cell_beta: f32,
                               hidden_act: i32, hidden_alpha: f32, hidden_beta: f32): void {
  const H4 = H & ~3, G = mode == 0 ? 4 : 3;
  // the saved activations of +-clip, lane forms and scalar forms
  const sHiV = f32x4.extract_lane(act_v(gate_act, f32x4.splat(clip), gate_alpha, gate_beta), 0);
  const sLoV = f32x4.extract_lane(act_v(gate_act, f32x4.splat(-clip), gate_alpha, gate_beta), 0);
  const tHiV = f32x4.extract_lane(act_v(cell_act, f32x4.splat(clip), cell_alpha, cell_beta), 0);
  const tLoV = f32x4.extract_lane(act_v(cell_act, f32x4.splat(-clip), cell_alpha, cell_beta), 0);
  const sHi = act_s(gate_act, clip, gate_alpha, gate_beta), sLo = act_s(gate_act, -clip, gate_alpha, gate_beta);
  const tHi = act_s(cell_act, clip, cell_alpha, cell_beta), tLo = act_s(cell_act, -clip, cell_alpha, cell_beta);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    const dg = dgates + go, g = gates + go;
    let j = 0;
    for (; j < H4; j += 4) {
      lstma_bwd_v(at(dg, j), at(dc + row, j), at(dh + row, j), at(g, j), at(c_prev + row, j), at(c + row, j),
                  at(act_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode,
                  gate_act, gate_alpha, cell_act, cell_alpha, hidden_act, hidden_alpha, sLoV, sHiV, tLoV, tHiV);
    }
    for (; j < H; j++) {
      lstma_bwd_s(at(dg, j), at(dc + row, j), at(dh + row, j), at(g, j), at(c_prev + row, j), at(c + row, j),
                  at(act_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode,
                  gate_act, gate_alpha, cell_act, cell_alpha, hidden_act, hidden_alpha, sLo, sHi, tLo, tHi);
    }
  }
}

export function lstma_cell_bwd__scalar(dgates: usize, dc: usize, dh: usize, gates: usize, c_prev: usize,
                                       c: usize, act_c: usize, peep: usize, dpeep: usize,
                                       B: i32, H: i32, mode: i32, clip: f32,
                                       gate_act: i32, gate_alpha: f32, gate_beta: f32,
                                       cell_act: i32, cell_alpha: f32, cell_beta: f32,
                                       hidden_act: i32, hidden_alpha: f32, hidden_beta: f32): void {
  const G = mode == 0 ? 4 : 3;
  const sHi = act_s(gate_act, clip, gate_alpha, gate_beta), sLo = act_s(gate_act, -clip, gate_alpha, gate_beta);
  const tHi = act_s(cell_act, clip, cell_alpha, cell_beta), tLo = act_s(cell_act, -clip, cell_alpha, cell_beta);
  for (let b = 0; b < B; b++) {
    const go = <usize>b * <usize>(G * H) * 4, row = <usize>b * (<usize>H << 2);
    for (let j = 0; j < H; j++) {
      lstma_bwd_s(at(dgates + go, j), at(dc + row, j), at(dh + row, j), at(gates + go, j), at(c_prev + row, j), at(c + row, j),
                  at(act_c + row, j), peep ? at(peep, j) : 0, dpeep ? at(dpeep, j) : 0, H, mode,
                  gate_act, gate_alpha, cell_act, cell_alpha, hidden_act, hidden_alpha, sLo, sHi, tLo, tHi);
    }
  }
}
