/**
 * What a recurrent layer is: its options (validated once, at construction), the sizes that
 * follow from them, and its parameter table.
 *
 * Gate order is declared here and nowhere else: LSTM i, f, g, o; GRU r, z, n (PyTorch's).
 * Parameters are stored TRANSPOSED from PyTorch's [out, in] to [in, out], so the forward
 * products vectorise along the gates (assembly/gemm.ts); stateDict/loadStateDict convert.
 */
import { RnnError, describe } from '../errors.js';
import { paddedWidth, type Slot } from '../layout.js';

export type CellKind = 'RNN' | 'LSTM' | 'GRU' | 'CEC';

/** Gate blocks of W_ih / W_hh, in row order, for each cell and variant. */
function gateNames(kind: CellKind, threeGateLstm: boolean, minimal: boolean): readonly string[] {
  if (kind === 'LSTM') return threeGateLstm ? ['i', 'g', 'o'] : ['i', 'f', 'g', 'o'];
  if (kind === 'GRU') return minimal ? ['f', 'n'] : ['r', 'z', 'n'];
  return ['h'];
}

/** Weight initialisation schemes (initializers.ts). */
export type InitScheme = 'pytorch' | 'xavier' | 'orthogonal' | 'identity';

/** The options every recurrent layer takes (PyTorch's names, camel-cased). */
export interface RecurrentOptions {
  /** The width of each input step x(t). */
  inputSize: number;
  /** H, the number of hidden units (of the cell state too, for an LSTM). */
  hiddenSize: number;
  /** Stacked layers, each fed the output of the one below (default 1). */
  numLayers?: number;
  /** The biases bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output as [B, T, ...] instead of [T, B, ...] (default false); states keep [layers * dirs, B, ...]. */
  batchFirst?: boolean;
  /** A second direction per layer running from the last step back; outputs concatenate forward then reverse (default false). */
  bidirectional?: boolean;
  /** Seed of the initialiser; without one, weights come from a randomly seeded generator. */
  seed?: number;
  /**
   * Initialisation of the recurrent matrices W_hh (input matrices and biases keep PyTorch's
   * default U(-1/sqrt(H), 1/sqrt(H)) unless `init` is 'xavier'): 'pytorch' (default),
   * 'xavier' (Glorot uniform, every matrix), 'orthogonal' (each gate block of W_hh
   * orthogonal, Saxe et al. 2014), 'identity' (each gate block of W_hh = initScale * I and
   * zero biases: the IRNN of Le et al. 2015 for a relu RNN).
   */
  init?: InitScheme;
  /** Gain of 'xavier' / 'orthogonal', scale of 'identity'; default 1. */
  initScale?: number;
}

/** Options of `new RNN`: the common ones, the activation and the classic RNN variants. */
export interface RNNOptions extends RecurrentOptions {
  /** The activation act (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
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

/** Options of `new LSTM`: the common ones, projections and the LSTM variants. */
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
}

/** Options of `new GRU`: the common ones and the GRU variants. */
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
}

/** The bare constant-error-carousel cell: c = c_prev + tanh(x W_ih + b_ih + h W_hh + b_hh), h = tanh(c). */
export type CECOptions = RecurrentOptions;

/** Everything the numeric code needs, derived once. */
export interface Spec {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly nonlinearity: 'tanh' | 'relu';
  readonly projSize: number;
  /** 1 or 2. */
  readonly dirs: number;
  /** Gate blocks in row order; G = gates.length. */
  readonly gates: readonly string[];
  /** Gates per unit: 1 to 4. */
  readonly G: number;
  /** A cell state c is carried (LSTM, CEC). */
  readonly hasCell: boolean;
  readonly init: InitScheme;
  readonly initScale: number;
  // LSTM variants
  readonly peepholes: boolean;
  readonly forgetGate: boolean;
  readonly coupled: boolean;
  readonly cellClip: number;
  readonly forgetBias: number | null;
  /** LSTM with full gate recurrence (weight_gg). */
  readonly gateRecurrence: boolean;
  /** The LSTM runs the general variant kernel (any of the four options above). */
  readonly lstmVariant: boolean;
  // GRU variants
  readonly resetAfter: boolean;
  readonly minimal: boolean;
  // RNN variants
  /** Fixed per-unit time constants (length H), or null. */
  readonly tau: Float32Array | null;
  readonly trainTau: boolean;
  readonly delays: readonly number[];
  readonly identityRecurrence: boolean;
  /** The RNN runs the general path (leak, delays or identity). */
  readonly rnnVariant: boolean;
  /** Size of h: projSize or hiddenSize. */
  readonly hOut: number;
  /** Input width of layer l: inputSize, then dirs * hOut. */
  inWidth(l: number): number;
}

function positiveInt(v: unknown, name: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RnnError('BAD_ARGUMENT', `${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

function flag(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new RnnError('BAD_ARGUMENT', `${name} must be true or false, got ${describe(v)}`);
  return v;
}

function finiteNumber(v: unknown, name: string, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RnnError('BAD_ARGUMENT', `${name} must be ${expected}, got ${describe(v)}`);
  return v;
}

const KNOWN = new Set(['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'seed', 'init', 'initScale']);
const EXTRA: Record<CellKind, string[]> = {
  RNN: ['nonlinearity', 'tau', 'trainTau', 'delays', 'identityRecurrence'],
  LSTM: ['projSize', 'peepholes', 'forgetGate', 'coupled', 'cellClip', 'forgetBias', 'gateRecurrence'],
  GRU: ['resetAfter', 'minimal'],
  CEC: [],
};
const SCHEMES: readonly string[] = ['pytorch', 'xavier', 'orthogonal', 'identity'];

export function makeSpec(kind: CellKind, options: unknown): Spec {
  if (typeof options !== 'object' || options === null) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}(options): options must be an object with inputSize and hiddenSize, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key) && !EXTRA[kind].includes(key)) {
      throw new RnnError('BAD_ARGUMENT', `new ${kind}: unknown option ${JSON.stringify(key)} (known: ${[...KNOWN, ...EXTRA[kind]].join(', ')})`);
    }
  }
  const inputSize = positiveInt(o.inputSize, `new ${kind}: inputSize`);
  const hiddenSize = positiveInt(o.hiddenSize, `new ${kind}: hiddenSize`);
  const numLayers = o.numLayers === undefined ? 1 : positiveInt(o.numLayers, `new ${kind}: numLayers`);
  const nonlinearity = o.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new RnnError('BAD_ARGUMENT', `new RNN: nonlinearity must be 'tanh' or 'relu', got ${describe(nonlinearity)}`);
  }
  const projSize = o.projSize === undefined ? 0 : positiveInt(o.projSize, `new LSTM: projSize`, 0);
  if (projSize >= hiddenSize) {
    throw new RnnError('BAD_ARGUMENT', `new LSTM: projSize must be smaller than hiddenSize (${hiddenSize}), got ${projSize}`);
  }
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: seed must be an integer, got ${describe(o.seed)}`);
  }
  const bidirectional = flag(o.bidirectional, `new ${kind}: bidirectional`, false);
  const dirs = bidirectional ? 2 : 1;
  const hOut = projSize || hiddenSize;
  const init = o.init ?? 'pytorch';
  if (typeof init !== 'string' || !SCHEMES.includes(init)) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: init must be one of ${SCHEMES.map((x) => `'${x}'`).join(', ')}, got ${describe(init)}`);
  }
  const initScale = o.initScale === undefined ? 1 : finiteNumber(o.initScale, `new ${kind}: initScale`, (x) => x > 0, 'a number > 0');

  const peepholes = flag(o.peepholes, 'new LSTM: peepholes', false);
  const forgetGate = flag(o.forgetGate, 'new LSTM: forgetGate', true);
  const coupled = flag(o.coupled, 'new LSTM: coupled', false);
  if (coupled && !forgetGate) throw new RnnError('BAD_ARGUMENT', 'new LSTM: coupled (f = 1 - i) needs a forget gate; it cannot be combined with forgetGate: false');
  const cellClip = o.cellClip === undefined ? 0 : finiteNumber(o.cellClip, 'new LSTM: cellClip', (x) => x >= 0, 'a number >= 0 (0 = off)');
  const forgetBias = o.forgetBias === undefined ? null : finiteNumber(o.forgetBias, 'new LSTM: forgetBias', () => true, 'a finite number');
  if (forgetBias !== null && (!forgetGate || coupled)) throw new RnnError('BAD_ARGUMENT', 'new LSTM: forgetBias needs a forget gate of its own (not with forgetGate: false or coupled)');

  const gateRecurrence = flag(o.gateRecurrence, 'new LSTM: gateRecurrence', false);
  if (gateRecurrence && (peepholes || cellClip > 0 || coupled || !forgetGate)) {
    throw new RnnError('BAD_ARGUMENT', 'new LSTM: gateRecurrence runs on the plain i, f, g, o cell; it cannot be combined with peepholes, cellClip, coupled or forgetGate: false');
  }
  const resetAfter = flag(o.resetAfter, 'new GRU: resetAfter', true);
  const minimal = flag(o.minimal, 'new GRU: minimal', false);
  if (minimal && o.resetAfter === true) throw new RnnError('BAD_ARGUMENT', 'new GRU: the minimal gated unit applies its gate before the hidden product; it cannot be combined with resetAfter: true');

  let tau: Float32Array | null = null;
  if (o.tau !== undefined) {
    const v = o.tau as unknown;
    const values = typeof v === 'number' ? new Array(hiddenSize).fill(v) : v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number' ? Array.from(v as ArrayLike<number>) : null;
    if (!values || values.length !== hiddenSize) throw new RnnError('BAD_ARGUMENT', `new RNN: tau must be a number or ${hiddenSize} numbers (one per unit), got ${describe(v)}`);
    values.forEach((t, j) => finiteNumber(t, `new RNN: tau[${j}]`, (x) => x >= 1, 'a time constant >= 1'));
    tau = Float32Array.from(values);
  }
  const trainTau = flag(o.trainTau, 'new RNN: trainTau', false);
  if (trainTau && !tau) throw new RnnError('BAD_ARGUMENT', 'new RNN: trainTau needs initial time constants in tau');
  let delays: number[] = [1];
  if (o.delays !== undefined) {
    if (!Array.isArray(o.delays) || o.delays.length === 0) throw new RnnError('BAD_ARGUMENT', `new RNN: delays must be a non-empty array of integers >= 1, got ${describe(o.delays)}`);
    delays = o.delays.map((d, j) => positiveInt(d, `new RNN: delays[${j}]`));
    if (new Set(delays).size !== delays.length) throw new RnnError('BAD_ARGUMENT', `new RNN: delays must be distinct, got [${delays.join(', ')}]`);
    delays.sort((a, b) => a - b);
  }
  const identityRecurrence = flag(o.identityRecurrence, 'new RNN: identityRecurrence', false);

  const threeGate = !forgetGate || coupled;
  const gates = gateNames(kind, threeGate, minimal);
  return {
    kind, inputSize, hiddenSize, numLayers, nonlinearity, projSize, bidirectional, dirs, hOut,
    bias: flag(o.bias, `new ${kind}: bias`, true),
    batchFirst: flag(o.batchFirst, `new ${kind}: batchFirst`, false),
    gates, G: gates.length, hasCell: kind === 'LSTM' || kind === 'CEC', init: init as InitScheme, initScale,
    peepholes, forgetGate, coupled, cellClip, forgetBias, gateRecurrence,
    lstmVariant: kind === 'LSTM' && (peepholes || threeGate || cellClip > 0),
    resetAfter: resetAfter && !minimal, minimal,
    tau, trainTau, delays, identityRecurrence,
    rnnVariant: kind === 'RNN' && (tau !== null || identityRecurrence || delays.length !== 1 || delays[0] !== 1),
    inWidth: (l: number) => (l === 0 ? inputSize : dirs * hOut),
  };
}

/** The options that rebuild a layer of this spec (its weights aside), as saved in checkpoints. */
export function specOptions(s: Spec): Record<string, unknown> {
  const c: Record<string, unknown> = { type: s.kind, inputSize: s.inputSize, hiddenSize: s.hiddenSize, numLayers: s.numLayers, bias: s.bias, batchFirst: s.batchFirst, bidirectional: s.bidirectional };
  if (s.kind === 'RNN') {
    c.nonlinearity = s.nonlinearity;
    if (s.tau) { c.tau = Array.from(s.tau); c.trainTau = s.trainTau; }
    if (s.rnnVariant) { c.delays = [...s.delays]; c.identityRecurrence = s.identityRecurrence; }
  }
  if (s.kind === 'LSTM') {
    c.projSize = s.projSize;
    if (s.lstmVariant) Object.assign(c, { peepholes: s.peepholes, forgetGate: s.forgetGate, coupled: s.coupled, cellClip: s.cellClip });
    if (s.gateRecurrence) c.gateRecurrence = true;
  }
  if (s.kind === 'GRU' && (!s.resetAfter || s.minimal)) Object.assign(c, { resetAfter: s.resetAfter, minimal: s.minimal });
  return c;
}

/** PyTorch's key suffix for a layer and direction: `_l1`, `_l0_reverse`. */
export function suffix(l: number, d: number): string {
  return `_l${l}${d === 1 ? '_reverse' : ''}`;
}

/** One parameter: its PyTorch name and shape, and the shape we store (transposed). */
export interface ParamInfo {
  readonly name: string;
  /** PyTorch's shape, as in state_dict(). */
  readonly torchShape: readonly number[];
  /** True when stored as the transpose of torchShape (matrices). */
  readonly transposed: boolean;
}

/** Name of the recurrent matrix of delay d: `weight_hh` for d = 1, `weight_hh_d{d}` else. */
export function delayWeight(d: number): string {
  return d === 1 ? 'weight_hh' : `weight_hh_d${d}`;
}

/**
 * The parameters in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh, w_hr.
 * Variants PyTorch lacks add, in this order after w_hh: `weight_hh_d{d}` (RNN delays d > 1);
 * after the biases: `weight_ch` (LSTM peepholes, [3, H] rows i, f, o, or [2, H] rows i, o
 * without a forget gate of its own), `weight_gg` (LSTM gate recurrence, [3H, 3H]), w_hr, and
 * `tau` ([H], RNN with trainTau).
 */
export function paramTable(s: Spec): ParamInfo[] {
  const out: ParamInfo[] = [];
  const H = s.hiddenSize, GH = s.G * H;
  for (let l = 0; l < s.numLayers; l++) {
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d);
      out.push({ name: `weight_ih${x}`, torchShape: [GH, s.inWidth(l)], transposed: true });
      for (const delay of s.delays) out.push({ name: `${delayWeight(delay)}${x}`, torchShape: [GH, s.hOut], transposed: true });
      if (s.bias) {
        out.push({ name: `bias_ih${x}`, torchShape: [GH], transposed: false });
        out.push({ name: `bias_hh${x}`, torchShape: [GH], transposed: false });
      }
      if (s.peepholes) out.push({ name: `weight_ch${x}`, torchShape: [s.G === 4 ? 3 : 2, H], transposed: false });
      if (s.gateRecurrence) out.push({ name: `weight_gg${x}`, torchShape: [3 * H, 3 * H], transposed: true });
      if (s.projSize) out.push({ name: `weight_hr${x}`, torchShape: [s.projSize, H], transposed: true });
      if (s.trainTau) out.push({ name: `tau${x}`, torchShape: [H], transposed: false });
    }
  }
  return out;
}


/** Layout slots of the parameters (the gradients use the same table). */
export function paramSlots(s: Spec): Slot[] {
  return paramTable(s).map((p) => ({
    name: p.name,
    shape: p.transposed ? [p.torchShape[1], paddedWidth(p.torchShape[0])] : p.torchShape,
    comment: p.transposed
      ? `PyTorch's ${p.name} [${p.torchShape.join(', ')}], transposed; rows padded to paddedWidth (padding stays 0)`
      : `PyTorch's ${p.name}`,
  }));
}
