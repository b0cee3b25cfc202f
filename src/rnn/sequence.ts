/**
 * The numeric core of a recurrent layer: forward and BPTT backward of one (layer, direction)
 * over a whole sequence, as calls of the wasm kernels on pointers from the tape layout.
 *
 * Per step the only work is the recurrent product (GEMM with M = active rows) and one fused
 * pointwise kernel; the input projection for all steps is one GEMM before the loop, and the
 * weight gradients are GEMMs after the reverse loop (DESIGN.md, "Performance principles").
 *
 * Variable lengths: rows are sorted longest first (tape.ts), `active[t]` rows run at step t,
 * the others keep their state (a block copy) and get zero output. The reverse direction walks
 * t = T-1 .. 0, so a row's reverse pass starts at its own last step from the initial state.
 *
 * State indexing (h and c slots, T+1 entries): forward reads h[t] and writes h[t+1]; reverse
 * reads h[t+1] and writes h[t]. The initial state is h[0] (forward) or h[T] (reverse).
 */
import type { Kernels } from '../kernels.js';
import { paddedWidth, type Layout } from '../layout.js';
import { delayWeight, suffix, type Spec } from './spec.js';

export interface SeqContext {
  readonly k: Kernels;
  readonly s: Spec;
  readonly T: number;
  readonly B: number;
  /** Rows still running at step t (a prefix of the sorted rows). */
  readonly active: Int32Array;
  /** Byte address of a tape slot. */
  tape(name: string): number;
  /** Byte address of a parameter (0 when the layer has no such parameter, as biases). */
  param(name: string): number;
  /** Byte address of a parameter's gradient. */
  grad(name: string): number;
  /**
   * Backward records here, per step t (time order), the L2 norm over the batch of dL/dh(t)
   * (everything reaching h(t): from the output and from later steps) and, with a cell, of
   * dL/dc(t) arriving from c(t+1) (the carousel path). diagnostics.ts reads them.
   */
  trace?: { h: Float64Array; c: Float64Array | null };
}

export function slotAddress(base: number, layout: Layout) {
  return (name: string): number => {
    const slot = layout.slots.get(name);
    return slot ? base + slot.offset : 0;
  };
}

/** The input of layer l: the layer input x or the previous layer's output. */
function layerInput(c: SeqContext, l: number): number {
  return l === 0 ? c.tape('x') : c.tape(`out_l${l - 1}`);
}

export function forwardDirection(c: SeqContext, l: number, d: number): void {
  const { k, s, T, B, active } = c;
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, inW = s.inWidth(l), x = suffix(l, d);
  const gates = c.tape(`gates${x}`), hs = c.tape(`h${x}`), cs = c.tape(`c${x}`);
  const tanhc = c.tape(`tanhc${x}`), hpre = c.tape(`hpre${x}`), ghn = c.tape(`ghn${x}`), gh = c.tape('gh');
  const rh = c.tape(`rh${x}`), alpha = c.tape(`alpha${x}`);
  const wih = c.param(`weight_ih${x}`), whh = c.param(`weight_hh${x}`), whr = c.param(`weight_hr${x}`);
  const bih = c.param(`bias_ih${x}`), bhh = c.param(`bias_hh${x}`), peep = c.param(`weight_ch${x}`);
  const out = c.tape(`out_l${l}`), ldo = s.dirs * P;
  const ldW = paddedWidth(GH), ldR = paddedWidth(P); // row lengths of W_ih, W_hh and of W_hr
  const nOff = (s.G - 1) * H * 4; // byte offset of the n block (GRU)
  const ifo = c.tape(`ifo${x}`), wgg = c.param(`weight_gg${x}`), ldG = paddedWidth(3 * H), H3 = 3 * H;
  if (s.tau) setAlpha(c, x, alpha);
  if (s.gateRecurrence) k.f32_fill(ifo + (d === 0 ? 0 : T) * B * H3 * 4, 0, B * H3);
  const delayW = s.delays.map((delay) => c.param(`${delayWeight(delay)}${x}`)); // RNN delays

  k.f32_gemm_nn(gates, GH, layerInput(c, l), inW, wih, ldW, bih, T * B, GH, inW, 0);
  for (let step = 0; step < T; step++) {
    const t = d === 0 ? step : T - 1 - step;
    const prev = d === 0 ? t : t + 1, next = d === 0 ? t + 1 : t;
    const nb = active[t];
    const hp = hs + prev * B * P * 4, hn = hs + next * B * P * 4;
    const g = gates + t * B * GH * 4;
    if (nb > 0) {
      if (s.kind === 'GRU' && s.resetAfter) {
        k.f32_gemm_nn(gh, GH, hp, P, whh, ldW, bhh, nb, GH, P, 0);
        k.gru_cell_fwd(g, gh, ghn + t * B * H * 4, hp, hn, nb, H);
      } else if (s.kind === 'GRU') {
        // reset before the hidden product: r (and z) first, then (r * h_prev) W_hn
        const rht = rh + t * B * H * 4;
        k.f32_gemm_nn(gh, GH, hp, P, whh, ldW, bhh, nb, GH - H, P, 0);
        k.gru_rb_gate_fwd(g, gh, rht, hp, nb, H, s.G);
        k.f32_gemm_nn(gh + nOff, GH, rht, H, whh + nOff, ldW, bhh && bhh + nOff, nb, H, H, 0);
        k.gru_rb_out_fwd(g, gh, hp, hn, nb, H, s.G);
        if (nb < B) k.f32_fill(rht + nb * H * 4, 0, (B - nb) * H);
      } else if (s.kind === 'RNN' && s.rnnVariant) {
        for (let i = 0; i < s.delays.length; i++) {
          const src = hs + delaySlot(s.delays[i], t, d, T) * B * P * 4;
          k.f32_gemm_nn(g, GH, src, P, delayW[i], ldW, i === 0 ? bhh : 0, nb, GH, P, 1);
        }
        if (s.identityRecurrence) k.f32_add(g, g, hp, nb * H);
        const a = s.tau ? g : hn;
        if (s.nonlinearity === 'tanh') k.f32_tanh_fwd(a, g, nb * H);
        else k.f32_relu_fwd(a, g, nb * H);
        if (s.tau) k.leaky_fwd(hn, hp, g, alpha, nb, H);
      } else {
        k.f32_gemm_nn(g, GH, hp, P, whh, ldW, bhh, nb, GH, P, 1);
        if (s.kind === 'LSTM') {
          const cp = cs + prev * B * H * 4, cn = cs + next * B * H * 4;
          const hcell = s.projSize ? hpre + t * B * H * 4 : hn;
          if (s.gateRecurrence) {
            // i, f (columns 0..2H) and o (3H..4H) see the previous i, f, o through W_gg
            const prevGates = ifo + prev * B * H3 * 4;
            k.f32_gemm_nn(g, GH, prevGates, H3, wgg, ldG, 0, nb, 2 * H, H3, 1);
            k.f32_gemm_nn(g + 3 * H * 4, GH, prevGates, H3, wgg + 2 * H * 4, ldG, 0, nb, H, H3, 1);
          }
          if (s.lstmVariant) k.lstmx_cell_fwd(g, cp, cn, tanhc + t * B * H * 4, hcell, peep, nb, H, lstmMode(s), clipBound(s));
          else k.lstm_cell_fwd(g, cp, cn, tanhc + t * B * H * 4, hcell, nb, H);
          if (s.projSize) k.f32_gemm_nn(hn, P, hcell, H, whr, ldR, 0, nb, P, H, 0);
          if (s.gateRecurrence) {
            const gatesNow = ifo + next * B * H3 * 4;
            k.f32_copy_rows(gatesNow, H3, g, GH, nb, 2 * H);
            k.f32_copy_rows(gatesNow + 2 * H * 4, H3, g + 3 * H * 4, GH, nb, H);
          }
        } else if (s.kind === 'CEC') {
          // c = c_prev + tanh(gates), h = tanh(c); tanh(gates) stays in the tape
          const cn = cs + next * B * H * 4;
          k.f32_tanh_fwd(g, g, nb * H);
          k.f32_add(cn, cs + prev * B * H * 4, g, nb * H);
          k.f32_tanh_fwd(hn, cn, nb * H);
        } else if (s.nonlinearity === 'tanh') {
          k.f32_tanh_fwd(hn, g, nb * H);
        } else {
          k.f32_relu_fwd(hn, g, nb * H);
        }
      }
      k.f32_copy_rows(out + (t * B * ldo + d * P) * 4, ldo, hn, P, nb, P);
    }
    if (nb < B) {
      // rows past their length keep their state
      k.f32_copy_rows(hn + nb * P * 4, 0, hp + nb * P * 4, 0, 1, (B - nb) * P);
      if (s.hasCell) {
        k.f32_copy_rows(cs + (next * B + nb) * H * 4, 0, cs + (prev * B + nb) * H * 4, 0, 1, (B - nb) * H);
      }
      if (s.gateRecurrence) k.f32_copy_rows(ifo + (next * B + nb) * H3 * 4, 0, ifo + (prev * B + nb) * H3 * 4, 0, 1, (B - nb) * H3);
    }
  }
}

/** LSTM variant kernel mode: 0 gates i f g o, 1 no forget gate, 2 coupled (assembly/variants.ts). */
export function lstmMode(s: Spec): number {
  return !s.forgetGate ? 1 : s.coupled ? 2 : 0;
}

/** The activation-input bound of the LSTM variant kernels; +inf when off. */
export function clipBound(s: Spec): number {
  return s.cellClip > 0 ? s.cellClip : Infinity;
}

/**
 * The h slot that delay `delay` reads at step t: h(t - delay) in the direction's own order,
 * the initial state (slot 0, or T in reverse) for every step before the first.
 */
function delaySlot(delay: number, t: number, d: number, T: number): number {
  return d === 0 ? Math.max(t + 1 - delay, 0) : Math.min(t + delay, T);
}

/** alpha = 1 / max(tau, 1) per unit, from the fixed time constants or the trained parameter. */
function setAlpha(c: SeqContext, x: string, alpha: number): void {
  const heap = new Float32Array(c.k.memory.buffer), H = c.s.hiddenSize;
  const tau = c.s.trainTau ? heap.subarray(c.param(`tau${x}`) / 4, c.param(`tau${x}`) / 4 + H) : c.s.tau!;
  for (let j = 0; j < H; j++) heap[alpha / 4 + j] = 1 / Math.max(tau[j], 1);
}

/**
 * Backward of one (layer, direction). On entry the tape's `dh` (and `dc`) hold dL/dh_n
 * (dL/dc_n) of this direction; on return they hold dL/dh0 (dL/dc0). dOut: [T, B, dirs*P],
 * the gradient of this layer's output; dIn: [T, B, inW], receives (+=) the gradient of its
 * input (dIn = 0: not wanted, as for data that is no parameter's output, and skipped).
 * Parameter gradients are added into the grads.
 */
export function backwardDirection(c: SeqContext, l: number, d: number, dOut: number, dIn: number): void {
  const { k, s, T, B, active } = c;
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, inW = s.inWidth(l), x = suffix(l, d);
  const gates = c.tape(`gates${x}`), hs = c.tape(`h${x}`), cs = c.tape(`c${x}`);
  const tanhc = c.tape(`tanhc${x}`), hpre = c.tape(`hpre${x}`), ghn = c.tape(`ghn${x}`);
  const wih = c.param(`weight_ih${x}`), whh = c.param(`weight_hh${x}`), whr = c.param(`weight_hr${x}`);
  const dgx = c.tape('dgx'), dgh = s.kind === 'GRU' ? c.tape('dgh') : dgx;
  const dh = c.tape('dh'), dc = c.tape('dc'), dhtot = c.tape('dhtot'), dhpre = c.tape('dhpre');
  const drh = c.tape('drh'), dtmp = c.tape('dtmp');
  const ifo = c.tape(`ifo${x}`), wgg = c.param(`weight_gg${x}`), difo = c.tape('difo'), difoPre = c.tape('difo_pre');
  const ldG = paddedWidth(3 * H), H3 = 3 * H;
  const peep = c.param(`weight_ch${x}`), dpeep = c.grad(`weight_ch${x}`);
  const ldo = s.dirs * P, ldW = paddedWidth(GH), ldR = paddedWidth(P);
  const resetBefore = s.kind === 'GRU' && !s.resetAfter, nOff = (s.G - 1) * H * 4;

  // Rows past their length contribute nothing to the weight gradients.
  k.f32_fill(dgx, 0, T * B * GH);
  if (dgh !== dgx) k.f32_fill(dgh, 0, T * B * GH);
  if (s.projSize) k.f32_fill(dhtot, 0, T * B * P);
  if (s.gateRecurrence) k.f32_fill(difo, 0, B * H3);
  if (s.rnnVariant) {
    rnnVariantBackward(c, l, d, dOut);
    weightGrads(c, l, d, dIn);
    return;
  }

  for (let step = T - 1; step >= 0; step--) {
    const t = d === 0 ? step : T - 1 - step;
    const nb = active[t];
    if (nb === 0) { // dh and dc pass through unchanged
      if (c.trace) {
        c.trace.h[t] = Math.sqrt(k.f32_sumsq(dh, B * P));
        if (c.trace.c) c.trace.c[t] = Math.sqrt(k.f32_sumsq(dc, B * H));
      }
      continue;
    }
    const prev = d === 0 ? t : t + 1, next = d === 0 ? t + 1 : t;
    const hp = hs + prev * B * P * 4, hn = hs + next * B * P * 4;
    const g = gates + t * B * GH * 4, dgxt = dgx + t * B * GH * 4, dght = dgh + t * B * GH * 4;
    // the output's gradient at padded steps is ignored: only the nb running rows take it
    k.f32_add_rows(dh, P, dOut + (t * B * ldo + d * P) * 4, ldo, nb, P);
    if (c.trace) {
      c.trace.h[t] = Math.sqrt(k.f32_sumsq(dh, B * P));
      if (c.trace.c) c.trace.c[t] = Math.sqrt(k.f32_sumsq(dc, B * H));
    }
    if (s.kind === 'LSTM') {
      let dcell = dh;
      if (s.projSize) {
        k.f32_copy_rows(dhtot + t * B * P * 4, P, dh, P, nb, P);
        k.f32_fill(dhpre, 0, nb * H);
        k.f32_gemm_nt_acc(dhpre, H, dh, P, whr, ldR, nb, H, P);
        dcell = dhpre;
      }
      if (s.lstmVariant) {
        k.lstmx_cell_bwd(dgxt, dc, dcell, g, cs + prev * B * H * 4, cs + next * B * H * 4, tanhc + t * B * H * 4,
          peep, dpeep, nb, H, lstmMode(s), clipBound(s));
      } else k.lstm_cell_bwd(dgxt, dc, dcell, g, cs + prev * B * H * 4, tanhc + t * B * H * 4, nb, H);
      k.f32_fill(dh, 0, nb * P);
      if (s.gateRecurrence) {
        // the next step's gates saw these i, f, o: add that gradient through the sigmoid,
        // then pass the total on to the previous step's i, f, o through W_gg
        k.f32_sigmoid_bwd(difoPre, ifo + next * B * H3 * 4, difo, nb * H3);
        k.f32_add_rows(dgxt, GH, difoPre, H3, nb, 2 * H);
        k.f32_add_rows(dgxt + 3 * H * 4, GH, difoPre + 2 * H * 4, H3, nb, H);
        k.f32_fill(difo, 0, nb * H3);
        k.f32_gemm_nt_acc(difo, H3, dgxt, GH, wgg, ldG, nb, H3, 2 * H);
        k.f32_gemm_nt_acc(difo, H3, dgxt + 3 * H * 4, GH, wgg + 2 * H * 4, ldG, nb, H3, H);
      }
    } else if (s.kind === 'GRU' && s.resetAfter) {
      k.gru_cell_bwd(dgxt, dght, dh, g, ghn + t * B * H * 4, hp, nb, H);
    } else if (resetBefore) {
      k.gru_rb_out_bwd(dgxt, dght, dh, g, hp, nb, H, s.G);
      k.f32_fill(drh, 0, nb * H);
      k.f32_gemm_nt_acc(drh, H, dght + nOff, GH, whh + nOff, ldW, nb, H, H);
      k.gru_rb_gate_bwd(dgxt, dght, dh, drh, g, hp, nb, H, s.G);
      // the n block went through d(rh) above; the r (and z) blocks go through W_hh below
      k.f32_gemm_nt_acc(dh, P, dght, GH, whh, ldW, nb, P, GH - H);
      continue;
    } else if (s.kind === 'CEC') {
      k.f32_tanh_bwd(dtmp, hn, dh, nb * H);
      k.f32_add(dc, dc, dtmp, nb * H);
      k.f32_tanh_bwd(dgxt, g, dc, nb * H); // dc passes on unchanged: c = c_prev + ...
      k.f32_fill(dh, 0, nb * P);
    } else {
      if (s.nonlinearity === 'tanh') k.f32_tanh_bwd(dgxt, hn, dh, nb * H);
      else k.f32_relu_bwd(dgxt, hn, dh, nb * H);
      k.f32_fill(dh, 0, nb * P);
    }
    k.f32_gemm_nt_acc(dh, P, dght, GH, whh, ldW, nb, P, GH);
  }

  weightGrads(c, l, d, dIn);
}

/** The parameter gradients and dIn of one (layer, direction), from the tape's dgx / dgh. */
function weightGrads(c: SeqContext, l: number, d: number, dIn: number): void {
  const { k, s, T, B } = c;
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, inW = s.inWidth(l), x = suffix(l, d), TB = T * B;
  const hs = c.tape(`h${x}`), dgx = c.tape('dgx'), dgh = s.kind === 'GRU' ? c.tape('dgh') : dgx;
  const ldW = paddedWidth(GH), ldR = paddedWidth(P), nOff = (s.G - 1) * H * 4;
  // h_prev for the steps in time order: h[0 .. T-1] (forward) or h[1 .. T] (reverse)
  const hPrev = hs + (d === 0 ? 0 : B * P * 4);
  k.f32_gemm_tn_acc(c.grad(`weight_ih${x}`), ldW, layerInput(c, l), inW, dgx, GH, inW, GH, TB);
  if (s.rnnVariant) delayGrads(c, x, d);
  else if (s.kind === 'GRU' && !s.resetAfter) {
    k.f32_gemm_tn_acc(c.grad(`weight_hh${x}`), ldW, hPrev, P, dgh, GH, P, GH - H, TB);
    k.f32_gemm_tn_acc(c.grad(`weight_hh${x}`) + nOff, ldW, c.tape(`rh${x}`), H, dgh + nOff, GH, H, H, TB);
  } else k.f32_gemm_tn_acc(c.grad(`weight_hh${x}`), ldW, hPrev, P, dgh, GH, P, GH, TB);
  if (s.bias) {
    k.f32_colsum_acc(c.grad(`bias_ih${x}`), dgx, GH, TB, GH);
    k.f32_colsum_acc(c.grad(`bias_hh${x}`), dgh, GH, TB, GH);
  }
  if (s.projSize) k.f32_gemm_tn_acc(c.grad(`weight_hr${x}`), ldR, c.tape(`hpre${x}`), H, c.tape('dhtot'), P, H, P, TB);
  if (s.gateRecurrence) {
    const H3 = 3 * H, ldG = paddedWidth(H3), gw = c.grad(`weight_gg${x}`);
    const prevGates = c.tape(`ifo${x}`) + (d === 0 ? 0 : B * H3 * 4);
    k.f32_gemm_tn_acc(gw, ldG, prevGates, H3, dgx, GH, H3, 2 * H, TB);
    k.f32_gemm_tn_acc(gw + 2 * H * 4, ldG, prevGates, H3, dgx + 3 * H * 4, GH, H3, H, TB);
  }
  if (dIn) k.f32_gemm_nt_acc(dIn, inW, dgx, GH, c.param(`weight_ih${x}`), ldW, TB, inW, GH);
}

/**
 * BPTT of an RNN with leak, delays or the identity term. A state h(t) takes gradient from
 * several later steps (one per delay), so dL/dh is kept per state in `dhs` (indexed like h)
 * and each step adds into the states it read. On entry `dh` holds dL/dh_n; on return dL/dh0.
 */
function rnnVariantBackward(c: SeqContext, l: number, d: number, dOut: number): void {
  const { k, s, T, B, active } = c;
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, x = suffix(l, d), ldo = s.dirs * P, ldW = paddedWidth(GH);
  const gates = c.tape(`gates${x}`), hs = c.tape(`h${x}`), dgx = c.tape('dgx'), dhs = c.tape('dhs');
  const alpha = c.tape(`alpha${x}`), dalpha = s.trainTau ? c.tape('dalpha') : 0;
  const row = B * P * 4, last = d === 0 ? T : 0, first = d === 0 ? 0 : T;
  const delayW = s.delays.map((delay) => c.param(`${delayWeight(delay)}${x}`));
  k.f32_fill(dhs, 0, (T + 1) * B * P);
  k.f32_copy_rows(dhs + last * row, 0, c.tape('dh'), 0, 1, B * P);
  if (dalpha) k.f32_fill(dalpha, 0, H);
  for (let step = T - 1; step >= 0; step--) {
    const t = d === 0 ? step : T - 1 - step;
    const prev = d === 0 ? t : t + 1, next = d === 0 ? t + 1 : t;
    const nb = active[t], dnext = dhs + next * row, dprev = dhs + prev * row;
    const g = gates + t * B * GH * 4, dgxt = dgx + t * B * GH * 4;
    if (nb > 0) k.f32_add_rows(dnext, P, dOut + (t * B * ldo + d * P) * 4, ldo, nb, P);
    if (c.trace) c.trace.h[t] = Math.sqrt(k.f32_sumsq(dnext, B * P));
    if (nb > 0) {
      const a = s.tau ? g : hs + next * row;
      let dA = dnext;
      if (s.tau) {
        k.leaky_bwd(dgxt, dprev, dnext, dalpha, g, hs + prev * row, alpha, nb, H);
        dA = dgxt;
      }
      if (s.nonlinearity === 'tanh') k.f32_tanh_bwd(dgxt, a, dA, nb * H);
      else k.f32_relu_bwd(dgxt, a, dA, nb * H);
      if (s.identityRecurrence) k.f32_add(dprev, dprev, dgxt, nb * H);
      s.delays.forEach((delay, i) => k.f32_gemm_nt_acc(dhs + delaySlot(delay, t, d, T) * row, P, dgxt, GH, delayW[i], ldW, nb, P, GH));
    }
    // rows past their length copied their state through this step: pass its gradient back
    if (nb < B) k.f32_add_rows(dprev + nb * P * 4, P, dnext + nb * P * 4, P, B - nb, P);
  }
  k.f32_copy_rows(c.tape('dh'), 0, dhs + first * row, 0, 1, B * P);
  if (dalpha) {
    // alpha = 1 / max(tau, 1): dtau = -dalpha / tau^2 (the right derivative at tau = 1)
    const heap = new Float32Array(k.memory.buffer), tau = c.param(`tau${x}`) / 4, gt = c.grad(`tau${x}`) / 4;
    for (let j = 0; j < H; j++) if (heap[tau + j] >= 1) heap[gt + j] -= heap[dalpha / 4 + j] / (heap[tau + j] * heap[tau + j]);
  }
}

/** dW_d += h(t - d)^T dgx(t) for every delay, in contiguous runs of states. */
function delayGrads(c: SeqContext, x: string, d: number): void {
  const { k, s, T, B } = c;
  const P = s.hOut, GH = s.G * s.hiddenSize, ldW = paddedWidth(GH);
  const hs = c.tape(`h${x}`), dgx = c.tape('dgx'), row = B * P * 4, grow = B * GH * 4;
  for (const delay of s.delays) {
    const gw = c.grad(`${delayWeight(delay)}${x}`), run = T - delay + 1;
    // forward: steps delay-1 .. T-1 read states 0 .. T-delay; earlier steps read state 0.
    // reverse: steps 0 .. T-delay read states delay .. T; later steps read state T.
    if (run > 0) k.f32_gemm_tn_acc(gw, ldW, hs + (d === 0 ? 0 : delay * row), P, dgx + (d === 0 ? (delay - 1) * grow : 0), GH, P, GH, run * B);
    for (let t = d === 0 ? 0 : Math.max(run, 0); t < (d === 0 ? Math.min(delay - 1, T) : T); t++) {
      k.f32_gemm_tn_acc(gw, ldW, hs + (d === 0 ? 0 : T * row), P, dgx + t * grow, GH, P, GH, B);
    }
  }
}
