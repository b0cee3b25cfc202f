/**
 * The LSTM cell (torch.nn.LSTM, gates i, f, g, o) and its classic variants:
 *   c = f * c_prev + i * g,  h = o * tanh(c)            (projSize: h = (o * tanh(c)) W_hr)
 *   peepholes (Gers and Schmidhuber 2000): i and f see c_prev, o sees c, per unit;
 *   forgetGate: false (the 1997 LSTM, c = c_prev + i * g, gates i, g, o);
 *   coupled (f = 1 - i, gates i, g, o);  cellClip (ONNX clip on every gate's pre-activation);
 *   gateRecurrence (Greff et al. 2015 "FGR"): i, f, o also see the previous i, f, o through W_gg.
 *   activations: gateActivation for i, f, o (default sigmoid), cellActivation for g and
 *   hiddenActivation for c in h = o * act(c) (default tanh each): ONNX's LSTM `activations`.
 * The plain cell runs lstm_cell_*; any of peepholes, three gates or a clip runs lstmx_cell_*;
 * any activation other than the defaults runs lstma_cell_* (assembly), with the variants. The
 * tape keeps the post-activation gates and act(c) (tanh(c) by default): backward reads them.
 */
import { checkFlag, checkInt, checkNumber } from '../../checks.js';
import { RnnError } from '../../errors.js';
import { entry, f32Bytes, paddedWidth } from '../../layout.js';
import { SIGMOID, TANH, activationArgs, activationOption, parseActivation, type ActivationOption } from '../activations.js';
import type { RecurrentOptions } from '../spec.js';
import type { Cell, CellDims, CellFamily, CellFrame, CellSlot } from '../cell.js';
import { maskedRecurrence } from '../dropout.js';

/** Options of `new LSTM` beyond the common ones: projections and the LSTM variants. */
export interface LSTMOptions extends RecurrentOptions {
  /** Size of the projected hidden state (LSTM with projections); 0 = none. */
  projSize?: number;
  /**
   * Peephole connections (Gers and Schmidhuber 2000): i and f see c(t-1), o sees c(t), through
   * per-unit weights `weight_ch_l{k}` [3, H] rows i, f, o ([2, H] rows i, o without f).
   */
  peepholes?: boolean;
  /** false: the original 1997 LSTM without a forget gate (c = c_prev + i * g); gates i, g, o. */
  forgetGate?: boolean;
  /** Coupled input-forget gate, f = 1 - i (ONNX input_forget); gates i, g, o. */
  coupled?: boolean;
  /**
   * ONNX's LSTM `clip`, as onnxruntime computes it: every gate's pre-activation (peephole term
   * included) is clipped to [-cellClip, cellClip] before its activation; c and tanh(c) are not
   * clipped. 0 = off.
   */
  cellClip?: number;
  /** Initial bias of the forget gate (bias_ih's f block; bias_hh's f block is 0), as Jozefowicz et al. 2015 (1). */
  forgetBias?: number;
  /**
   * Full gate recurrence (Greff et al. 2015, "FGR"): the gates i, f, o also see the previous
   * step's i, f, o through `weight_gg_l{k}` [3H, 3H] (rows: the receiving gate i, f, o;
   * columns: the previous i, f, o; zeros before the first step). With the plain four gates
   * only (not with peepholes, cellClip, coupled or forgetGate: false).
   */
  gateRecurrence?: boolean;
  /**
   * The activation of the gates i, f, o (default 'sigmoid'; ONNX's f): 'sigmoid', 'tanh',
   * 'relu', 'hardSigmoid' (max(0, min(1, 0.2 x + 0.5)), as ONNX) or
   * { type: 'hardSigmoid', alpha, beta }. With every variant but gateRecurrence.
   */
  gateActivation?: ActivationOption;
  /** The activation of the candidate g (default 'tanh'; ONNX's g); the same values. */
  cellActivation?: ActivationOption;
  /** The activation of c in h = o * act(c) (default 'tanh'; ONNX's h); the same values. */
  hiddenActivation?: ActivationOption;
}

function make(o: Record<string, unknown>, dims: CellDims): Cell {
  const H = dims.hiddenSize, H3 = 3 * H;
  const projSize = o.projSize === undefined ? 0 : checkInt(o.projSize, 'new LSTM: projSize', 0);
  if (projSize >= H) throw new RnnError('BAD_ARGUMENT', `new LSTM: projSize must be smaller than hiddenSize (${H}), got ${projSize}`);
  const peepholes = checkFlag(o.peepholes, 'new LSTM: peepholes', false);
  const forgetGate = checkFlag(o.forgetGate, 'new LSTM: forgetGate', true);
  const coupled = checkFlag(o.coupled, 'new LSTM: coupled', false);
  if (coupled && !forgetGate) throw new RnnError('BAD_ARGUMENT', 'new LSTM: coupled (f = 1 - i) needs a forget gate; it cannot be combined with forgetGate: false');
  const cellClip = o.cellClip === undefined ? 0 : checkNumber(o.cellClip, 'new LSTM: cellClip', (x) => x >= 0, 'a number >= 0 (0 = off)');
  const forgetBias = o.forgetBias === undefined ? null : checkNumber(o.forgetBias, 'new LSTM: forgetBias', () => true, 'a finite number');
  if (forgetBias !== null && (!forgetGate || coupled)) throw new RnnError('BAD_ARGUMENT', 'new LSTM: forgetBias needs a forget gate of its own (not with forgetGate: false or coupled)');
  if (forgetBias !== null && o.init === 'chrono') throw new RnnError('BAD_ARGUMENT', "new LSTM: forgetBias and init 'chrono' both set the forget gate's bias; give one of them");
  const gateRecurrence = checkFlag(o.gateRecurrence, 'new LSTM: gateRecurrence', false);
  if (gateRecurrence && (peepholes || cellClip > 0 || coupled || !forgetGate)) {
    throw new RnnError('BAD_ARGUMENT', 'new LSTM: gateRecurrence runs on the plain i, f, g, o cell; it cannot be combined with peepholes, cellClip, coupled or forgetGate: false');
  }
  const gateAct = parseActivation(o.gateActivation, 'new LSTM: gateActivation', SIGMOID);
  const cellAct = parseActivation(o.cellActivation, 'new LSTM: cellActivation', TANH);
  const hiddenAct = parseActivation(o.hiddenActivation, 'new LSTM: hiddenActivation', TANH);
  const general = gateAct.name !== 'sigmoid' || cellAct.name !== 'tanh' || hiddenAct.name !== 'tanh'; // runs lstma_cell_*
  if (general && gateRecurrence) {
    throw new RnnError('BAD_ARGUMENT', 'new LSTM: gateRecurrence runs with the default activations (gateActivation sigmoid, cellActivation and hiddenActivation tanh)');
  }
  const acts = [...activationArgs(gateAct), ...activationArgs(cellAct), ...activationArgs(hiddenAct)] as const;
  const threeGate = !forgetGate || coupled;
  const gates = threeGate ? ['i', 'g', 'o'] : ['i', 'f', 'g', 'o'];
  const G = gates.length, GH = G * H, P = projSize || H;
  const variant = peepholes || threeGate || cellClip > 0; // runs lstmx_cell_*
  const mode = !forgetGate ? 1 : coupled ? 2 : 0; // lstmx_cell_* (assembly): i f g o, no forget gate, coupled
  const clip = cellClip > 0 ? cellClip : Infinity;
  const extraParams = [
    ...(peepholes ? [{ name: 'weight_ch', torchShape: [G === 4 ? 3 : 2, H], transposed: false }] : []),
    ...(gateRecurrence ? [{ name: 'weight_gg', torchShape: [H3, H3], transposed: true }] : []),
    ...(projSize ? [{ name: 'weight_hr', torchShape: [projSize, H], transposed: true }] : []),
  ];
  const activation = (g: string) => (g === 'g' ? cellAct : gateAct);

  return {
    gates, hOut: P, hasCell: true, historyGrad: false, hiddenGateGrad: false, recurrentDropout: true,
    recurrentWeights: ['weight_hh'], extraParams,
    // coupled: f = 1 - i, so i's bias -log(u) alone gives f = sigmoid(log u)
    chronoGates: !forgetGate ? undefined : coupled ? { i: -1 } : { f: 1, i: -1 },
    config() {
      const c: Record<string, unknown> = { projSize };
      if (variant) Object.assign(c, { peepholes, forgetGate, coupled, cellClip });
      if (gateRecurrence) c.gateRecurrence = true;
      if (gateAct.name !== 'sigmoid') c.gateActivation = activationOption(gateAct);
      if (cellAct.name !== 'tanh') c.cellActivation = activationOption(cellAct);
      if (hiddenAct.name !== 'tanh') c.hiddenActivation = activationOption(hiddenAct);
      return c;
    },
    slots: (): CellSlot[] => [
      { name: 'c', role: 'state', width: H, comment: 'cell states, indexed like h' },
      { name: 'tanhc', role: 'saved', width: H, comment: 'tanh(c) (hiddenActivation(c)), saved rather than recomputed in backward' },
      ...(projSize ? [{ name: 'hpre', role: 'saved', width: H, comment: 'o * tanh(c) before the projection, for dW_hr' } as const] : []),
      ...(gateRecurrence ? [{ name: 'ifo', role: 'state', width: H3, comment: 'the gates i, f, o of every step, contiguous, indexed like h (the initial entry zero): the input of W_gg' } as const] : []),
      { name: 'whh_panels', role: 'packed', width: P * GH, comment: 'weight_hh in column panels for the row-at-a-time product of small batches' },
    ],
    gradSlots: (): CellSlot[] => [
      { name: 'dc', role: 'step', width: H, comment: 'dL/dc of the current step' },
      ...(projSize ? [
        { name: 'dhtot', role: 'seq', width: P, comment: 'dL/dh per step, for dW_hr' } as const,
        { name: 'dhpre', role: 'step', width: H, comment: 'dL/d(o * tanh(c)) of the current step' } as const,
      ] : []),
      ...(gateRecurrence ? [
        { name: 'difo', role: 'step', width: H3, comment: 'dL/d[i, f, o] of the current step from the next step (through W_gg)' } as const,
        { name: 'difo_pre', role: 'step', width: H3, comment: 'that gradient through the sigmoid' } as const,
      ] : []),
    ],
    adjustInit(name, values) {
      if (forgetBias !== null && name.startsWith('bias')) values.fill(name === 'bias_ih' ? forgetBias : 0, H, 2 * H);
    },
    gateReports: () => gates.map((g, block) => ({ name: g, activation: activation(g), source: 'gates', block })),
    blockActivation: (block) => activation(gates[block]),

    bind(f: CellFrame) {
      const { k, B, T, direction: d } = f, TB = T * B;
      const ldW = paddedWidth(GH), ldR = paddedWidth(P), ldG = paddedWidth(H3);
      const gates = f.at('gates'), gRow = f.stride('gates'), hs = f.at('h'), hRow = f.stride('h');
      const cs = f.at('c'), cRow = f.stride('c'), tanhc = f.at('tanhc'), tRow = f.stride('tanhc');
      const hpre = f.at('hpre'), hpreRow = f.stride('hpre'), ifo = f.at('ifo'), ifoRow = f.stride('ifo');
      const dgx = f.at('dgx'), dgRow = f.stride('dgx'), dh = f.at('dh'), dc = f.at('dc');
      const dhtot = f.at('dhtot'), dhtotRow = f.stride('dhtot'), dhpre = f.at('dhpre');
      const difo = f.at('difo'), difoPre = f.at('difo_pre');
      const whh = f.param('weight_hh'), bhh = f.param('bias_hh'), whr = f.param('weight_hr');
      const peep = f.param('weight_ch'), dpeep = f.grad('weight_ch'), wgg = f.param('weight_gg');
      const panels = f.at('whh_panels'); // 0: the product reads weight_hh (a stream, B >= PANEL_BATCH)
      const drop = maskedRecurrence(f, P); // recurrentDropout: the product reads h(t-1) masked
      const o3 = f32Bytes(3 * H), o2 = f32Bytes(2 * H); // the o block of the gates; the o block of [i, f, o]
      return {
        pack() {
          if (panels) k.f32_pack_panels(panels, whh, ldW, P, GH);
        },
        forward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), hp = entry(hs, hRow, prev), hn = entry(hs, hRow, next);
          const cp = entry(cs, cRow, prev), cn = entry(cs, cRow, next), tc = entry(tanhc, tRow, t);
          const hcell = projSize ? entry(hpre, hpreRow, t) : hn, hr = drop ? drop.input(t, hp, nb) : hp;
          if (panels) k.f32_gemm_nn_panels(g, GH, hr, P, panels, bhh, nb, GH, P, 1);
          else k.f32_gemm_nn(g, GH, hr, P, whh, ldW, bhh, nb, GH, P, 1);
          if (gateRecurrence) {
            // i, f (columns 0..2H) and o (3H..4H) see the previous i, f, o through W_gg
            const prevGates = entry(ifo, ifoRow, prev);
            k.f32_gemm_nn(g, GH, prevGates, H3, wgg, ldG, 0, nb, 2 * H, H3, 1);
            k.f32_gemm_nn(g + o3, GH, prevGates, H3, wgg + o2, ldG, 0, nb, H, H3, 1);
          }
          if (general) k.lstma_cell_fwd(g, cp, cn, tc, hcell, peep, nb, H, mode, clip, ...acts);
          else if (variant) k.lstmx_cell_fwd(g, cp, cn, tc, hcell, peep, nb, H, mode, clip);
          else k.lstm_cell_fwd(g, cp, cn, tc, hcell, nb, H);
          if (projSize) k.f32_gemm_nn(hn, P, hcell, H, whr, ldR, 0, nb, P, H, 0);
          if (gateRecurrence) {
            const gatesNow = entry(ifo, ifoRow, next);
            k.f32_copy_rows(gatesNow, H3, g, GH, nb, 2 * H);
            k.f32_copy_rows(gatesNow + o2, H3, g + o3, GH, nb, H);
          }
        },
        beginBackward() {
          if (projSize) k.f32_fill(dhtot, 0, TB * P);
          if (gateRecurrence) k.f32_fill(difo, 0, B * H3);
        },
        backward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), dgxt = entry(dgx, dgRow, t), tc = entry(tanhc, tRow, t);
          let dcell = dh;
          if (projSize) {
            k.f32_copy_rows(entry(dhtot, dhtotRow, t), P, dh, P, nb, P);
            k.f32_fill(dhpre, 0, nb * H);
            k.f32_gemm_nt_acc(dhpre, H, dh, P, whr, ldR, nb, H, P);
            dcell = dhpre;
          }
          if (general) {
            k.lstma_cell_bwd(dgxt, dc, dcell, g, entry(cs, cRow, prev), entry(cs, cRow, next), tc, peep, dpeep, nb, H, mode, clip, ...acts);
          } else if (variant) {
            k.lstmx_cell_bwd(dgxt, dc, dcell, g, entry(cs, cRow, prev), entry(cs, cRow, next), tc, peep, dpeep, nb, H, mode, clip);
          } else k.lstm_cell_bwd(dgxt, dc, dcell, g, entry(cs, cRow, prev), tc, nb, H);
          k.f32_fill(dh, 0, nb * P);
          if (gateRecurrence) {
            // the next step's gates saw these i, f, o: add that gradient through the sigmoid,
            // then pass the total on to the previous step's i, f, o through W_gg
            k.f32_sigmoid_bwd(difoPre, entry(ifo, ifoRow, next), difo, nb * H3);
            k.f32_add_rows(dgxt, GH, difoPre, H3, nb, 2 * H);
            k.f32_add_rows(dgxt + o3, GH, difoPre + o2, H3, nb, H);
            k.f32_fill(difo, 0, nb * H3);
            k.f32_gemm_nt_acc(difo, H3, dgxt, GH, wgg, ldG, nb, H3, 2 * H);
            k.f32_gemm_nt_acc(difo, H3, dgxt + o3, GH, wgg + o2, ldG, nb, H3, H);
          }
          k.f32_gemm_nt_acc(dh, P, dgxt, GH, whh, ldW, nb, P, GH);
          drop?.grad(dh, nb);
        },
        weightGrads() {
          // the states each step read: h[0 .. T-1] (forward) or h[1 .. T] (reverse), or their masked copies
          k.f32_gemm_tn_acc(f.grad('weight_hh'), ldW, drop ? drop.states : entry(hs, hRow, d), P, dgx, GH, P, GH, TB);
          if (projSize) k.f32_gemm_tn_acc(f.grad('weight_hr'), ldR, hpre, H, dhtot, P, H, P, TB);
          if (gateRecurrence) {
            const gw = f.grad('weight_gg'), prevGates = entry(ifo, ifoRow, d);
            k.f32_gemm_tn_acc(gw, ldG, prevGates, H3, dgx, GH, H3, 2 * H, TB);
            k.f32_gemm_tn_acc(gw + o2, ldG, prevGates, H3, dgx + o3, GH, H3, H, TB);
          }
        },
      };
    },
  };
}

export const lstmCell: CellFamily = {
  options: ['projSize', 'peepholes', 'forgetGate', 'coupled', 'cellClip', 'forgetBias', 'gateRecurrence', 'gateActivation', 'cellActivation', 'hiddenActivation'],
  make,
};
