/**
 * Regularisation of a recurrent layer in training forwards: the options, the masks and where
 * they live in the tape. The time loop (sequence.ts) and the layer (layer.ts) apply them.
 *
 *   dropout          PyTorch's: layer l's output (l < numLayers - 1) times a mask, fresh per
 *                    step, unit and row, before layer l + 1 reads it.
 *   inputDropout     Keras's `dropout` (Gal and Ghahramani 2016): every layer's input x(t)
 *                    times one mask per (row, layer), the same at every step (and for both
 *                    directions).
 *   recurrentDropout Keras's `recurrent_dropout`: h(t-1) times one mask per (row, layer,
 *                    direction) where it enters the recurrent product; the state carried on
 *                    is unmasked.
 *   zoneout          Krueger et al. 2017: in training each unit of h (and of c, its own mask)
 *                    keeps its previous value with probability p, a fresh mask per step:
 *                    h(t) = m h(t-1) + (1 - m) h_new. At inference the expectation,
 *                    h(t) = p h(t-1) + (1 - p) h_new (the paper's deterministic test rule),
 *                    so zoneout, unlike the others, changes inference.
 * Dropout masks are inverted (kept units scaled by 1 / (1 - p)), as PyTorch and Keras, so an
 * inference forward is the plain layer. Masks are drawn in JavaScript from the layer's own
 * seeded generator (random.ts: the same bits on every runtime), in the caller's row order,
 * then gathered into the tape's sorted rows.
 *
 * Recurrent dropout lives in the cells (`Cell.recurrentDropout`), through `maskedRecurrence`:
 * the product reads a masked copy of h(t-1), kept per step for dW_hh, while the state and its
 * other uses (a GRU's z h(t-1)) stay unmasked; the product's gradient comes back times the mask.
 * Cells whose h(t-1) enters elsewhere too (RNN delays, leak or identity recurrence, a GRU
 * resetting before its product) refuse the option.
 */
import { checkNumber } from '../checks.js';
import { entry } from '../layout.js';
import { RnnError } from '../errors.js';
import type { Slot } from '../layout.js';
import { Random } from '../random.js';
import type { Cell, CellFrame } from './cell.js';

/** The regularisation options of a recurrent layer (probabilities, 0 = off). */
export interface Regularisation {
  readonly dropout: number;
  readonly inputDropout: number;
  readonly recurrentDropout: number;
  readonly zoneout: number;
}

export const REGULARISATION_OPTIONS = ['dropout', 'inputDropout', 'recurrentDropout', 'zoneout'] as const;

/** Validates the options (each a probability in [0, 1)) against the cell. */
export function parseRegularisation(o: Record<string, unknown>, kind: string, cell: Cell): Regularisation {
  const p = (name: (typeof REGULARISATION_OPTIONS)[number]) => (o[name] === undefined ? 0
    : checkNumber(o[name], `new ${kind}: ${name}`, (x) => x >= 0 && x < 1, 'a probability in [0, 1)'));
  const r = { dropout: p('dropout'), inputDropout: p('inputDropout'), recurrentDropout: p('recurrentDropout'), zoneout: p('zoneout') };
  if (r.recurrentDropout > 0 && !cell.recurrentDropout) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: recurrentDropout needs h(t-1) to enter the step through the recurrent product W_hh (not with delays, tau, identityRecurrence or a GRU's resetAfter: false), got recurrentDropout ${r.recurrentDropout}`);
  }
  if (r.zoneout > 0 && cell.historyGrad) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: zoneout runs on cells whose step reads only the previous state; this cell (delays, leak or identity recurrence) reads more, got zoneout ${r.zoneout}`);
  }
  if (r.zoneout > 0 && r.recurrentDropout > 0) {
    throw new RnnError('BAD_ARGUMENT', `new ${kind}: zoneout and recurrentDropout both act on h(t-1); use one of them, got zoneout ${r.zoneout} and recurrentDropout ${r.recurrentDropout}`);
  }
  return r;
}

/** The options that rebuild the regularisation (only those set, so plain layers' configs are unchanged). */
export function regularisationConfig(r: Regularisation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of REGULARISATION_OPTIONS) if (r[name] > 0) out[name] = r[name];
  return out;
}

/** The seed of the mask generator: a stream apart from the initialiser's, so weights stay as without dropout. */
export function maskSeed(seed: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
}

/** What a mask is: its tape slot, its shape in the caller's row order and how it is drawn. */
export interface MaskInfo {
  /** The tape slot (and the name the test hook and `lastMasks` use). */
  readonly name: string;
  /** [T, B, width] (fresh per step) or [B, width] (one per sequence). */
  readonly shape: readonly number[];
  /** 'drop': 0 or 1 / (1 - p); 'zone': 1 (keep the previous value, probability p) or 0. */
  readonly kind: 'drop' | 'zone';
  readonly p: number;
}

interface SpecLike {
  readonly reg: Regularisation;
  readonly numLayers: number;
  readonly dirs: number;
  readonly hOut: number;
  readonly hiddenSize: number;
  readonly hasCell: boolean;
  inWidth(l: number): number;
}

/** Layer and direction suffix, as spec.ts's `suffix` (not imported: spec.ts imports this file). */
const sfx = (l: number, d: number) => `_l${l}${d === 1 ? '_reverse' : ''}`;

/** The masks of one training forward, in the order they are drawn (layer by layer). */
export function maskTable(s: SpecLike, T: number, B: number): MaskInfo[] {
  const r = s.reg, out: MaskInfo[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    if (r.inputDropout > 0) out.push({ name: `imask_l${l}`, shape: [B, s.inWidth(l)], kind: 'drop', p: r.inputDropout });
    for (let d = 0; d < s.dirs; d++) {
      const x = sfx(l, d);
      if (r.recurrentDropout > 0) out.push({ name: `rmask${x}`, shape: [B, s.hOut], kind: 'drop', p: r.recurrentDropout });
      if (r.zoneout > 0) {
        out.push({ name: `zmask_h${x}`, shape: [T, B, s.hOut], kind: 'zone', p: r.zoneout });
        if (s.hasCell) out.push({ name: `zmask_c${x}`, shape: [T, B, s.hiddenSize], kind: 'zone', p: r.zoneout });
      }
    }
    if (r.dropout > 0 && l < s.numLayers - 1) out.push({ name: `dmask_l${l}`, shape: [T, B, s.dirs * s.hOut], kind: 'drop', p: r.dropout });
  }
  return out;
}

/** Draws one mask (caller's row order). */
export function drawMask(random: Random, m: MaskInfo): Float32Array {
  const n = m.shape.reduce((a, b) => a * b, 1), out = new Float32Array(n);
  if (m.kind === 'zone') random.fillBernoulli(out, m.p, 1, 0);
  else random.fillBernoulli(out, m.p, 0, Math.fround(1 / (1 - m.p)));
  return out;
}

/**
 * The tape slots of the regularisation. Training: the masks (an input mask repeated over the
 * T steps, so one elementwise product applies it), the masked input of each layer, and for
 * zoneout the keep masks 1 - m, the cell's own new states (backward swaps them in: a cell's
 * backward may read its new h or c) and per-step gradient scratch. Inference with zoneout:
 * one scratch row for the expectation.
 */
export function regularisationSlots(s: SpecLike, T: number, B: number, train: boolean): Slot[] {
  const r = s.reg, P = s.hOut, H = s.hiddenSize, out: Slot[] = [];
  if (r.zoneout > 0) out.push({ name: 'ztmp', shape: [B, P + (s.hasCell ? H : 0)], comment: 'zoneout: m h(t-1) (p h(t-1) at inference), then c; in backward the zoned h and c while the new ones are swapped in' });
  if (!train) return out;
  for (let l = 0; l < s.numLayers; l++) {
    if (r.inputDropout > 0) {
      out.push({ name: `imask_l${l}`, shape: [T, B, s.inWidth(l)], comment: 'inputDropout mask of the layer, one per row, repeated at every step' });
      out.push({ name: `xin_l${l}`, shape: [T, B, s.inWidth(l)], comment: "the layer's input times its mask: what W_ih sees (kept for dW_ih)" });
    }
    for (let d = 0; d < s.dirs; d++) {
      const x = sfx(l, d);
      if (r.recurrentDropout > 0) {
        out.push({ name: `rmask${x}`, shape: [B, P], comment: 'recurrentDropout mask on h(t-1), one per row' });
        out.push({ name: `hdrop${x}`, shape: [T, B, P], comment: "h(t-1) times rmask, per step: the recurrent product's input, kept for dW_hh; zero for rows past their length" });
      }
      if (r.zoneout > 0) {
        out.push({ name: `zmask_h${x}`, shape: [T, B, P], comment: 'zoneout: 1 where h keeps its previous value' });
        out.push({ name: `zkeep_h${x}`, shape: [T, B, P], comment: 'zoneout: 1 - zmask_h' });
        out.push({ name: `zraw_h${x}`, shape: [T, B, P], comment: "the cell's new h before zoneout, for backward" });
        if (s.hasCell) {
          out.push({ name: `zmask_c${x}`, shape: [T, B, H], comment: 'zoneout: 1 where c keeps its previous value' });
          out.push({ name: `zkeep_c${x}`, shape: [T, B, H], comment: 'zoneout: 1 - zmask_c' });
          out.push({ name: `zraw_c${x}`, shape: [T, B, H], comment: "the cell's new c before zoneout, for backward" });
        }
      }
    }
    if (r.dropout > 0 && l < s.numLayers - 1) out.push({ name: `dmask_l${l}`, shape: [T, B, s.dirs * P], comment: "dropout mask on the layer's output" });
  }
  if (r.recurrentDropout > 0) out.push({ name: 'dhdrop', shape: [B, P], comment: "the recurrent product's gradient before the mask (cells with another path to h(t-1))" });
  if (r.zoneout > 0) {
    out.push({ name: 'zcarry_h', shape: [B, P], comment: 'zoneout: m dL/dh(t), the part that goes straight to h(t-1)' });
    if (s.hasCell) out.push({ name: 'zcarry_c', shape: [B, H], comment: 'zoneout: m dL/dc(t)' });
  }
  return out;
}

/**
 * recurrentDropout in a cell's step (null without it): `input` writes h(t-1) times the mask
 * into the step's entry of `hdrop` and returns it, for the product; `states` is where those
 * inputs lie, step by step, for dW_hh; `grad` turns the product's gradient in dh into that of
 * h(t-1) (when the product is dh's only part); `addGrad` runs a product's gradient into a
 * scratch row and adds it, masked, into dh (when dh has another part, as a GRU's z dh).
 */
export function maskedRecurrence(f: CellFrame, width: number) {
  const { k } = f, mask = f.at('rmask'), hm = f.at('hdrop'), row = f.stride('hdrop'), scratch = f.at('dhdrop');
  if (!mask) return null;
  return {
    input(t: number, hPrev: number, nb: number): number {
      const at = entry(hm, row, t);
      k.f32_mul(at, hPrev, mask, nb * width);
      return at;
    },
    states: hm,
    grad(dh: number, nb: number): void {
      k.f32_mul(dh, dh, mask, nb * width);
    },
    addGrad(dh: number, nb: number, product: (into: number) => void): void {
      k.f32_fill(scratch, 0, nb * width);
      product(scratch);
      k.f32_mul_acc(dh, scratch, mask, nb * width);
    },
  };
}
