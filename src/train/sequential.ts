/**
 * Sequential: layers applied in order, held by reference (training the Sequential trains the
 * layers themselves). A recurrent layer passes on its `output` (with `opts.lengths` when
 * given); backward runs the chain in reverse and stops at an Embedding (ids have no
 * gradient). State dicts carry PyTorch's prefixes: '0.weight_ih_l0', '1.weight', ...
 */
import { checkFlag, checkOptions, checkTensor } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import type { RecurrentLayer, RecurrentState } from '../rnn/layer.js';
import type { Tensor } from '../tensor.js';
import type { Embedding, IdTensor } from './embedding.js';
import type { Dropout } from './dropout.js';
import type { Linear } from './linear.js';
import type { ParamBuffer } from '../params.js';
import { moduleTypeOf, moduleTypes, type LayerRole } from '../registry.js';
import { checkStateDict } from '../state-dict.js';

/** What a Sequential holds: a recurrent layer (RNN, LSTM, GRU, CEC), a Linear, a Dropout or an Embedding. */
export type Layer = RecurrentLayer | Linear | Dropout | Embedding;

/**
 * torch.nn.Sequential: layers applied in order, held by reference (training the Sequential
 * trains the layers themselves). A recurrent layer passes on its `output`; an Embedding can
 * only come first. State dict keys carry PyTorch's prefixes: '0.weight', '1.weight_ih_l0', ...
 */
export class Sequential {
  /** The layers, in order (the same objects the constructor was given). */
  readonly layers: readonly Layer[];

  /** How each layer is driven, from its registered type. */
  private readonly roles: readonly LayerRole[];

  constructor(layers: Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) throw new RnnError('BAD_ARGUMENT', `new Sequential: layers must be a non-empty array, got ${describe(layers)}`);
    this.roles = layers.map((l, i) => {
      const role = moduleTypeOf(l)?.role ?? 'none';
      if (role === 'none') {
        const names = moduleTypes((t) => t.role !== 'none').map((t) => t.type);
        throw new RnnError('BAD_ARGUMENT', `new Sequential: layers[${i}] must be a layer (${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}), got ${describe(l)}`);
      }
      if (role === 'ids' && i > 0) throw new RnnError('BAD_ARGUMENT', `new Sequential: ${moduleTypeOf(l)!.type} takes ids, so it can only be layers[0] (found at ${i})`);
      return role;
    });
    this.layers = [...layers];
  }

  private states: (RecurrentState | undefined)[] = [];

  /**
   * The last layer's output. `opts.train` keeps every tape; `opts.lengths` goes to recurrent
   * layers; `opts.initialStates[i]` is the initial state of a recurrent layers[i] (truncated
   * BPTT carries finalStates() of one chunk into the next).
   */
  forward(x: Tensor | IdTensor, opts?: { train?: boolean; lengths?: ArrayLike<number>; initialStates?: (RecurrentState | undefined)[] }): Tensor {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new RnnError('BAD_ARGUMENT', `Sequential.forward: opts must be an object, got ${describe(opts)}`);
    checkOptions(opts, ['train', 'lengths', 'initialStates'], 'Sequential.forward: opts');
    const train = checkFlag(opts?.train, 'Sequential.forward: opts.train', false);
    if (opts?.initialStates !== undefined && !Array.isArray(opts.initialStates)) {
      throw new RnnError('BAD_ARGUMENT', `Sequential.forward: opts.initialStates must be an array (entry i: the state of layers[i]), got ${describe(opts.initialStates)}`);
    }
    const states: (RecurrentState | undefined)[] = [];
    let h: Tensor | IdTensor = x;
    this.layers.forEach((layer, i) => {
      const role = this.roles[i];
      if (role === 'recurrent') {
        const r = (layer as RecurrentLayer).forward(h as Tensor, opts?.initialStates?.[i], { train, lengths: opts?.lengths });
        states[i] = r.c ? { h: r.h, c: r.c } : { h: r.h };
        h = r.output;
      } else if (role === 'ids') h = (layer as Embedding).forward(h as IdTensor, { train });
      else h = (layer as Linear | Dropout).forward(h as Tensor, { train });
    });
    this.states = states;
    return h as Tensor;
  }

  /** Final states of the recurrent layers (by layer index) after the last forward. */
  finalStates(): (RecurrentState | undefined)[] {
    return [...this.states];
  }

  /**
   * Backward through the chain; parameter gradients are added into each layer's grads().
   * `opts.inputGrad: false` skips the gradient of the input (dx is then null), as fit does.
   */
  backward(dOut: Tensor, opts?: { inputGrad?: boolean }): {
    /** The gradient of the input; null with `inputGrad: false` or when the first layer is an Embedding. */
    dx: Tensor | null;
  } {
    checkOptions(opts, ['inputGrad'], 'Sequential.backward: opts');
    const inputGrad = checkFlag(opts?.inputGrad, 'Sequential.backward: opts.inputGrad', true);
    checkTensor(dOut, 'Sequential.backward: dOut');
    let d: Tensor | null = dOut;
    for (let i = this.layers.length - 1; i >= 0 && d; i--) {
      const layer = this.layers[i];
      d = i === 0 && this.roles[i] === 'recurrent' ? (layer as RecurrentLayer).backward(d, undefined, { inputGrad }).dx : layer.backward(d).dx;
    }
    return { dx: inputGrad ? d : null };
  }

  /** Copies of every layer's parameters, keys prefixed by the layer index ('0.weight'). */
  stateDict(): Record<string, Tensor> { return this.prefixed((l) => l.stateDict()); }
  /** Copies of every layer's accumulated gradients, named like stateDict. */
  grads(): Record<string, Tensor> { return this.prefixed((l) => l.grads()); }
  /** Sets every layer's gradients to zero. */
  zeroGrad(): void { for (const l of this.layers) l.zeroGrad(); }

  /** Copies of every parameter tensor, in stateDict order. */
  parameters(): Tensor[] { return Object.values(this.stateDict()); }

  /**
   * Strict across all layers, and all or nothing: the whole dict ('<layer index>.<name>'
   * keys) is checked against every layer's names and shapes before any layer changes.
   */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    const shapes: Record<string, number[]> = {};
    this.layers.forEach((l, i) => { for (const [k, t] of Object.entries(l.stateDict())) shapes[`${i}.${k}`] = t.shape; });
    const values = checkStateDict(dict, shapes, 'Sequential.loadStateDict');
    const parts: Record<string, Float32Array>[] = this.layers.map(() => ({}));
    for (const [key, data] of Object.entries(values)) {
      const dot = key.indexOf('.');
      parts[Number(key.slice(0, dot))][key.slice(dot + 1)] = data;
    }
    this.layers.forEach((l, i) => l.loadStateDict(parts[i]));
  }

  /** The configuration that rebuilds this model (layer types and options, no weights). */
  config(): Record<string, unknown> {
    return { type: 'Sequential', layers: this.layers.map((l) => l.config()) };
  }

  /** @internal */
  paramBuffers(): ParamBuffer[] { return this.layers.flatMap((l) => l.paramBuffers()); }

  /** Bytes of wasm memory its layers hold now (each counted once, however often it appears). */
  memoryBytes(): number {
    return [...new Set(this.layers)].reduce((n, l) => n + l.memoryBytes(), 0);
  }

  /**
   * Disposes every layer (they are held by reference: the layers themselves are disposed);
   * later calls throw DISPOSED, as the layers' do.
   */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }

  private prefixed(f: (l: Layer) => Record<string, Tensor>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.layers.forEach((l, i) => { for (const [k, v] of Object.entries(f(l))) out[`${i}.${k}`] = v; });
    return out;
  }
}
