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
import type { Layout } from '../layout.js';
import { paddedWidth, suffix, type Spec } from './spec.js';

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
  const wih = c.param(`weight_ih${x}`), whh = c.param(`weight_hh${x}`), whr = c.param(`weight_hr${x}`);
  const bih = c.param(`bias_ih${x}`), bhh = c.param(`bias_hh${x}`);
  const out = c.tape(`out_l${l}`), ldo = s.dirs * P;
  const ldW = paddedWidth(GH), ldR = paddedWidth(P); // row lengths of W_ih, W_hh and of W_hr

  k.f32_gemm_nn(gates, GH, layerInput(c, l), inW, wih, ldW, bih, T * B, GH, inW, 0);
  for (let step = 0; step < T; step++) {
    const t = d === 0 ? step : T - 1 - step;
    const prev = d === 0 ? t : t + 1, next = d === 0 ? t + 1 : t;
    const nb = active[t];
    const hp = hs + prev * B * P * 4, hn = hs + next * B * P * 4;
    const g = gates + t * B * GH * 4;
    if (nb > 0) {
      if (s.kind === 'GRU') {
        k.f32_gemm_nn(gh, GH, hp, P, whh, ldW, bhh, nb, GH, P, 0);
        k.gru_cell_fwd(g, gh, ghn + t * B * H * 4, hp, hn, nb, H);
      } else {
        k.f32_gemm_nn(g, GH, hp, P, whh, ldW, bhh, nb, GH, P, 1);
        if (s.kind === 'LSTM') {
          const cp = cs + prev * B * H * 4, cn = cs + next * B * H * 4;
          const hcell = s.projSize ? hpre + t * B * H * 4 : hn;
          k.lstm_cell_fwd(g, cp, cn, tanhc + t * B * H * 4, hcell, nb, H);
          if (s.projSize) k.f32_gemm_nn(hn, P, hcell, H, whr, ldR, 0, nb, P, H, 0);
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
      if (s.kind === 'LSTM') {
        k.f32_copy_rows(cs + (next * B + nb) * H * 4, 0, cs + (prev * B + nb) * H * 4, 0, 1, (B - nb) * H);
      }
    }
  }
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
  const ldo = s.dirs * P, ldW = paddedWidth(GH), ldR = paddedWidth(P);

  // Rows past their length contribute nothing to the weight gradients.
  k.f32_fill(dgx, 0, T * B * GH);
  if (dgh !== dgx) k.f32_fill(dgh, 0, T * B * GH);
  if (s.projSize) k.f32_fill(dhtot, 0, T * B * P);

  for (let step = T - 1; step >= 0; step--) {
    const t = d === 0 ? step : T - 1 - step;
    const nb = active[t];
    if (nb === 0) continue; // dh and dc pass through unchanged
    const prev = d === 0 ? t : t + 1, next = d === 0 ? t + 1 : t;
    const hp = hs + prev * B * P * 4, hn = hs + next * B * P * 4;
    const g = gates + t * B * GH * 4, dgxt = dgx + t * B * GH * 4, dght = dgh + t * B * GH * 4;
    // the output's gradient at padded steps is ignored: only the nb running rows take it
    k.f32_add_rows(dh, P, dOut + (t * B * ldo + d * P) * 4, ldo, nb, P);
    if (s.kind === 'LSTM') {
      let dcell = dh;
      if (s.projSize) {
        k.f32_copy_rows(dhtot + t * B * P * 4, P, dh, P, nb, P);
        k.f32_fill(dhpre, 0, nb * H);
        k.f32_gemm_nt_acc(dhpre, H, dh, P, whr, ldR, nb, H, P);
        dcell = dhpre;
      }
      k.lstm_cell_bwd(dgxt, dc, dcell, g, cs + prev * B * H * 4, tanhc + t * B * H * 4, nb, H);
      k.f32_fill(dh, 0, nb * P);
    } else if (s.kind === 'GRU') {
      k.gru_cell_bwd(dgxt, dght, dh, g, ghn + t * B * H * 4, hp, nb, H);
    } else {
      if (s.nonlinearity === 'tanh') k.f32_tanh_bwd(dgxt, hn, dh, nb * H);
      else k.f32_relu_bwd(dgxt, hn, dh, nb * H);
      k.f32_fill(dh, 0, nb * P);
    }
    k.f32_gemm_nt_acc(dh, P, dght, GH, whh, ldW, nb, P, GH);
  }

  const TB = T * B;
  // h_prev for the steps in time order: h[0 .. T-1] (forward) or h[1 .. T] (reverse)
  const hPrev = hs + (d === 0 ? 0 : B * P * 4);
  k.f32_gemm_tn_acc(c.grad(`weight_ih${x}`), ldW, layerInput(c, l), inW, dgx, GH, inW, GH, TB);
  k.f32_gemm_tn_acc(c.grad(`weight_hh${x}`), ldW, hPrev, P, dgh, GH, P, GH, TB);
  if (s.bias) {
    k.f32_colsum_acc(c.grad(`bias_ih${x}`), dgx, GH, TB, GH);
    k.f32_colsum_acc(c.grad(`bias_hh${x}`), dgh, GH, TB, GH);
  }
  if (s.projSize) k.f32_gemm_tn_acc(c.grad(`weight_hr${x}`), ldR, hpre, H, dhtot, P, H, P, TB);
  if (dIn) k.f32_gemm_nt_acc(dIn, inW, dgx, GH, wih, ldW, TB, inW, GH);
}
