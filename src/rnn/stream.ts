/**
 * One step at a time through a unidirectional layer, for audio frames, sensor samples or
 * keystrokes. The runner owns its state and scratch (one arena region); each step copies x_t
 * in, runs every layer's input product, recurrent product and fused cell in place, and hands
 * back a view of the top layer's h. It allocates nothing per step: the view and the Tensor
 * around it are re-created only when wasm memory has grown since the last step.
 * It reads the layer's parameters live, so a stream sees every update made by training.
 * The stream holds its layer (so the layer outlives it); its region is a child of the layer's
 * Holding, freed by the stream's dispose(), the layer's, or the finalization of either.
 */
import type { Region } from '../arena.js';
import type { Backend } from '../backend.js';
import { Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, f32Bytes, f32Index, paddedWidth, planLayout, type Layout, type Slot } from '../layout.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkShape, checkTensor } from '../checks.js';
import type { BoundCell, CellFrame } from './cell.js';
import { suffix, type Spec } from './spec.js';

/**
 * The stream's memory: the current input, per layer h and the cell's states and constants,
 * and one scratch entry of every step slot the layers share (the gates, the cell's scratch and
 * saved slots: a stream keeps no history, so a "saved" slot is one row rewritten each step).
 */
function streamSlots(s: Spec, B: number): Slot[] {
  const P = s.hOut, GH = s.G * s.hiddenSize, own = s.cell.slots();
  const slots: Slot[] = [{ name: 'x', shape: [B, s.inputSize], comment: 'the current input' }];
  for (let l = 0; l < s.numLayers; l++) {
    slots.push({ name: `h_l${l}`, shape: [B, P], comment: 'state, updated in place' });
    for (const c of own) {
      if (c.role === 'state') slots.push({ name: `${c.name}_l${l}`, shape: [B, c.width], comment: `${c.comment}; one entry, updated in place` });
      if (c.role === 'unit') slots.push({ name: `${c.name}_l${l}`, shape: [c.width], comment: c.comment });
    }
  }
  slots.push({ name: 'gates', shape: [B, GH], comment: 'scratch: gates of the current layer' });
  for (const c of own) {
    if (c.role === 'scratch' || (c.role === 'saved' && c.inStream !== false)) slots.push({ name: c.name, shape: [B, c.width], comment: `scratch: ${c.comment}` });
  }
  if (s.reg.zoneout > 0) slots.push({ name: 'zprev', shape: [B, P + (s.hasCell ? s.hiddenSize : 0)], comment: 'zoneout: h(t-1), then c(t-1), kept before the in-place step overwrites them' });
  return slots;
}

interface StreamLayer { cell: BoundCell; h: number; c: number; wih: number; bih: number; inW: number }

/**
 * A stateful one-step runner over a unidirectional recurrent layer, from `layer.stream(batch)`:
 * feeding a sequence step by step gives the same h as `forward` over it. It owns its state
 * and reads the layer's parameters live, so it sees every update made by training; nothing is
 * allocated per step.
 */
export class Stream {
  /** The number of sequences stepped together. */
  readonly batch: number;
  private readonly region: Region;
  /** The region, as a child of the layer's Holding: not live once either was disposed or collected. */
  private readonly memory: Holding;
  private readonly layout: Layout;
  private view: Tensor | null = null;
  private viewBuffer: ArrayBuffer | null = null;
  // Every address a step needs, computed once (regions never move), so a step builds no
  // strings, closures or objects.
  private readonly x: number;
  private readonly gates: number;
  /** Zoneout's copy of the previous states (0 without zoneout). */
  private readonly zprev: number;
  private readonly layers: StreamLayer[];

  /**
   * @param layer The layer whose parameters every step reads: held, so it lives as long as the stream.
   * @param layerMemory The layer's Holding; the stream's is its child.
   */
  constructor(private readonly layer: object, private readonly spec: Spec, private readonly backend: Backend, batch: number,
    param: (name: string) => number, layerMemory: Holding) {
    this.batch = batch;
    this.layout = planLayout(streamSlots(spec, batch));
    this.memory = new Holding(this, backend.arena, layerMemory);
    this.region = this.memory.alloc(this.layout.bytes, `${spec.kind} stream (batch ${batch})`);
    const at = addresses(this.layout, this.region.ptr), k = backend.kernels;
    this.x = at('x'); this.gates = at('gates'); this.zprev = spec.reg.zoneout > 0 ? at('zprev') : 0;
    this.layers = Array.from({ length: spec.numLayers }, (_, l) => {
      const x = suffix(l, 0);
      // the cell's frame for layer l: every entry is one row (stride 0), so h_prev is h
      const frame: CellFrame = {
        k, B: batch, T: 1, direction: 0,
        at: (name) => at(`${name}_l${l}`) || at(name),
        stride: () => 0,
        param: (name) => param(`${name}${x}`),
        grad: () => 0,
      };
      const cell = spec.cell.bind(frame);
      cell.prepare?.();
      return { cell, h: at(`h_l${l}`), c: spec.hasCell ? at(`c_l${l}`) : 0, wih: param(`weight_ih${x}`), bih: param(`bias_ih${x}`), inW: spec.inWidth(l) };
    });
  }

  /**
   * Advances one step. x_t: a Tensor [batch, inputSize] or a bare Float32Array of that size.
   * Returns the top layer's h_t [batch, hOut]; its data is a view into wasm memory, valid
   * until the next call on this stream (copy it to keep it).
   */
  step(x: Tensor | Float32Array): Tensor {
    const s = this.spec, B = this.batch;
    if (!this.memory.live) this.alive(`${s.kind} stream.step`);
    let data: Float32Array;
    if (x instanceof Float32Array) data = x;
    else {
      if (typeof x !== 'object' || x === null || !(x.data instanceof Float32Array) || !Array.isArray(x.shape)) {
        checkTensor(x, `${s.kind} stream.step: x`); // throws the precise error
      }
      if (x.shape.length !== 2 || x.shape[0] !== B || x.shape[1] !== s.inputSize) {
        checkShape(x.shape, [B, s.inputSize], `${s.kind} stream.step: x`);
      }
      data = x.data;
    }
    if (data.length !== B * s.inputSize) {
      throw new RnnError('SHAPE_MISMATCH', `${s.kind} stream.step: x must have batch * inputSize = ${B * s.inputSize} elements, got ${data.length}`);
    }
    checkFinite(data, `${s.kind} stream.step: x`);

    const k = this.backend.kernels, P = s.hOut, GH = s.G * s.hiddenSize, ldW = paddedWidth(GH);
    this.backend.arena.f32.set(data, f32Index(this.x));
    let input = this.x;
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l];
      L.cell.prepare?.();
      k.f32_gemm_nn(this.gates, GH, input, L.inW, L.wih, ldW, L.bih, B, GH, L.inW, 0);
      if (this.zprev) this.zoneout(L, () => L.cell.forward(0, 0, 0, B));
      else L.cell.forward(0, 0, 0, B);
      input = L.h;
    }
    const buffer = k.memory.buffer;
    if (!this.view || buffer !== this.viewBuffer) {
      this.viewBuffer = buffer;
      this.view = { data: new Float32Array(buffer, input, B * P), shape: [B, P] };
    }
    return this.view;
  }

  /** Copies of every layer's state: h [numLayers, batch, hOut], c [numLayers, batch, hiddenSize]. */
  state(): {
    /** Every layer's h, [numLayers, batch, hOut]. */
    h: Tensor;
    /** Every layer's c, [numLayers, batch, hiddenSize]: LSTM and CEC only. */
    c?: Tensor;
  } {
    const s = this.spec, B = this.batch, at = addresses(this.layout, this.alive(`${s.kind} stream.state`));
    const heap = this.backend.arena.f32;
    const take = (key: string, w: number): Tensor => {
      const data = new Float32Array(s.numLayers * B * w);
      for (let l = 0; l < s.numLayers; l++) {
        const from = f32Index(at(`${key}_l${l}`));
        data.set(heap.subarray(from, from + B * w), l * B * w);
      }
      return { data, shape: [s.numLayers, B, w] };
    };
    const out: { h: Tensor; c?: Tensor } = { h: take('h', s.hOut) };
    if (s.hasCell) out.c = take('c', s.hiddenSize);
    return out;
  }

  /** Sets the states (missing ones become zeros); checked whole before anything changes. */
  setState(state: { h?: Tensor; c?: Tensor }): void {
    const s = this.spec, B = this.batch, what = `${s.kind} stream.setState`, at = addresses(this.layout, this.alive(what));
    if (typeof state !== 'object' || state === null) throw new RnnError('BAD_ARGUMENT', `${what}: state must be an object { h?, c? }, got ${describe(state)}`);
    if (state.c !== undefined && !s.hasCell) throw new RnnError('BAD_ARGUMENT', `${what}: ${s.kind} has no cell state c`);
    const checked: [string, number, Float32Array | null][] = [];
    for (const [key, w] of [['h', s.hOut], ['c', s.hiddenSize]] as const) {
      if (key === 'c' && !s.hasCell) continue;
      const v = state[key];
      if (v === undefined) { checked.push([key, w, null]); continue; }
      const t = checkTensor(v, `${what}: ${key}`);
      checkShape(t.shape, [s.numLayers, B, w], `${what}: ${key}`);
      checkFinite(t.data, `${what}: ${key}`);
      checked.push([key, w, t.data]);
    }
    const heap = this.backend.arena.f32;
    // the cell's other states (the previous gates of a gate recurrence) start again from zero
    for (const c of s.cell.slots()) {
      if (c.role !== 'state' || c.name === 'c') continue;
      for (let l = 0; l < s.numLayers; l++) heap.fill(0, f32Index(at(`${c.name}_l${l}`)), f32Index(at(`${c.name}_l${l}`)) + B * c.width);
    }
    for (const [key, w, data] of checked) {
      for (let l = 0; l < s.numLayers; l++) {
        const to = f32Index(at(`${key}_l${l}`));
        if (data) heap.set(data.subarray(l * B * w, (l + 1) * B * w), to);
        else heap.fill(0, to, to + B * w);
      }
    }
  }

  /** Zeroes every state. */
  reset(): void {
    this.setState({});
  }

  /** Bytes of wasm memory this stream holds (0 after dispose). */
  memoryBytes(): number {
    return this.memory.bytes;
  }

  /** Returns the stream's memory; step, state and setState then throw DISPOSED. The layer is not touched. */
  dispose(): void {
    this.memory.release();
    this.view = null;
  }

  /**
   * Zoneout's inference rule around a step that overwrites the states in place: state =
   * p state(t-1) + (1 - p) new, for h and c, in the operations of the time loop's (sequence.ts),
   * so a stream gives forward's h bit for bit.
   */
  private zoneout(L: StreamLayer, step: () => void): void {
    const k = this.backend.kernels, s = this.spec, p = s.reg.zoneout, B = this.batch;
    const parts: [number, number, number][] = [[L.h, this.zprev, B * s.hOut]];
    if (L.c) parts.push([L.c, this.zprev + f32Bytes(B * s.hOut), B * s.hiddenSize]);
    for (const [state, prev, n] of parts) k.f32_copy_rows(prev, 0, state, 0, 1, n);
    step();
    for (const [state, prev, n] of parts) {
      k.f32_scale(prev, prev, p, n);
      k.f32_scale(state, state, 1 - p, n);
      k.f32_add(state, state, prev, n);
    }
  }

  private alive(what: string): number {
    if (!this.memory.live) throw new RnnError('DISPOSED', `${what}: the stream (or its layer) was disposed`);
    return this.region.ptr;
  }
}
