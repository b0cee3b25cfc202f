/**
 * The bare constant error carousel (Hochreiter and Schmidhuber 1997 without gates), the
 * teaching step between the RNN and the LSTM:
 *   u = tanh(x W_ih + b_ih + h_prev W_hh + b_hh),  c = c_prev + u,  h = tanh(c).
 * dL/dc passes from step to step unchanged: the carousel. The tape keeps u in `gates`.
 */
import { entry, paddedWidth } from '../../layout.js';
import { TANH } from '../activations.js';
import type { RecurrentOptions } from '../spec.js';
import type { Cell, CellDims, CellFamily, CellFrame, CellSlot } from '../cell.js';
import { maskedRecurrence } from '../dropout.js';

/** The bare constant-error-carousel cell: c = c_prev + tanh(x W_ih + b_ih + h W_hh + b_hh), h = tanh(c). */
export type CECOptions = RecurrentOptions;

function make(_o: Record<string, unknown>, dims: CellDims): Cell {
  const H = dims.hiddenSize, P = H, GH = H;
  return {
    gates: ['h'], hOut: H, hasCell: true, historyGrad: false, hiddenGateGrad: false, recurrentDropout: true,
    recurrentWeights: ['weight_hh'], extraParams: [],
    config: () => ({}),
    slots: (): CellSlot[] => [{ name: 'c', role: 'state', width: H, comment: 'cell states, indexed like h' }],
    gradSlots: (): CellSlot[] => [
      { name: 'dc', role: 'step', width: H, comment: 'dL/dc of the current step' },
      { name: 'dtmp', role: 'step', width: H, comment: "dL/dh (1 - h^2): h's share of dL/dc" },
    ],
    gateReports: () => [{ name: 'u', activation: TANH, source: 'gates', block: 0 }],
    blockActivation: () => TANH,

    bind(f: CellFrame) {
      const { k, B, T, direction: d } = f, ldW = paddedWidth(GH);
      const gates = f.at('gates'), gRow = f.stride('gates'), hs = f.at('h'), hRow = f.stride('h');
      const cs = f.at('c'), cRow = f.stride('c'), dgx = f.at('dgx'), dgRow = f.stride('dgx');
      const dh = f.at('dh'), dc = f.at('dc'), dtmp = f.at('dtmp');
      const whh = f.param('weight_hh'), bhh = f.param('bias_hh');
      const drop = maskedRecurrence(f, P); // recurrentDropout: the product reads h(t-1) masked
      return {
        forward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), cn = entry(cs, cRow, next), hp = entry(hs, hRow, prev);
          k.f32_gemm_nn(g, GH, drop ? drop.input(t, hp, nb) : hp, P, whh, ldW, bhh, nb, GH, P, 1);
          k.f32_tanh_fwd(g, g, nb * H); // u stays in the tape
          k.f32_add(cn, entry(cs, cRow, prev), g, nb * H);
          k.f32_tanh_fwd(entry(hs, hRow, next), cn, nb * H);
        },
        backward(t, _prev, next, nb) {
          const dgxt = entry(dgx, dgRow, t);
          k.f32_tanh_bwd(dtmp, entry(hs, hRow, next), dh, nb * H);
          k.f32_add(dc, dc, dtmp, nb * H);
          k.f32_tanh_bwd(dgxt, entry(gates, gRow, t), dc, nb * H); // dc passes on unchanged: c = c_prev + u
          k.f32_fill(dh, 0, nb * P);
          k.f32_gemm_nt_acc(dh, P, dgxt, GH, whh, ldW, nb, P, GH);
          drop?.grad(dh, nb);
        },
        weightGrads() {
          k.f32_gemm_tn_acc(f.grad('weight_hh'), ldW, drop ? drop.states : entry(hs, hRow, d), P, dgx, GH, P, GH, T * B);
        },
      };
    },
  };
}

/** The CEC has no options beyond the common ones. */
export const cecCell: CellFamily = { options: [], make };
