/**
 * The working memory of one recurrent layer for one (T, B): inputs, outputs, the BPTT tape,
 * and (for training) backward's scratch. Every slot is named here with what it holds and
 * whether it is saved or recomputed; sequence.ts takes every pointer from this table.
 *
 * Rows are kept in "sorted" order: batch rows sorted by length, longest first, so that at any
 * step the rows still running are a prefix and the kernels run on that prefix only.
 *
 * Size in floats (H hidden, P = projSize or H, GH = gates * H, W = max(inputSize, dirs * P)):
 *   T*B*inputSize + sum over layers of T*B*dirs*P
 *   + per layer and direction: T*B*GH + (T+1)*B*P
 *       LSTM: + (T+1)*B*H + T*B*H (+ T*B*H with projection)      GRU: + T*B*H
 *       CEC: + (T+1)*B*H          RNN with tau: + H
 *   + GRU: B*GH
 *   + training only: T*B*GH (GRU: twice) + B*P + 2*T*B*W
 *       LSTM: + B*H (+ T*B*P + B*H with projection)      CEC: + 2*B*H
 *       GRU with resetAfter false or minimal: + B*H
 *       RNN with tau, delays or identityRecurrence: + (T+1)*B*P (+ H with trainTau)
 *       LSTM with gateRecurrence: + (T+1)*B*3H per layer and direction, + 2*B*3H
 * each slot rounded up to 64 bytes.
 */
import type { Slot } from '../layout.js';
import { suffix, type Spec } from './spec.js';

export function tapeSlots(s: Spec, T: number, B: number, train: boolean): Slot[] {
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H;
  const resetBefore = s.kind === 'GRU' && !s.resetAfter;
  const slots: Slot[] = [{ name: 'x', shape: [T, B, s.inputSize], comment: 'the input, time-major, rows in sorted order' }];
  for (let l = 0; l < s.numLayers; l++) {
    slots.push({ name: `out_l${l}`, shape: [T, B, s.dirs * P], comment: "layer output: the next layer's input, kept for dW_ih; zero at padded steps" });
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d);
      slots.push({ name: `gates${x}`, shape: [T, B, GH], comment: 'x W_ih + b_ih for all steps, then the post-activation gates (saved: backward reads them)' });
      slots.push({ name: `h${x}`, shape: [T + 1, B, P], comment: 'states in time order; index 0 (forward) or T (reverse) holds the initial state, so h_prev always exists' });
      if (s.hasCell) slots.push({ name: `c${x}`, shape: [T + 1, B, H], comment: 'cell states, indexed like h' });
      if (s.kind === 'LSTM') {
        slots.push({ name: `tanhc${x}`, shape: [T, B, H], comment: 'tanh(c), saved rather than recomputed in backward' });
        if (s.projSize) slots.push({ name: `hpre${x}`, shape: [T, B, H], comment: 'o * tanh(c) before the projection, for dW_hr' });
      }
      if (s.kind === 'GRU' && s.resetAfter) slots.push({ name: `ghn${x}`, shape: [T, B, H], comment: 'h_prev W_hn + b_hn, for the gradient of r' });
      if (resetBefore) slots.push({ name: `rh${x}`, shape: [T, B, H], comment: 'r * h_prev (f * h_prev, minimal unit): the input of W_hn, for dW_hn; zero for rows past their length' });
      if (s.tau) slots.push({ name: `alpha${x}`, shape: [H], comment: '1 / max(tau, 1), set at the start of each forward' });
      if (s.gateRecurrence) slots.push({ name: `ifo${x}`, shape: [T + 1, B, 3 * H], comment: 'the gates i, f, o of every step, contiguous, indexed like h (the initial entry zero): the input of W_gg' });
    }
  }
  if (s.kind === 'GRU') slots.push({ name: 'gh', shape: [B, GH], comment: 'h_prev W_hh + b_hh of the current step' });
  if (train) {
    const W = Math.max(s.inputSize, s.dirs * P);
    slots.push({ name: 'dgx', shape: [T, B, GH], comment: 'pre-activation gate gradients (input side); zero for rows past their length' });
    if (s.kind === 'GRU') slots.push({ name: 'dgh', shape: [T, B, GH], comment: 'gradients of h W_hh + b_hh (differ from dgx in the n gate)' });
    slots.push({ name: 'dh', shape: [B, P], comment: 'dL/dh of the current step' });
    if (s.hasCell) slots.push({ name: 'dc', shape: [B, H], comment: 'dL/dc of the current step' });
    if (s.projSize) {
      slots.push({ name: 'dhtot', shape: [T, B, P], comment: 'dL/dh per step, for dW_hr' });
      slots.push({ name: 'dhpre', shape: [B, H], comment: 'dL/d(o * tanh(c)) of the current step' });
    }
    if (resetBefore) slots.push({ name: 'drh', shape: [B, H], comment: 'dL/d(r * h_prev) of the current step' });
    if (s.kind === 'CEC') slots.push({ name: 'dtmp', shape: [B, H], comment: "dL/dh (1 - h^2): h's share of dL/dc" });
    if (s.rnnVariant) slots.push({ name: 'dhs', shape: [T + 1, B, P], comment: 'dL/dh per state, indexed like h: with delays a state gets gradient from several later steps' });
    if (s.trainTau) slots.push({ name: 'dalpha', shape: [H], comment: 'dL/dalpha of the current direction' });
    if (s.gateRecurrence) {
      slots.push({ name: 'difo', shape: [B, 3 * H], comment: 'dL/d[i, f, o] of the current step from the next step (through W_gg)' });
      slots.push({ name: 'difo_pre', shape: [B, 3 * H], comment: 'that gradient through the sigmoid' });
    }
    slots.push({ name: 'dbuf0', shape: [T, B, W], comment: "gradient of a layer's output / input, alternating" });
    slots.push({ name: 'dbuf1', shape: [T, B, W], comment: "gradient of a layer's output / input, alternating" });
  }
  return slots;
}
