/**
 * ONNX RNN / LSTM / GRU nodes as our layers (operator specs of opsets 7 to 22).
 *
 * What maps, and how:
 *   direction forward | reverse | bidirectional -> reverse, bidirectional
 *   layout 0 | 1                        -> batchFirst false | true
 *   hidden_size                         -> hiddenSize (checked against W and R)
 *   clip (LSTM)                         -> cellClip, as onnxruntime computes it
 *   input_forget = 1 (LSTM)             -> coupled (f = 1 - i)
 *   P (LSTM peepholes, rows i, o, f)    -> peepholes, weight_ch rows i, f, o (i, o when coupled)
 *   linear_before_reset 1 | 0 (GRU)     -> resetAfter true | false (ONNX's default is 0)
 *   activations (+ activation_alpha / activation_beta): Sigmoid, Tanh, Relu, HardSigmoid, the
 *     same in both directions -> gateActivation, cellActivation, hiddenActivation (LSTM f, g,
 *     h; GRU f, g), nonlinearity (RNN f)
 *   W [dirs, G*H, in], R [dirs, G*H, H] -> weight_ih / weight_hh (PyTorch's layout, our gate order)
 *   B [dirs, 2*G*H] = [Wb, Rb]          -> bias_ih, bias_hh; absent: bias false
 * Gate orders: ONNX LSTM i, o, f, c -> ours i, f, g, o (i, g, o coupled); GRU z, r, h -> r, z, n.
 * The node's runtime inputs (sequence_lens, initial_h, initial_c) become forward's `lengths`
 * and state; its Y [T, dirs, B, H] is our output [T, B, dirs*H] with the direction axis
 * folded into the features.
 */
import { checkTensor } from '../../checks.js';
import { RnnError, describe } from '../../errors.js';
import type { ActivationName, ActivationOption } from '../../rnn/activations.js';
import { GRU, LSTM, RNN } from '../../rnn/layer.js';
import type { Tensor } from '../../tensor.js';
import { foldConstants } from './fold.js';
import type { OnnxNode } from './model.js';
import { readOnnx } from './read.js';

/** The recurrent operators and, per kind, the ONNX gate block of each of our gates. */
const GATES = {
  LSTM: { plain: [0, 2, 3, 1], coupled: [0, 3, 1], blocks: 4 },
  GRU: { plain: [1, 0, 2], coupled: [1, 0, 2], blocks: 3 },
  RNN: { plain: [0], coupled: [0], blocks: 1 },
} as const;
type Kind = keyof typeof GATES;

/** Our option for each entry of a direction's ONNX `activations` (LSTM f, g, h; GRU f, g; RNN f). */
const ACTIVATION_OPTIONS: Record<Kind, string[]> = { LSTM: ['gateActivation', 'cellActivation', 'hiddenActivation'], GRU: ['gateActivation', 'cellActivation'], RNN: ['nonlinearity'] };
const DEFAULT_ACTIVATIONS: Record<Kind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
/** The ONNX activations we compute, by lower-case name. */
const ONNX_ACTIVATIONS: Record<string, ActivationName> = { sigmoid: 'sigmoid', tanh: 'tanh', relu: 'relu', hardsigmoid: 'hardSigmoid' };
const KNOWN_ATTRIBUTES = new Set(['activations', 'activation_alpha', 'activation_beta', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout', 'linear_before_reset']);

function refuse(node: OnnxNode, what: string): never {
  throw new RnnError('UNSUPPORTED', `ONNX ${node.opType} node ${JSON.stringify(node.name)}: ${what}`);
}

function bad(node: OnnxNode, what: string, code: 'BAD_FILE' | 'SHAPE_MISMATCH' = 'BAD_FILE'): never {
  throw new RnnError(code, `ONNX ${node.opType} node ${JSON.stringify(node.name)}: ${what}`);
}

/** Rows [from, from + n) of every block `b` of a [blocks * H, cols] matrix, in `order`. */
function takeBlocks(src: Float32Array, offset: number, order: readonly number[], H: number, cols: number): Float32Array {
  const out = new Float32Array(order.length * H * cols);
  order.forEach((b, k) => out.set(src.subarray(offset + b * H * cols, offset + (b + 1) * H * cols), k * H * cols));
  return out;
}

/** The node's W, R, B, P: present and of the shapes the attributes imply. */
function weightOf(node: OnnxNode, weights: Record<string, Tensor>, i: number, shape: number[], optional: boolean): Float32Array | null {
  const name = node.inputs[i] ?? '';
  if (name === '') {
    if (optional) return null;
    bad(node, `input ${['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'][i]} is missing`);
  }
  const value = weights[name];
  if (!value) bad(node, `the weight ${JSON.stringify(name)} is not a constant of the model (it must come from initializers or constant nodes)`);
  const t = checkTensor(value, `ONNX ${node.opType} node ${JSON.stringify(node.name)}: ${name}`);
  if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
    bad(node, `${JSON.stringify(name)} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`, 'SHAPE_MISMATCH');
  }
  const at = t.data.findIndex((v) => !Number.isFinite(v));
  if (at >= 0) throw new RnnError('NOT_FINITE', `ONNX ${node.opType} node ${JSON.stringify(node.name)}: ${JSON.stringify(name)} holds ${t.data[at]} at index ${at}`);
  return t.data;
}

/**
 * The layer options of the node's `activations`, `activation_alpha` and `activation_beta`.
 * onnxruntime hands alpha and beta, in list order, to the activations that take them (of ours,
 * the hard sigmoid, defaults 0.2 and 0.5). Our options hold for both directions, so the
 * directions must agree.
 */
function activationOptions(node: OnnxNode, kind: Kind, dirs: number): Record<string, ActivationOption> {
  const a = node.attributes, names = ACTIVATION_OPTIONS[kind];
  const list = <T>(key: string, type: 'string' | 'number'): T[] | undefined => {
    const v = a[key];
    if (v !== undefined && !(Array.isArray(v) && (v as unknown[]).every((x) => typeof x === type))) bad(node, `attribute ${key} must be a list of ${type}s, got ${describe(v)}`);
    return v as T[] | undefined;
  };
  const listed = list<string>('activations', 'string') ?? Array.from({ length: dirs }, () => DEFAULT_ACTIVATIONS[kind]).flat();
  if (listed.length !== names.length * dirs) bad(node, `activations must list ${names.length * dirs} names (${names.length} per direction), got ${listed.length}`);
  const alphas = [...(list<number>('activation_alpha', 'number') ?? [])], betas = [...(list<number>('activation_beta', 'number') ?? [])];
  const values = listed.map((onnxName): ActivationOption => {
    const ours = ONNX_ACTIVATIONS[onnxName.toLowerCase()];
    if (!ours) refuse(node, `activation ${onnxName} in activations [${listed.join(', ')}] (supported: Sigmoid, Tanh, Relu, HardSigmoid)`);
    if (ours !== 'hardSigmoid') return ours;
    return { type: 'hardSigmoid', alpha: alphas.shift() ?? Math.fround(0.2), beta: betas.shift() ?? 0.5 }; // ONNX's defaults, as float32
  });
  if (alphas.length || betas.length) refuse(node, 'activation_alpha / activation_beta values that no supported activation takes');
  const key = (v: ActivationOption) => JSON.stringify(v);
  for (let i = names.length; i < values.length; i++) {
    if (key(values[i]) !== key(values[i % names.length])) refuse(node, `activations that differ between the directions ([${listed.join(', ')}]); a layer has one set for both`);
  }
  const out: Record<string, ActivationOption> = {};
  names.forEach((name, i) => {
    if (kind === 'RNN' || listed[i].toLowerCase() !== DEFAULT_ACTIVATIONS[kind][i].toLowerCase()) out[name] = values[i];
  });
  return out;
}

/**
 * The layer that computes an ONNX RNN, LSTM or GRU node: `weights` maps the node's input
 * names (W, R, and B, P where given) to their values. Attributes and activations this library
 * cannot compute are refused with UNSUPPORTED naming them; a missing or misshapen weight is
 * BAD_FILE or SHAPE_MISMATCH; one holding NaN or Infinity, NOT_FINITE naming it.
 */
export function layerFromOnnx(node: OnnxNode, weights: Record<string, Tensor>): RNN | LSTM | GRU {
  if (typeof node !== 'object' || node === null || typeof node.opType !== 'string' || !Array.isArray(node.inputs) || typeof node.attributes !== 'object') {
    throw new RnnError('BAD_ARGUMENT', `layerFromOnnx: node must be an OnnxNode (from readOnnx), got ${describe(node)}`);
  }
  if (typeof weights !== 'object' || weights === null) throw new RnnError('BAD_ARGUMENT', `layerFromOnnx: weights must be an object of tensors by input name, got ${describe(weights)}`);
  const kind = node.opType as Kind;
  if (!(kind in GATES)) refuse(node, `the operator ${node.opType} is not a recurrent layer (RNN, LSTM or GRU)`);
  const a = node.attributes;
  for (const key of Object.keys(a)) if (!KNOWN_ATTRIBUTES.has(key)) refuse(node, `attribute ${key}`);
  const direction = (a.direction as string | undefined) ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') bad(node, `direction must be forward, reverse or bidirectional, got ${describe(direction)}`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const layout = (a.layout as number | undefined) ?? 0;
  if (layout !== 0 && layout !== 1) bad(node, `layout must be 0 or 1, got ${describe(layout)}`);
  for (const key of ['input_forget', 'linear_before_reset']) {
    if (a[key] !== undefined && a[key] !== 0 && a[key] !== 1) bad(node, `${key} must be 0 or 1, got ${describe(a[key])}`);
  }
  if (a.hidden_size !== undefined && typeof a.hidden_size !== 'number') bad(node, `hidden_size must be an integer, got ${describe(a.hidden_size)}`);
  const coupled = kind === 'LSTM' && a.input_forget === 1;
  const clip = a.clip as number | undefined;
  if (clip !== undefined && kind !== 'LSTM') refuse(node, `clip on a ${kind} (only the LSTM's clip is supported)`);
  if (clip !== undefined && !(typeof clip === 'number' && clip > 0)) bad(node, `clip must be a number > 0, got ${describe(clip)}`);

  const activations = activationOptions(node, kind, dirs);

  // W [dirs, G*H, inputSize] gives the sizes; every weight is then checked against them
  if (!weights[node.inputs[1] ?? '']) weightOf(node, weights, 1, [], false); // missing: the precise error
  const W = checkTensor(weights[node.inputs[1]], `ONNX ${node.opType} node ${JSON.stringify(node.name)}: W`);
  if (W.shape.length !== 3 || W.shape[0] !== dirs) bad(node, `W has shape [${W.shape.join(', ')}], expected [${dirs}, gates * hidden_size, input_size] for direction ${direction}`, 'SHAPE_MISMATCH');
  const G = GATES[kind].blocks, inputSize = W.shape[2];
  const H = (a.hidden_size as number | undefined) ?? W.shape[1] / G;
  if (!Number.isInteger(H) || H < 1 || W.shape[1] !== G * H) bad(node, `hidden_size ${describe(a.hidden_size)} does not fit W [${W.shape.join(', ')}] (${G} gate blocks)`, 'SHAPE_MISMATCH');
  const w = weightOf(node, weights, 1, [dirs, G * H, inputSize], false)!;
  const r = weightOf(node, weights, 2, [dirs, G * H, H], false)!;
  const b = weightOf(node, weights, 3, [dirs, 2 * G * H], true);
  const p = kind === 'LSTM' ? weightOf(node, weights, 7, [dirs, 3 * H], true) : null;

  const options: Record<string, unknown> = { inputSize, hiddenSize: H, bidirectional: dirs === 2, reverse: direction === 'reverse', batchFirst: layout === 1, bias: b !== null };
  Object.assign(options, activations);
  if (kind === 'LSTM') Object.assign(options, { coupled, peepholes: p !== null, cellClip: clip ?? 0 });
  if (kind === 'GRU') options.resetAfter = a.linear_before_reset === 1;
  let layer: RNN | LSTM | GRU;
  try {
    layer = kind === 'LSTM' ? new LSTM(options as never) : kind === 'GRU' ? new GRU(options as never) : new RNN(options as never);
  } catch (e) {
    // values no layer takes (a clip of Infinity, an activation_alpha of NaN): the file's fault
    if (e instanceof RnnError && e.code === 'BAD_ARGUMENT') bad(node, `its attributes give no valid layer (${e.message})`);
    throw e;
  }

  try {
    const order = coupled ? GATES[kind].coupled : GATES[kind].plain, GH = order.length * H;
    const dict: Record<string, Tensor> = {};
    for (let d = 0; d < dirs; d++) {
      const x = `_l0${d === 1 ? '_reverse' : ''}`;
      dict[`weight_ih${x}`] = { data: takeBlocks(w, d * G * H * inputSize, order, H, inputSize), shape: [GH, inputSize] };
      dict[`weight_hh${x}`] = { data: takeBlocks(r, d * G * H * H, order, H, H), shape: [GH, H] };
      if (b) {
        dict[`bias_ih${x}`] = { data: takeBlocks(b, d * 2 * G * H, order, H, 1), shape: [GH] };
        dict[`bias_hh${x}`] = { data: takeBlocks(b, (d * 2 + 1) * G * H, order, H, 1), shape: [GH] };
      }
      // ONNX P rows i, o, f -> weight_ch rows i, f, o (i, o coupled)
      if (p) dict[`weight_ch${x}`] = { data: takeBlocks(p, d * 3 * H, coupled ? [0, 1] : [0, 2, 1], H, 1), shape: [coupled ? 2 : 3, H] };
    }
    layer.loadStateDict(dict);
  } catch (e) {
    layer.dispose();
    throw e;
  }
  return layer;
}

/** One imported node: the node as readOnnx gives it, and the layer that computes it. */
export interface OnnxImport {
  /** The RNN, LSTM or GRU node (its graph, inputs and attributes). */
  node: OnnxNode;
  /** The layer: its forward on the node's X (with sequence_lens as lengths, initial_h / initial_c as state) gives Y, Y_h, Y_c. */
  layer: RNN | LSTM | GRU;
}

/**
 * Every RNN, LSTM and GRU node of an ONNX model (subgraphs included) as a layer, in the
 * model's node order. Weights come from initializers (of the node's graph or an enclosing
 * one) or from constants folded through Constant, Identity, Unsqueeze, Squeeze, Reshape,
 * Cast, Slice, Concat, Transpose and Gather. A node whose weights are computed at run time
 * is BAD_FILE; what layerFromOnnx refuses, importOnnx refuses (weights holding NaN or
 * Infinity as BAD_FILE: it is the file that is broken). On any error, no layer is kept.
 */
export function importOnnx(bytes: Uint8Array): OnnxImport[] {
  const model = readOnnx(bytes);
  // every graph's initializers: a subgraph reads its own and its enclosing graphs' by name
  const initializers = Object.assign({}, ...Object.values(model.graphs).map((g) => g.initializers));
  const weights = Object.fromEntries(foldConstants(model, initializers));
  const out: OnnxImport[] = [];
  try {
    for (const node of model.nodes) if (node.domain === '' && node.opType in GATES) out.push({ node, layer: layerFromOnnx(node, weights) });
  } catch (e) {
    for (const { layer } of out) layer.dispose();
    // weights holding NaN or Infinity in a file are a broken file (as for checkpoints)
    if (e instanceof RnnError && e.code === 'NOT_FINITE') throw new RnnError('BAD_FILE', `importOnnx: ${e.message}`, { cause: e });
    throw e;
  }
  return out;
}
