/**
 * What a recurrent layer is: its options (validated once, at construction), the sizes that
 * follow from them, and its parameter table.
 *
 * Gate order is declared here and nowhere else: LSTM i, f, g, o; GRU r, z, n (PyTorch's).
 * Parameters are stored TRANSPOSED from PyTorch's [out, in] to [in, out], so the forward
 * products vectorise along the gates (assembly/gemm.ts); stateDict/loadStateDict convert.
 */
import { RnnError, describe } from '../errors.js';
import type { Slot } from '../layout.js';

export type CellKind = 'RNN' | 'LSTM' | 'GRU';

export const GATES: Record<CellKind, readonly string[]> = {
  RNN: ['h'],
  LSTM: ['i', 'f', 'g', 'o'],
  GRU: ['r', 'z', 'n'],
};

export interface RecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  bidirectional?: boolean;
  /** Seed of the initialiser; without one, weights come from a randomly seeded generator. */
  seed?: number;
}

export interface RNNOptions extends RecurrentOptions {
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /** Size of the projected hidden state (LSTM with projections); 0 = none. */
  projSize?: number;
}

export type GRUOptions = RecurrentOptions;

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
  /** Gates per unit: 1, 4 or 3. */
  readonly G: number;
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

const KNOWN = new Set(['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'seed']);
const EXTRA: Record<CellKind, string[]> = { RNN: ['nonlinearity'], LSTM: ['projSize'], GRU: [] };

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
  return {
    kind, inputSize, hiddenSize, numLayers, nonlinearity, projSize, bidirectional, dirs, hOut,
    bias: flag(o.bias, `new ${kind}: bias`, true),
    batchFirst: flag(o.batchFirst, `new ${kind}: batchFirst`, false),
    G: GATES[kind].length,
    inWidth: (l: number) => (l === 0 ? inputSize : dirs * hOut),
  };
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

/** The parameters in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh, w_hr. */
export function paramTable(s: Spec): ParamInfo[] {
  const out: ParamInfo[] = [];
  const GH = s.G * s.hiddenSize;
  for (let l = 0; l < s.numLayers; l++) {
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d);
      out.push({ name: `weight_ih${x}`, torchShape: [GH, s.inWidth(l)], transposed: true });
      out.push({ name: `weight_hh${x}`, torchShape: [GH, s.hOut], transposed: true });
      if (s.bias) {
        out.push({ name: `bias_ih${x}`, torchShape: [GH], transposed: false });
        out.push({ name: `bias_hh${x}`, torchShape: [GH], transposed: false });
      }
      if (s.projSize) out.push({ name: `weight_hr${x}`, torchShape: [s.projSize, s.hiddenSize], transposed: true });
    }
  }
  return out;
}

/**
 * Row length in memory of a stored matrix with `cols` columns. Rows a multiple of 1 KiB apart
 * fall into the same few cache sets (and 4 KiB apart alias in the load/store unit), which
 * starves the GEMM tiles walking down a column strip at H = 256 and 512; sixteen floats of
 * padding (one cache line) spread them out and keep rows 64-byte aligned.
 */
export function paddedWidth(cols: number): number {
  return cols % 256 === 0 ? cols + 16 : cols;
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
