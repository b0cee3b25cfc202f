/**
 * ELMo's layer mix (Peters et al. 2018, eq. 1): y = gamma * sum over layers l of s_l h_l, with
 * s = softmax(w) over the layers and a scalar gamma, each trainable or fixed. The inputs are
 * the per-layer outputs of a stacked (usually bidirectional) recurrent layer, from
 * `forward(x, state, { allLayers: true })`; `backward` returns their gradients for
 * `backward(dOutput, dState, { dLayers })`. Names as AllenNLP's ScalarMix:
 * `scalar_parameters` (w, [numLayers], zeros at start: equal weights) and `gamma` ([1], 1).
 *
 * The mix is a weighted sum over a few layers, memory-bound, done in JS; the parameters and
 * their gradients live in wasm memory like every layer's, so optimizers and clipping see them
 * (train them together with the recurrent layer: `new Adam([lstm, mix], ...)`). A fixed
 * parameter is not listed to optimizers at all, so weight decay cannot move it either.
 */
import { getBackend, type Backend } from '../backend.js';
import type { Region } from '../arena.js';
import { holdParameters, type Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, f32Index, planLayout, type Layout } from '../layout.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkFlag, checkOptions, checkShape, checkTensor } from '../checks.js';
import type { ParamBuffer } from '../params.js';
import { checkStateDict } from '../state-dict.js';

/** Options of `new ScalarMix`. */
export interface ScalarMixOptions {
  /** The number of layer outputs mixed (the recurrent layer's numLayers). */
  numLayers: number;
  /** Learn the layer weights w (default true); false keeps them equal. */
  trainWeights?: boolean;
  /** Learn gamma (default true). */
  trainGamma?: boolean;
  /** Initial gamma, default 1. */
  gamma?: number;
}

/**
 * ELMo's layer mix (Peters et al. 2018): y = gamma * sum over layers l of s_l h_l, with
 * s = softmax(w) over the layers and a scalar gamma, each trainable or fixed. The inputs are
 * the per-layer outputs of `forward(x, state, { allLayers: true })`; after
 * `forward(layers, { train: true })`, `backward` returns their gradients for the recurrent
 * layer's `backward(dOutput, dState, { dLayers })`. Keys as
 * AllenNLP's: `scalar_parameters` (w [numLayers], zeros at the start: equal weights) and
 * `gamma` ([1]). Train it with the recurrent layer: `new Adam([lstm, mix], ...)`.
 */
export class ScalarMix {
  /** The number of layer outputs mixed. */
  readonly numLayers: number;
  /** Whether the layer weights w are learned. */
  readonly trainWeights: boolean;
  /** Whether gamma is learned. */
  readonly trainGamma: boolean;
  private readonly backend: Backend;
  // the parameters, and the same layout again for their gradients
  private readonly layout: Layout;
  private params: Region | null;
  private grads_: Region | null;
  /** The two regions (holding.ts): freed by dispose, or when the mix is collected undisposed. */
  private readonly memory: Holding;
  private tape: { layers: Float32Array[]; shape: number[] } | null = null;

  constructor(options: ScalarMixOptions) {
    this.backend = getBackend('new ScalarMix');
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `new ScalarMix: options must be an object with numLayers, got ${describe(options)}`);
    checkOptions(options, ['numLayers', 'trainWeights', 'trainGamma', 'gamma'], 'new ScalarMix');
    const { numLayers, trainWeights = true, trainGamma = true, gamma = 1 } = options;
    if (!Number.isSafeInteger(numLayers) || numLayers < 1) throw new RnnError('BAD_ARGUMENT', `new ScalarMix: numLayers must be an integer >= 1, got ${describe(numLayers)}`);
    for (const [k, v] of [['trainWeights', trainWeights], ['trainGamma', trainGamma]] as const) {
      if (typeof v !== 'boolean') throw new RnnError('BAD_ARGUMENT', `new ScalarMix: ${k} must be true or false, got ${describe(v)}`);
    }
    if (typeof gamma !== 'number' || !Number.isFinite(gamma)) throw new RnnError('BAD_ARGUMENT', `new ScalarMix: gamma must be a finite number, got ${describe(gamma)}`);
    this.numLayers = numLayers;
    this.trainWeights = trainWeights;
    this.trainGamma = trainGamma;
    this.layout = planLayout([
      { name: 'scalar_parameters', shape: [numLayers], comment: 'w, the layer weights before the softmax' },
      { name: 'gamma', shape: [1], comment: 'the scale of the mix', packed: true },
    ]);
    // alloc zero-fills: w = 0 (equal weights), gradients 0
    const held = holdParameters(this, this.backend.arena, this.layout.bytes, 'ScalarMix');
    this.memory = held.memory; this.params = held.params; this.grads_ = held.grads;
    this.backend.arena.f32[f32Index(this.slot(this.params.ptr, 'gamma'))] = gamma;
  }

  /** The current softmax weights s (a copy). */
  weights(): Float64Array {
    const w = this.read(this.alive('ScalarMix.weights').ptr, 'scalar_parameters'), L = this.numLayers;
    let max = -Infinity;
    for (let l = 0; l < L; l++) max = Math.max(max, w[l]);
    const s = new Float64Array(L);
    let sum = 0;
    for (let l = 0; l < L; l++) sum += s[l] = Math.exp(w[l] - max);
    for (let l = 0; l < L; l++) s[l] /= sum;
    return s;
  }

  /** y = gamma * sum_l s_l layers[l]; every layer the same shape. */
  forward(layers: Tensor[], opts?: { train?: boolean }): Tensor {
    const p = this.alive('ScalarMix.forward');
    if (!Array.isArray(layers) || layers.length !== this.numLayers) {
      throw new RnnError('BAD_ARGUMENT', `ScalarMix.forward: layers must be an array of ${this.numLayers} tensors, got ${describe(layers)}`);
    }
    const checked = layers.map((t, l) => checkTensor(t, `ScalarMix.forward: layers[${l}]`));
    checked.forEach((t, l) => {
      checkShape(t.shape, checked[0].shape, `ScalarMix.forward: layers[${l}]`);
      checkFinite(t.data, `ScalarMix.forward: layers[${l}]`);
    });
    checkOptions(opts, ['train'], 'ScalarMix.forward: opts');
    const train = checkFlag(opts?.train, 'ScalarMix.forward: opts.train', false);
    const s = this.weights(), gamma = this.read(p.ptr, 'gamma')[0], n = checked[0].data.length;
    const y = new Float32Array(n);
    for (let l = 0; l < this.numLayers; l++) {
      const a = gamma * s[l], h = checked[l].data;
      for (let i = 0; i < n; i++) y[i] += a * h[i];
    }
    if (train) this.tape = { layers: checked.map((t) => t.data.slice()), shape: [...checked[0].shape] };
    return { data: y, shape: [...checked[0].shape] };
  }

  /**
   * Gradients of the layers for dy (the gradient of y), consuming the tape of the last
   * training forward; the gradients of w and gamma (when trained) are ADDED into grads().
   *   dh_l = gamma s_l dy    dgamma = sum dy . (sum_l s_l h_l)
   *   dw_l = s_l (e_l - sum_k s_k e_k),  e_l = gamma sum dy . h_l
   */
  backward(dy: Tensor): {
    /** The gradient of each layer's output, shaped as it. */
    dLayers: Tensor[];
  } {
    this.alive('ScalarMix.backward');
    const tape = this.tape;
    if (!tape) throw new RnnError('NO_TAPE', 'ScalarMix.backward: no tape; call forward(layers, { train: true }) first');
    const t = checkTensor(dy, 'ScalarMix.backward: dy');
    checkShape(t.shape, tape.shape, 'ScalarMix.backward: dy');
    checkFinite(t.data, 'ScalarMix.backward: dy');
    const L = this.numLayers, s = this.weights(), gamma = this.read(this.params!.ptr, 'gamma')[0], d = t.data;
    const e = new Float64Array(L);
    const dLayers = tape.layers.map((h, l) => {
      const a = gamma * s[l], out = new Float32Array(h.length);
      let dot = 0;
      for (let i = 0; i < h.length; i++) { out[i] = a * d[i]; dot += d[i] * h[i]; }
      e[l] = dot;
      return { data: out, shape: [...tape.shape] };
    });
    const heap = this.backend.arena.f32, dw = f32Index(this.slot(this.grads_!.ptr, 'scalar_parameters'));
    let mixed = 0;
    for (let l = 0; l < L; l++) mixed += s[l] * e[l];
    if (this.trainGamma) heap[f32Index(this.slot(this.grads_!.ptr, 'gamma'))] += mixed;
    if (this.trainWeights) for (let l = 0; l < L; l++) heap[dw + l] += s[l] * gamma * (e[l] - mixed);
    this.tape = null;
    return { dLayers };
  }

  /** Copies of the parameters: scalar_parameters [numLayers] (w, before the softmax) and gamma [1]. */
  stateDict(): Record<string, Tensor> {
    return this.readAll(this.alive('ScalarMix.stateDict').ptr);
  }

  /** Copies of the accumulated gradients, named like stateDict (zero for a fixed parameter). */
  grads(): Record<string, Tensor> {
    this.alive('ScalarMix.grads');
    return this.readAll(this.grads_!.ptr);
  }

  /** Sets the gradients to zero (backward adds into them). */
  zeroGrad(): void {
    const g = this.alive('ScalarMix.zeroGrad') && this.grads_!;
    this.backend.kernels.f32_fill(g.ptr, 0, f32Index(this.layout.bytes));
  }

  /** Strict like every loadStateDict: both keys, right sizes, finite; nothing changes otherwise. */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    const p = this.alive('ScalarMix.loadStateDict');
    const values = checkStateDict(dict, { scalar_parameters: [this.numLayers], gamma: [1] }, 'ScalarMix.loadStateDict');
    this.backend.arena.f32.set(values.scalar_parameters, f32Index(this.slot(p.ptr, 'scalar_parameters')));
    this.backend.arena.f32.set(values.gamma, f32Index(this.slot(p.ptr, 'gamma')));
  }

  /** @internal The trained parameters only (fixed ones are invisible to optimizers and clipping). */
  paramBuffers(): ParamBuffer[] {
    const p = this.alive('ScalarMix: parameters'), g = this.grads_!, out: ParamBuffer[] = [];
    for (const [name, trained] of [['scalar_parameters', this.trainWeights], ['gamma', this.trainGamma]] as const) {
      if (trained) out.push({ param: this.slot(p.ptr, name), grad: this.slot(g.ptr, name), length: this.layout.slots.get(name)!.length, backend: this.backend, alive: () => this.params === p, owner: 'ScalarMix' });
    }
    return out;
  }

  /** The constructor options that rebuild this mix (without its weights or gamma). */
  config(): Record<string, unknown> {
    return { type: 'ScalarMix', numLayers: this.numLayers, trainWeights: this.trainWeights, trainGamma: this.trainGamma };
  }

  /** Bytes of wasm memory this mix holds (its parameters and their gradients). */
  memoryBytes(): number {
    this.alive('ScalarMix.memoryBytes');
    return this.memory.bytes;
  }

  /** Returns all memory; any later call throws DISPOSED. */
  dispose(): void {
    if (!this.params) return;
    this.memory.release();
    this.params = this.grads_ = null;
    this.tape = null;
  }

  private alive(what: string): Region {
    if (!this.params) throw new RnnError('DISPOSED', `${what}: the ScalarMix was disposed`);
    return this.params;
  }

  // Byte address of a slot in the region at `base` (the parameters or the gradients).
  private slot(base: number, name: 'scalar_parameters' | 'gamma'): number {
    return addresses(this.layout, base)(name);
  }

  private read(base: number, name: 'scalar_parameters' | 'gamma'): Float32Array {
    const at = f32Index(this.slot(base, name));
    return this.backend.arena.f32.slice(at, at + this.layout.slots.get(name)!.length);
  }

  private readAll(base: number): Record<string, Tensor> {
    return {
      scalar_parameters: { data: this.read(base, 'scalar_parameters'), shape: [this.numLayers] },
      gamma: { data: this.read(base, 'gamma'), shape: [1] },
    };
  }
}
