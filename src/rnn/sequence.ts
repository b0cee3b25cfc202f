/**
 * The time loop of a recurrent layer: forward and BPTT backward of one (layer, direction)
 * over a whole sequence, for any cell (cell.ts). The loop owns what every cell shares: the
 * input projection, the order of steps, variable lengths, the layer output, the initial and
 * final states, and the input-side gradients; the cell does the step.
 *
 * Per step the only work is the cell's recurrent product and fused kernel; the input
 * projection for all steps is one GEMM before the loop, and the input-side weight gradients
 * are GEMMs after the reverse loop (docs/ARCHITECTURE.md).
 *
 * Variable lengths: rows are sorted longest first (rows.ts), `active[t]` rows run at step t,
 * the others keep their states (a block copy) and get zero output. The reverse direction walks
 * t = T-1 .. 0, so a row's reverse pass starts at its own last step from the initial state.
 *
 * State indexing (h and the cell's state slots, T+1 entries): forward reads entry t and writes
 * t+1; reverse reads t+1 and writes t. The initial state is entry 0 (forward) or T (reverse).
 */
import type { Kernels } from '../kernels.js';
import { entry, f32Bytes, paddedWidth, type Layout } from '../layout.js';
import type { CellFrame } from './cell.js';
import { suffix, type Spec } from './spec.js';

export interface SeqContext {
  readonly k: Kernels;
  readonly s: Spec;
  readonly T: number;
  readonly B: number;
  /** Rows still running at step t (a prefix of the sorted rows). */
  readonly active: Int32Array;
  /** The tape's layout (tape.ts) and the byte address it is placed at. */
  readonly layout: Layout;
  readonly base: number;
  /** Byte address of a parameter by its full name (0 when the layer has no such parameter, as biases). */
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

/** The tape as one (layer, direction)'s cell sees it: its own slots first, then shared ones. */
export function tapeFrame(c: SeqContext, l: number, d: number): CellFrame {
  const x = suffix(l, d), slots = c.layout.slots;
  const slot = (name: string) => slots.get(`${name}${x}`) ?? slots.get(name);
  return {
    k: c.k, B: c.B, T: c.T, direction: c.s.timeOrder(d),
    at: (name) => { const s = slot(name); return s ? c.base + s.offset : 0; },
    stride: (name) => slot(name)?.stride ?? 0,
    param: (name) => c.param(`${name}${x}`),
    grad: (name) => c.grad(`${name}${x}`),
  };
}

/** The input of layer l: the layer input x or the previous layer's output (times the inputDropout mask in training, dropout.ts). */
function layerInput(f: CellFrame, l: number): number {
  return f.at(`xin_l${l}`) || f.at(l === 0 ? 'x' : `out_l${l - 1}`);
}

/**
 * Zoneout of one (layer, direction) (dropout.ts), on h and, with a cell state, c. Training
 * (masks in the tape): state(t) = m state(t-1) + (1 - m) new, with the cell's new state saved
 * for backward; inference: p state(t-1) + (1 - p) new. The masks are 0 or 1, so the training
 * mix selects a value exactly.
 */
function zoneout(c: SeqContext, f: CellFrame) {
  const { k, s } = c, p = s.reg.zoneout, P = s.hOut, H = s.hiddenSize, tmp = f.at('ztmp');
  const parts = [{ name: 'h', width: P, scratch: tmp, carry: f.at('zcarry_h'), grad: f.at('dh') }];
  if (s.hasCell) parts.push({ name: 'c', width: H, scratch: tmp + f32Bytes(c.B * P), carry: f.at('zcarry_c'), grad: f.at('dc') });
  const slots = parts.map((q) => ({
    ...q, at: f.at(q.name), row: f.stride(q.name), mask: f.at(`zmask_${q.name}`), keep: f.at(`zkeep_${q.name}`), raw: f.at(`zraw_${q.name}`), seqRow: f.stride(`zmask_${q.name}`),
  }));
  return {
    forward(t: number, prev: number, next: number, nb: number): void {
      for (const z of slots) {
        const n = nb * z.width, sp = entry(z.at, z.row, prev), sn = entry(z.at, z.row, next);
        if (!z.mask) {
          k.f32_scale(z.scratch, sp, p, n);
          k.f32_scale(sn, sn, 1 - p, n);
        } else {
          k.f32_copy_rows(entry(z.raw, z.seqRow, t), 0, sn, 0, 1, n);
          k.f32_mul(sn, entry(z.keep, z.seqRow, t), sn, n);
          k.f32_mul(z.scratch, entry(z.mask, z.seqRow, t), sp, n);
        }
        k.f32_add(sn, sn, z.scratch, n);
      }
    },
    /** Before the cell's backward: dL/dstate(t) splits into m (to state(t-1)) and 1 - m (to the cell); the cell's new state goes back in place. */
    split(t: number, next: number, nb: number): void {
      for (const z of slots) {
        const n = nb * z.width, sn = entry(z.at, z.row, next);
        k.f32_mul(z.carry, entry(z.mask, z.seqRow, t), z.grad, n);
        k.f32_mul(z.grad, entry(z.keep, z.seqRow, t), z.grad, n);
        k.f32_copy_rows(z.scratch, 0, sn, 0, 1, n);
        k.f32_copy_rows(sn, 0, entry(z.raw, z.seqRow, t), 0, 1, n);
      }
    },
    /** After it: the zoned states back (the weight gradients read them), the direct part added. */
    join(next: number, nb: number): void {
      for (const z of slots) {
        const n = nb * z.width;
        k.f32_copy_rows(entry(z.at, z.row, next), 0, z.scratch, 0, 1, n);
        k.f32_add(z.grad, z.grad, z.carry, n);
      }
    },
  };
}

/** The state slots of a frame, h first: address, stride and width of each. */
function stateSlots(c: SeqContext, f: CellFrame) {
  const cells = c.s.cell.slots().filter((s) => s.role === 'state');
  return [{ name: 'h', width: c.s.hOut }, ...cells].map((s) => ({ name: s.name, at: f.at(s.name), stride: f.stride(s.name), width: s.width }));
}

export function forwardDirection(c: SeqContext, l: number, d: number): void {
  const { k, s, T, B, active } = c;
  const f = tapeFrame(c, l, d), cell = s.cell.bind(f);
  const P = s.hOut, GH = s.G * s.hiddenSize, inW = s.inWidth(l);
  const hs = f.at('h'), hRow = f.stride('h');
  const out = f.at(`out_l${l}`), outRow = f.stride(`out_l${l}`), ldo = s.dirs * P, outCol = f32Bytes(d * P);
  const states = stateSlots(c, f), back = s.timeOrder(d) === 1;
  const zone = s.reg.zoneout > 0 ? zoneout(c, f) : null;
  cell.prepare?.();
  cell.pack?.();
  // h and c start from the caller's state (layer.ts); the cell's other states from zero
  for (const st of states) if (st.name !== 'h' && st.name !== 'c') k.f32_fill(entry(st.at, st.stride, back ? T : 0), 0, B * st.width);
  // recurrentDropout's masked inputs (dropout.ts): rows past their length stay zero for dW_hh
  if (f.at('hdrop')) k.f32_fill(f.at('hdrop'), 0, T * B * P);

  k.f32_gemm_nn(f.at('gates'), GH, layerInput(f, l), inW, f.param('weight_ih'), paddedWidth(GH), f.param('bias_ih'), T * B, GH, inW, 0);
  for (let step = 0; step < T; step++) {
    const t = back ? T - 1 - step : step;
    const prev = back ? t + 1 : t, next = back ? t : t + 1;
    const nb = active[t];
    if (nb > 0) {
      cell.forward(t, prev, next, nb);
      zone?.forward(t, prev, next, nb);
      k.f32_copy_rows(entry(out, outRow, t) + outCol, ldo, entry(hs, hRow, next), P, nb, P);
    }
    if (nb < B) {
      // rows past their length keep their states
      for (const st of states) {
        const skip = f32Bytes(nb * st.width);
        k.f32_copy_rows(entry(st.at, st.stride, next) + skip, 0, entry(st.at, st.stride, prev) + skip, 0, 1, (B - nb) * st.width);
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
  const { k, s, T, B, active, trace } = c;
  const f = tapeFrame(c, l, d), cell = s.cell.bind(f);
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, inW = s.inWidth(l), TB = T * B;
  const ldo = s.dirs * P, outRow = f32Bytes(B * ldo), outCol = f32Bytes(d * P);
  const dgx = f.at('dgx'), dgh = f.at('dgh') || dgx, dh = f.at('dh'), dc = f.at('dc');
  const dhs = f.at('dhs'), row = f.stride('dhs'), history = s.cell.historyGrad, back = s.timeOrder(d) === 1;
  const zone = f.at('zmask_h') ? zoneout(c, f) : null;

  // Rows past their length contribute nothing to the weight gradients.
  k.f32_fill(dgx, 0, TB * GH);
  if (dgh !== dgx) k.f32_fill(dgh, 0, TB * GH);
  cell.beginBackward?.();
  if (history) {
    // dL/dh kept per state: the final state's gradient goes in at its entry
    k.f32_fill(dhs, 0, (T + 1) * B * P);
    k.f32_copy_rows(entry(dhs, row, back ? 0 : T), 0, dh, 0, 1, B * P);
  }
  for (let step = T - 1; step >= 0; step--) {
    const t = back ? T - 1 - step : step;
    const prev = back ? t + 1 : t, next = back ? t : t + 1;
    const nb = active[t], dOutT = entry(dOut, outRow, t) + outCol;
    if (history) {
      const dnext = entry(dhs, row, next), dprev = entry(dhs, row, prev);
      if (nb > 0) k.f32_add_rows(dnext, P, dOutT, ldo, nb, P);
      if (trace) trace.h[t] = Math.sqrt(k.f32_sumsq(dnext, B * P));
      if (nb > 0) cell.backward(t, prev, next, nb);
      // rows past their length copied their state through this step: pass its gradient back
      if (nb < B) k.f32_add_rows(dprev + f32Bytes(nb * P), P, dnext + f32Bytes(nb * P), P, B - nb, P);
      continue;
    }
    // the output's gradient at padded steps is ignored: only the nb running rows take it;
    // with nb = 0, dh and dc pass through unchanged
    if (nb > 0) k.f32_add_rows(dh, P, dOutT, ldo, nb, P);
    if (trace) {
      trace.h[t] = Math.sqrt(k.f32_sumsq(dh, B * P));
      if (trace.c) trace.c[t] = Math.sqrt(k.f32_sumsq(dc, B * H));
    }
    if (nb === 0) continue;
    zone?.split(t, next, nb);
    cell.backward(t, prev, next, nb);
    zone?.join(next, nb);
  }
  if (history) k.f32_copy_rows(dh, 0, entry(dhs, row, back ? T : 0), 0, 1, B * P);

  const wih = f.param('weight_ih'), ldW = paddedWidth(GH);
  k.f32_gemm_tn_acc(f.grad('weight_ih'), ldW, layerInput(f, l), inW, dgx, GH, inW, GH, TB);
  cell.weightGrads();
  if (s.bias) {
    k.f32_colsum_acc(f.grad('bias_ih'), dgx, GH, TB, GH);
    k.f32_colsum_acc(f.grad('bias_hh'), dgh, GH, TB, GH);
  }
  if (dIn) k.f32_gemm_nt_acc(dIn, inW, dgx, GH, wih, ldW, TB, inW, GH);
}
