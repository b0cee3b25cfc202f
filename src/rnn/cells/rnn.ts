/**
 * The Elman RNN cell (torch.nn.RNN) and its classic variants:
 *   h = act(x W_ih + b_ih + h_prev W_hh + b_hh),  act tanh, relu, sigmoid or a hard sigmoid;
 *   leaky units:  h = (1 - alpha) h_prev + alpha act(...), alpha = 1 / max(tau, 1) per unit;
 *   delays:       the recurrent term is sum over d of h(t-d) W_d (W_1 = weight_hh);
 *   identity:     W_hh + I on h(t-1) (h_prev added to the pre-activation).
 * With any variant a state feeds several later steps (or its gradient also flows through the
 * leak), so backward keeps dL/dh per state (historyGrad) and each step adds into the states
 * it read.
 */
import { checkFlag, checkInt, checkNumber } from '../../checks.js';
import { RnnError, describe } from '../../errors.js';
import { entry, f32Index, paddedWidth } from '../../layout.js';
import { TANH, activationOf, activationOption, parseActivation, type ActivationOption } from '../activations.js';
import type { RecurrentOptions } from '../spec.js';
import type { Cell, CellDims, CellFamily, CellFrame, CellSlot } from '../cell.js';
import { maskedRecurrence } from '../dropout.js';

/** Options of `new RNN`: the common ones, the activation and the classic RNN variants. */
export interface RNNOptions extends RecurrentOptions {
  /**
   * The unit activation (default 'tanh'): 'tanh', 'relu', 'sigmoid', or the hard sigmoid
   * max(0, min(1, alpha x + beta)) as 'hardSigmoid' (alpha 0.2, beta 0.5, as ONNX) or
   * { type: 'hardSigmoid', alpha, beta } (ONNX RNN's `activations`).
   */
  nonlinearity?: ActivationOption;
  /**
   * Leaky integration with per-unit time constants (>= 1): h = (1 - 1/tau) h_prev + (1/tau) act(...).
   * One number for every unit or one per unit. Fixed unless `trainTau`.
   */
  tau?: number | ArrayLike<number>;
  /** Learn tau (parameter `tau_l{k}`, initialised from `tau`, used as max(tau, 1)). */
  trainTau?: boolean;
  /**
   * Recurrent delays: h(t) = act(x W_ih + b_ih + sum over d of h(t-d) W_d + b_hh). W_1 is
   * `weight_hh_l{k}`, W_d for d > 1 is `weight_hh_d{d}_l{k}`; before the first step every
   * h(t-d) is the initial state. Default [1].
   */
  delays?: number[];
  /** Identity-augmented recurrence: W_hh + I on h(t-1). */
  identityRecurrence?: boolean;
}

/** Name of the recurrent matrix of delay d: `weight_hh` for d = 1, `weight_hh_d{d}` else. */
function delayWeight(d: number): string {
  return d === 1 ? 'weight_hh' : `weight_hh_d${d}`;
}

/**
 * The h entry that delay `delay` reads at step t: h(t - delay) in the direction's own order,
 * the initial state (entry 0, or T in reverse) for every step before the first.
 */
function delayEntry(delay: number, t: number, direction: number, T: number): number {
  return direction === 0 ? Math.max(t + 1 - delay, 0) : Math.min(t + delay, T);
}

function make(o: Record<string, unknown>, dims: CellDims): Cell {
  const H = dims.hiddenSize;
  const unit = parseActivation(o.nonlinearity, 'new RNN: nonlinearity', TANH);
  const nonlinearity = activationOption(unit);
  let tau: Float32Array | null = null;
  if (o.tau !== undefined) {
    const v = o.tau as unknown;
    const values = typeof v === 'number' ? new Array(H).fill(v) : v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number' ? Array.from(v as ArrayLike<number>) : null;
    if (!values || values.length !== H) throw new RnnError('BAD_ARGUMENT', `new RNN: tau must be a number or ${H} numbers (one per unit), got ${describe(v)}`);
    values.forEach((t, j) => checkNumber(t, `new RNN: tau[${j}]`, (x) => x >= 1, 'a time constant >= 1'));
    tau = Float32Array.from(values);
  }
  const trainTau = checkFlag(o.trainTau, 'new RNN: trainTau', false);
  if (trainTau && !tau) throw new RnnError('BAD_ARGUMENT', 'new RNN: trainTau needs initial time constants in tau');
  let delays: number[] = [1];
  if (o.delays !== undefined) {
    if (!Array.isArray(o.delays) || o.delays.length === 0) throw new RnnError('BAD_ARGUMENT', `new RNN: delays must be a non-empty array of integers >= 1, got ${describe(o.delays)}`);
    delays = o.delays.map((d, j) => checkInt(d, `new RNN: delays[${j}]`));
    if (new Set(delays).size !== delays.length) throw new RnnError('BAD_ARGUMENT', `new RNN: delays must be distinct, got [${delays.join(', ')}]`);
    delays.sort((a, b) => a - b);
  }
  const identityRecurrence = checkFlag(o.identityRecurrence, 'new RNN: identityRecurrence', false);
  const variant = tau !== null || identityRecurrence || delays.length !== 1 || delays[0] !== 1;
  const act = activationOf(unit);
  const recurrentWeights = delays.map(delayWeight);

  return {
    gates: ['h'], hOut: H, hasCell: false, historyGrad: variant, hiddenGateGrad: false, recurrentDropout: !variant,
    recurrentWeights,
    extraParams: trainTau ? [{ name: 'tau', torchShape: [H], transposed: false }] : [],
    config() {
      const c: Record<string, unknown> = { nonlinearity };
      if (tau) { c.tau = Array.from(tau); c.trainTau = trainTau; }
      if (variant) { c.delays = [...delays]; c.identityRecurrence = identityRecurrence; }
      return c;
    },
    slots: (): CellSlot[] => (tau ? [{ name: 'alpha', role: 'unit', width: H, comment: '1 / max(tau, 1), set at the start of each forward' }] : []),
    gradSlots: (): CellSlot[] => (trainTau ? [{ name: 'dalpha', role: 'unit', width: H, comment: 'dL/dalpha of the current direction' }] : []),
    fixedInit: (name) => (name === 'tau' ? Float32Array.from(tau!) : null),
    streamRefusal: () => (delays.length !== 1 || delays[0] !== 1
      ? `an RNN with delays [${delays.join(', ')}] needs its state history; stream() runs layers whose only delay is 1` : null),
    // a plain RNN's activation is h itself (the gates slot keeps the pre-activation)
    gateReports: () => [tau ? { name: 'a', activation: unit, source: 'gates', block: 0 } : { name: 'h', activation: unit, source: 'h', block: 0 }],
    blockActivation: () => unit,
    addsIdentity: (name) => identityRecurrence && name === 'weight_hh',

    bind(f: CellFrame) {
      const { k, B, T, direction: d } = f, P = H, GH = H, ldW = paddedWidth(GH);
      const gates = f.at('gates'), gRow = f.stride('gates'), hs = f.at('h'), hRow = f.stride('h');
      const dgx = f.at('dgx'), dgRow = f.stride('dgx'), dh = f.at('dh'), dhs = f.at('dhs');
      const alpha = f.at('alpha'), dalpha = f.at('dalpha'), bhh = f.param('bias_hh');
      const W = recurrentWeights.map((name) => f.param(name));
      const drop = maskedRecurrence(f, P); // recurrentDropout (plain cell only): the product reads h(t-1) masked
      let alphaSet = false;
      return {
        prepare() {
          // alpha = 1 / max(tau, 1) per unit, from the fixed time constants or the trained parameter
          if (!tau || (alphaSet && !trainTau)) return;
          const heap = new Float32Array(k.memory.buffer), from = trainTau ? heap.subarray(f32Index(f.param('tau')), f32Index(f.param('tau')) + H) : tau;
          for (let j = 0; j < H; j++) heap[f32Index(alpha) + j] = 1 / Math.max(from[j], 1);
          alphaSet = true;
        },
        forward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), hp = entry(hs, hRow, prev), hn = entry(hs, hRow, next);
          if (!variant) {
            k.f32_gemm_nn(g, GH, drop ? drop.input(t, hp, nb) : hp, P, W[0], ldW, bhh, nb, GH, P, 1);
            act.forward(k, hn, g, nb * H);
            return;
          }
          for (let i = 0; i < delays.length; i++) {
            const src = entry(hs, hRow, delayEntry(delays[i], t, d, T));
            k.f32_gemm_nn(g, GH, src, P, W[i], ldW, i === 0 ? bhh : 0, nb, GH, P, 1);
          }
          if (identityRecurrence) k.f32_add(g, g, hp, nb * H);
          act.forward(k, tau ? g : hn, g, nb * H);
          if (tau) k.leaky_fwd(hn, hp, g, alpha, nb, H);
        },
        beginBackward() {
          if (dalpha) k.f32_fill(dalpha, 0, H);
        },
        backward(t, prev, next, nb) {
          const g = entry(gates, gRow, t), dgxt = entry(dgx, dgRow, t), hn = entry(hs, hRow, next);
          if (!variant) {
            act.backward(k, dgxt, hn, dh, nb * H);
            k.f32_fill(dh, 0, nb * P);
            k.f32_gemm_nt_acc(dh, P, dgxt, GH, W[0], ldW, nb, P, GH);
            drop?.grad(dh, nb);
            return;
          }
          const dnext = entry(dhs, hRow, next), dprev = entry(dhs, hRow, prev);
          let dA = dnext;
          if (tau) {
            k.leaky_bwd(dgxt, dprev, dnext, dalpha, g, entry(hs, hRow, prev), alpha, nb, H);
            dA = dgxt;
          }
          act.backward(k, dgxt, tau ? g : hn, dA, nb * H);
          if (identityRecurrence) k.f32_add(dprev, dprev, dgxt, nb * H);
          for (let i = 0; i < delays.length; i++) {
            k.f32_gemm_nt_acc(entry(dhs, hRow, delayEntry(delays[i], t, d, T)), P, dgxt, GH, W[i], ldW, nb, P, GH);
          }
        },
        weightGrads() {
          // dW_d += h(t - d)^T dgx(t) for every delay, in contiguous runs of states.
          // forward: steps delay-1 .. T-1 read states 0 .. T-delay; earlier steps read state 0.
          // reverse: steps 0 .. T-delay read states delay .. T; later steps read state T.
          if (drop) { // the plain cell: one delay, its inputs masked step by step
            k.f32_gemm_tn_acc(f.grad(recurrentWeights[0]), ldW, drop.states, P, dgx, GH, P, GH, T * B);
            return;
          }
          delays.forEach((delay, i) => {
            const gw = f.grad(recurrentWeights[i]), run = T - delay + 1;
            if (run > 0) k.f32_gemm_tn_acc(gw, ldW, entry(hs, hRow, d === 0 ? 0 : delay), P, entry(dgx, dgRow, d === 0 ? delay - 1 : 0), GH, P, GH, run * B);
            for (let t = d === 0 ? 0 : Math.max(run, 0); t < (d === 0 ? Math.min(delay - 1, T) : T); t++) {
              k.f32_gemm_tn_acc(gw, ldW, entry(hs, hRow, d === 0 ? 0 : T), P, entry(dgx, dgRow, t), GH, P, GH, B);
            }
          });
          if (dalpha) {
            // alpha = 1 / max(tau, 1): dtau = -dalpha / tau^2 (the right derivative at tau = 1)
            const heap = new Float32Array(k.memory.buffer), tp = f32Index(f.param('tau')), gt = f32Index(f.grad('tau')), da = f32Index(dalpha);
            for (let j = 0; j < H; j++) if (heap[tp + j] >= 1) heap[gt + j] -= heap[da + j] / (heap[tp + j] * heap[tp + j]);
          }
        },
      };
    },
  };
}

export const rnnCell: CellFamily = {
  options: ['nonlinearity', 'tau', 'trainTau', 'delays', 'identityRecurrence'],
  make,
};
