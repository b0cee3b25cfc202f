/**
 * Keras / TensorFlow.js layers models (`model.json` with `modelTopology` and `weightsManifest`,
 * as tfjs `model.save` and tensorflowjs_converter write them) as our layers, run so that
 * `predict` gives what tfjs's `model.predict` gives.
 *
 * Mappings (Keras stores kernels [in, out], ours PyTorch's [out, in]; bias_hh is zero unless a
 * GRU has reset_after):
 *   SimpleRNN                 RNN, `activation` as nonlinearity
 *   LSTM (blocks i, f, c, o)  LSTM (i, f, g, o); recurrent_activation as gateActivation,
 *                             activation as cellActivation and hiddenActivation
 *   GRU (blocks z, r, h)      GRU (r, z, n); reset_after true: bias [2, 3H] is bias_ih and
 *                             bias_hh, resetAfter: true; false: bias [3H] is bias_ih, resetAfter: false
 *   go_backwards              reverse, and the sequence output flipped in time (Keras returns
 *                             it in processing order, last step first)
 *   Bidirectional             bidirectional, the two halves merged (concat, sum, mul, ave)
 *   Dense, TimeDistributed(Dense)  Linear and the activation
 *   Embedding                 Embedding; mask_zero as each row's valid steps (see `maskOf`):
 *                             before each recurrent layer a row's valid steps are gathered at
 *                             the front and run as a packed sequence (`lengths`), and the
 *                             results go back to their steps, the masked ones filled as Keras
 *                             fills them (the output of the step processed last repeated;
 *                             zeros before the row's first processed step)
 * 'hard_sigmoid' (and tfjs's 'hardSigmoid') is tfjs's clip(0.2 x + 0.5, 0, 1).
 */
import { RnnError, describe } from '../../errors.js';
import type { ActivationOption } from '../../rnn/activations.js';
import { GRU, LSTM, RNN, type ForwardResult, type RecurrentLayer } from '../../rnn/layer.js';
import { Embedding, type IdTensor } from '../../train/embedding.js';
import { Linear } from '../../train/linear.js';
import type { Tensor } from '../../tensor.js';
import { concatWeights, readWeights } from './weights.js';

/** A layer of our own that a Keras layer became. */
export type KerasModule = RNN | LSTM | GRU | Linear | Embedding;

/** One layer of a loaded Keras model, in the order the model runs them. */
export interface KerasLayer {
  /** The Keras layer's name (as in model.json). */
  readonly name: string;
  /** Its Keras class, e.g. 'LSTM', 'Bidirectional', 'TimeDistributed', 'Dropout'. */
  readonly className: string;
  /** Its configuration as model.json gives it (return_sequences, go_backwards, activation, ...). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The layer of ours that computes it; null for the layers that are identities at inference (InputLayer, Dropout, ...) and Activation. */
  readonly module: KerasModule | null;
}

type Act = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
type Json = Record<string, unknown>;

/** Each row's valid steps while a mask lives: steps[b] lists them in time order (empty: none). */
interface RowMask {
  steps: Int32Array[];
}

/** The index in `steps` (ascending) of the last step <= t, or -1. */
function lastAtOrBefore(steps: Int32Array, t: number): number {
  let k = -1;
  while (k + 1 < steps.length && steps[k + 1] <= t) k++;
  return k;
}

/** The index in `steps` (ascending) of the first step >= t, or -1. */
function firstAtOrAfter(steps: Int32Array, t: number): number {
  return steps.findIndex((s) => s >= t);
}

/** What one step of the chain does with the running value (and the rows' valid steps, while a mask lives). */
interface Step {
  layer: KerasLayer;
  run(x: Tensor, mask: RowMask | null): { y: Tensor; keepMask: boolean };
}

const IDENTITIES = ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'];
const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];

function unsupported(message: string): never {
  throw new RnnError('UNSUPPORTED', `loadKerasModel: ${message}`);
}
function bad(message: string): never {
  throw new RnnError('BAD_FILE', `loadKerasModel: ${message}`);
}
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The activation name of a config value: a string, or Keras 3's serialised function object. */
function activationName(v: unknown, where: string): string {
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.config === 'string') return v.config;
  if (isObject(v) && typeof v.class_name === 'string') return v.class_name;
  bad(`${where} must name an activation, got ${describe(v)}`);
}

/** A recurrent activation as our layers' option. */
function cellActivation(v: unknown, where: string): ActivationOption {
  const name = activationName(v, where);
  if (name === 'tanh' || name === 'sigmoid' || name === 'relu') return name;
  if (name === 'hard_sigmoid' || name === 'hardSigmoid') return 'hardSigmoid'; // tfjs's: clip(0.2 x + 0.5, 0, 1)
  unsupported(`${where} ${JSON.stringify(name)} is not supported in a recurrent layer (supported: tanh, sigmoid, relu, hard_sigmoid)`);
}

/** A Dense / Activation layer's activation. */
function denseActivation(v: unknown, where: string): Act {
  const name = activationName(v, where);
  if (name === 'linear' || name === 'relu' || name === 'sigmoid' || name === 'tanh' || name === 'softmax') return name;
  unsupported(`${where} ${JSON.stringify(name)} is not supported (supported: linear, relu, sigmoid, tanh, softmax)`);
}

function applyActivation(t: Tensor, act: Act): Tensor {
  const d = t.data;
  if (act === 'relu') for (let i = 0; i < d.length; i++) d[i] = d[i] > 0 ? d[i] : 0;
  else if (act === 'sigmoid') for (let i = 0; i < d.length; i++) d[i] = 1 / (1 + Math.exp(-d[i]));
  else if (act === 'tanh') for (let i = 0; i < d.length; i++) d[i] = Math.tanh(d[i]);
  else if (act === 'softmax') {
    const n = t.shape[t.shape.length - 1];
    for (let r = 0; r < d.length; r += n) {
      let m = -Infinity, s = 0;
      for (let j = 0; j < n; j++) m = Math.max(m, d[r + j]);
      for (let j = 0; j < n; j++) s += Math.exp(d[r + j] - m);
      for (let j = 0; j < n; j++) d[r + j] = Math.exp(d[r + j] - m) / s;
    }
  }
  return t;
}

/** The Keras kernel [in, G*H] as PyTorch's [G*H, in], our block b taken from Keras block order[b]. */
function kernelToTorch(k: Tensor, order: number[], H: number): Tensor {
  const [n, GH] = k.shape, out = new Float32Array(GH * n);
  order.forEach((src, b) => {
    for (let j = 0; j < H; j++) for (let i = 0; i < n; i++) out[(b * H + j) * n + i] = k.data[i * GH + src * H + j];
  });
  return { data: out, shape: [GH, n] };
}
function biasToTorch(b: Float32Array, order: number[], H: number): Tensor {
  const out = new Float32Array(order.length * H);
  order.forEach((src, blk) => out.set(b.subarray(src * H, src * H + H), blk * H));
  return { data: out, shape: [out.length] };
}

/** The names of the layers feeding a functional layer (tfjs / Keras 2 and Keras 3 node formats). */
function inboundNames(layer: Json, name: string): string[][] {
  const nodes = layer.inbound_nodes;
  if (nodes === undefined) return [];
  if (!Array.isArray(nodes)) bad(`layer ${name}: inbound_nodes must be an array, got ${describe(nodes)}`);
  return nodes.map((node: unknown) => {
    if (Array.isArray(node)) return node.map((e: unknown) => (Array.isArray(e) && typeof e[0] === 'string' ? e[0] : bad(`layer ${name}: an inbound node entry must be [layer name, node, tensor, kwargs], got ${describe(e)}`)));
    if (isObject(node)) { // Keras 3: { args: [KerasTensor...], kwargs }
      const names: string[] = [];
      const visit = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(visit);
        else if (isObject(v)) {
          const history = isObject(v.config) ? v.config.keras_history : undefined;
          if (v.class_name === '__keras_tensor__' && Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
          else Object.values(v).forEach(visit);
        }
      };
      visit(node.args);
      return names;
    }
    bad(`layer ${name}: an inbound node must be an array or an object, got ${describe(node)}`);
  });
}

/** The layers of the topology in the order they run: a Sequential's, or a functional chain's. */
function chainOf(topology: Json): Json[] {
  const cls = topology.class_name, config = topology.config;
  if (cls === 'Sequential') {
    const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(layers)) bad(`the Sequential topology needs config.layers, an array, got ${describe(layers)}`);
    return layers.map((l, i) => (isObject(l) ? l : bad(`layers[${i}] must be an object { class_name, config }, got ${describe(l)}`)));
  }
  if (cls !== 'Model' && cls !== 'Functional') unsupported(`the model class ${describe(cls)} is not supported (Sequential, or a functional Model whose layers form a chain)`);
  if (!isObject(config) || !Array.isArray(config.layers)) bad(`the ${cls} topology needs config.layers, an array`);
  const layers = config.layers.map((l: unknown, i: number) => (isObject(l) ? l : bad(`layers[${i}] must be an object, got ${describe(l)}`)));
  const nameOf = (l: Json) => String(l.name ?? (isObject(l.config) ? l.config.name : ''));
  const byName = new Map(layers.map((l) => [nameOf(l), l]));
  const ends = (v: unknown, what: string): string => {
    // [[name, 0, 0]] or [name, 0, 0]
    const list = Array.isArray(v) && v.length > 0 && typeof v[0] === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length !== 1 || !Array.isArray(list[0]) || typeof list[0][0] !== 'string') {
      unsupported(`a functional model with ${Array.isArray(list) ? list.length : describe(list)} ${what} is not supported (one input and one output, the layers a chain)`);
    }
    return list[0][0];
  };
  const input = ends(config.input_layers, 'input layers'), output = ends(config.output_layers, 'output layers');
  const feeds = new Map<string, string>(), consumers = new Map<string, number>();
  for (const l of layers) {
    const name = nameOf(l), nodes = inboundNames(l, name);
    if (nodes.length > 1) unsupported(`layer ${name} is called ${nodes.length} times (a shared layer); only chains are supported`);
    const inbound = nodes[0] ?? [];
    if (inbound.length > 1) unsupported(`layer ${name} takes ${inbound.length} inputs; only chains (each layer one input, one output) are supported`);
    if (inbound.length === 1) {
      feeds.set(name, inbound[0]);
      consumers.set(inbound[0], (consumers.get(inbound[0]) ?? 0) + 1);
    }
  }
  for (const [name, n] of consumers) if (n > 1) unsupported(`layer ${name} feeds ${n} layers; only chains (each layer one input, one output) are supported`);
  const chain: Json[] = [];
  for (let at: string | undefined = output; at !== undefined; at = feeds.get(at)) {
    const l = byName.get(at);
    if (!l) bad(`the layer ${JSON.stringify(at)} is named as an input but not defined`);
    if (chain.includes(l)) bad(`the layers form a cycle at ${JSON.stringify(at)}`);
    chain.unshift(l);
    if (at === input) break;
  }
  if (nameOf(chain[0]) !== input) bad(`the output layer ${output} is not reached from the input layer ${input}`);
  if (chain.length !== layers.length) unsupported(`${layers.length - chain.length} layers are not on the chain from ${input} to ${output}; only chains are supported`);
  return chain;
}

/**
 * Each row's valid steps from mask_zero ids: the steps whose id is not 0, anywhere in the row
 * (none for a row of zeros only). null when no step is masked.
 */
function maskOf(ids: Int32Array, B: number, T: number): RowMask | null {
  const steps: Int32Array[] = [];
  let masked = false;
  for (let b = 0; b < B; b++) {
    const valid: number[] = [];
    for (let t = 0; t < T; t++) if (ids[b * T + t] !== 0) valid.push(t);
    if (valid.length < T) masked = true;
    steps.push(Int32Array.from(valid));
  }
  return masked ? { steps } : null;
}

/**
 * A Keras / TensorFlow.js layers model as our layers: `predict` computes what tfjs's
 * `model.predict` computes. Made by `loadKerasModel` (import from 'simd-rnn/keras'); holds
 * wasm memory until `dispose`.
 */
export class KerasModel {
  /** The model's layers in the order they run, each with the layer of ours that computes it. */
  readonly layers: readonly KerasLayer[];
  /** The input shape model.json declares (batch_input_shape; null for an unknown size), or null when it declares none. */
  readonly inputShape: readonly (number | null)[] | null;
  /** true when the first layer is an Embedding: `predict` takes integer ids [B, T]. */
  readonly takesIds: boolean;
  private readonly steps: Step[];
  private readonly maskZero: boolean;
  private disposed = false;

  /** @internal Use `loadKerasModel`. */
  constructor(steps: Step[], inputShape: (number | null)[] | null, takesIds: boolean, maskZero: boolean) {
    this.steps = steps;
    this.layers = steps.map((s) => s.layer);
    this.inputShape = inputShape;
    this.takesIds = takesIds;
    this.maskZero = maskZero;
  }

  /**
   * The model's output for a batch, as tfjs's `model.predict(x)`: x batch-first
   * [B, T, features] (float32), or integer ids [B, T] (an IdTensor, or a Tensor of whole
   * numbers) when the first layer is an Embedding. With an Embedding's mask_zero, the id 0 is
   * masked wherever it stands (padding at the front, as Keras's `pad_sequences` does by
   * default, at the end, between valid ids, or the whole row), with Keras's semantics: a
   * masked step keeps the state and repeats the previous output.
   */
  predict(x: Tensor | IdTensor): Tensor {
    if (this.disposed) throw new RnnError('DISPOSED', 'KerasModel.predict: the model was disposed');
    if (!isObject(x) || !Array.isArray(x.shape) || !(x.data instanceof Float32Array || x.data instanceof Int32Array)) {
      throw new RnnError('BAD_ARGUMENT', `KerasModel.predict: x must be a Tensor { data: Float32Array, shape }${this.takesIds ? ' or ids { data: Int32Array, shape }' : ''}, got ${describe(x)}`);
    }
    const shape = x.shape, n = shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== n) throw new RnnError('SHAPE_MISMATCH', `KerasModel.predict: x has ${x.data.length} elements, its shape [${shape.join(', ')}] needs ${n}`);
    if (this.inputShape) {
      const want = this.inputShape;
      if (shape.length !== want.length || want.some((d, i) => i > 0 && d !== null && d !== shape[i])) {
        throw new RnnError('SHAPE_MISMATCH', `KerasModel.predict: x must be [${want.map((d) => d ?? '?').join(', ')}] (the model's input shape, batch first), got [${shape.join(', ')}]`);
      }
    }
    let value: Tensor | IdTensor = x as Tensor;
    let mask: RowMask | null = null;
    if (this.takesIds) {
      let ids: Int32Array;
      if (x.data instanceof Int32Array) ids = x.data;
      else {
        if (!x.data.every((v) => Number.isInteger(v))) throw new RnnError('BAD_ARGUMENT', 'KerasModel.predict: the model starts with an Embedding; x must hold integer ids');
        ids = Int32Array.from(x.data);
      }
      if (shape.length !== 2) throw new RnnError('SHAPE_MISMATCH', `KerasModel.predict: the model starts with an Embedding; x must be ids [B, T], got [${shape.join(', ')}]`);
      if (this.maskZero) mask = maskOf(ids, shape[0], shape[1]);
      value = { data: ids, shape: [...shape] };
    } else if (!(x.data instanceof Float32Array)) {
      throw new RnnError('BAD_ARGUMENT', 'KerasModel.predict: x must be float32 (a Tensor); the model does not start with an Embedding');
    }
    let y = value as Tensor;
    for (const step of this.steps) {
      const r = step.run(y, mask);
      y = r.y;
      if (!r.keepMask) mask = null;
    }
    return y === x ? { data: x.data.slice() as Float32Array, shape: [...shape] } : y;
  }

  /** Bytes of wasm memory the model's layers hold now. */
  memoryBytes(): number {
    if (this.disposed) throw new RnnError('DISPOSED', 'KerasModel.memoryBytes: the model was disposed');
    return this.layers.reduce((n, l) => n + (l.module ? l.module.memoryBytes() : 0), 0);
  }

  /** Returns the memory of every layer; any later call throws DISPOSED. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.layers) l.module?.dispose();
  }
}

/** The running state while the chain is built. */
interface Builder {
  weights: Map<string, Tensor>;
  used: Set<string>;
  built: KerasModule[];
  /** The width of the running value's last axis (null before an input size is known). */
  width: number | null;
  /** The running value is a sequence [B, T, ...] (else [B, ...]). */
  sequence: boolean;
}

/** The weights stored under `prefix/`, by the last part of their names (kernel, bias, ...). */
function weightsOf(b: Builder, prefix: string, kinds: readonly string[], where: string, filter?: (rest: string) => boolean): Record<string, Tensor> {
  const found: Record<string, Tensor> = {};
  for (const [name, t] of b.weights) {
    if (!name.startsWith(prefix + '/')) continue;
    const rest = name.slice(prefix.length + 1);
    if (filter && !filter(rest)) continue;
    const kind = rest.slice(rest.lastIndexOf('/') + 1).replace(/:\d+$/, '');
    if (!kinds.includes(kind)) bad(`${where}: the weight ${JSON.stringify(name)} is not one of ${kinds.join(', ')}`);
    if (found[kind]) bad(`${where}: two weights are its ${kind} (${JSON.stringify(name)} and another)`);
    found[kind] = t;
    b.used.add(name);
  }
  return found;
}

function need(w: Record<string, Tensor>, kind: string, shape: number[], where: string): Tensor {
  const t = w[kind];
  if (!t) bad(`${where}: no weight named .../${kind} in weightsManifest`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RnnError('SHAPE_MISMATCH', `loadKerasModel: ${where}: ${kind} must be [${shape.join(', ')}], the manifest says [${t.shape.join(', ')}]`);
  }
  return t;
}

function positiveInt(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 1) bad(`${what} must be an integer >= 1, got ${describe(v)}`);
  return v as number;
}

function flag(c: Json, key: string, fallback: boolean, where: string): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') bad(`${where}: ${key} must be true or false, got ${describe(v)}`);
  return v;
}

/** A Linear from a Dense config and its kernel / bias. */
function dense(b: Builder, c: Json, prefix: string, where: string): { linear: Linear; act: Act } {
  const units = positiveInt(c.units, `${where}: units`);
  const act = denseActivation(c.activation, `${where}: activation`);
  const useBias = flag(c, 'use_bias', true, where);
  const w = weightsOf(b, prefix, ['kernel', 'bias'], where);
  if (!w.kernel) bad(`${where}: no weight named ${prefix}/.../kernel in weightsManifest`);
  const inWidth = w.kernel?.shape[0] ?? 0;
  if (b.width !== null && inWidth !== b.width) throw new RnnError('SHAPE_MISMATCH', `loadKerasModel: ${where}: its kernel takes ${inWidth} inputs, the layer before gives ${b.width}`);
  const kernel = need(w, 'kernel', [b.width ?? inWidth, units], where);
  if (!useBias && w.bias) bad(`${where}: use_bias is false but the manifest has its bias`);
  const bias = useBias ? need(w, 'bias', [units], where) : null;
  const linear = new Linear({ inFeatures: kernel.shape[0], outFeatures: units, bias: useBias, seed: 0 });
  b.built.push(linear);
  linear.loadStateDict({ weight: kernelToTorch(kernel, [0], units), ...(bias ? { bias } : {}) });
  b.width = units;
  return { linear, act };
}

/** A recurrent layer (bidirectional with `merge`) from a SimpleRNN / LSTM / GRU config. */
function recurrent(b: Builder, cls: string, c: Json, prefix: string, where: string, merge: string | null): Step['run'] & { layer: RecurrentLayer } {
  const H = positiveInt(c.units, `${where}: units`);
  if (!b.sequence) unsupported(`${where}: a recurrent layer needs a sequence [B, T, features] as its input`);
  for (const key of ['return_state', 'stateful', 'time_major']) if (c[key] === true) unsupported(`${where}: ${key} is not supported`);
  const returnSequences = flag(c, 'return_sequences', false, where);
  const goBackwards = flag(c, 'go_backwards', false, where);
  if (merge !== null && goBackwards) unsupported(`${where}: go_backwards inside Bidirectional is not supported`);
  const useBias = flag(c, 'use_bias', true, where);
  const bidirectional = merge !== null, dirs = bidirectional ? 2 : 1;
  const G = cls === 'LSTM' ? 4 : cls === 'GRU' ? 3 : 1;
  const order = cls === 'GRU' ? [1, 0, 2] : cls === 'LSTM' ? [0, 1, 2, 3] : [0];
  const options: Record<string, unknown> = { hiddenSize: H, bias: useBias, batchFirst: true, seed: 0 };
  if (bidirectional) options.bidirectional = true;
  if (goBackwards) options.reverse = true;
  const act = cellActivation(c.activation ?? 'tanh', `${where}: activation`);
  if (cls === 'SimpleRNN') options.nonlinearity = act;
  else {
    const rec = cellActivation(c.recurrent_activation ?? 'hard_sigmoid', `${where}: recurrent_activation`);
    options.gateActivation = rec;
    options.cellActivation = act;
    if (cls === 'LSTM') options.hiddenActivation = act;
  }
  const kinds = ['kernel', 'recurrent_kernel', 'bias'];
  const sides = bidirectional
    ? [
      weightsOf(b, prefix, kinds, `${where} (forward)`, (r) => /^forward/.test(r)),
      weightsOf(b, prefix, kinds, `${where} (backward)`, (r) => /^backward/.test(r)),
    ]
    : [weightsOf(b, prefix, kinds, where)];
  sides.forEach((w, d) => { if (!w.kernel) bad(`${where}: no ${bidirectional ? (d ? 'backward ' : 'forward ') : ''}weight named ${prefix}/.../kernel in weightsManifest`); });
  let resetAfter = false;
  if (cls === 'GRU') {
    const bias = sides[0].bias;
    resetAfter = c.reset_after === undefined || c.reset_after === null ? bias !== undefined && bias.shape.length === 2 : flag(c, 'reset_after', false, where);
    options.resetAfter = resetAfter;
  }
  const inWidth = sides[0].kernel?.shape[0] ?? 0;
  if (b.width !== null && inWidth !== b.width) throw new RnnError('SHAPE_MISMATCH', `loadKerasModel: ${where}: its kernel takes ${inWidth} inputs, the layer before gives ${b.width}`);
  options.inputSize = b.width ?? inWidth;
  const dict: Record<string, Tensor> = {};
  sides.forEach((w, d) => {
    const side = bidirectional ? `${where} (${d ? 'backward' : 'forward'})` : where, sfx = d ? '_reverse' : '';
    const kernel = need(w, 'kernel', [options.inputSize as number, G * H], side);
    const rk = need(w, 'recurrent_kernel', [H, G * H], side);
    dict[`weight_ih_l0${sfx}`] = kernelToTorch(kernel, order, H);
    dict[`weight_hh_l0${sfx}`] = kernelToTorch(rk, order, H);
    if (!useBias) {
      if (w.bias) bad(`${side}: use_bias is false but the manifest has its bias`);
      return;
    }
    const bias = need(w, 'bias', resetAfter ? [2, G * H] : [G * H], side);
    dict[`bias_ih_l0${sfx}`] = biasToTorch(bias.data.subarray(0, G * H), order, H);
    dict[`bias_hh_l0${sfx}`] = resetAfter ? biasToTorch(bias.data.subarray(G * H), order, H) : { data: new Float32Array(G * H), shape: [G * H] };
  });
  const Kind = cls === 'LSTM' ? LSTM : cls === 'GRU' ? GRU : RNN;
  const layer = new Kind(options as never);
  b.built.push(layer);
  layer.loadStateDict(dict);
  const outWidth = merge === 'concat' ? 2 * H : H;
  b.sequence = returnSequences;
  b.width = outWidth;

  const run = (x: Tensor, mask: RowMask | null) => {
    const [B, T] = x.shape, F = x.shape.length > 2 ? x.shape[2] : 1;
    let r: ForwardResult;
    const all = Int32Array.from({ length: T }, (_, t) => t);
    const steps = mask?.steps ?? Array.from({ length: B }, () => all);
    if (mask) {
      // each row's valid steps gathered at the front, run as a packed sequence of their count
      // (a row with none runs one step, its results replaced by zeros below)
      const xs = new Float32Array(x.data.length), lengths = new Int32Array(B);
      for (let bb = 0; bb < B; bb++) {
        lengths[bb] = Math.max(1, steps[bb].length);
        steps[bb].forEach((t, k) => xs.set(x.data.subarray((bb * T + t) * F, (bb * T + t + 1) * F), (bb * T + k) * F));
      }
      r = layer.forward({ data: xs, shape: x.shape }, undefined, { lengths });
    } else {
      r = layer.forward(x, undefined);
    }
    const D = dirs * H;
    let y: Tensor;
    if (returnSequences) {
      // Keras's sequence from ours (row bb's valid steps gathered at the front): at a masked
      // step Keras repeats the output of the step processed last, the initial zeros before any
      const src = r.output.data, out = new Float32Array(B * T * D);
      for (let bb = 0; bb < B; bb++) {
        const valid = steps[bb];
        if (valid.length === 0) continue;
        const copy = (t: number, from: number, dd: number) => {
          if (from < 0) return;
          const o = (bb * T + from) * D + dd * H;
          out.set(src.subarray(o, o + H), (bb * T + t) * D + dd * H);
        };
        for (let t = 0; t < T; t++) {
          if (goBackwards) {
            // Keras's order is its processing order, the last step first: step t is time T - 1 - t,
            // and the step processed last is the first valid one at or after that time
            copy(t, firstAtOrAfter(valid, T - 1 - t), 0);
          } else {
            copy(t, lastAtOrBefore(valid, t), 0);
            // the backward half runs from the row's last valid step to its first, its output then put back in time order
            if (bidirectional) copy(t, firstAtOrAfter(valid, t), 1);
          }
        }
      }
      y = { data: out, shape: [B, T, D] };
    } else {
      // h: [dirs, B, H] -> [B, dirs * H]; a row with no valid step keeps the initial zeros
      const out = new Float32Array(B * D);
      for (let dd = 0; dd < dirs; dd++) {
        for (let bb = 0; bb < B; bb++) if (steps[bb].length > 0) out.set(r.h.data.subarray((dd * B + bb) * H, (dd * B + bb + 1) * H), (bb * dirs + dd) * H);
      }
      y = { data: out, shape: [B, D] };
    }
    if (bidirectional && merge !== 'concat') {
      const rows = y.data.length / (2 * H), out = new Float32Array(rows * H), d = y.data;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < H; j++) {
          const f = d[i * 2 * H + j], g = d[i * 2 * H + H + j];
          out[i * H + j] = merge === 'sum' ? f + g : merge === 'mul' ? f * g : (f + g) / 2;
        }
      }
      y = { data: out, shape: [...y.shape.slice(0, -1), H] };
    }
    return { y, keepMask: returnSequences };
  };
  return Object.assign(run, { layer });
}

function buildStep(b: Builder, entry: Json, index: number, first: boolean): { step: Step; maskZero?: boolean; inputShape?: (number | null)[] } {
  const cls = entry.class_name;
  const c = entry.config;
  if (typeof cls !== 'string') bad(`layers[${index}].class_name must be a string, got ${describe(cls)}`);
  if (!isObject(c)) bad(`layers[${index}] (${cls}).config must be an object, got ${describe(c)}`);
  const name = String(c.name ?? entry.name ?? `${cls}_${index}`);
  const where = `layer ${name} (${cls})`;
  const shapeOf = (): (number | null)[] | undefined => {
    const s = c.batch_input_shape ?? c.batch_shape;
    if (s === undefined || s === null) return undefined;
    if (!Array.isArray(s) || !s.every((d) => d === null || (Number.isSafeInteger(d) && d >= 1))) bad(`${where}: batch_input_shape must be an array of sizes >= 1 or nulls, got ${describe(s)}`);
    return s;
  };
  const inputShape = shapeOf();
  if (inputShape && first) {
    b.sequence = inputShape.length >= 3;
    const last = inputShape[inputShape.length - 1];
    if (inputShape.length >= 3 && last !== null) b.width = last;
  }
  const identity = (layer: KerasLayer): Step => ({ layer, run: (x, mask) => ({ y: x, keepMask: mask !== null }) });

  if (cls === 'InputLayer') return { step: identity({ name, className: cls, config: c, module: null }), inputShape };
  if (IDENTITIES.includes(cls)) return { step: identity({ name, className: cls, config: c, module: null }), inputShape };
  if (cls === 'Activation') {
    const act = denseActivation(c.activation, `${where}: activation`);
    return { step: { layer: { name, className: cls, config: c, module: null }, run: (x, mask) => ({ y: applyActivation({ data: x.data.slice(), shape: [...x.shape] }, act), keepMask: mask !== null }) }, inputShape };
  }
  if (cls === 'Embedding') {
    if (!first) unsupported(`${where}: an Embedding is supported as the first layer only`);
    const V = positiveInt(c.input_dim, `${where}: input_dim`), D = positiveInt(c.output_dim, `${where}: output_dim`);
    const maskZero = flag(c, 'mask_zero', false, where);
    const table = need(weightsOf(b, name, ['embeddings'], where), 'embeddings', [V, D], where);
    const emb = new Embedding({ numEmbeddings: V, embeddingDim: D, seed: 0 });
    b.built.push(emb);
    emb.loadStateDict({ weight: table });
    b.width = D;
    b.sequence = true;
    const layer: KerasLayer = { name, className: cls, config: c, module: emb };
    return { step: { layer, run: (x, mask) => ({ y: emb.forward(x as unknown as IdTensor), keepMask: mask !== null }) }, maskZero, inputShape };
  }
  if (cls === 'Dense') {
    const { linear, act } = dense(b, c, name, where);
    return { step: { layer: { name, className: cls, config: c, module: linear }, run: (x, mask) => ({ y: applyActivation(linear.forward(x), act), keepMask: mask !== null }) }, inputShape };
  }
  if (cls === 'TimeDistributed') {
    const inner = c.layer;
    if (!isObject(inner) || inner.class_name !== 'Dense' || !isObject(inner.config)) unsupported(`${where}: TimeDistributed is supported around a Dense layer only, got ${describe(isObject(inner) ? inner.class_name : inner)}`);
    if (!b.sequence) unsupported(`${where}: TimeDistributed needs a sequence [B, T, features] as its input`);
    const { linear, act } = dense(b, inner.config, name, where);
    return { step: { layer: { name, className: cls, config: c, module: linear }, run: (x, mask) => ({ y: applyActivation(linear.forward(x), act), keepMask: mask !== null }) }, inputShape };
  }
  if (RECURRENT.includes(cls)) {
    const run = recurrent(b, cls, c, name, where, null);
    return { step: { layer: { name, className: cls, config: c, module: run.layer as KerasModule }, run }, inputShape };
  }
  if (cls === 'Bidirectional') {
    const inner = c.layer;
    if (!isObject(inner) || typeof inner.class_name !== 'string' || !RECURRENT.includes(inner.class_name) || !isObject(inner.config)) {
      unsupported(`${where}: Bidirectional is supported around SimpleRNN, LSTM and GRU only, got ${describe(isObject(inner) ? inner.class_name : inner)}`);
    }
    const merge = c.merge_mode === undefined ? 'concat' : c.merge_mode;
    if (merge !== 'concat' && merge !== 'sum' && merge !== 'mul' && merge !== 'ave') unsupported(`${where}: merge_mode ${describe(merge)} is not supported (concat, sum, mul, ave)`);
    if (isObject(c.backward_layer)) unsupported(`${where}: a backward_layer of its own is not supported`);
    const run = recurrent(b, inner.class_name, inner.config, name, `${where} ${inner.class_name}`, merge);
    return { step: { layer: { name, className: cls, config: c, module: run.layer as KerasModule }, run }, inputShape };
  }
  unsupported(`${where}: the layer class ${JSON.stringify(cls)} is not supported (InputLayer, Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Dense, TimeDistributed(Dense), Activation, ${IDENTITIES.join(', ')})`);
}

/**
 * Loads a Keras / TensorFlow.js layers model: `modelJson` is its `model.json` (an object, or
 * its text) with `modelTopology` and `weightsManifest`, as tfjs `model.save` and
 * tensorflowjs_converter write it; `weights` the bytes of its weight files, in the manifest's
 * order (one buffer, or one per file). Weights are matched to layers by name. The model's
 * `predict` equals tfjs's `model.predict`. Import from 'simd-rnn/keras'; needs `init()` first.
 *
 * Supported: Sequential models and functional models whose layers form a chain; the layers
 * InputLayer, Embedding (first; with mask_zero, see `KerasModel.predict`), SimpleRNN, LSTM, GRU (reset_after true and false),
 * Bidirectional (merge_mode concat, sum, mul, ave), Dense and
 * TimeDistributed(Dense) (activations linear, relu, sigmoid, tanh, softmax), Activation, and
 * the inference identities Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout,
 * AlphaDropout, ActivityRegularization. Recurrent options return_sequences, go_backwards,
 * use_bias, activation and recurrent_activation (tanh, sigmoid, relu, hard_sigmoid as tfjs
 * computes it). float32 weights, and uint8 / uint16 / float16 quantized ones dequantized.
 * Anything else is UNSUPPORTED naming it; a malformed file is BAD_FILE, a weight of the wrong
 * shape SHAPE_MISMATCH, and nothing stays allocated after a throw.
 */
export function loadKerasModel(modelJson: object | string, weights: Uint8Array | ArrayBuffer | Array<Uint8Array | ArrayBuffer>): KerasModel {
  let json: unknown = modelJson;
  if (typeof modelJson === 'string') {
    try {
      json = JSON.parse(modelJson);
    } catch (e) {
      bad(`model.json is not JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(json)) {
    // text that is JSON but no object is a broken model.json; any other value a wrong argument
    if (typeof modelJson === 'string') bad(`model.json must hold a JSON object, got ${describe(json)}`);
    throw new RnnError('BAD_ARGUMENT', `loadKerasModel: modelJson must be the model.json object or its text, got ${describe(json)}`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') unsupported(`model.json is a ${describe(json.format)}, not a 'layers-model' (graph models are not supported)`);
  let topology = json.modelTopology;
  if (!isObject(topology)) bad(`model.json needs modelTopology, an object, got ${describe(topology)}`);
  if (isObject(topology.model_config)) topology = topology.model_config;
  if (!('weightsManifest' in json)) bad('model.json needs weightsManifest');
  const bytes = concatWeights(weights);
  const b: Builder = { weights: readWeights(json.weightsManifest, bytes), used: new Set(), built: [], width: null, sequence: true };
  try {
    const chain = chainOf(topology as Json);
    const steps: Step[] = [];
    let maskZero = false, inputShape: (number | null)[] | null = null, takesIds = false;
    chain.forEach((entry, i) => {
      const first = steps.every((s) => s.layer.className === 'InputLayer');
      const r = buildStep(b, entry, i, first);
      if (first && r.inputShape) inputShape = r.inputShape;
      if (r.maskZero) maskZero = true;
      if (first && r.step.layer.className === 'Embedding') takesIds = true;
      steps.push(r.step);
    });
    const unused = [...b.weights.keys()].filter((n) => !b.used.has(n));
    if (unused.length) bad(`weightsManifest holds weights no layer uses: ${unused.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${unused.length > 5 ? ', ...' : ''}`);
    if (takesIds && inputShape && (inputShape as unknown[]).length !== 2) bad(`the model starts with an Embedding, which takes ids [batch, steps], but its batch_input_shape is [${(inputShape as unknown[]).map((d) => d ?? 'null').join(', ')}]`);
    if (!takesIds && b.width === null) bad('model.json gives no input shape (batch_input_shape) and the first layer has no kernel to tell the input width');
    return new KerasModel(steps, inputShape, takesIds, maskZero);
  } catch (e) {
    for (const m of b.built) m.dispose();
    throw e;
  }
}
