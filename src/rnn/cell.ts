/**
 * What a recurrent cell is to the rest of the library. A cell knows one step; the time loop
 * (sequence.ts) knows time, directions, lengths, stacking and the tape, and the stream
 * (stream.ts) knows stepping in place. Both drive any cell through this interface: its
 * parameters, its memory slots, its forward step and its backward step. One file per cell
 * family (cells/), listed once in cells/index.ts.
 *
 * Addresses: a cell never computes a slot's place. It asks its `CellFrame` for the base
 * address and stride of a slot by name and takes entry `i` with layout.ts's `entry`. In the
 * tape a 'state' slot has T+1 entries and a 'saved' slot T; in a stream both have one entry
 * (stride 0), so the same step code runs in place there: h_prev and h are one row. State slots
 * other than h and c start at zero (the loop clears their initial entry, the stream its row).
 *
 * Per step the time loop has already put x W_ih + b_ih into the step's `gates` entry; the
 * cell adds the recurrent product, runs its fused kernel and writes h (and its own states).
 * Backward gets dL/dh(t) and leaves the pre-activation gate gradients in `dgx` (input side)
 * and `dgh` (hidden side, when the cell has a separate one); the loop turns those into dW_ih,
 * the biases' gradients and dx after the reverse loop, and the cell adds its own weight
 * gradients in `weightGrads`.
 */
import type { Kernels } from '../kernels.js';
import type { ActivationSpec } from './activations.js';

/**
 * Batches below this run the recurrent product one row at a time (f32_gemm_nn's tiles take four
 * rows), reading the weights once per row: for them the tape keeps the cells' 'packed' copies,
 * whose column panels stream from memory faster than the row-major parameter (panels.ts).
 */
export const PANEL_BATCH = 4;

/** The sizes a cell is built for (from the common options, spec.ts). */
export interface CellDims {
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/** One parameter of a (layer, direction), without the `_l{k}` suffix. */
export interface CellParam {
  /** PyTorch's name, as in state_dict() without the layer suffix. */
  readonly name: string;
  /** PyTorch's shape. */
  readonly torchShape: readonly number[];
  /** Stored as the transpose of torchShape (matrices, so products vectorise along the gates). */
  readonly transposed: boolean;
}

/**
 * A memory slot of a cell, one per (layer, direction) except where said:
 * - 'state': carried from step to step (c, previous gates): T+1 entries in the tape, indexed
 *   like h; one entry per layer in a stream. Rows past their length keep it (the loop copies).
 * - 'saved': written by forward for backward (tanh(c), the hidden product): T entries in the
 *   tape; one scratch entry in a stream.
 * - 'unit': one value per unit ([width]), set by `prepare`.
 * - 'scratch': one entry [B, width] shared by every layer and direction.
 * - 'packed': a parameter matrix copied into the layout the step's product reads best
 *   (column panels, assembly/panels.ts), one entry [width] per (layer, direction), written by
 *   `pack` at the start of each forward over the tape. Only in a tape with B < PANEL_BATCH
 *   (the batches whose product runs a row at a time); a stream has none and its product reads
 *   the parameter itself, live.
 * Gradient slots (`gradSlots`, training only) are 'step' (one entry [B, width], shared),
 * 'seq' (T entries, shared) or 'unit' ([width], shared).
 */
export interface CellSlot {
  readonly name: string;
  readonly role: 'state' | 'saved' | 'unit' | 'scratch' | 'packed' | 'step' | 'seq';
  /** Floats per batch row (per entry for 'unit'). */
  readonly width: number;
  /** What the slot holds and why (what backward reads instead of recomputing). */
  readonly comment: string;
  /** false: a stream does not keep this saved slot (its kernel takes address 0 as "skip"). */
  readonly inStream?: boolean;
}

/**
 * The cell's view of memory for one (layer, direction), in the tape or in a stream. Names are
 * the cell's slot names plus the loop's: `gates` [B, G*H] (saved), `h` [B, hOut] (state),
 * `dgx` [B, G*H] (seq), `dh` [B, hOut] (step); with `historyGrad`, `dhs` [B, hOut] (state).
 */
export interface CellFrame {
  readonly k: Kernels;
  /** Batch rows of an entry (rows past a step's `nb` are not running). */
  readonly B: number;
  /** Steps in the tape (1 in a stream). */
  readonly T: number;
  /** 0 forward, 1 reverse. */
  readonly direction: number;
  /** Base byte address of a slot, 0 when absent. */
  at(name: string): number;
  /** Bytes between entries of a slot along time (0 in a stream, where entries are one row). */
  stride(name: string): number;
  /** Byte address of a parameter of this (layer, direction) by its name without suffix; 0 when absent. */
  param(name: string): number;
  /** Byte address of that parameter's gradient (0 in a stream). */
  grad(name: string): number;
}

/**
 * One step of a cell over a frame, its addresses computed once. `t` is the time index of the
 * step, `prev` and `next` the state entries it reads and writes (t and t+1 forward, t+1 and t
 * in reverse, 0 and 0 in a stream), `nb` the rows still running (a prefix).
 */
export interface BoundCell {
  /** Sets the 'unit' slots from the parameters: before each forward and each stream step. */
  prepare?(): void;
  /**
   * Fills the 'packed' slots from the parameters (those present: none in a stream, none when
   * B >= PANEL_BATCH): before each forward over the tape, after `prepare`.
   */
  pack?(): void;
  forward(t: number, prev: number, next: number, nb: number): void;
  /**
   * dL/dh(t) of the running rows is in `dh` (with historyGrad: in `dhs` entry `next`). Writes
   * the gate gradients of step t and leaves dL/dh(t-1) of the running rows in `dh` (with
   * historyGrad: adds it into the `dhs` entries the step read).
   */
  backward(t: number, prev: number, next: number, nb: number): void;
  /** Before the reverse loop: clears the cell's own gradient accumulators. */
  beginBackward?(): void;
  /** After the reverse loop: the gradients of the cell's recurrent weights and own parameters. */
  weightGrads(): void;
}

/** The statistics `gateStats` reports for one gate block. */
export interface GateReport {
  /** Name in the report (the gate, or the unit activation for RNN / CEC). */
  readonly name: string;
  readonly activation: ActivationSpec;
  /** Where the post-activation values are: the gate block `block` of `gates`, or h itself. */
  readonly source: 'gates' | 'h';
  readonly block: number;
}

/** A cell built from validated options. */
export interface Cell {
  /** Gate blocks of W_ih / W_hh in row order, declared once per cell. */
  readonly gates: readonly string[];
  /** The width of h (projSize for an LSTM with projections, else hiddenSize). */
  readonly hOut: number;
  /** A cell state c is carried (state slot `c`, gradient slot `dc`). */
  readonly hasCell: boolean;
  /** dL/dh is kept per state (`dhs`), as when a state feeds several later steps. */
  readonly historyGrad: boolean;
  /** A separate hidden-side gate gradient `dgh` (GRU: the n gate differs). */
  readonly hiddenGateGrad: boolean;
  /**
   * The cell takes recurrentDropout: when its frame has an `rmask`, the recurrent product reads
   * h(t-1) times the mask (dropout.ts `maskedRecurrence`) and every other use of h(t-1) the
   * state itself.
   */
  readonly recurrentDropout?: boolean;
  /** The recurrent matrices in row order, e.g. ['weight_hh'] or with delays ['weight_hh', 'weight_hh_d2']. */
  readonly recurrentWeights: readonly string[];
  /** Parameters after the biases, in state_dict order. */
  readonly extraParams: readonly CellParam[];
  /** The options that rebuild this cell (beyond the common ones), as saved in checkpoints. */
  config(): Record<string, unknown>;
  /** Memory slots for a (layer, direction) and shared ones; `gradSlots` for training. */
  slots(): readonly CellSlot[];
  gradSlots(): readonly CellSlot[];
  /** Initial values of a parameter the cell sets itself (trained time constants), else null. */
  fixedInit?(name: string): Float32Array | null;
  /**
   * The gates init 'chrono' sets, each with the sign of log(u) in its bias (LSTM: f +1, i -1);
   * absent when the cell has no gate that keeps or forgets.
   */
  readonly chronoGates?: Readonly<Record<string, 1 | -1>>;
  /** Adjusts a freshly drawn parameter (a forget-gate bias). */
  adjustInit?(name: string, values: Float32Array): void;
  /** Why this cell cannot run as a stream, or null. */
  streamRefusal?(): string | null;
  /** What gateStats reports. */
  gateReports(): readonly GateReport[];
  /** The activation that follows gate block g of W_hh (for the recurrent spectrum). */
  blockActivation(g: number): ActivationSpec;
  /** The recurrent matrix `name` is used as W + I (identity-augmented recurrence). */
  addsIdentity?(name: string): boolean;
  bind(frame: CellFrame): BoundCell;
}

/** A cell family (its kind is its key in cells/index.ts): its option names and how options become a cell. */
export interface CellFamily {
  /** Option names beyond the common ones. */
  readonly options: readonly string[];
  /** Validates the family's options (already known to be among `options`) and builds the cell. */
  make(o: Record<string, unknown>, dims: CellDims): Cell;
}
