/**
 * Why a recurrent net forgets, made measurable (Bengio et al. 1994; Hochreiter 1991; Pascanu,
 * Mikolov and Bengio 2013):
 *
 * - gradient flow: the norm of dL/dh(t) at every step, recorded by each backward (and for an
 *   LSTM the norm of dL/dc(t) arriving through the carousel). Vanishing shows as norms that
 *   fall geometrically towards t = 0 when the loss is at the end.
 * - gate statistics: mean and saturated fraction of every gate over the last forward; a
 *   saturated sigmoid (< 0.05 or > 0.95) passes almost no gradient to its input.
 * - the largest singular value of each recurrent matrix, by power iteration. With
 *   h(t) = act(W h(t-1) + ...) and |act'| <= gamma, the Jacobian dh(t)/dh(t-1) has norm at
 *   most gamma * sigma_max(W): sigma_max < 1 / gamma is sufficient for the gradient to vanish
 *   exponentially, sigma_max > 1 / gamma is necessary for it to explode (Pascanu et al. 2013,
 *   section 2.1). gamma = 1 for tanh and relu, 1/4 for the sigmoid, alpha for the hard sigmoid.
 */
import { f32Index } from '../layout.js';
import type { Tensor } from '../tensor.js';
import { activationOf, type ActivationName, type ActivationSpec } from './activations.js';
import { suffix, type Spec } from './spec.js';

/** The gradient flow through one layer and direction, as `gradientNorms()` returns it. */
export interface GradientTrace {
  /** Layer index, 0 at the input. */
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /** ||dL/dh(t)|| over the batch, t = 0 .. T-1 in time order. */
  h: Float64Array;
  /** LSTM / CEC: ||dL/dc(t)|| arriving from c(t+1), t = 0 .. T-1. */
  c?: Float64Array;
}

/** Statistics of one gate's post-activation values over the steps that ran. */
export interface GateStat {
  /** Gate name (LSTM i f g o, GRU r z n or f n), or the unit activation of RNN / CEC. */
  gate: string;
  /** The gate's activation function, which sets the saturation thresholds. */
  activation: ActivationName;
  /** Mean over every unit, batch row and step within the row's length. */
  mean: number;
  /** Fraction below 0.05 (sigmoid), below -0.95 (tanh), or exactly 0 (relu: dead units; hard sigmoid). */
  saturatedLow: number;
  /** Fraction above 0.95 (sigmoid and tanh), exactly 1 (hard sigmoid); 0 for relu. */
  saturatedHigh: number;
}

/** The gates of one layer and direction, as `gateStats()` returns them. */
export interface GateStats {
  /** Layer index, 0 at the input. */
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /** One entry per gate, in the cell's gate order. */
  gates: GateStat[];
}

/**
 * The largest singular value of one gate block of a recurrent matrix and the regime it
 * implies, as `recurrentSpectrum()` returns it.
 */
export interface SpectrumEntry {
  /** Parameter name (PyTorch's), for example `weight_hh_l0`. */
  name: string;
  /** Gate block of that matrix (LSTM i f g o, GRU r z n, RNN h). */
  gate: string;
  /** Largest singular value of the block (with identityRecurrence: of W + I). */
  sigmaMax: number;
  /** Bound of the derivative of the activation the block feeds. */
  gamma: number;
  /**
   * 'vanishing': sigmaMax < 1 / gamma, so the gradient through this block vanishes;
   * 'may explode': sigmaMax > 1 / gamma, the necessary condition for exploding; 'marginal':
   * within 1e-4 (relative) of the boundary (an orthogonal or identity matrix).
   */
  regime: 'vanishing' | 'marginal' | 'may explode';
}

/** Mean and saturation of `n` values read by `at(i)`; thresholds from the activation table. */
export function gateStat(gate: string, activation: ActivationSpec, n: number, at: (i: number) => number): GateStat {
  const act = activationOf(activation);
  let sum = 0, low = 0, high = 0;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    sum += v;
    if (act.isLow(v)) low++;
    if (act.isHigh(v)) high++;
  }
  const d = Math.max(n, 1);
  return { gate, activation: activation.name, mean: sum / d, saturatedLow: low / d, saturatedHigh: high / d };
}

/**
 * Largest singular value of a rows x cols block of a row-major matrix (row stride ld), by
 * power iteration on A^T A in float64 from a fixed start, until the estimate changes by
 * less than 1e-10 relative (at most 1000 iterations). `identity` adds I (square blocks).
 */
export function largestSingularValue(a: ArrayLike<number>, rows: number, cols: number, ld: number, identity = false): number {
  const v = new Float64Array(cols), u = new Float64Array(rows);
  for (let j = 0; j < cols; j++) v[j] = 1 + ((j * 7919) % 13) / 13; // deterministic, not orthogonal to much
  let sigma = 0;
  for (let iter = 0; iter < 1000; iter++) {
    let nv = 0;
    for (let j = 0; j < cols; j++) nv += v[j] * v[j];
    nv = Math.sqrt(nv);
    if (nv === 0) return 0;
    for (let j = 0; j < cols; j++) v[j] /= nv;
    for (let i = 0; i < rows; i++) {
      let s = identity ? v[i] : 0;
      for (let j = 0; j < cols; j++) s += a[i * ld + j] * v[j];
      u[i] = s;
    }
    let nu = 0;
    for (let i = 0; i < rows; i++) nu += u[i] * u[i];
    const next = Math.sqrt(nu);
    v.fill(0);
    for (let i = 0; i < rows; i++) {
      const ui = u[i];
      if (identity) v[i] += ui;
      for (let j = 0; j < cols; j++) v[j] += a[i * ld + j] * ui;
    }
    if (Math.abs(next - sigma) <= 1e-10 * next) return next;
    sigma = next;
  }
  return sigma;
}

/** The regime of a block with largest singular value sigma feeding an activation bounded by gamma. */
export function regimeOf(sigma: number, gamma: number): SpectrumEntry['regime'] {
  const x = sigma * gamma;
  return Math.abs(x - 1) <= 1e-4 ? 'marginal' : x < 1 ? 'vanishing' : 'may explode';
}


/**
 * Gate statistics of the forward whose tape is at `at` (tape.ts names), over the (t, row)
 * positions that ran: for each layer and direction, what the cell reports (cell.ts
 * gateReports), read from the saved post-activation gates or from h.
 */
export function gateStatsOf(s: Spec, heap: Float32Array, at: (name: string) => number, active: Int32Array, T: number, B: number): GateStats[] {
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H, out: GateStats[] = [];
  // the (t, row) positions that ran, in order
  const positions: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < active[t]; b++) positions.push(t * B + b);
  const n = positions.length;
  for (let l = 0; l < s.numLayers; l++) {
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d), gates = f32Index(at(`gates${x}`));
      // h of step t is entry t+1 (forward) or t (reverse) of the h slot, [T+1, B, P]
      const hs = f32Index(at(`h${x}`)) + (s.timeOrder(d) === 0 ? B * P : 0);
      const stats = s.cell.gateReports().map((r) => (r.source === 'h'
        ? gateStat(r.name, r.activation, n * H, (i) => heap[hs + positions[Math.floor(i / H)] * P + (i % H)])
        : gateStat(r.name, r.activation, n * H, (i) => heap[gates + positions[Math.floor(i / H)] * GH + r.block * H + (i % H)])));
      out.push({ layer: l, direction: d, gates: stats });
    }
  }
  return out;
}

/** The spectrum of every gate block of every recurrent matrix of a layer, from its state dict. */
export function spectrumOf(s: Spec, dict: Record<string, Tensor>): SpectrumEntry[] {
  const cell = s.cell, H = s.hiddenSize, out: SpectrumEntry[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    for (let d = 0; d < s.dirs; d++) {
      for (const weight of cell.recurrentWeights) {
        const name = `${weight}${suffix(l, d)}`, w = dict[name];
        s.gates.forEach((g, k) => {
          const sigmaMax = largestSingularValue(w.data.subarray(k * H * s.hOut), H, s.hOut, s.hOut, cell.addsIdentity?.(weight) ?? false);
          const gamma = activationOf(cell.blockActivation(k)).gamma;
          out.push({ name, gate: g, sigmaMax, gamma, regime: regimeOf(sigmaMax, gamma) });
        });
      }
    }
  }
  return out;
}
