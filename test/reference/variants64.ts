// Float64 reference for the classic recurrent-cell variants, in the spirit of rnn64.ts: one
// batch row and one time step at a time, nothing fused, clarity over speed. With every option
// off it is torch.nn.RNN / LSTM / GRU exactly (variants64.test.ts checks it against rnn64.ts);
// the LSTM clip / peephole / coupled-gate options and GRU's resetAfter = false are ONNX's
// (variants64-ort.test.ts checks them against onnxruntime).
//
// pre_a = W_ia x + b_ia + W_ha h + b_ha for each gate block a (rows of W_ih/W_hh/b_ih/b_hh).
//
// RNN   pre = W_ih x + b_ih + sum_{d in delays} W_d h(t-d) + b_hh  [+ h(t-1) if identityRecurrence]
//       W_1 = weight_hh_l{k}, W_d = weight_hh_d{d}_l{k} (d != 1); a delay reaching before this
//       row's first step (in the direction's processing order) reads h0.
//       a = act(pre), act = tanh | relu;  h(t) = (1 - 1/tau) h(t-1) + (1/tau) a  per unit
//       (no tau: h(t) = a). trainTau: tau = max(tau_l{k}, 1) from params, else cfg.tau.
// LSTM  blocks i, f, g, o; or i, g, o when forgetGate = false or coupled.
//       clip(v) = min(max(v, -cellClip), cellClip) when cellClip > 0, else v
//       i = sigmoid(clip(pre_i + p_i c))   f = sigmoid(clip(pre_f + p_f c)) | 1 - i (coupled) | 1
//       g = tanh(clip(pre_g))              c' = f c + i g   (c' itself is not clipped)
//       o = sigmoid(clip(pre_o + p_o c'))  h' = o tanh(c')   h' = W_hr h' when projSize > 0
//       peepholes p = weight_ch_l{k}: rows i, f, o ([3, H]), or i, o ([2, H]) with 3 blocks.
//       This is ONNX's LSTM as onnxruntime (1.30) computes it: clip on every gate's input
//       (not on c, nor on the input of h's tanh), input_forget = 1 is coupled.
// GRU   blocks r, z, n:  r = sigmoid(pre_r)  z = sigmoid(pre_z)  h' = (1 - z) n + z h
//       resetAfter (default, PyTorch): n = tanh(W_in x + b_in + r (W_hn h + b_hn))
//       resetAfter false (ONNX linear_before_reset = 0, Cho et al. 2014):
//                                      n = tanh(W_in x + b_in + W_hn (r h) + b_hn)
//       minimal (Zhou et al. 2016), blocks f, n (resetAfter does not apply):
//       f = sigmoid(pre_f)  n = tanh(W_in x + b_in + W_hn (f h) + b_hn)  h' = (1 - f) h + f n
// Activations (ONNX's `activations`): every sigmoid above is the gate activation act_g and
//       every tanh the cell activation act_c (LSTM g, GRU n), the tanh in h' = o tanh(c') the
//       hidden activation act_h; RNN's act is its nonlinearity. Each is sigmoid, tanh, relu or
//       the hard sigmoid max(0, min(1, alpha v + beta)) (ONNX HardSigmoid).
// CEC   one block:  c' = c + tanh(W_ih x + b_ih + W_hh h + b_hh)   h' = tanh(c')
//
// Layouts as rnn64.ts: x time-major [T, B, inputSize]; output [T, B, dirs * Hout] (forward
// direction first); h0/h_n [L * dirs, B, Hout], c0/c_n [L * dirs, B, H] (LSTM and CEC), index
// layer * dirs + direction; Hout = projSize || H. Weights PyTorch-style [rows, cols] row-major.
// Layer k > 0 takes the previous layer's whole output. Packed-sequence lengths: row b runs only
// at t < len[b]; its output there is 0 and its state unchanged; the reverse direction starts at
// t = len[b] - 1.

import { matVec, relu, sigmoid } from './rnn64.js';

/** An activation: its name, or the hard sigmoid max(0, min(1, alpha v + beta)) (alpha 0.2, beta 0.5 by default). */
export type Act64 = 'sigmoid' | 'tanh' | 'relu' | 'hardSigmoid' | { type: 'hardSigmoid'; alpha?: number; beta?: number };

/** The float64 function of an activation. */
export function act64(a: Act64): (v: number) => number {
  if (a === 'sigmoid') return sigmoid;
  if (a === 'tanh') return Math.tanh;
  if (a === 'relu') return relu;
  const alpha = typeof a === 'object' ? a.alpha ?? 0.2 : 0.2, beta = typeof a === 'object' ? a.beta ?? 0.5 : 0.5;
  return (v) => Math.max(0, Math.min(1, alpha * v + beta));
}

export interface VariantConfig {
  kind: 'RNN' | 'LSTM' | 'GRU' | 'CEC';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  bidirectional: boolean;
  // RNN
  nonlinearity?: Act64;
  /** Per-unit time constants (length H), fixed, each >= 1; absent = no leak. */
  tau?: number[];
  /** tau comes from params[`tau_l{k}{_reverse}`] (length H) instead of cfg.tau. */
  trainTau?: boolean;
  /** Default [1]. */
  delays?: number[];
  /** W_hh + I on the delay-1 state. */
  identityRecurrence?: boolean;
  // LSTM
  projSize?: number;
  peepholes?: boolean;
  /** Default true. */
  forgetGate?: boolean;
  coupled?: boolean;
  /** 0 = off. */
  cellClip?: number;
  /**
   * Full gate recurrence (Greff et al. 2015, "FGR"): i, f and o also receive the previous
   * step's i, f, o through weight_gg [3H, 3H] (rows: receiving gate i, f, o; columns: the
   * previous i, f, o; zeros before each row's first step).
   */
  gateRecurrence?: boolean;
  // LSTM and GRU
  /** i, f, o (LSTM), r, z or f (GRU); default 'sigmoid'. */
  gateActivation?: Act64;
  /** g (LSTM), n (GRU); default 'tanh'. */
  cellActivation?: Act64;
  /** LSTM: c in h = o act(c); default 'tanh'. */
  hiddenActivation?: Act64;
  // GRU
  /** Default true. */
  resetAfter?: boolean;
  minimal?: boolean;
}

export interface VariantResult {
  /** [T, B, dirs * Hout] */
  output: Float64Array;
  /** [L * dirs, B, Hout] */
  h_n: Float64Array;
  /** [L * dirs, B, H]; LSTM and CEC only */
  c_n?: Float64Array;
}

// Every option with its default; an option away from its default on another kind is an error.
const DEFAULTS: Record<string, { kind: VariantConfig['kind']; value: unknown }> = {
  nonlinearity: { kind: 'RNN', value: 'tanh' },
  tau: { kind: 'RNN', value: undefined },
  trainTau: { kind: 'RNN', value: false },
  delays: { kind: 'RNN', value: [1] },
  identityRecurrence: { kind: 'RNN', value: false },
  projSize: { kind: 'LSTM', value: 0 },
  peepholes: { kind: 'LSTM', value: false },
  forgetGate: { kind: 'LSTM', value: true },
  coupled: { kind: 'LSTM', value: false },
  cellClip: { kind: 'LSTM', value: 0 },
  gateRecurrence: { kind: 'LSTM', value: false },
  hiddenActivation: { kind: 'LSTM', value: 'tanh' },
  resetAfter: { kind: 'GRU', value: true },
  minimal: { kind: 'GRU', value: false },
};

function checkConfig(cfg: VariantConfig): void {
  for (const [key, { kind, value }] of Object.entries(DEFAULTS)) {
    const v = (cfg as unknown as Record<string, unknown>)[key];
    if (v === undefined || kind === cfg.kind || JSON.stringify(v) === JSON.stringify(value)) continue;
    throw new Error(`option ${key} is for ${kind}, not ${cfg.kind}`);
  }
  const H = cfg.hiddenSize;
  const P = cfg.projSize ?? 0;
  if (P < 0 || (P !== 0 && P >= H)) throw new Error('projSize must be 0 or in 1..hiddenSize-1');
  if (cfg.forgetGate === false && cfg.coupled) throw new Error('forgetGate: false and coupled together');
  if (cfg.gateRecurrence && (cfg.forgetGate === false || cfg.coupled || cfg.peepholes || cfg.cellClip)) throw new Error('gateRecurrence needs the plain i, f, g, o cell');
  if (!((cfg.cellClip ?? 0) >= 0)) throw new Error('cellClip must be >= 0');
  if (cfg.tau && !cfg.trainTau) {
    if (cfg.tau.length !== H) throw new Error(`tau has ${cfg.tau.length} values, expected ${H}`);
    if (!cfg.tau.every((t) => t >= 1)) throw new Error('every tau must be >= 1');
  }
  const d = cfg.delays ?? [1];
  if (d.length === 0 || !d.every((v) => Number.isInteger(v) && v >= 1) || new Set(d).size !== d.length)
    throw new Error(`delays must be distinct integers >= 1, got [${d}]`);
}

/** Number of gate blocks stacked in the rows of weight_ih / weight_hh. */
function gateCount(cfg: VariantConfig): number {
  switch (cfg.kind) {
    case 'RNN':
    case 'CEC':
      return 1;
    case 'LSTM':
      return cfg.forgetGate === false || cfg.coupled ? 3 : 4;
    case 'GRU':
      return cfg.minimal ? 2 : 3;
  }
}

const hasCell = (cfg: VariantConfig) => cfg.kind === 'LSTM' || cfg.kind === 'CEC';
const outSize = (cfg: VariantConfig) => (cfg.kind === 'LSTM' && cfg.projSize) || cfg.hiddenSize;
const sortedDelays = (cfg: VariantConfig) => [...(cfg.delays ?? [1])].sort((a, b) => a - b);
const suffixOf = (layer: number, dir: number) => `_l${layer}${dir === 1 ? '_reverse' : ''}`;

/** Parameter names and PyTorch-style shapes ([out, in] for matrices), in order. */
export function variantParamShapes(cfg: VariantConfig): Record<string, number[]> {
  checkConfig(cfg);
  const H = cfg.hiddenSize;
  const Hout = outSize(cfg);
  const GH = gateCount(cfg) * H;
  const shapes: Record<string, number[]> = {};
  for (let layer = 0; layer < cfg.numLayers; layer++) {
    const inSize = layer === 0 ? cfg.inputSize : (cfg.bidirectional ? 2 : 1) * Hout;
    for (let dir = 0; dir < (cfg.bidirectional ? 2 : 1); dir++) {
      const sfx = suffixOf(layer, dir);
      shapes[`weight_ih${sfx}`] = [GH, inSize];
      for (const d of sortedDelays(cfg)) shapes[`weight_hh${d === 1 ? '' : `_d${d}`}${sfx}`] = [GH, Hout];
      if (cfg.bias) {
        shapes[`bias_ih${sfx}`] = [GH];
        shapes[`bias_hh${sfx}`] = [GH];
      }
      if (cfg.peepholes) shapes[`weight_ch${sfx}`] = [gateCount(cfg) === 4 ? 3 : 2, H];
      if (cfg.gateRecurrence) shapes[`weight_gg${sfx}`] = [3 * H, 3 * H];
      if (cfg.projSize) shapes[`weight_hr${sfx}`] = [cfg.projSize, H];
      if (cfg.trainTau) shapes[`tau${sfx}`] = [H];
    }
  }
  return shapes;
}

/** The parameters of one layer and direction under their names without the suffix. */
type DirParams = Record<string, Float64Array>;

function directionParams(cfg: VariantConfig, shapes: Record<string, number[]>, params: Record<string, Float64Array>,
  layer: number, dir: number): DirParams {
  const sfx = suffixOf(layer, dir);
  const p: DirParams = {};
  for (const [name, shape] of Object.entries(shapes)) {
    if (!name.endsWith(sfx)) continue;
    const v = params[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!v) throw new Error(`missing parameter ${name}`);
    if (v.length !== size) throw new Error(`parameter ${name} has ${v.length} values, expected ${size}`);
    p[name.slice(0, -sfx.length)] = v;
  }
  return p;
}

/**
 * One step of one cell for one batch row. hist holds the states in processing order:
 * hist[0] = h0 and hist[k] the state after k steps; returns the new h [Hout] and c [H].
 */
function cellStep(cfg: VariantConfig, p: DirParams, inSize: number, x: Float64Array, hist: Float64Array[],
  c: Float64Array, gates: Float64Array): { h: Float64Array; c: Float64Array; gates?: Float64Array } {
  const H = cfg.hiddenSize;
  const Hout = outSize(cfg);
  const GH = gateCount(cfg) * H;
  const h = hist[hist.length - 1];
  const gx = matVec(p.weight_ih, GH, inSize, x, p.bias_ih); // W_ih x + b_ih
  switch (cfg.kind) {
    case 'RNN': {
      // rec = b_hh + sum_d W_d h(t-d), summed in the order rnn64.ts uses for delays [1], so the
      // plain case is bit-identical to it.
      let rec = p.bias_hh;
      for (const d of sortedDelays(cfg)) {
        const hd = hist[Math.max(0, hist.length - d)]; // h(t-d), or h0 before the first step
        rec = matVec(p[d === 1 ? 'weight_hh' : `weight_hh_d${d}`], H, H, hd, rec);
      }
      const act = act64(cfg.nonlinearity ?? 'tanh');
      const tau = cfg.trainTau ? Array.from(p.tau, (t) => Math.max(t, 1)) : cfg.tau;
      const hNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const a = act(gx[j] + rec![j] + (cfg.identityRecurrence ? h[j] : 0));
        hNew[j] = tau ? (1 - 1 / tau[j]) * h[j] + (1 / tau[j]) * a : a;
      }
      return { h: hNew, c };
    }
    case 'LSTM': {
      const gh = matVec(p.weight_hh, GH, Hout, h, p.bias_hh); // W_hh h + b_hh
      const four = gateCount(cfg) === 4;
      // Block offsets in rows i, f, g, o or i, g, o; peephole rows i, f, o or i, o.
      const [bi, bf, bg, bo] = four ? [0, 1, 2, 3] : [0, -1, 1, 2];
      const [pi, pf, po] = four ? [0, 1, 2] : [0, -1, 1];
      const clipAt = cfg.cellClip ?? 0;
      const clip = (v: number) => (clipAt > 0 ? Math.min(Math.max(v, -clipAt), clipAt) : v);
      const peep = (row: number, j: number, cell: number) => (p.weight_ch ? p.weight_ch[row * H + j] * cell : 0);
      const pre = (block: number, j: number) => gx[block * H + j] + gh[block * H + j];
      const sg = act64(cfg.gateActivation ?? 'sigmoid'), tc = act64(cfg.cellActivation ?? 'tanh'), th = act64(cfg.hiddenActivation ?? 'tanh');
      // full gate recurrence: W_gg [i; f; o](t-1), rows i, f, o
      const gr = cfg.gateRecurrence ? matVec(p.weight_gg, 3 * H, 3 * H, gates) : new Float64Array(3 * H);
      const hFull = new Float64Array(H);
      const cNew = new Float64Array(H);
      const ifo = new Float64Array(3 * H);
      for (let j = 0; j < H; j++) {
        const i = sg(clip(pre(bi, j) + peep(pi, j, c[j]) + gr[j]));
        const f = cfg.coupled ? 1 - i : four ? sg(clip(pre(bf, j) + peep(pf, j, c[j]) + gr[H + j])) : 1;
        const g = tc(clip(pre(bg, j)));
        cNew[j] = f * c[j] + i * g;
        const o = sg(clip(pre(bo, j) + peep(po, j, cNew[j]) + gr[2 * H + j]));
        hFull[j] = o * th(cNew[j]);
        ifo[j] = i; ifo[H + j] = f; ifo[2 * H + j] = o;
      }
      const hNew = p.weight_hr ? matVec(p.weight_hr, Hout, H, hFull) : hFull;
      return { h: hNew, c: cNew, gates: ifo };
    }
    case 'GRU': {
      const hNew = new Float64Array(H);
      const sg = act64(cfg.gateActivation ?? 'sigmoid'), tc = act64(cfg.cellActivation ?? 'tanh');
      if (cfg.minimal) {
        const gf = matVec(p.weight_hh, H, H, h, p.bias_hh); // f block only
        const f = Array.from({ length: H }, (_, j) => sg(gx[j] + gf[j]));
        const fh = h.map((v, j) => f[j] * v);
        const hn = matVec(p.weight_hh.subarray(H * H), H, H, fh, p.bias_hh?.subarray(H));
        for (let j = 0; j < H; j++) hNew[j] = (1 - f[j]) * h[j] + f[j] * tc(gx[H + j] + hn[j]);
        return { h: hNew, c };
      }
      const gh = matVec(p.weight_hh, GH, H, h, p.bias_hh);
      const r = Array.from({ length: H }, (_, j) => sg(gx[j] + gh[j]));
      const z = Array.from({ length: H }, (_, j) => sg(gx[H + j] + gh[H + j]));
      // resetAfter: r (W_hn h + b_hn); otherwise W_hn (r h) + b_hn.
      const hn = cfg.resetAfter === false
        ? matVec(p.weight_hh.subarray(2 * H * H), H, H, h.map((v, j) => r[j] * v), p.bias_hh?.subarray(2 * H))
        : gh.subarray(2 * H).map((v, j) => r[j] * v);
      for (let j = 0; j < H; j++) hNew[j] = (1 - z[j]) * tc(gx[2 * H + j] + hn[j]) + z[j] * h[j];
      return { h: hNew, c };
    }
    case 'CEC': {
      const gh = matVec(p.weight_hh, H, H, h, p.bias_hh);
      const cNew = c.map((v, j) => v + Math.tanh(gx[j] + gh[j]));
      return { h: cNew.map(Math.tanh), c: cNew };
    }
  }
}

export function variantForward64(
  cfg: VariantConfig,
  params: Record<string, Float64Array>,
  x: Float64Array,
  T: number,
  B: number,
  h0?: Float64Array,
  c0?: Float64Array,
  lengths?: ArrayLike<number>,
): VariantResult {
  const shapes = variantParamShapes(cfg); // also checks cfg
  const { inputSize, hiddenSize: H, numLayers: L } = cfg;
  const Hout = outSize(cfg);
  const dirs = cfg.bidirectional ? 2 : 1;
  if (x.length !== T * B * inputSize) throw new Error(`x has ${x.length} values, expected T*B*inputSize = ${T * B * inputSize}`);
  if (h0 && h0.length !== L * dirs * B * Hout) throw new Error('h0 has the wrong size');
  if (c0 && c0.length !== L * dirs * B * H) throw new Error('c0 has the wrong size');
  if (c0 && !hasCell(cfg)) throw new Error('c0 is for LSTM and CEC only');

  const len: number[] = [];
  for (let b = 0; b < B; b++) {
    const l = lengths ? lengths[b] : T;
    if (!Number.isInteger(l) || l < 1 || l > T) throw new Error(`length ${l} of row ${b} not in 1..${T}`);
    len.push(l);
  }

  const h_n = new Float64Array(L * dirs * B * Hout);
  const c_n = hasCell(cfg) ? new Float64Array(L * dirs * B * H) : undefined;

  let layerIn: Float64Array = x; // [T, B, inSize]
  let inSize = inputSize;
  for (let layer = 0; layer < L; layer++) {
    const outWidth = dirs * Hout;
    const layerOut = new Float64Array(T * B * outWidth); // padded steps stay 0
    for (let dir = 0; dir < dirs; dir++) {
      const p = directionParams(cfg, shapes, params, layer, dir);
      const s = layer * dirs + dir; // index into h0/h_n/c0/c_n
      for (let b = 0; b < B; b++) {
        const hist: Float64Array[] = [h0 ? h0.slice((s * B + b) * Hout, (s * B + b + 1) * Hout) : new Float64Array(Hout)];
        let c: Float64Array = c0 ? c0.slice((s * B + b) * H, (s * B + b + 1) * H) : new Float64Array(H);
        let gates: Float64Array = new Float64Array(3 * H); // the previous i, f, o (gate recurrence): zeros at the start
        for (let k = 0; k < len[b]; k++) {
          const t = dir === 0 ? k : len[b] - 1 - k;
          const xt = layerIn.slice((t * B + b) * inSize, (t * B + b + 1) * inSize);
          const next = cellStep(cfg, p, inSize, xt, hist, c, gates);
          hist.push(next.h);
          c = next.c;
          if (next.gates) gates = next.gates;
          layerOut.set(next.h, (t * B + b) * outWidth + dir * Hout);
        }
        h_n.set(hist[hist.length - 1], (s * B + b) * Hout);
        if (c_n) c_n.set(c, (s * B + b) * H);
      }
    }
    layerIn = layerOut;
    inSize = outWidth;
  }
  return c_n ? { output: layerIn, h_n, c_n } : { output: layerIn, h_n };
}
