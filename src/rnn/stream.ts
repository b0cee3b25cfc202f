/**
 * One step at a time through a unidirectional layer, for audio frames, sensor samples or
 * keystrokes. The runner owns its state and scratch (one arena region); each step copies x_t
 * in, runs every layer's input product, recurrent product and fused cell in place, and hands
 * back a view of the top layer's h. It allocates nothing per step: the view and the Tensor
 * around it are re-created only when wasm memory has grown since the last step.
 * It reads the layer's parameters live, so a stream sees every update made by training.
 */
import type { Region } from '../arena.js';
import type { Backend } from '../backend.js';
import { RnnError, describe } from '../errors.js';
import { paddedWidth, planLayout, type Layout, type Slot } from '../layout.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkShape, checkTensor } from '../checks.js';
import { clipBound, lstmMode } from './sequence.js';
import { suffix, type Spec } from './spec.js';

function streamSlots(s: Spec, B: number): Slot[] {
  const H = s.hiddenSize, P = s.hOut, GH = s.G * H;
  const slots: Slot[] = [{ name: 'x', shape: [B, s.inputSize], comment: 'the current input' }];
  for (let l = 0; l < s.numLayers; l++) {
    slots.push({ name: `h_l${l}`, shape: [B, P], comment: 'state, updated in place' });
    if (s.hasCell) slots.push({ name: `c_l${l}`, shape: [B, H], comment: 'cell state, updated in place' });
    if (s.tau) slots.push({ name: `alpha_l${l}`, shape: [H], comment: '1 / max(tau, 1) (refreshed each step when tau is trained)' });
    if (s.gateRecurrence) slots.push({ name: `ifo_l${l}`, shape: [B, 3 * H], comment: "the previous step's gates i, f, o (zeros at the start, after reset and setState)" });
  }
  slots.push({ name: 'gates', shape: [B, GH], comment: 'scratch: gates of the current layer' });
  if (s.kind === 'GRU') slots.push({ name: 'gh', shape: [B, GH], comment: 'scratch: h W_hh + b_hh' });
  if (s.kind === 'GRU' && !s.resetAfter) slots.push({ name: 'rh', shape: [B, H], comment: 'scratch: r * h (f * h, minimal unit)' });
  if (s.kind === 'LSTM') {
    slots.push({ name: 'tanhc', shape: [B, H], comment: 'scratch: tanh(c)' });
    if (s.projSize) slots.push({ name: 'hpre', shape: [B, H], comment: 'scratch: o * tanh(c) before the projection' });
  }
  return slots;
}

interface LayerPlan { h: number; c: number; inW: number; wih: number; whh: number; whr: number; bih: number; bhh: number; peep: number; alpha: number; tau: number; ifo: number; wgg: number }

/**
 * A stateful one-step runner over a unidirectional recurrent layer, from `layer.stream(batch)`:
 * feeding a sequence step by step gives the same h as `forward` over it. It owns its state
 * and reads the layer's parameters live, so it sees every update made by training; nothing is
 * allocated per step.
 */
export class Stream {
  /** The number of sequences stepped together. */
  readonly batch: number;
  private region: Region | null;
  private readonly layout: Layout;
  private view: Tensor | null = null;
  private viewBuffer: ArrayBuffer | null = null;
  // Every address a step needs, computed once (regions never move), so a step builds no
  // strings, closures or objects.
  private readonly x: number;
  private readonly gates: number;
  private readonly gh: number;
  private readonly tanhc: number;
  private readonly hpre: number;
  private readonly rh: number;
  private readonly layers: LayerPlan[];

  constructor(private readonly spec: Spec, private readonly backend: Backend, batch: number,
    param: (name: string) => number, private readonly onDispose: () => void) {
    this.batch = batch;
    this.layout = planLayout(streamSlots(spec, batch));
    this.region = backend.arena.alloc(this.layout.bytes, `${spec.kind} stream (batch ${batch})`);
    const base = this.region.ptr, at = (name: string) => {
      const slot = this.layout.slots.get(name);
      return slot ? base + slot.offset : 0;
    };
    this.x = at('x'); this.gates = at('gates'); this.gh = at('gh'); this.tanhc = at('tanhc'); this.hpre = at('hpre'); this.rh = at('rh');
    this.layers = Array.from({ length: spec.numLayers }, (_, l) => {
      const x = suffix(l, 0);
      return {
        h: at(`h_l${l}`), c: at(`c_l${l}`), inW: spec.inWidth(l),
        wih: param(`weight_ih${x}`), whh: param(`weight_hh${x}`), whr: param(`weight_hr${x}`),
        bih: param(`bias_ih${x}`), bhh: param(`bias_hh${x}`), peep: param(`weight_ch${x}`),
        alpha: at(`alpha_l${l}`), tau: param(`tau${x}`), ifo: at(`ifo_l${l}`), wgg: param(`weight_gg${x}`),
      };
    });
    this.refreshAlpha();
  }

  /** alpha = 1 / max(tau, 1) per unit of every layer, from the fixed or the (live) trained tau. */
  private refreshAlpha(): void {
    const s = this.spec, H = s.hiddenSize;
    if (!s.tau) return;
    const heap = this.backend.arena.f32;
    for (const L of this.layers) {
      for (let j = 0; j < H; j++) heap[L.alpha / 4 + j] = 1 / Math.max(s.trainTau ? heap[L.tau / 4 + j] : s.tau[j], 1);
    }
  }

  /**
   * Advances one step. x_t: a Tensor [batch, inputSize] or a bare Float32Array of that size.
   * Returns the top layer's h_t [batch, hOut]; its data is a view into wasm memory, valid
   * until the next call on this stream (copy it to keep it).
   */
  step(x: Tensor | Float32Array): Tensor {
    const s = this.spec, B = this.batch;
    if (!this.region) this.alive(`${s.kind} stream.step`);
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

    const k = this.backend.kernels, H = s.hiddenSize, P = s.hOut, GH = s.G * H, gates = this.gates;
    const ldW = paddedWidth(GH), ldR = paddedWidth(P);
    this.backend.arena.f32.set(data, this.x / 4);
    if (s.trainTau) this.refreshAlpha();
    let input = this.x;
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l], h = L.h;
      k.f32_gemm_nn(gates, GH, input, L.inW, L.wih, ldW, L.bih, B, GH, L.inW, 0);
      if (s.kind === 'GRU' && s.resetAfter) {
        k.f32_gemm_nn(this.gh, GH, h, P, L.whh, ldW, L.bhh, B, GH, P, 0);
        k.gru_cell_fwd(gates, this.gh, 0, h, h, B, H);
      } else if (s.kind === 'GRU') {
        const nOff = (s.G - 1) * H * 4;
        k.f32_gemm_nn(this.gh, GH, h, P, L.whh, ldW, L.bhh, B, GH - H, P, 0);
        k.gru_rb_gate_fwd(gates, this.gh, this.rh, h, B, H, s.G);
        k.f32_gemm_nn(this.gh + nOff, GH, this.rh, H, L.whh + nOff, ldW, L.bhh && L.bhh + nOff, B, H, H, 0);
        k.gru_rb_out_fwd(gates, this.gh, h, h, B, H, s.G);
      } else {
        k.f32_gemm_nn(gates, GH, h, P, L.whh, ldW, L.bhh, B, GH, P, 1);
        if (s.kind === 'LSTM') {
          const hcell = s.projSize ? this.hpre : h;
          if (s.gateRecurrence) {
            const ldG = paddedWidth(3 * H);
            k.f32_gemm_nn(gates, GH, L.ifo, 3 * H, L.wgg, ldG, 0, B, 2 * H, 3 * H, 1);
            k.f32_gemm_nn(gates + 3 * H * 4, GH, L.ifo, 3 * H, L.wgg + 2 * H * 4, ldG, 0, B, H, 3 * H, 1);
          }
          if (s.lstmVariant) k.lstmx_cell_fwd(gates, L.c, L.c, this.tanhc, hcell, L.peep, B, H, lstmMode(s), clipBound(s));
          else k.lstm_cell_fwd(gates, L.c, L.c, this.tanhc, hcell, B, H);
          if (s.projSize) k.f32_gemm_nn(h, P, hcell, H, L.whr, ldR, 0, B, P, H, 0);
          if (s.gateRecurrence) {
            k.f32_copy_rows(L.ifo, 3 * H, gates, GH, B, 2 * H);
            k.f32_copy_rows(L.ifo + 2 * H * 4, 3 * H, gates + 3 * H * 4, GH, B, H);
          }
        } else if (s.kind === 'CEC') {
          k.f32_tanh_fwd(gates, gates, B * H);
          k.f32_add(L.c, L.c, gates, B * H);
          k.f32_tanh_fwd(h, L.c, B * H);
        } else {
          if (s.identityRecurrence) k.f32_add(gates, gates, h, B * H);
          const a = s.tau ? gates : h;
          if (s.nonlinearity === 'tanh') k.f32_tanh_fwd(a, gates, B * H);
          else k.f32_relu_fwd(a, gates, B * H);
          if (s.tau) k.leaky_fwd(h, h, gates, L.alpha, B, H);
        }
      }
      input = h;
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
    const s = this.spec, B = this.batch, base = this.alive(`${s.kind} stream.state`);
    const heap = this.backend.arena.f32;
    const take = (key: string, w: number): Tensor => {
      const data = new Float32Array(s.numLayers * B * w);
      for (let l = 0; l < s.numLayers; l++) {
        const at = (base + this.layout.slots.get(`${key}_l${l}`)!.offset) / 4;
        data.set(heap.subarray(at, at + B * w), l * B * w);
      }
      return { data, shape: [s.numLayers, B, w] };
    };
    const out: { h: Tensor; c?: Tensor } = { h: take('h', s.hOut) };
    if (s.hasCell) out.c = take('c', s.hiddenSize);
    return out;
  }

  /** Sets the states (missing ones become zeros); checked whole before anything changes. */
  setState(state: { h?: Tensor; c?: Tensor }): void {
    const s = this.spec, B = this.batch, what = `${s.kind} stream.setState`, base = this.alive(what);
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
    if (s.gateRecurrence) for (const L of this.layers) heap.fill(0, L.ifo / 4, L.ifo / 4 + B * 3 * s.hiddenSize);
    for (const [key, w, data] of checked) {
      for (let l = 0; l < s.numLayers; l++) {
        const at = (base + this.layout.slots.get(`${key}_l${l}`)!.offset) / 4;
        if (data) heap.set(data.subarray(l * B * w, (l + 1) * B * w), at);
        else heap.fill(0, at, at + B * w);
      }
    }
  }

  /** Zeroes every state. */
  reset(): void {
    this.setState({});
  }

  /** Bytes of wasm memory this stream holds (0 after dispose). */
  memoryBytes(): number {
    return this.region ? this.region.bytes : 0;
  }

  /** Returns the stream's memory; step, state and setState then throw DISPOSED. The layer is not touched. */
  dispose(): void {
    if (!this.region) return;
    this.backend.arena.free(this.region);
    this.region = null;
    this.view = null;
    this.onDispose();
  }

  private alive(what: string): number {
    if (!this.region) throw new RnnError('DISPOSED', `${what}: the stream (or its layer) was disposed`);
    return this.region.ptr;
  }
}
