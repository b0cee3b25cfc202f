/**
 * The working memory of one recurrent layer for one (T, B): inputs, outputs, the BPTT tape,
 * and (for training) backward's scratch. The time loop's own slots are named here; each
 * cell adds its slots (cell.ts: 'state' entries indexed like h, 'saved' entries per step,
 * 'unit' constants, 'scratch' and gradient slots), each with what it holds and why.
 *
 * Rows are kept in "sorted" order: batch rows sorted by length, longest first, so that at any
 * step the rows still running are a prefix and the kernels run on that prefix only.
 *
 * Size in floats (H hidden, P = hOut, GH = gates * H, W = max(inputSize, dirs * P)):
 *   T*B*inputSize + per layer T*B*dirs*P
 *   + per layer and direction: T*B*GH + (T+1)*B*P + the cell's slots (with B < PANEL_BATCH
 *     (cell.ts) its 'packed' copies of the recurrent weights, P*GH)
 *   + training: T*B*GH (twice with a hidden-side gate gradient) + B*P + 2*T*B*W
 *     (+ (T+1)*B*P when dL/dh is kept per state) + the cell's gradient slots
 * each slot rounded up to 64 bytes. The cells' slots:
 *   LSTM: c (T+1)*B*H, tanhc T*B*H, with projection hpre T*B*H, with gate recurrence ifo (T+1)*B*3H,
 *         with B < PANEL_BATCH whh_panels P*GH;
 *         training dc B*H, with projection dhtot T*B*P + dhpre B*H, with gate recurrence 2*B*3H
 *   GRU: ghn (reset after) or rh (reset before) T*B*H, gh B*GH, with B < PANEL_BATCH whh_panels H*GH;
 *        training: drh B*H (reset before)
 *   CEC: c (T+1)*B*H; training dc, dtmp B*H      RNN: with tau alpha H; training with trainTau dalpha H
 * The regularisation's slots (masks, masked inputs, zoneout's) are listed in dropout.ts.
 */
import type { Slot } from '../layout.js';
import { PANEL_BATCH, type CellSlot } from './cell.js';
import { regularisationSlots } from './dropout.js';
import { suffix, type Spec } from './spec.js';

/** The shape of a cell slot in the tape: T+1 entries for a state, T for a saved or 'seq' one. */
function tapeShape(c: CellSlot, T: number, B: number): number[] {
  switch (c.role) {
    case 'state': return [T + 1, B, c.width];
    case 'saved': case 'seq': return [T, B, c.width];
    case 'unit': case 'packed': return [c.width];
    default: return [B, c.width];
  }
}

export function tapeSlots(s: Spec, T: number, B: number, train: boolean): Slot[] {
  const P = s.hOut, GH = s.G * s.hiddenSize, cell = s.cell, own = cell.slots();
  const slots: Slot[] = [{ name: 'x', shape: [T, B, s.inputSize], comment: 'the input, time-major, rows in sorted order' }];
  for (let l = 0; l < s.numLayers; l++) {
    slots.push({ name: `out_l${l}`, shape: [T, B, s.dirs * P], comment: "layer output: the next layer's input, kept for dW_ih; zero at padded steps" });
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d);
      slots.push({ name: `gates${x}`, shape: [T, B, GH], comment: 'x W_ih + b_ih for all steps, then the post-activation gates (saved: backward reads them)' });
      slots.push({ name: `h${x}`, shape: [T + 1, B, P], comment: 'states in time order; index 0 (forward) or T (reverse) holds the initial state, so h_prev always exists' });
      for (const c of own) if (c.role !== 'scratch' && (c.role !== 'packed' || B < PANEL_BATCH)) slots.push({ name: `${c.name}${x}`, shape: tapeShape(c, T, B), comment: c.comment });
    }
  }
  for (const c of own) if (c.role === 'scratch') slots.push({ name: c.name, shape: tapeShape(c, T, B), comment: c.comment });
  slots.push(...regularisationSlots(s, T, B, train));
  if (train) {
    const W = Math.max(s.inputSize, s.dirs * P);
    slots.push({ name: 'dgx', shape: [T, B, GH], comment: 'pre-activation gate gradients (input side); zero for rows past their length' });
    if (cell.hiddenGateGrad) slots.push({ name: 'dgh', shape: [T, B, GH], comment: 'gradients of h W_hh + b_hh (differ from dgx in the n gate)' });
    slots.push({ name: 'dh', shape: [B, P], comment: 'dL/dh of the current step' });
    if (cell.historyGrad) slots.push({ name: 'dhs', shape: [T + 1, B, P], comment: 'dL/dh per state, indexed like h: a state gets gradient from several later steps' });
    for (const c of cell.gradSlots()) slots.push({ name: c.name, shape: tapeShape(c, T, B), comment: c.comment });
    slots.push({ name: 'dbuf0', shape: [T, B, W], comment: "gradient of a layer's output / input, alternating" });
    slots.push({ name: 'dbuf1', shape: [T, B, W], comment: "gradient of a layer's output / input, alternating" });
  }
  return slots;
}
