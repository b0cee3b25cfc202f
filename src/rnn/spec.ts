/**
 * What a recurrent layer is: the options every cell shares (validated once, at construction),
 * the cell built from the rest (cells/), the sizes that follow, and the parameter table.
 *
 * Gate order is declared by each cell (LSTM i, f, g, o; GRU r, z, n: PyTorch's).
 * Parameters are stored TRANSPOSED from PyTorch's [out, in] to [in, out], so the forward
 * products vectorise along the gates (assembly/gemm.ts); stateDict/loadStateDict convert.
 */
import { checkFlag, checkInt, checkNumber, checkOptions } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import { paddedWidth, planLayout, type Slot } from '../layout.js';
import type { Cell, CellParam } from './cell.js';
import { CELLS, type CellKind } from './cells/index.js';
import { REGULARISATION_OPTIONS, parseRegularisation, regularisationConfig, type Regularisation } from './dropout.js';

/** Weight initialisation schemes (initializers.ts). */
export type InitScheme = 'pytorch' | 'xavier' | 'orthogonal' | 'identity' | 'chrono';

/** The options every recurrent layer takes (PyTorch's names, camel-cased). */
export interface RecurrentOptions {
  /** The width of each input step x(t). */
  inputSize: number;
  /** H, the number of hidden units (of the cell state too, for an LSTM). */
  hiddenSize: number;
  /** Stacked layers, each fed the output of the one below (default 1, at most 1000). */
  numLayers?: number;
  /** The biases bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output as [B, T, ...] instead of [T, B, ...] (default false); states keep [layers * dirs, B, ...]. */
  batchFirst?: boolean;
  /** A second direction per layer running from the last step back; outputs concatenate forward then reverse (default false). */
  bidirectional?: boolean;
  /**
   * The one direction runs from each row's last step back to the first (ONNX's direction
   * 'reverse'); not with bidirectional, and no stream (default false).
   */
  reverse?: boolean;
  /** Seed of the initialiser; without one, weights come from a randomly seeded generator. */
  seed?: number;
  /**
   * Initialisation of the recurrent matrices W_hh (input matrices and biases keep PyTorch's
   * default U(-1/sqrt(H), 1/sqrt(H)) unless `init` is 'xavier'): 'pytorch' (default),
   * 'xavier' (Glorot uniform, every matrix), 'orthogonal' (each gate block of W_hh
   * orthogonal, Saxe et al. 2014), 'identity' (each gate block of W_hh = initScale * I and
   * zero biases: the IRNN of Le et al. 2015 for a relu RNN), 'chrono' (Tallec & Ollivier
   * 2018: the gate biases that set how long memory lasts drawn so that time scales spread
   * over 1 .. chronoTMax; everything else PyTorch's default; LSTM and GRU, see chronoTMax).
   */
  init?: InitScheme;
  /** Gain of 'xavier' / 'orthogonal', scale of 'identity'; default 1. */
  initScale?: number;
  /** PyTorch's dropout on each layer's output but the last, training forwards only (default 0). */
  dropout?: number;
  /** Keras's `dropout`: each layer's input x(t) times one mask per sequence, training only (default 0). */
  inputDropout?: number;
  /** Keras's `recurrent_dropout`: h(t-1) in the recurrent product times one mask per sequence, training only; LSTM (default 0). */
  recurrentDropout?: number;
  /**
   * Zoneout (Krueger et al. 2017): in training each unit of h and c keeps its previous value
   * with this probability (a fresh mask per step); at inference h = p h(t-1) + (1 - p) h_new,
   * the same for c (default 0).
   */
  zoneout?: number;
  /**
   * T_max of init 'chrono' (required with it, only with it; a number > 2): the longest
   * dependency expected, in steps. Per unit u ~ U(1, T_max - 1) and, in bias_ih (bias_hh's
   * block 0): LSTM forget gate log(u), input gate -log(u) (coupled: the input gate -log(u),
   * so f = 1 - i = sigmoid(log u)); GRU update gate z +log(u) (PyTorch's h = (1 - z) n +
   * z h_prev keeps h when z is near 1); the minimal unit's gate f -log(u).
   */
  chronoTMax?: number;
}

/** Everything the numeric code needs, derived once. */
export interface Spec {
  readonly kind: CellKind;
  readonly cell: Cell;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  /** 1 or 2. */
  readonly dirs: number;
  /** A single direction that runs backwards in time. */
  readonly reverse: boolean;
  /** The time order of direction d: 0 first to last step, 1 last to first. */
  timeOrder(d: number): number;
  /** Gate blocks in row order (the cell's); G = gates.length. */
  readonly gates: readonly string[];
  /** Gates per unit: 1 to 4. */
  readonly G: number;
  /** A cell state c is carried (LSTM, CEC). */
  readonly hasCell: boolean;
  /** Size of h: projSize or hiddenSize. */
  readonly hOut: number;
  readonly init: InitScheme;
  readonly initScale: number;
  /** T_max of init 'chrono' (0 with any other init). */
  readonly chronoTMax: number;
  /** Input width of layer l: inputSize, then dirs * hOut. */
  inWidth(l: number): number;
  /** dropout, inputDropout, recurrentDropout, zoneout (dropout.ts). */
  readonly reg: Regularisation;
}

/**
 * The most stacked layers a recurrent layer takes. PyTorch sets no limit; ours comes from the
 * bookkeeping in JavaScript (named parameter and tape slots, a bound cell per layer), which
 * costs about 0.1 ms per layer each time a layer is built, a forward meets a new (T, B) or a
 * stream is made: a thousand layers take a fraction of a second, a million took a minute
 * (while fitting in memory). Published stacks have at most tens of layers.
 */
export const MAX_LAYERS = 1000;

const COMMON = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'reverse', 'seed', 'init', 'initScale', 'chronoTMax', ...REGULARISATION_OPTIONS];
const SCHEMES: readonly string[] = ['pytorch', 'xavier', 'orthogonal', 'identity', 'chrono'];

export function makeSpec(kind: CellKind, options: unknown): Spec {
  if (typeof options !== 'object' || options === null) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}(options): options must be an object with inputSize and hiddenSize, got ${describe(options)}`);
  }
  const family = CELLS[kind], o = options as Record<string, unknown>;
  checkOptions(o, [...COMMON, ...family.options], `new ${kind}`);
  const inputSize = checkInt(o.inputSize, `new ${kind}: inputSize`);
  const hiddenSize = checkInt(o.hiddenSize, `new ${kind}: hiddenSize`);
  const numLayers = o.numLayers === undefined ? 1 : checkInt(o.numLayers, `new ${kind}: numLayers`);
  if (numLayers > MAX_LAYERS) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: numLayers must be an integer from 1 to ${MAX_LAYERS} (each layer costs bookkeeping in JavaScript at every build and new input shape), got ${numLayers}`);
  }
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed))) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: seed must be an integer, got ${describe(o.seed)}`);
  }
  const bidirectional = checkFlag(o.bidirectional, `new ${kind}: bidirectional`, false);
  const reverse = checkFlag(o.reverse, `new ${kind}: reverse`, false);
  if (reverse && bidirectional) throw new RnnError('BAD_ARGUMENT', `new ${kind}: reverse runs the one direction backwards; a bidirectional layer already has a reverse direction`);
  const init = o.init === undefined ? 'pytorch' : o.init;
  if (typeof init !== 'string' || !SCHEMES.includes(init)) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: init must be one of ${SCHEMES.map((x) => `'${x}'`).join(', ')}, got ${describe(init)}`);
  }
  const initScale = o.initScale === undefined ? 1 : checkNumber(o.initScale, `new ${kind}: initScale`, (x) => x > 0, 'a number > 0');
  const bias = checkFlag(o.bias, `new ${kind}: bias`, true);
  const batchFirst = checkFlag(o.batchFirst, `new ${kind}: batchFirst`, false);
  const cell = family.make(o, { inputSize, hiddenSize });
  const chronoTMax = chronoOption(kind, o, init, cell, bias);
  const dirs = bidirectional ? 2 : 1, hOut = cell.hOut;
  const reg = parseRegularisation(o, kind, cell);
  return {
    kind, cell, inputSize, hiddenSize, numLayers, bias, batchFirst, bidirectional, reverse, dirs, hOut,
    timeOrder: (d: number) => (reverse ? 1 : d),
    gates: cell.gates, G: cell.gates.length, hasCell: cell.hasCell, init: init as InitScheme, initScale, chronoTMax,
    inWidth: (l: number) => (l === 0 ? inputSize : dirs * hOut), reg,
  };
}

// chronoTMax goes with init 'chrono' only, which sets the biases of gates the cell names
function chronoOption(kind: string, o: Record<string, unknown>, init: unknown, cell: Cell, bias: boolean): number {
  if (init !== 'chrono') {
    if (o.chronoTMax !== undefined) throw new RnnError('BAD_ARGUMENT', `new ${kind}: chronoTMax is the T_max of init 'chrono'; got it with init ${describe(init)}`);
    return 0;
  }
  if (!cell.chronoGates) throw new RnnError('BAD_ARGUMENT', `new ${kind}: init 'chrono' sets the biases of gates that keep or forget (an LSTM's forget and input gates, a GRU's update gate); this ${kind} has none`);
  if (!bias) throw new RnnError('BAD_ARGUMENT', `new ${kind}: init 'chrono' sets gate biases; it needs bias: true`);
  if (o.chronoTMax === undefined) throw new RnnError('BAD_ARGUMENT', `new ${kind}: init 'chrono' needs chronoTMax (the longest dependency expected, in steps), got none`);
  return checkNumber(o.chronoTMax, `new ${kind}: chronoTMax`, (x) => x > 2, 'a number > 2');
}

/** The options that rebuild a layer of this spec (its weights aside), as saved in checkpoints. */
export function specOptions(s: Spec): Record<string, unknown> {
  return {
    type: s.kind, inputSize: s.inputSize, hiddenSize: s.hiddenSize, numLayers: s.numLayers, bias: s.bias,
    batchFirst: s.batchFirst, bidirectional: s.bidirectional, ...(s.reverse ? { reverse: true } : {}), ...s.cell.config(),
    ...regularisationConfig(s.reg),
  };
}

/** PyTorch's key suffix for a layer and direction: `_l1`, `_l0_reverse`. */
export function suffix(l: number, d: number): string {
  return `_l${l}${d === 1 ? '_reverse' : ''}`;
}

/** One parameter: its PyTorch name and shape, and the shape we store (transposed). */
export interface ParamInfo extends CellParam {
  /** The name without its layer suffix (`weight_hh`), as the cell knows it. */
  readonly base: string;
}

/**
 * The parameters in PyTorch's order: per layer, per direction, w_ih, the cell's recurrent
 * matrices (w_hh, and for an RNN with delays `weight_hh_d{d}`), b_ih, b_hh, then the cell's
 * own (LSTM: `weight_ch` peepholes, `weight_gg` gate recurrence, w_hr; RNN: `tau`).
 */
export function paramTable(s: Spec): ParamInfo[] {
  const out: ParamInfo[] = [];
  const GH = s.G * s.hiddenSize;
  for (let l = 0; l < s.numLayers; l++) {
    for (let d = 0; d < s.dirs; d++) {
      const x = suffix(l, d);
      const add = (p: CellParam) => out.push({ name: `${p.name}${x}`, torchShape: p.torchShape, transposed: p.transposed, base: p.name });
      add({ name: 'weight_ih', torchShape: [GH, s.inWidth(l)], transposed: true });
      for (const w of s.cell.recurrentWeights) add({ name: w, torchShape: [GH, s.hOut], transposed: true });
      if (s.bias) {
        add({ name: 'bias_ih', torchShape: [GH], transposed: false });
        add({ name: 'bias_hh', torchShape: [GH], transposed: false });
      }
      s.cell.extraParams.forEach(add);
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

/**
 * Bytes of a layout that repeats per layer (parameters, the tape), computed from at most two
 * layers: every slot starts at a 64-byte boundary, so layer 1's slots take the same bytes as
 * every later layer's and the total is arithmetic. Nothing is built per layer, so an absurd
 * numLayers is measured (and refused) at once.
 */
export function stackedBytes(s: Spec, slots: (s: Spec) => Slot[]): number {
  const bytes = (numLayers: number) => planLayout(slots({ ...s, numLayers })).bytes;
  if (s.numLayers <= 2) return bytes(s.numLayers);
  const one = bytes(1);
  return one + (s.numLayers - 1) * (bytes(2) - one);
}

/** Bytes of the parameters (the gradients take as many). */
export function paramBytes(s: Spec): number {
  return stackedBytes(s, paramSlots);
}
