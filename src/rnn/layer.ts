/**
 * RNN, LSTM and GRU layers with PyTorch's semantics (torch.nn.RNN / LSTM / GRU): shapes,
 * options, state_dict names and gate orders, packed-sequence `lengths`. The numeric work is
 * the time loop (sequence.ts) driving the layer's cell (cells/); this file checks arguments,
 * moves arrays in and out of wasm memory, and keeps the BPTT tape of the last training forward.
 *
 * Memory: parameters and gradients are allocated at construction; the working memory of a
 * forward (tape.ts gives its size for T and B) is allocated on the first forward of a larger
 * (T, B) and then reused. Training and inference have separate working memory, so an
 * inference forward never disturbs the tape a later backward needs. All of it, and the
 * streams' memory, is one Holding (holding.ts): dispose() frees it, and so does the garbage
 * collector's finalization of a layer nobody disposed.
 */
import { getBackend, type Backend } from '../backend.js';
import type { Region } from '../arena.js';
import { Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, entry, f32Index, planLayout, type Layout } from '../layout.js';
import { Random } from '../random.js';
import { checkStateDict } from '../state-dict.js';
import { initialValue } from './initializers.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkFlag, checkInt, checkLengths, checkOptions, checkSeed, checkShape, checkTensor } from '../checks.js';
import { gather, rowOrder, scatter } from './rows.js';
import { backwardDirection, forwardDirection, type SeqContext } from './sequence.js';
import { gateStatsOf, spectrumOf, type GateStats, type GradientTrace, type SpectrumEntry } from './diagnostics.js';
import type { CellKind } from './cells/index.js';
import type { CECOptions } from './cells/cec.js';
import type { GRUOptions } from './cells/gru.js';
import type { LSTMOptions } from './cells/lstm.js';
import type { RNNOptions } from './cells/rnn.js';
import { makeSpec, paramBytes, paramSlots, stackedBytes, paramTable, specOptions, suffix, type ParamInfo, type Spec } from './spec.js';
import { Stream } from './stream.js';
import { tapeSlots } from './tape.js';
import { drawMask, maskSeed, maskTable, type MaskInfo } from './dropout.js';
import type { ParamBuffer } from '../params.js';

/**
 * States of every layer and direction, entry i = layer * dirs + direction: initial states for
 * `forward` (zeros where absent), gradients of the final states for `backward`. Unbatched
 * input drops the B axis.
 */
export interface RecurrentState {
  /** h [numLayers * dirs, B, hOut] (hOut = projSize or hiddenSize). */
  h?: Tensor;
  /** c [numLayers * dirs, B, hiddenSize]: LSTM and CEC only. */
  c?: Tensor;
}
/** Options of a recurrent layer's `forward`. */
export interface ForwardOptions {
  /** Record the BPTT tape that the next `backward` consumes (default false: inference). */
  train?: boolean;
  /**
   * The valid length of each batch row, integers from 1 to T, as a packed sequence: padded
   * steps give zero output and leave the row's state alone, and the reverse direction starts
   * at each row's last valid step.
   */
  lengths?: ArrayLike<number>;
  /** Also return every layer's output (`layers`), as for an ELMo-style ScalarMix. */
  allLayers?: boolean;
}
/** What a recurrent layer's `forward` returns: copies, the caller's to keep. */
export interface ForwardResult {
  /** The top layer's output at every step, [T, B, dirs * hOut] ([B, T, ...] with batchFirst, [T, ...] unbatched); zero at padded steps. */
  output: Tensor;
  /** Final h of every layer and direction, [numLayers * dirs, B, hOut] (the state at each row's last valid step). */
  h: Tensor;
  /** Final c, [numLayers * dirs, B, hiddenSize]: LSTM and CEC only. */
  c?: Tensor;
  /** With `allLayers`: the output of each layer, [T, B, dirs * hOut] (layout as `output`). */
  layers?: Tensor[];
}
/** Options of a recurrent layer's `backward`. */
export interface BackwardOptions {
  /** false: skip dx (returned as null) when x is data. */
  inputGrad?: boolean;
  /** Gradients of the per-layer outputs of a forward with `allLayers` (null entries skipped), added to what flows down from the layers above. */
  dLayers?: (Tensor | null)[];
}
/** What a recurrent layer's `backward` returns; parameter gradients go into `grads()` instead. */
export interface BackwardResult {
  /** The gradient of the input x, shaped as x; null with `inputGrad: false`. */
  dx: Tensor | null;
  /** The gradient of the initial h, shaped as `RecurrentState.h`. */
  dh0: Tensor;
  /** The gradient of the initial c, shaped as `RecurrentState.c`: LSTM and CEC only. */
  dc0?: Tensor;
}

interface Work { region: Region; layout: Layout; T: number; B: number }
interface Tape { work: Work; active: Int32Array; perm: Int32Array; unbatched: boolean }

/**
 * What RNN, LSTM, GRU and CEC share: forward and backward (BPTT) over whole sequences,
 * PyTorch-named state dicts, streaming, diagnostics and memory. Build one of the four
 * subclasses; `instanceof RecurrentLayer` tells any of them.
 */
export class RecurrentLayer {
  /** @internal The validated options and the sizes that follow from them. */
  readonly spec: Spec;
  private readonly backend: Backend;
  private readonly params: ParamInfo[];
  private readonly paramLayout: Layout;
  private paramRegion: Region | null;
  private gradRegion: Region | null;
  private inferWork: Work | null = null;
  private trainWork: Work | null = null;
  private tape: Tape | null = null;
  /** The working memory and rows of the most recent forward (for gateStats). */
  private lastForward: { work: Work; active: Int32Array } | null = null;
  /** Per (layer, direction), the gradient norms the most recent backward recorded. */
  private lastTrace: GradientTrace[] | null = null;
  /** Every region above and, as children, the streams' (freed by dispose or by finalization). */
  private readonly memory: Holding;
  /** The generator of the dropout and zoneout masks (dropout.ts), a stream apart from the initialiser's. */
  private maskRandom: Random;
  /** The test hook of `setMaskSource`: masks come from it instead of the generator. */
  private maskSource: ((mask: MaskInfo) => Float32Array) | null = null;
  /** The masks of the most recent training forward, by name, in the caller's row order. */
  private masks: Record<string, Float32Array> = {};

  /** @internal Use `new RNN`, `new LSTM`, `new GRU` or `new CEC`. */
  constructor(kind: CellKind, options: unknown) {
    this.backend = getBackend(`new ${kind}`);
    this.spec = makeSpec(kind, options);
    // parameters and gradients, measured before any table is built for them
    this.backend.arena.checkFits(2 * paramBytes(this.spec), `${kind} parameters and gradients`);
    this.params = paramTable(this.spec);
    this.paramLayout = planLayout(paramSlots(this.spec));
    this.memory = new Holding(this, this.backend.arena);
    try {
      this.paramRegion = this.memory.alloc(this.paramLayout.bytes, `${kind} parameters`);
      this.gradRegion = this.memory.alloc(this.paramLayout.bytes, `${kind} gradients`);
      const seed = (options as { seed?: number }).seed ?? Random.randomSeed();
      const random = new Random(seed);
      this.maskRandom = new Random(maskSeed(seed));
      for (const p of this.params) this.writeParam(p, initialValue(this.spec, p, random), this.paramRegion.ptr);
    } catch (e) {
      this.memory.release();
      throw e;
    }
  }

  // ---- forward and backward ------------------------------------------------------------

  /**
   * Runs the whole sequence. x: [T, B, inputSize] ([B, T, inputSize] with batchFirst) or
   * unbatched [T, inputSize]. Returns output [T, B, dirs * hOut] (zero at padded steps),
   * h [numLayers * dirs, B, hOut] and, for LSTM, c [numLayers * dirs, B, hiddenSize].
   */
  forward(x: Tensor, state?: RecurrentState, opts?: ForwardOptions): ForwardResult {
    const s = this.spec, name = s.kind;
    this.alive(`${name}.forward`);
    const input = checkTensor(x, `${name}.forward: x`);
    const unbatched = input.shape.length === 2;
    if (input.shape.length !== 3 && !unbatched) {
      throw new RnnError('SHAPE_MISMATCH', `${name}.forward: x must be [T, B, ${s.inputSize}]${s.batchFirst ? ' ([B, T, ...] with batchFirst)' : ''} or unbatched [T, ${s.inputSize}], got [${input.shape.join(', ')}]`);
    }
    const T = unbatched || !s.batchFirst ? input.shape[0] : input.shape[1];
    const B = unbatched ? 1 : s.batchFirst ? input.shape[0] : input.shape[1];
    if (input.shape[input.shape.length - 1] !== s.inputSize || T < 1 || B < 1) {
      throw new RnnError('SHAPE_MISMATCH', `${name}.forward: x must have T >= 1, B >= 1 and a last dimension of inputSize = ${s.inputSize}, got [${input.shape.join(', ')}]`);
    }
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new RnnError('BAD_ARGUMENT', `${name}.forward: opts must be an object { train?, lengths? }, got ${describe(opts)}`);
    }
    checkOptions(opts, ['train', 'lengths', 'allLayers'], `${name}.forward: opts`);
    const train = checkFlag(opts?.train, `${name}.forward: opts.train`, false);
    const lengths = opts?.lengths === undefined ? undefined : checkLengths(opts.lengths, T, B, `${name}.forward: opts.lengths`);
    const allLayers = checkFlag(opts?.allLayers, `${name}.forward: opts.allLayers`, false);
    const h0 = this.checkState(state, 'h', B, unbatched, `${name}.forward`);
    const c0 = this.checkState(state, 'c', B, unbatched, `${name}.forward`);
    checkFinite(input.data, `${name}.forward: x`);
    if (this.paramCountNonFinite() > 0) {
      throw new RnnError('NOT_FINITE', `${name}.forward: the layer's parameters hold NaN or Infinity (after an update that diverged?)`);
    }

    const { perm, active } = rowOrder(lengths, T, B);
    const work = this.workFor(train, T, B);
    const ctx = this.context(work, active), at = addresses(work.layout, work.region.ptr);
    const heap = this.backend.arena.f32;
    const P = s.hOut, H = s.hiddenSize, L = s.numLayers, dirs = s.dirs, k = this.backend.kernels;
    gather(heap, f32Index(at('x')), input.data, T, B, s.inputSize, !unbatched && s.batchFirst, perm);
    if (train) this.putMasks(work, perm);
    const slot = (name: string) => (work.layout.slots.has(name) ? at(name) : 0);
    for (let l = 0; l < L; l++) {
      if (lengths) k.f32_fill(at(`out_l${l}`), 0, T * B * dirs * P);
      const xin = slot(`xin_l${l}`), inW = s.inWidth(l);
      if (xin) k.f32_mul(xin, at(l === 0 ? 'x' : `out_l${l - 1}`), at(`imask_l${l}`), T * B * inW);
      for (let d = 0; d < dirs; d++) {
        const x = suffix(l, d), i = l * dirs + d, first = s.timeOrder(d) === 0 ? 0 : T;
        this.putState(heap, this.stateEntry(work, `h${x}`, first), h0, i, B, P, perm);
        if (s.hasCell) this.putState(heap, this.stateEntry(work, `c${x}`, first), c0, i, B, H, perm);
        forwardDirection(ctx, l, d);
      }
      const dmask = slot(`dmask_l${l}`);
      if (dmask) k.f32_mul(at(`out_l${l}`), at(`out_l${l}`), dmask, T * B * dirs * P);
    }
    const out = this.backend.arena.f32;
    const outShape = unbatched ? [T, dirs * P] : s.batchFirst ? [B, T, dirs * P] : [T, B, dirs * P];
    const result: ForwardResult = {
      output: { data: scatter(out, f32Index(at(`out_l${L - 1}`)), T, B, dirs * P, !unbatched && s.batchFirst, perm), shape: outShape },
      h: this.takeStates(out, work, 'h', P, perm, unbatched),
    };
    if (s.hasCell) result.c = this.takeStates(out, work, 'c', H, perm, unbatched);
    if (allLayers) {
      result.layers = Array.from({ length: L }, (_, l) => ({
        data: scatter(this.backend.arena.f32, f32Index(at(`out_l${l}`)), T, B, dirs * P, !unbatched && s.batchFirst, perm), shape: [...outShape],
      }));
    }
    if (train) this.tape = { work, active, perm, unbatched };
    this.lastForward = { work, active };
    return result;
  }

  /**
   * BPTT through the last training forward, consuming its tape. dOutput: the gradient of
   * `output` (null: the loss is on the final state only); dState: gradients of the final
   * h and c. Parameter gradients are ADDED into grads(). `opts.inputGrad: false` skips dx
   * (returned as null) when x is data, saving one GEMM of the size of the input projection.
   * `opts.dLayers`: gradients of the per-layer outputs of a forward with `allLayers`.
   */
  backward(dOutput: Tensor | null, dState?: RecurrentState, opts?: BackwardOptions): BackwardResult {
    const s = this.spec, name = s.kind;
    this.alive(`${name}.backward`);
    checkOptions(opts, ['inputGrad', 'dLayers'], `${name}.backward: opts`);
    const inputGrad = checkFlag(opts?.inputGrad, `${name}.backward: opts.inputGrad`, true);
    const tape = this.tape;
    if (!tape) {
      throw new RnnError('NO_TAPE', `${name}.backward: no tape to go back through; call forward(x, state, { train: true }) first (each backward consumes its tape)`);
    }
    const { T, B } = tape.work, P = s.hOut, H = s.hiddenSize, L = s.numLayers, dirs = s.dirs;
    const bf = !tape.unbatched && s.batchFirst;
    let dOut: Float32Array | null = null;
    if (dOutput !== null && dOutput !== undefined) {
      const t = checkTensor(dOutput, `${name}.backward: dOutput`);
      checkShape(t.shape, tape.unbatched ? [T, dirs * P] : bf ? [B, T, dirs * P] : [T, B, dirs * P], `${name}.backward: dOutput`);
      checkFinite(t.data, `${name}.backward: dOutput`);
      dOut = t.data;
    }
    const dh = this.checkState(dState, 'h', B, tape.unbatched, `${name}.backward: dState`);
    const dc = this.checkState(dState, 'c', B, tape.unbatched, `${name}.backward: dState`);
    const dLayers: (Float32Array | null)[] = [];
    if (opts?.dLayers !== undefined) {
      if (!Array.isArray(opts.dLayers) || opts.dLayers.length !== L) throw new RnnError('BAD_ARGUMENT', `${name}.backward: opts.dLayers must be an array of ${L} tensors (or nulls), one per layer, got ${describe(opts.dLayers)}`);
      opts.dLayers.forEach((v, l) => {
        if (v === null || v === undefined) { dLayers.push(null); return; }
        const t = checkTensor(v, `${name}.backward: opts.dLayers[${l}]`);
        checkShape(t.shape, tape.unbatched ? [T, dirs * P] : bf ? [B, T, dirs * P] : [T, B, dirs * P], `${name}.backward: opts.dLayers[${l}]`);
        checkFinite(t.data, `${name}.backward: opts.dLayers[${l}]`);
        dLayers.push(t.data);
      });
    }

    const k = this.backend.kernels;
    const ctx = this.context(tape.work, tape.active), at = addresses(tape.work.layout, tape.work.region.ptr);
    const slot = (name: string) => (tape.work.layout.slots.has(name) ? at(name) : 0);
    const heap = this.backend.arena.f32;
    let dOutBuf = at('dbuf0'), dInBuf = at('dbuf1');
    if (dOut) gather(heap, f32Index(dOutBuf), dOut, T, B, dirs * P, bf, tape.perm);
    else k.f32_fill(dOutBuf, 0, T * B * dirs * P);
    const dh0 = new Float32Array(L * dirs * B * P), dc0 = s.hasCell ? new Float32Array(L * dirs * B * H) : null;
    const traces: GradientTrace[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const wantIn = l > 0 || inputGrad;
      const extra = dLayers[l];
      if (extra) { // dInBuf is free until filled below: a scratch for the sorted rows
        gather(this.backend.arena.f32, f32Index(dInBuf), extra, T, B, dirs * P, bf, tape.perm);
        k.f32_add(dOutBuf, dOutBuf, dInBuf, T * B * dirs * P);
      }
      // dropout between layers: the layer above (and dLayers) saw the masked output
      const dmask = slot(`dmask_l${l}`), imask = slot(`imask_l${l}`);
      if (dmask) k.f32_mul(dOutBuf, dOutBuf, dmask, T * B * dirs * P);
      if (wantIn) k.f32_fill(dInBuf, 0, T * B * s.inWidth(l));
      for (let d = 0; d < dirs; d++) {
        const i = l * dirs + d;
        this.putState(heap, at('dh'), dh, i, B, P, tape.perm);
        if (dc0) this.putState(heap, at('dc'), dc, i, B, H, tape.perm);
        const trace: GradientTrace = { layer: l, direction: d, h: new Float64Array(T) };
        if (s.hasCell) trace.c = new Float64Array(T);
        traces.push(trace);
        backwardDirection({ ...ctx, trace: { h: trace.h, c: trace.c ?? null } }, l, d, dOutBuf, wantIn ? dInBuf : 0);
        const now = this.backend.arena.f32;
        dh0.set(scatter(now, f32Index(at('dh')), 1, B, P, false, tape.perm), i * B * P);
        if (dc0) dc0.set(scatter(now, f32Index(at('dc')), 1, B, H, false, tape.perm), i * B * H);
      }
      if (imask && wantIn) k.f32_mul(dInBuf, dInBuf, imask, T * B * s.inWidth(l));
      [dOutBuf, dInBuf] = [dInBuf, dOutBuf];
    }
    this.tape = null;
    this.lastTrace = traces.sort((a, b) => a.layer - b.layer || a.direction - b.direction);
    const stateShape = (w: number) => (tape.unbatched ? [L * dirs, w] : [L * dirs, B, w]);
    const result: BackwardResult = {
      dx: inputGrad ? {
        data: scatter(this.backend.arena.f32, f32Index(dOutBuf), T, B, s.inputSize, bf, tape.perm),
        shape: tape.unbatched ? [T, s.inputSize] : bf ? [B, T, s.inputSize] : [T, B, s.inputSize],
      } : null,
      dh0: { data: dh0, shape: stateShape(P) },
    };
    if (dc0) result.dc0 = { data: dc0, shape: stateShape(H) };
    return result;
  }

  // ---- parameters -----------------------------------------------------------------------

  /** Copies of the parameters under PyTorch's names and shapes. */
  stateDict(): Record<string, Tensor> {
    this.alive(`${this.spec.kind}.stateDict`);
    return this.readAll(this.paramRegion!.ptr);
  }

  /** Copies of the accumulated gradients, named like stateDict. */
  grads(): Record<string, Tensor> {
    this.alive(`${this.spec.kind}.grads`);
    return this.readAll(this.gradRegion!.ptr);
  }

  /** Sets every gradient to zero (backward adds into them). */
  zeroGrad(): void {
    this.alive(`${this.spec.kind}.zeroGrad`);
    this.backend.kernels.f32_fill(this.gradRegion!.ptr, 0, f32Index(this.paramLayout.bytes));
  }

  /**
   * Loads PyTorch-named parameters (Tensor or bare Float32Array values). Strict like
   * PyTorch's default: every key present, no unknown key, every size right, all finite;
   * nothing changes unless the whole dict is valid.
   */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    const name = `${this.spec.kind}.loadStateDict`;
    this.alive(name);
    const values = checkStateDict(dict, Object.fromEntries(this.params.map((p) => [p.name, p.torchShape])), name);
    for (const p of this.params) this.writeParam(p, values[p.name], this.paramRegion!.ptr);
  }

  /** @internal The parameter and gradient memory, one flat buffer (padding stays zero). */
  paramBuffers(): ParamBuffer[] {
    this.alive(`${this.spec.kind}: parameters`);
    const region = this.paramRegion;
    return [{ param: region!.ptr, grad: this.gradRegion!.ptr, length: f32Index(this.paramLayout.bytes), backend: this.backend, alive: () => this.paramRegion === region, owner: this.spec.kind }];
  }

  // ---- diagnostics (diagnostics.ts) -----------------------------------------------------

  /**
   * The gradient flow of the most recent backward: per layer and direction, ||dL/dh(t)|| at
   * every step t (and for LSTM / CEC ||dL/dc(t)|| arriving from c(t+1)), norms over the batch.
   */
  gradientNorms(): GradientTrace[] {
    this.alive(`${this.spec.kind}.gradientNorms`);
    if (!this.lastTrace) throw new RnnError('NO_TAPE', `${this.spec.kind}.gradientNorms: no backward has run yet`);
    return this.lastTrace.map((t) => ({ ...t, h: t.h.slice(), ...(t.c ? { c: t.c.slice() } : {}) }));
  }

  /**
   * Mean and saturated fractions of every gate (post-activation) over the most recent
   * forward, counting only steps within each row's length. RNN and CEC report their unit
   * activation instead (RNN: act(...), CEC: tanh(...) added to c).
   */
  gateStats(): GateStats[] {
    const s = this.spec;
    this.alive(`${s.kind}.gateStats`);
    if (!this.lastForward) throw new RnnError('NO_TAPE', `${s.kind}.gateStats: no forward has run yet`);
    const { work, active } = this.lastForward;
    return gateStatsOf(s, this.backend.arena.f32, addresses(work.layout, work.region.ptr), active, work.T, work.B);
  }

  /**
   * The largest singular value of every gate block of every recurrent matrix (power
   * iteration in float64) and the regime it implies: sigma_max < 1 / gamma means the
   * gradient through that block vanishes (gamma = 1/4 for sigmoid gates, 1 for tanh / relu).
   */
  recurrentSpectrum(): SpectrumEntry[] {
    return spectrumOf(this.spec, this.stateDict());
  }

  // ---- streaming, memory, disposal ------------------------------------------------------

  /**
   * A stateful one-step runner over this layer's (live) parameters. Forward-in-time layers
   * only: a bidirectional or reverse layer (which needs the whole sequence) and an RNN with
   * delays other than [1] (which needs the state history) are UNSUPPORTED; a bad batch is
   * BAD_ARGUMENT.
   */
  stream(batch = 1): Stream {
    const name = `${this.spec.kind}.stream`;
    this.alive(name);
    if (this.spec.bidirectional) throw new RnnError('UNSUPPORTED', `${name}: a bidirectional layer needs the whole sequence; stream() runs unidirectional layers only`);
    if (this.spec.reverse) throw new RnnError('UNSUPPORTED', `${name}: a reverse layer starts at the last step, so it needs the whole sequence; stream() runs forward layers only`);
    if (!Number.isSafeInteger(batch) || batch < 1) throw new RnnError('BAD_ARGUMENT', `${name}: batch must be an integer >= 1, got ${describe(batch)}`);
    const refusal = this.spec.cell.streamRefusal?.() ?? null;
    if (refusal) throw new RnnError('UNSUPPORTED', `${name}: ${refusal}`);
    return new Stream(this, this.spec, this.backend, batch, (p) => this.paramAddress(p), this.memory);
  }

  /** The constructor options that rebuild this layer (without its weights or seed). */
  config(): Record<string, unknown> {
    return specOptions(this.spec);
  }

  /** Bytes of wasm memory this layer holds now (parameters, gradients, working memory, streams). */
  memoryBytes(): number {
    this.alive(`${this.spec.kind}.memoryBytes`);
    return this.memory.bytes;
  }

  /** Bytes of the working memory a forward over (T, B) needs (the tape, for training). */
  workBytes(T: number, B: number, train: boolean): number {
    checkInt(T, `${this.spec.kind}.workBytes: T`, 0);
    checkInt(B, `${this.spec.kind}.workBytes: B`, 0);
    return stackedBytes(this.spec, (s) => tapeSlots(s, T, B, train));
  }

  /** Returns all memory; any later call throws DISPOSED. */
  dispose(): void {
    if (!this.paramRegion) return;
    this.memory.release();
    this.paramRegion = this.gradRegion = this.inferWork = this.trainWork = this.tape = this.lastForward = null;
    this.masks = {};
  }

  // ---- regularisation masks (dropout.ts) -------------------------------------------------

  /**
   * Restarts the generator of the dropout and zoneout masks as a layer built with
   * `seed: seed` starts it (the weights are not touched): for reproducible training after
   * `loadCheckpoint`, whose layers are built without a seed. `seed` is an integer.
   */
  seedMasks(seed: number): void {
    this.alive(`${this.spec.kind}.seedMasks`);
    this.maskRandom = new Random(maskSeed(checkSeed(seed, `${this.spec.kind}.seedMasks: seed`)));
  }

  /**
   * @internal Test hook: training forwards take their masks from `source` (each in the
   * caller's row order, shaped as `mask.shape`, values as the generator's: 0 or 1 / (1 - p)
   * for dropout, 1 = keep the previous value or 0 for zoneout) instead of the generator;
   * null restores the generator.
   */
  setMaskSource(source: ((mask: MaskInfo) => Float32Array) | null): void {
    this.maskSource = source;
  }

  /** @internal The masks of the most recent training forward, by name (copies, caller's row order). */
  lastMasks(): Record<string, Float32Array> {
    return Object.fromEntries(Object.entries(this.masks).map(([n, m]) => [n, m.slice()]));
  }

  /** Draws (or takes from the test hook) every mask of a training forward and writes it into the tape, rows sorted. */
  private putMasks(work: Work, perm: Int32Array): void {
    const { T, B } = work, table = maskTable(this.spec, T, B), masks: Record<string, Float32Array> = {};
    for (const m of table) {
      const values = this.maskSource ? this.maskSource(m) : drawMask(this.maskRandom, m);
      const n = m.shape.reduce((a, b) => a * b, 1);
      if (!(values instanceof Float32Array) || values.length !== n) throw new RnnError('BAD_ARGUMENT', `${this.spec.kind}.forward: the mask source gave ${describe(values)} for ${m.name}, expected a Float32Array of ${n}`);
      masks[m.name] = values;
    }
    this.masks = masks;
    const at = addresses(work.layout, work.region.ptr);
    for (const m of table) {
      const heap = this.backend.arena.f32, values = masks[m.name], w = m.shape[m.shape.length - 1];
      if (m.shape.length === 2) { // one mask per sequence, repeated at every step when the slot has T entries
        const steps = m.name.startsWith('imask') ? T : 1;
        for (let t = 0; t < steps; t++) gather(heap, f32Index(at(m.name)) + t * B * w, values, 1, B, w, false, perm);
        continue;
      }
      gather(heap, f32Index(at(m.name)), values, T, B, w, false, perm);
      if (m.kind === 'zone') gather(heap, f32Index(at(m.name.replace('zmask', 'zkeep'))), values.map((v) => 1 - v), T, B, w, false, perm);
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private alive(what: string): void {
    if (!this.paramRegion) throw new RnnError('DISPOSED', `${what}: the layer was disposed`);
  }

  /** Address of a parameter by name, 0 when absent (no bias). */
  private paramAddress(name: string): number {
    const slot = this.paramLayout.slots.get(name);
    return slot ? this.paramRegion!.ptr + slot.offset : 0;
  }

  private paramCountNonFinite(): number {
    return this.backend.kernels.f32_count_nonfinite(this.paramRegion!.ptr, f32Index(this.paramLayout.bytes));
  }

  private context(work: Work, active: Int32Array): SeqContext {
    const gradAt = addresses(this.paramLayout, this.gradRegion!.ptr);
    return {
      k: this.backend.kernels, s: this.spec, T: work.T, B: work.B, active, layout: work.layout, base: work.region.ptr,
      param: (name) => this.paramAddress(name), grad: gradAt,
    };
  }

  /** Byte address of entry `index` of a tape slot (a state at a step). */
  private stateEntry(work: Work, name: string, index: number): number {
    const slot = work.layout.slots.get(name)!;
    return entry(work.region.ptr + slot.offset, slot.stride, index);
  }

  /** Working memory for (T, B): reused when large enough, else replaced (new first, so a
   *  failed allocation leaves the old one and its tape intact). */
  private workFor(train: boolean, T: number, B: number): Work {
    const old = train ? this.trainWork : this.inferWork;
    if (old && old.T === T && old.B === B) {
      if (train) this.tape = null;
      return old;
    }
    const name = `${this.spec.kind} ${train ? 'tape' : 'working memory'} (T=${T}, B=${B})`;
    const bytes = this.workBytes(T, B, train);
    if (!old || old.region.bytes < bytes) this.backend.arena.checkFits(bytes, name);
    const layout = planLayout(tapeSlots(this.spec, T, B, train));
    let region = old?.region;
    if (!region || region.bytes < layout.bytes) {
      region = this.memory.alloc(layout.bytes, name);
      if (old) this.memory.free(old.region);
    }
    const work = { region, layout, T, B };
    if (train) { this.trainWork = work; this.tape = null; } else this.inferWork = work;
    return work;
  }

  private checkState(state: RecurrentState | undefined, key: 'h' | 'c', B: number, unbatched: boolean, what: string): Float32Array | null {
    const s = this.spec;
    if (state === undefined || state === null) return null;
    if (typeof state !== 'object') throw new RnnError('BAD_ARGUMENT', `${what}: state must be an object { h?, c? }, got ${describe(state)}`);
    const v = state[key];
    if (v === undefined || v === null) return null;
    if (key === 'c' && !s.hasCell) throw new RnnError('BAD_ARGUMENT', `${what}: ${s.kind} has no cell state c`);
    const t = checkTensor(v, `${what}.${key}`);
    const w = key === 'h' ? s.hOut : s.hiddenSize, n = s.numLayers * s.dirs;
    checkShape(t.shape, unbatched ? [n, w] : [n, B, w], `${what}.${key}`);
    checkFinite(t.data, `${what}.${key}`);
    return t.data;
  }

  /** Copies entry i ([B, width]) of a caller's state, or zeros, into the heap, sorted rows. */
  private putState(heap: Float32Array, ptr: number, src: Float32Array | null, i: number, B: number, width: number, perm: Int32Array): void {
    if (!src) { heap.fill(0, f32Index(ptr), f32Index(ptr) + B * width); return; }
    gather(heap, f32Index(ptr), src.subarray(i * B * width, (i + 1) * B * width), 1, B, width, false, perm);
  }

  private takeStates(heap: Float32Array, work: Work, key: 'h' | 'c', width: number, perm: Int32Array, unbatched: boolean): Tensor {
    const s = this.spec, { T, B } = work, n = s.numLayers * s.dirs, data = new Float32Array(n * B * width);
    for (let l = 0; l < s.numLayers; l++) {
      for (let d = 0; d < s.dirs; d++) {
        const ptr = this.stateEntry(work, `${key}${suffix(l, d)}`, s.timeOrder(d) === 0 ? T : 0);
        data.set(scatter(heap, f32Index(ptr), 1, B, width, false, perm), (l * s.dirs + d) * B * width);
      }
    }
    return { data, shape: unbatched ? [n, width] : [n, B, width] };
  }

  /** Writes PyTorch-layout values of one parameter at base + its offset, transposing matrices. */
  private writeParam(p: ParamInfo, values: Float32Array, base: number): void {
    const heap = this.backend.arena.f32, slot = this.paramLayout.slots.get(p.name)!, at = f32Index(base + slot.offset);
    if (!p.transposed) { heap.set(values, at); return; }
    const [rows, cols] = p.torchShape, ld = slot.shape[1];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) heap[at + c * ld + r] = values[r * cols + c];
  }

  private readAll(base: number): Record<string, Tensor> {
    const heap = this.backend.arena.f32, out: Record<string, Tensor> = {};
    for (const p of this.params) {
      const slot = this.paramLayout.slots.get(p.name)!, at = f32Index(base + slot.offset);
      const n = p.torchShape.reduce((a, b) => a * b, 1), data = new Float32Array(n);
      if (!p.transposed) data.set(heap.subarray(at, at + n));
      else {
        const [rows, cols] = p.torchShape, ld = slot.shape[1];
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = heap[at + c * ld + r];
      }
      out[p.name] = { data, shape: [...p.torchShape] };
    }
    return out;
  }
}


/** Elman RNN, torch.nn.RNN: h = act(x W_ih^T + b_ih + h_prev W_hh^T + b_hh), act tanh or relu. */
export class RNN extends RecurrentLayer {
  constructor(options: RNNOptions) { super('RNN', options); }
}

/** torch.nn.LSTM, gates i, f, g, o; with projSize, h = W_hr (o * tanh(c)). */
export class LSTM extends RecurrentLayer {
  constructor(options: LSTMOptions) { super('LSTM', options); }
}

/**
 * torch.nn.GRU, gates r, z, n, the reset applied after the hidden product; `resetAfter: false`
 * applies it before (Cho et al. 2014, ONNX's default), `minimal: true` is the minimal gated unit.
 */
export class GRU extends RecurrentLayer {
  constructor(options: GRUOptions) { super('GRU', options); }
}

/**
 * The bare constant error carousel (Hochreiter and Schmidhuber 1997 without gates), the
 * teaching step between the RNN and the LSTM: c = c_prev + tanh(x W_ih + b_ih + h W_hh + b_hh),
 * h = tanh(c). States h and c as an LSTM's; parameters named like torch.nn.RNN's.
 */
export class CEC extends RecurrentLayer {
  constructor(options: CECOptions) { super('CEC', options); }
}
