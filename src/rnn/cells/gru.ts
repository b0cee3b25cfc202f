/**
 * The GRU cell (torch.nn.GRU, gates r, z, n) and its variants:
 *   r, z = sigmoid(x W + b + h_prev W_h + b_h),  h = (1 - z) n + z h_prev;
 *   resetAfter (default, PyTorch):  n = tanh(x W_in + b_in + r * (h_prev W_hn + b_hn));
 *   resetAfter: false (Cho et al. 2014, ONNX linear_before_reset = 0):
 *                                   n = tanh(x W_in + b_in + (r * h_prev) W_hn + b_hn);
 *   minimal (the minimal gated unit, Zhou et al. 2016): one gate f, reset and update both f,
 *   n = tanh(x W_in + b_in + (f * h_prev) W_hn + b_hn), h = (1 - f) h_prev + f n.
 *   activations: gateActivation for r, z (f) (default sigmoid), cellActivation for n (default
 *   tanh): ONNX's GRU `activations`; any other than the defaults runs gruact_* (assembly).
 * The hidden product is kept apart from the input one (`gh`), so the hidden-side gate
 * gradient `dgh` differs from the input side's in the n block. Reset-before runs in two
 * parts around the (r * h_prev) W_hn product (gru_rb_* in assembly).
 */
import { checkFlag } from '../../checks.js';
import { RnnError } from '../../errors.js';
import { entry, f32Bytes, paddedWidth } from '../../layout.js';
import { SIGMOID, TANH, activationArgs, activationOption, parseActivation, type ActivationOption } from '../activations.js';
import type { RecurrentOptions } from '../spec.js';
import type { Cell, CellDims, CellFamily, CellFrame, CellSlot } from '../cell.js';
import { maskedRecurrence } from '../dropout.js';

/** Options of `new GRU` beyond the common ones: the GRU variants. */
export interface GRUOptions extends RecurrentOptions {
  /**
   * true (default): PyTorch's GRU, reset applied after the hidden product (r * (h W_hn + b_hn)).
   * false: Cho et al. 2014 / ONNX linear_before_reset = 0, n = tanh(x W_in + b_in + (r * h) W_hn + b_hn).
   */
  resetAfter?: boolean;
  /**
   * The minimal gated unit (Zhou et al. 2016): one gate f, n = tanh(x W_in + b_in + (f * h) W_hn + b_hn),
   * h = (1 - f) h + f n; gates f, n.
   */
  minimal?: boolean;
  /**
   * The activation of the gates r and z (f of the minimal unit) (default 'sigmoid'; ONNX's f):
   * 'sigmoid', 'tanh', 'relu', 'hardSigmoid' (max(0, min(1, 0.2 x + 0.5)), as ONNX) or
   * { type: 'hardSigmoid', alpha, beta }.
   */
  gateActivation?: ActivationOption;
  /** The activation of the candidate n (default 'tanh'; ONNX's g); the same values. */
  cellActivation?: ActivationOption;
}

function make(o: Record<string, unknown>, dims: CellDims): Cell {
  const H = dims.hiddenSize, P = H;
  const minimal = checkFlag(o.minimal, 'new GRU: minimal', false);
  if (minimal && o.resetAfter === true) throw new RnnError('BAD_ARGUMENT', 'new GRU: the minimal gated unit applies its gate before the hidden product; it cannot be combined with resetAfter: true');
  const resetAfter = checkFlag(o.resetAfter, 'new GRU: resetAfter', true) && !minimal;
  const gates = minimal ? ['f', 'n'] : ['r', 'z', 'n'];
  const G = gates.length, GH = G * H;
  const gateAct = parseActivation(o.gateActivation, 'new GRU: gateActivation', SIGMOID);
  const cellAct = parseActivation(o.cellActivation, 'new GRU: cellActivation', TANH);
  const general = gateAct.name !== 'sigmoid' || cellAct.name !== 'tanh'; // runs gruact_*
  const [gId, gAlpha, gBeta] = activationArgs(gateAct), [cId, cAlpha, cBeta] = activationArgs(cellAct);
  const activation = (g: string) => (g === 'n' ? cellAct : gateAct);

  return {
    gates, hOut: H, hasCell: false, historyGrad: false, hiddenGateGrad: true, recurrentDropout: resetAfter,
    recurrentWeights: ['weight_hh'], extraParams: [],
    // h = (1 - z) n + z h_prev keeps h as z nears 1; the minimal unit's h = (1 - f) h_prev + f n as f nears 0
    chronoGates: minimal ? { f: -1 } : { z: 1 },
    config() {
      const c: Record<string, unknown> = resetAfter ? {} : { resetAfter, minimal };
      if (gateAct.name !== 'sigmoid') c.gateActivation = activationOption(gateAct);
      if (cellAct.name !== 'tanh') c.cellActivation = activationOption(cellAct);
      return c;
    },
    slots: (): CellSlot[] => [
      resetAfter
        ? { name: 'ghn', role: 'saved', width: H, comment: 'h_prev W_hn + b_hn, for the gradient of r', inStream: false }
        : { name: 'rh', role: 'saved', width: H, comment: 'r * h_prev (f * h_prev, minimal unit): the input of W_hn, for dW_hn; zero for rows past their length' },
      { name: 'gh', role: 'scratch', width: GH, comment: 'h_prev W_hh + b_hh of the current step' },
      { name: 'whh_panels', role: 'packed', width: H * GH, comment: 'weight_hh in column panels for the row-at-a-time product of small batches (reset before: the r, z columns, then the n columns, each in panels)' },
    ],
    gradSlots: (): CellSlot[] => (resetAfter ? [] : [{ name: 'drh', role: 'step', width: H, comment: 'dL/d(r * h_prev) of the current step' }]),
    gateReports: () => gates.map((g, block) => ({ name: g, activation: activation(g), source: 'gates', block })),
    blockActivation: (block) => activation(gates[block]),

    bind(f: CellFrame) {
      const { k, B, T, direction: d } = f, TB = T * B, ldW = paddedWidth(GH);
      const nOff = f32Bytes((G - 1) * H); // the n block of the gates and of W_hh's columns
      const gates = f.at('gates'), gRow = f.stride('gates'), hs = f.at('h'), hRow = f.stride('h');
      const gh = f.at('gh'), ghn = f.at('ghn'), ghnRow = f.stride('ghn'), rh = f.at('rh'), rhRow = f.stride('rh');
      const dgx = f.at('dgx'), dgh = f.at('dgh'), dgRow = f.stride('dgx'), dh = f.at('dh'), drh = f.at('drh');
      const whh = f.param('weight_hh'), bhh = f.param('bias_hh');
      // 0: the products read weight_hh (a stream, B >= PANEL_BATCH); reset before packs the
      // n columns apart (the second product), after the others' panels
      const panels = f.at('whh_panels'), nPanels = panels && panels + f32Bytes(H * (GH - H));
      // recurrentDropout (reset after only): the product reads h(t-1) masked, z h(t-1) the state
      const drop = maskedRecurrence(f, P);
      /** gh[:, 0 .. N) = h W_hh[:, 0 .. N) + b_hh, from the panels when packed. */
      const hidden = (hp: number, nb: number, N: number) => {
        if (panels) k.f32_gemm_nn_panels(gh, GH, hp, P, panels, bhh, nb, N, P, 0);
        else k.f32_gemm_nn(gh, GH, hp, P, whh, ldW, bhh, nb, N, P, 0);
      };
      return {
        pack() {
          if (!panels) return;
          if (resetAfter) { k.f32_pack_panels(panels, whh, ldW, H, GH); return; }
          k.f32_pack_panels(panels, whh, ldW, H, GH - H);
          k.f32_pack_panels(nPanels, whh + nOff, ldW, H, H);
        },
        forward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), hp = entry(hs, hRow, prev), hn = entry(hs, hRow, next);
          if (resetAfter && general) {
            hidden(drop ? drop.input(t, hp, nb) : hp, nb, GH);
            k.gruact_gate_fwd(g, gh, 0, hp, nb, H, G, gId, gAlpha, gBeta);
            k.gruact_out_fwd(g, gh, ghn && entry(ghn, ghnRow, t), hp, hn, nb, H, G, 1, cId, cAlpha, cBeta);
            return;
          }
          if (resetAfter) {
            hidden(drop ? drop.input(t, hp, nb) : hp, nb, GH);
            k.gru_cell_fwd(g, gh, ghn && entry(ghn, ghnRow, t), hp, hn, nb, H);
            return;
          }
          // reset before the hidden product: r (and z) first, then (r * h_prev) W_hn
          const rht = entry(rh, rhRow, t);
          hidden(hp, nb, GH - H);
          if (general) k.gruact_gate_fwd(g, gh, rht, hp, nb, H, G, gId, gAlpha, gBeta);
          else k.gru_rb_gate_fwd(g, gh, rht, hp, nb, H, G);
          if (panels) k.f32_gemm_nn_panels(gh + nOff, GH, rht, H, nPanels, bhh && bhh + nOff, nb, H, H, 0);
          else k.f32_gemm_nn(gh + nOff, GH, rht, H, whh + nOff, ldW, bhh && bhh + nOff, nb, H, H, 0);
          if (general) k.gruact_out_fwd(g, gh, 0, hp, hn, nb, H, G, 0, cId, cAlpha, cBeta);
          else k.gru_rb_out_fwd(g, gh, hp, hn, nb, H, G);
          if (nb < B) k.f32_fill(rht + f32Bytes(nb * H), 0, (B - nb) * H);
        },
        backward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), hp = entry(hs, hRow, prev);
          const dgxt = entry(dgx, dgRow, t), dght = entry(dgh, dgRow, t);
          if (resetAfter) {
            if (general) k.gruact_out_bwd(dgxt, dght, dh, g, entry(ghn, ghnRow, t), hp, nb, H, G, 1, gId, gAlpha, cId, cAlpha);
            else k.gru_cell_bwd(dgxt, dght, dh, g, entry(ghn, ghnRow, t), hp, nb, H);
            if (drop) drop.addGrad(dh, nb, (into) => k.f32_gemm_nt_acc(into, P, dght, GH, whh, ldW, nb, P, GH));
            else k.f32_gemm_nt_acc(dh, P, dght, GH, whh, ldW, nb, P, GH);
            return;
          }
          if (general) k.gruact_out_bwd(dgxt, dght, dh, g, 0, hp, nb, H, G, 0, gId, gAlpha, cId, cAlpha);
          else k.gru_rb_out_bwd(dgxt, dght, dh, g, hp, nb, H, G);
          k.f32_fill(drh, 0, nb * H);
          k.f32_gemm_nt_acc(drh, H, dght + nOff, GH, whh + nOff, ldW, nb, H, H);
          if (general) k.gruact_gate_bwd(dgxt, dght, dh, drh, g, hp, nb, H, G, gId, gAlpha);
          else k.gru_rb_gate_bwd(dgxt, dght, dh, drh, g, hp, nb, H, G);
          // the n block went through d(rh) above; the r (and z) blocks go through W_hh here
          k.f32_gemm_nt_acc(dh, P, dght, GH, whh, ldW, nb, P, GH - H);
        },
        weightGrads() {
          // the states each step read: h[0 .. T-1] (forward) or h[1 .. T] (reverse)
          const gw = f.grad('weight_hh'), hPrev = entry(hs, hRow, d);
          if (resetAfter) { k.f32_gemm_tn_acc(gw, ldW, drop ? drop.states : hPrev, P, dgh, GH, P, GH, TB); return; }
          k.f32_gemm_tn_acc(gw, ldW, hPrev, P, dgh, GH, P, GH - H, TB);
          k.f32_gemm_tn_acc(gw + nOff, ldW, rh, H, dgh + nOff, GH, H, H, TB);
        },
      };
    },
  };
}

export const gruCell: CellFamily = {
  options: ['resetAfter', 'minimal', 'gateActivation', 'cellActivation'],
  make,
};
