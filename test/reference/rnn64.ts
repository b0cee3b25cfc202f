// Float64 reference for the forward pass of torch.nn.RNN / LSTM / GRU, written straight from
// PyTorch's documented equations, one batch row and one time step at a time. It is the oracle
// for finite-difference gradient checks, so every step is spelled out and nothing is fused:
// clarity over speed.
//
//   RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)             act = tanh | relu
//   LSTM: [i f g o] = W_ih x + b_ih + W_hh h + b_hh           (gate rows in this order)
//         i, f, o = sigmoid(.)   g = tanh(.)
//         c' = f * c + i * g     h' = o * tanh(c')            h' = W_hr h' when proj_size > 0
//   GRU:  [r z n] rows of W_ih x + b_ih and of W_hh h + b_hh   (gate rows in this order)
//         r = sigmoid(xr + hr)   z = sigmoid(xz + hz)
//         n = tanh(xn + r * hn)  (r multiplies W_hn h + b_hn, bias included)
//         h' = (1 - z) * n + z * h
//
// Layouts: x time-major [T, B, inputSize]; output [T, B, dirs * H_out] with the forward
// direction in the first H_out columns and the reverse direction in the next H_out; h0/h_n
// [L * dirs, B, H_out] and c0/c_n [L * dirs, B, H] with index layer * dirs + direction.
// Layer k > 0 takes the previous layer's whole output (both directions concatenated) as input.
//
// Variable lengths follow packed-sequence semantics: row b is processed only at t < len[b];
// its output at t >= len[b] is 0 and its state is left unchanged there. The reverse direction
// starts at t = len[b] - 1 from h0 and ends at t = 0.

export type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface Config64 {
  mode: Mode;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  bidirectional: boolean;
  /** 0 = no projection; LSTM only. */
  projSize: number;
}

export interface Result64 {
  /** [T, B, dirs * H_out] */
  output: Float64Array;
  /** [L * dirs, B, H_out] */
  h_n: Float64Array;
  /** [L * dirs, B, H]; LSTM only */
  c_n?: Float64Array;
}

/** Number of gate blocks stacked in the rows of W_ih / W_hh. */
export function gateCount(mode: Mode): number {
  switch (mode) {
    case 'RNN_TANH':
    case 'RNN_RELU':
      return 1;
    case 'LSTM':
      return 4;
    case 'GRU':
      return 3;
  }
}

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

export function relu(v: number): number {
  return v > 0 ? v : 0;
}

/** y = W v (+ b), W row-major [rows, cols]. */
export function matVec(W: Float64Array, rows: number, cols: number, v: Float64Array, b?: Float64Array): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = b ? b[i] : 0;
    for (let j = 0; j < cols; j++) s += W[i * cols + j] * v[j];
    y[i] = s;
  }
  return y;
}

function getParam(params: Record<string, Float64Array>, name: string, size: number): Float64Array {
  const p = params[name];
  if (!p) throw new Error(`missing parameter ${name}`);
  if (p.length !== size) throw new Error(`parameter ${name} has ${p.length} values, expected ${size}`);
  return p;
}

/** The weights of one layer and direction, checked against their PyTorch shapes. */
export interface DirectionParams {
  W_ih: Float64Array; // [G*H, in]
  W_hh: Float64Array; // [G*H, H_out]
  b_ih?: Float64Array; // [G*H]
  b_hh?: Float64Array; // [G*H]
  W_hr?: Float64Array; // [P, H]
}

export function directionParams(cfg: Config64, params: Record<string, Float64Array>, layer: number, dir: number, inSize: number): DirectionParams {
  const H = cfg.hiddenSize;
  const Hout = cfg.projSize || H;
  const GH = gateCount(cfg.mode) * H;
  const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
  const p: DirectionParams = {
    W_ih: getParam(params, `weight_ih${suffix}`, GH * inSize),
    W_hh: getParam(params, `weight_hh${suffix}`, GH * Hout),
  };
  if (cfg.bias) {
    p.b_ih = getParam(params, `bias_ih${suffix}`, GH);
    p.b_hh = getParam(params, `bias_hh${suffix}`, GH);
  }
  if (cfg.projSize > 0) p.W_hr = getParam(params, `weight_hr${suffix}`, cfg.projSize * H);
  return p;
}

/**
 * One time step of one cell for one batch row: from input x [in], state h [H_out] and (LSTM)
 * c [H], returns the new h [H_out] and c [H].
 */
export function cellStep(cfg: Config64, p: DirectionParams, inSize: number, x: Float64Array, h: Float64Array, c: Float64Array): { h: Float64Array; c: Float64Array } {
  const H = cfg.hiddenSize;
  const Hout = cfg.projSize || H;
  const G = gateCount(cfg.mode);
  const gx = matVec(p.W_ih, G * H, inSize, x, p.b_ih); // W_ih x + b_ih
  const gh = matVec(p.W_hh, G * H, Hout, h, p.b_hh); // W_hh h + b_hh

  switch (cfg.mode) {
    case 'RNN_TANH':
    case 'RNN_RELU': {
      const act = cfg.mode === 'RNN_TANH' ? Math.tanh : relu;
      const hNew = new Float64Array(H);
      for (let j = 0; j < H; j++) hNew[j] = act(gx[j] + gh[j]);
      return { h: hNew, c };
    }
    case 'LSTM': {
      const hFull = new Float64Array(H);
      const cNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gx[0 * H + j] + gh[0 * H + j]);
        const f = sigmoid(gx[1 * H + j] + gh[1 * H + j]);
        const g = Math.tanh(gx[2 * H + j] + gh[2 * H + j]);
        const o = sigmoid(gx[3 * H + j] + gh[3 * H + j]);
        cNew[j] = f * c[j] + i * g;
        hFull[j] = o * Math.tanh(cNew[j]);
      }
      const hNew = p.W_hr ? matVec(p.W_hr, cfg.projSize, H, hFull) : hFull;
      return { h: hNew, c: cNew };
    }
    case 'GRU': {
      const hNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gx[0 * H + j] + gh[0 * H + j]);
        const z = sigmoid(gx[1 * H + j] + gh[1 * H + j]);
        const n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]);
        hNew[j] = (1 - z) * n + z * h[j];
      }
      return { h: hNew, c };
    }
  }
}

export function forward64(
  cfg: Config64,
  params: Record<string, Float64Array>,
  x: Float64Array,
  T: number,
  B: number,
  h0?: Float64Array,
  c0?: Float64Array,
  lengths?: ArrayLike<number>,
): Result64 {
  const { mode, inputSize, hiddenSize: H, numLayers: L, projSize: P } = cfg;
  const isLSTM = mode === 'LSTM';
  if (P < 0 || (P !== 0 && P >= H)) throw new Error('projSize must be 0 or in 1..hiddenSize-1');
  if (P > 0 && !isLSTM) throw new Error('projSize is for LSTM only');
  const Hout = P || H;
  const dirs = cfg.bidirectional ? 2 : 1;
  if (x.length !== T * B * inputSize) throw new Error(`x has ${x.length} values, expected T*B*inputSize = ${T * B * inputSize}`);
  if (h0 && h0.length !== L * dirs * B * Hout) throw new Error('h0 has the wrong size');
  if (c0 && c0.length !== L * dirs * B * H) throw new Error('c0 has the wrong size');
  if (c0 && !isLSTM) throw new Error('c0 is for LSTM only');

  const len: number[] = [];
  for (let b = 0; b < B; b++) {
    const l = lengths ? lengths[b] : T;
    if (!Number.isInteger(l) || l < 1 || l > T) throw new Error(`length ${l} of row ${b} not in 1..${T}`);
    len.push(l);
  }

  const h_n = new Float64Array(L * dirs * B * Hout);
  const c_n = isLSTM ? new Float64Array(L * dirs * B * H) : undefined;

  let layerIn: Float64Array = x; // [T, B, inSize]
  let inSize = inputSize;
  for (let layer = 0; layer < L; layer++) {
    const outWidth = dirs * Hout;
    const layerOut = new Float64Array(T * B * outWidth); // padded steps stay 0
    for (let dir = 0; dir < dirs; dir++) {
      const p = directionParams(cfg, params, layer, dir, inSize);
      const s = layer * dirs + dir; // index into h0/h_n/c0/c_n
      for (let b = 0; b < B; b++) {
        let h: Float64Array = h0 ? h0.slice((s * B + b) * Hout, (s * B + b + 1) * Hout) : new Float64Array(Hout);
        let c: Float64Array = c0 ? c0.slice((s * B + b) * H, (s * B + b + 1) * H) : new Float64Array(H);
        for (let k = 0; k < len[b]; k++) {
          const t = dir === 0 ? k : len[b] - 1 - k;
          const xt = layerIn.slice((t * B + b) * inSize, (t * B + b + 1) * inSize);
          ({ h, c } = cellStep(cfg, p, inSize, xt, h, c));
          layerOut.set(h, (t * B + b) * outWidth + dir * Hout);
        }
        h_n.set(h, (s * B + b) * Hout);
        if (c_n) c_n.set(c, (s * B + b) * H);
      }
    }
    layerIn = layerOut;
    inSize = outWidth;
  }
  return c_n ? { output: layerIn, h_n, c_n } : { output: layerIn, h_n };
}

/**
 * Central finite differences (f(v + eps) - f(v - eps)) / (2 eps) of f with respect to
 * values[i] for each i in indices; f must read values. Every value is restored afterwards.
 */
export function gradCheck(f: () => number, values: Float64Array, indices: number[], eps = 1e-6): number[] {
  const grads: number[] = [];
  for (const i of indices) {
    const saved = values[i];
    try {
      values[i] = saved + eps;
      const plus = f();
      values[i] = saved - eps;
      const minus = f();
      grads.push((plus - minus) / (2 * eps));
    } finally {
      values[i] = saved;
    }
  }
  return grads;
}

/** One checked tensor: its name, its float64 values (which the loss reads) and our gradient. */
export type GradTarget = [name: string, values: Float64Array, ours: Float32Array];

/**
 * Our gradients against central differences of `loss` at sampled entries of every target:
 * the first and last entry and `spread` more spread over the tensor (or the entries `picks`
 * gives). Returns the worst |ours - fd| / (1 + |fd|) and a line for every entry over `tolerance`.
 */
export function compareWithFiniteDifferences(loss: () => number, targets: GradTarget[], tolerance: number,
  spread = 6, picks?: (n: number) => number[]): { worst: number; failures: string[] } {
  let worst = 0;
  const failures: string[] = [];
  for (const [name, values, ours] of targets) {
    const n = values.length;
    const at = picks ? picks(n) : [...new Set([0, n - 1, ...Array.from({ length: spread }, (_, i) => Math.floor(((i * 7919 + 13) % 1009) / 1009 * n))])];
    const fd = gradCheck(loss, values, at);
    at.forEach((i, k) => {
      const err = Math.abs(ours[i] - fd[k]) / (1 + Math.abs(fd[k]));
      worst = Math.max(worst, err);
      if (!(err <= tolerance)) failures.push(`${name}[${i}]: ours ${ours[i]}, finite difference ${fd[k]}`);
    });
  }
  return { worst, failures };
}
