/**
 * exportOnnx: our layers as an ONNX model, the inverse of import.ts's mapping.
 *
 * A recurrent layer (RNN, LSTM, GRU) becomes one ONNX node per stacked layer:
 *   reverse / bidirectional             -> direction reverse / bidirectional
 *   weight_ih, weight_hh (our gate order) -> W [dirs, G*H, in], R [dirs, G*H, H] in ONNX's order
 *   bias_ih, bias_hh                    -> B [dirs, 2*G*H] = [Wb, Rb]; bias false: no B
 *   LSTM i, f, g, o                     -> ONNX blocks i, o, f, c
 *   coupled (gates i, g, o)             -> input_forget = 1, blocks i, o, f, c with a zero f block
 *   peepholes, weight_ch rows i, f, o   -> P [dirs, 3*H] rows i, o, f (a zero f row when coupled)
 *   cellClip                            -> clip (a float32 attribute)
 *   GRU r, z, n                         -> ONNX blocks z, r, h; resetAfter -> linear_before_reset 1
 *   gateActivation, cellActivation, hiddenActivation, nonlinearity -> activations (hard sigmoid
 *     with activation_alpha / activation_beta), the same for both directions
 * The node's Y [T, dirs, B, H] goes through Transpose and Reshape to our [T, B, dirs*H]; Y_h /
 * Y_c of the stacked layers are concatenated. batchFirst is expressed with Transpose nodes
 * around the recurrent ones (layout stays 0: onnxruntime refuses layout = 1 on them).
 *
 * The initial states of a single layer are the graph inputs 'h0' / 'c0' (zeros give forward's
 * default). They are plain inputs, not inputs with a default value (an initializer of the same
 * name): onnxruntime's JavaScript bindings feed only the inputs without one, so a default could
 * never be overridden there. There is no 'lengths' input: every row runs all T steps.
 *
 * What ONNX's operators cannot compute is refused with UNSUPPORTED naming it, never written
 * approximately: LSTM projections, forgetGate: false, gateRecurrence, the minimal GRU, RNN
 * time constants, delays and identityRecurrence, the CEC.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { RnnError, describe } from '../../errors.js';
import { moduleTypeOf } from '../../registry.js';
import type { ActivationOption } from '../../rnn/activations.js';
import type { GRU, LSTM, RNN, RecurrentLayer } from '../../rnn/layer.js';
import type { Tensor } from '../../tensor.js';
import type { Linear } from '../../train/linear.js';
import type { Sequential } from '../../train/sequential.js';
import {
  AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema,
  type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto/onnx_pb.js';

/** The version written as the model's producer_version (package.json's; a test checks). */
export const PRODUCER_VERSION = '0.1.0';

/** Options of `exportOnnx`. */
export interface OnnxExportOptions {
  /**
   * The version of ONNX's default operator set the model imports: 14 (the default) to 22.
   * 14 is the first whose RNN, LSTM and GRU specs (revision 14) are the ones this mapping
   * follows; 22 is the newest importOnnx reads, so an export always imports back.
   */
  opset?: number;
  /**
   * A recurrent layer's graph takes its initial states as the inputs 'h0' and 'c0' (true, the
   * default: feed zeros for forward's default), or starts from zeros with 'x' its only input
   * (false). ONNX has no optional graph inputs onnxruntime lets a caller feed or omit.
   */
  initialStates?: boolean;
}

/** The IR version of each opset, as ONNX releases pair them (onnxruntime 1.30 loads all). */
const IR_VERSION: Record<number, number> = { 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };
const MIN_OPSET = 14, MAX_OPSET = 22;

// ONNX TensorProto.DataType and AttributeProto.AttributeType values
const FLOAT = 1, INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

type Kind = 'RNN' | 'LSTM' | 'GRU';
/** For each of our gates (in our row order), the ONNX gate block it goes to; and ONNX's block count. */
const GATES: Record<Kind, { plain: number[]; coupled: number[]; blocks: number }> = {
  LSTM: { plain: [0, 2, 3, 1], coupled: [0, 3, 1], blocks: 4 },
  GRU: { plain: [1, 0, 2], coupled: [1, 0, 2], blocks: 3 },
  RNN: { plain: [0], coupled: [0], blocks: 1 },
};
/** Our activation options, in the order of a direction's ONNX `activations`, and their defaults. */
const ACTIVATIONS: Record<Kind, Array<[string, string]>> = {
  LSTM: [['gateActivation', 'sigmoid'], ['cellActivation', 'tanh'], ['hiddenActivation', 'tanh']],
  GRU: [['gateActivation', 'sigmoid'], ['cellActivation', 'tanh']],
  RNN: [['nonlinearity', 'tanh']],
};
const ONNX_NAMES: Record<string, string> = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', hardSigmoid: 'HardSigmoid' };

/** Config keys every recurrent layer states, and per kind those whose values we write or check. */
// dropout, inputDropout and recurrentDropout act in training forwards only: the inference an export computes ignores them
const COMMON_KEYS = ['type', 'inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'bidirectional', 'reverse', 'dropout', 'inputDropout', 'recurrentDropout'];
const KIND_KEYS: Record<Kind, string[]> = {
  LSTM: ['projSize', 'peepholes', 'forgetGate', 'coupled', 'cellClip', 'gateRecurrence', 'gateActivation', 'cellActivation', 'hiddenActivation'],
  GRU: ['resetAfter', 'minimal', 'gateActivation', 'cellActivation'],
  RNN: ['nonlinearity', 'tau', 'trainTau', 'delays', 'identityRecurrence'],
};

function unsupported(what: string): never {
  throw new RnnError('UNSUPPORTED', `exportOnnx: ${what}`);
}

/** The layer's config after checking that ONNX computes it; UNSUPPORTED names what it cannot. */
function exportableConfig(layer: RecurrentLayer, where: string): Record<string, unknown> & { type: Kind } {
  const c = layer.config();
  const kind = c.type as string;
  if (kind !== 'RNN' && kind !== 'LSTM' && kind !== 'GRU') unsupported(`${where}a ${kind} layer (ONNX has RNN, LSTM and GRU operators only)`);
  if (c.zoneout) unsupported(`${where}a ${kind} with zoneout ${c.zoneout} (its inference mixes h(t-1) and c(t-1) into each step, which ONNX's ${kind} cannot)`);
  for (const key of Object.keys(c)) {
    if (!COMMON_KEYS.includes(key) && !KIND_KEYS[kind].includes(key)) unsupported(`${where}the ${kind} option ${key} (not part of ONNX's ${kind})`);
  }
  if (kind === 'LSTM') {
    if (c.projSize) unsupported(`${where}an LSTM with projSize ${c.projSize} (ONNX's LSTM has no projection)`);
    if (c.forgetGate === false) unsupported(`${where}an LSTM with forgetGate: false (ONNX's LSTM always has a forget gate; input_forget is the coupled one)`);
    if (c.gateRecurrence) unsupported(`${where}an LSTM with gateRecurrence (ONNX's LSTM has no gate-to-gate recurrence)`);
  } else if (kind === 'GRU') {
    if (c.minimal) unsupported(`${where}a GRU with minimal: true (the minimal gated unit is not ONNX's GRU)`);
  } else {
    if (c.tau !== undefined) unsupported(`${where}an RNN with tau (leaky units: ONNX's RNN has no time constants)`);
    const delays = c.delays as number[] | undefined;
    if (delays && (delays.length !== 1 || delays[0] !== 1)) unsupported(`${where}an RNN with delays [${delays.join(', ')}] (ONNX's RNN reads h(t-1) only)`);
    if (c.identityRecurrence) unsupported(`${where}an RNN with identityRecurrence (ONNX's RNN has no identity term)`);
  }
  return c as Record<string, unknown> & { type: Kind };
}

/** ONNX's `activations` of one direction, and the alpha / beta of its hard sigmoids; null: all default. */
function activationsOf(kind: Kind, c: Record<string, unknown>): { names: string[]; alphas: number[]; betas: number[] } | null {
  const names: string[] = [], alphas: number[] = [], betas: number[] = [];
  let custom = false;
  for (const [option, fallback] of ACTIVATIONS[kind]) {
    const v = (c[option] ?? fallback) as ActivationOption;
    const name = typeof v === 'string' ? v : v.type;
    if (name !== fallback) custom = true;
    names.push(ONNX_NAMES[name]);
    if (name === 'hardSigmoid') {
      alphas.push(typeof v === 'object' && v.alpha !== undefined ? v.alpha : 0.2);
      betas.push(typeof v === 'object' && v.beta !== undefined ? v.beta : 0.5);
    }
  }
  return custom ? { names, alphas, betas } : null;
}

/** The ONNX layout of one of our [G*H, cols] matrices (or [G*H] vectors): block order[k] = our block k, the others zero. */
function toBlocks(src: Float32Array, order: readonly number[], H: number, cols: number, out: Float32Array, offset: number): void {
  order.forEach((b, k) => out.set(src.subarray(k * H * cols, (k + 1) * H * cols), offset + b * H * cols));
}

/** Little-endian bytes of float32 or int64 values (ONNX's raw_data). */
function rawFloat32(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4), view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}
function rawInt64(data: readonly number[]): Uint8Array {
  const out = new Uint8Array(data.length * 8), view = new DataView(out.buffer);
  data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

type Attr = { name: string } & ({ i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] } | { strings: string[] });

function attribute(a: Attr): AttributeProto {
  if ('i' in a) return create(AttributeProtoSchema, { name: a.name, type: ATTR.INT, i: BigInt(a.i) });
  if ('f' in a) return create(AttributeProtoSchema, { name: a.name, type: ATTR.FLOAT, f: a.f });
  if ('s' in a) return create(AttributeProtoSchema, { name: a.name, type: ATTR.STRING, s: utf8(a.s) });
  if ('ints' in a) return create(AttributeProtoSchema, { name: a.name, type: ATTR.INTS, ints: a.ints.map((v) => BigInt(v)) });
  if ('floats' in a) return create(AttributeProtoSchema, { name: a.name, type: ATTR.FLOATS, floats: a.floats });
  return create(AttributeProtoSchema, { name: a.name, type: ATTR.STRINGS, strings: a.strings.map(utf8) });
}

/** A dimension: a size, or a symbolic name. */
type Dim = number | string;

/** The graph being written: nodes, initializers, inputs and outputs, in the order they are added. */
class Graph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  /** A node; its outputs are `outputs` or, by default, one named after the node. Returns the output names. */
  node(opType: string, scope: string, inputs: string[], attrs: Attr[] = [], outputs?: string[]): string[] {
    const n = this.counts.get(`${scope}/${opType}`) ?? 0;
    this.counts.set(`${scope}/${opType}`, n + 1);
    const name = `${scope}/${opType}${n ? `_${n}` : ''}`;
    const outs = outputs ?? [`${name}_output`];
    while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
    this.nodes.push(create(NodeProtoSchema, { name, opType, input: inputs, output: outs, attribute: attrs.map(attribute) }));
    return outs;
  }

  /** A float32 initializer. */
  float(name: string, shape: number[], data: Float32Array): string {
    this.initializers.push(create(TensorProtoSchema, { name, dims: shape.map((d) => BigInt(d)), dataType: FLOAT, rawData: rawFloat32(data) }));
    return name;
  }

  /** An int64 1-D constant, written once per value. */
  ints(values: number[]): string {
    const key = values.join(',');
    let name = this.constants.get(key);
    if (!name) {
      name = `const_int64_${this.constants.size}`;
      this.constants.set(key, name);
      this.initializers.push(create(TensorProtoSchema, { name, dims: [BigInt(values.length)], dataType: INT64, rawData: rawInt64(values) }));
    }
    return name;
  }

  private valueInfo(name: string, elemType: number, shape: Dim[] | null): ValueInfoProto {
    return create(ValueInfoProtoSchema, {
      name,
      type: {
        value: {
          case: 'tensorType',
          value: {
            elemType,
            ...(shape ? { shape: { dim: shape.map((d) => ({ value: typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d } })) } } : {}),
          },
        },
      },
    });
  }
  input(name: string, elemType: number, shape: Dim[] | null): string {
    this.inputs.push(this.valueInfo(name, elemType, shape));
    return name;
  }
  output(name: string, shape: Dim[] | null): void {
    this.outputs.push(this.valueInfo(name, FLOAT, shape));
  }
}

/** The names a recurrent layer's nodes read and write. */
interface RecurrentIO {
  /** The input, in the layer's layout. */
  x: string;
  /** The initial states [layers*dirs, B, H] (all layers), or '' for zeros. */
  h0: string;
  c0: string;
  /** The names to give the output (in the layer's layout) and the final states; '' for h / c: not wanted. */
  output: string;
  hn: string;
  cn: string;
}

/** Writes one recurrent layer's nodes (one per stacked layer) and weights. */
function writeRecurrent(g: Graph, c: Record<string, unknown> & { type: Kind }, dict: Record<string, Tensor>, scope: string, io: RecurrentIO): void {
  const kind = c.type, L = c.numLayers as number, H = c.hiddenSize as number;
  const dirs = c.bidirectional ? 2 : 1, direction = c.bidirectional ? 'bidirectional' : c.reverse ? 'reverse' : 'forward';
  const batchFirst = c.batchFirst === true, coupled = kind === 'LSTM' && c.coupled === true;
  const { blocks: G } = GATES[kind], order = coupled ? GATES[kind].coupled : GATES[kind].plain;
  const acts = activationsOf(kind, c);
  const attrs: Attr[] = [{ name: 'direction', s: direction }, { name: 'hidden_size', i: H }];
  if (acts) {
    attrs.push({ name: 'activations', strings: Array.from({ length: dirs }, () => acts.names).flat() });
    if (acts.alphas.length) {
      attrs.push({ name: 'activation_alpha', floats: Array.from({ length: dirs }, () => acts.alphas).flat() });
      attrs.push({ name: 'activation_beta', floats: Array.from({ length: dirs }, () => acts.betas).flat() });
    }
  }
  if (kind === 'LSTM' && (c.cellClip as number | undefined ?? 0) > 0) attrs.push({ name: 'clip', f: c.cellClip as number });
  if (coupled) attrs.push({ name: 'input_forget', i: 1 });
  if (kind === 'GRU' && c.resetAfter !== false) attrs.push({ name: 'linear_before_reset', i: 1 });
  const peepholes = kind === 'LSTM' && c.peepholes === true;

  let x = batchFirst ? g.node('Transpose', scope, [io.x], [{ name: 'perm', ints: [1, 0, 2] }])[0] : io.x;
  const hs: string[] = [], cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const inW = l === 0 ? (c.inputSize as number) : dirs * H;
    const W = new Float32Array(dirs * G * H * inW), R = new Float32Array(dirs * G * H * H);
    const B = c.bias ? new Float32Array(dirs * 2 * G * H) : null, P = peepholes ? new Float32Array(dirs * 3 * H) : null;
    for (let d = 0; d < dirs; d++) {
      const x = `_l${l}${d === 1 ? '_reverse' : ''}`;
      toBlocks(dict[`weight_ih${x}`].data, order, H, inW, W, d * G * H * inW);
      toBlocks(dict[`weight_hh${x}`].data, order, H, H, R, d * G * H * H);
      if (B) {
        toBlocks(dict[`bias_ih${x}`].data, order, H, 1, B, d * 2 * G * H);
        toBlocks(dict[`bias_hh${x}`].data, order, H, 1, B, (d * 2 + 1) * G * H);
      }
      // weight_ch rows i, f, o (i, o coupled) -> ONNX P rows i, o, f (f zero when coupled)
      if (P) toBlocks(dict[`weight_ch${x}`].data, coupled ? [0, 1] : [0, 2, 1], H, 1, P, d * 3 * H);
    }
    const last = l === L - 1, ls = `${scope}/l${l}`;
    const w = g.float(`${ls}/W`, [dirs, G * H, inW], W), r = g.float(`${ls}/R`, [dirs, G * H, H], R);
    const b = B ? g.float(`${ls}/B`, [dirs, 2 * G * H], B) : '', p = P ? g.float(`${ls}/P`, [dirs, 3 * H], P) : '';
    const stateOf = (all: string) => (all === '' ? '' : L === 1 ? all
      : g.node('Slice', ls, [all, g.ints([l * dirs]), g.ints([(l + 1) * dirs]), g.ints([0])])[0]);
    const h0 = stateOf(io.h0), c0 = kind === 'LSTM' ? stateOf(io.c0) : '';
    const hn = io.hn === '' ? '' : L === 1 ? io.hn : `${ls}/Y_h`, cn = io.cn === '' ? '' : L === 1 ? io.cn : `${ls}/Y_c`;
    const outs = [`${ls}/Y`, hn, ...(kind === 'LSTM' ? [cn] : [])];
    while (outs[outs.length - 1] === '') outs.pop();
    const [y] = g.node(kind, ls, [x, w, r, b, '', h0, c0, p], attrs, outs);
    if (hn) hs.push(hn);
    if (cn) cs.push(cn);
    // Y [T, dirs, B, H] -> [T, B, dirs, H] -> [T, B, dirs * H]
    const yt = g.node('Transpose', ls, [y], [{ name: 'perm', ints: [0, 2, 1, 3] }])[0];
    x = g.node('Reshape', ls, [yt, g.ints([0, 0, -1])], [], last && !batchFirst ? [io.output] : undefined)[0];
  }
  if (batchFirst) g.node('Transpose', scope, [x], [{ name: 'perm', ints: [1, 0, 2] }], [io.output]);
  if (L > 1 && io.hn) g.node('Concat', scope, hs, [{ name: 'axis', i: 0 }], [io.hn]);
  if (L > 1 && io.cn) g.node('Concat', scope, cs, [{ name: 'axis', i: 0 }], [io.cn]);
}

/** stateDict, or DISPOSED naming what was disposed; NOT_FINITE if a weight is NaN or infinite. */
function weightsOf(layer: { stateDict(): Record<string, Tensor> }, what: string): Record<string, Tensor> {
  let dict: Record<string, Tensor>;
  try {
    dict = layer.stateDict();
  } catch (e) {
    if (e instanceof RnnError && e.code === 'DISPOSED') throw new RnnError('DISPOSED', `exportOnnx: ${what} was disposed`, { cause: e });
    throw e;
  }
  for (const [name, t] of Object.entries(dict)) {
    if (!t.data.every(Number.isFinite)) throw new RnnError('NOT_FINITE', `exportOnnx: ${what} holds NaN or Infinity in ${name} (after an update that diverged?)`);
  }
  return dict;
}

function checkOptions(options: unknown): { opset: number; initialStates: boolean } {
  if (options === undefined) return { opset: MIN_OPSET, initialStates: true };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new RnnError('BAD_ARGUMENT', `exportOnnx: options must be an object { opset?, initialStates? }, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (key !== 'opset' && key !== 'initialStates') throw new RnnError('BAD_ARGUMENT', `exportOnnx: unknown option ${JSON.stringify(key)} (known: opset, initialStates)`);
  const initialStates = (options as OnnxExportOptions).initialStates ?? true;
  if (typeof initialStates !== 'boolean') throw new RnnError('BAD_ARGUMENT', `exportOnnx: initialStates must be true or false, got ${describe(initialStates)}`);
  const given = (options as OnnxExportOptions).opset, opset = given === undefined ? MIN_OPSET : given;
  if (typeof opset !== 'number' || !Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RnnError('BAD_ARGUMENT', `exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET} (14: the first revision of RNN, LSTM and GRU this mapping follows; 22: the newest importOnnx reads), got ${describe(opset)}`);
  }
  return { opset, initialStates };
}

/** The recurrent layer as a graph: inputs x, h0 (, c0); outputs output, hn (, cn). */
function recurrentGraph(g: Graph, layer: RecurrentLayer, initialStates: boolean): void {
  const dict = weightsOf(layer, `the ${layer.config().type} layer`);
  const c = exportableConfig(layer, '');
  const kind = c.type, L = c.numLayers as number, H = c.hiddenSize as number, dirs = c.bidirectional ? 2 : 1;
  const time: Dim[] = c.batchFirst ? ['batch', 'time'] : ['time', 'batch'];
  const x = g.input('x', FLOAT, [...time, c.inputSize as number]);
  // the initial states: inputs (onnxruntime's JavaScript bindings cannot override an
  // initializer, so a default value would be unreachable); zeros give forward's default
  const h0 = initialStates ? g.input('h0', FLOAT, [L * dirs, 'batch', H]) : '';
  const c0 = initialStates && kind === 'LSTM' ? g.input('c0', FLOAT, [L * dirs, 'batch', H]) : '';
  writeRecurrent(g, c, dict, `/${kind}`, { x, h0, c0, output: 'output', hn: 'hn', cn: kind === 'LSTM' ? 'cn' : '' });
  g.output('output', [...time, dirs * H]);
  g.output('hn', [L * dirs, 'batch', H]);
  if (kind === 'LSTM') g.output('cn', [L * dirs, 'batch', H]);
}

/** The Sequential as a graph: input x, output output. */
function sequentialGraph(g: Graph, model: Sequential): void {
  const layers = model.layers;
  const types = layers.map((l, i) => {
    const type = moduleTypeOf(l)?.type ?? describe(l);
    if (type !== 'Embedding' && type !== 'Linear' && type !== 'Dropout' && type !== 'RNN' && type !== 'LSTM' && type !== 'GRU') {
      unsupported(`layers[${i}]: a ${type} (a Sequential exports Embedding, RNN, LSTM, GRU, Linear and Dropout layers)`);
    }
    return type;
  });
  const dicts = layers.map((l, i) => weightsOf(l, `layers[${i}] (${types[i]})`));
  const configs = layers.map((l, i) => (types[i] === 'Embedding' || types[i] === 'Linear' || types[i] === 'Dropout' ? l.config() : exportableConfig(l as RecurrentLayer, `layers[${i}]: `)));
  const first = configs.findIndex((c) => c.type === 'RNN' || c.type === 'LSTM' || c.type === 'GRU');
  const time: Dim[] | null = first < 0 ? null : configs[first].batchFirst ? ['batch', 'time'] : ['time', 'batch'];
  const ids = types[0] === 'Embedding';
  // a Dropout is the identity at inference: it adds no node, and the input width is its successor's
  const c0 = configs.find((c) => c.type !== 'Dropout') ?? unsupported('a Sequential of Dropout layers alone (it computes nothing)'), inWidth0 = (c0.type === 'Linear' ? c0.inFeatures : c0.inputSize) as number;
  let width: number | null = null, name = g.input('x', ids ? INT64 : FLOAT, time && (ids ? time : [...time, inWidth0]));
  layers.forEach((layer, i) => {
    const c = configs[i], scope = `/${i}`, last = i === layers.length - 1;
    const inWidth = c.type === 'Linear' ? c.inFeatures : c.type === 'Embedding' || c.type === 'Dropout' ? null : c.inputSize;
    if (width !== null && inWidth !== null && inWidth !== width) {
      throw new RnnError('SHAPE_MISMATCH', `exportOnnx: layers[${i}] (${c.type}) takes ${inWidth} features but layers[${i - 1}] gives ${width}`);
    }
    const out = last ? 'output' : undefined;
    if (c.type === 'Dropout') {
      if (last) name = g.node('Identity', scope, [name], [], [out!])[0];
    } else if (c.type === 'Embedding') {
      const table = g.float(`${scope}/weight`, dicts[i].weight.shape, dicts[i].weight.data);
      name = g.node('Gather', scope, [table, name], [{ name: 'axis', i: 0 }], out && [out])[0];
      width = c.embeddingDim as number;
    } else if (c.type === 'Linear') {
      const l = layer as Linear, w = dicts[i].weight.data, n = l.inFeatures, m = l.outFeatures;
      const wt = new Float32Array(n * m);
      for (let o = 0; o < m; o++) for (let k = 0; k < n; k++) wt[k * m + o] = w[o * n + k];
      const weight = g.float(`${scope}/weight`, [n, m], wt);
      name = g.node('MatMul', scope, [name, weight], [], l.bias ? undefined : out && [out])[0];
      if (l.bias) name = g.node('Add', scope, [name, g.float(`${scope}/bias`, [m], dicts[i].bias.data)], [], out && [out])[0];
      width = m;
    } else {
      const rc = c as Record<string, unknown> & { type: Kind };
      const output = out ?? `${scope}/output`;
      writeRecurrent(g, rc, dicts[i], `${scope}/${rc.type}`, { x: name, h0: '', c0: '', output, hn: '', cn: '' });
      name = output;
      width = (rc.bidirectional ? 2 : 1) * (rc.hiddenSize as number);
    }
  });
  g.output('output', time && [...time, width!]);
}

/**
 * An ONNX model computing `model`'s inference forward, as bytes of an `.onnx` file. onnxruntime
 * runs it with our results (1e-5), and `importOnnx` reads it back to layers with the same
 * weights (one layer per stacked layer).
 *
 * A recurrent layer (RNN, LSTM, GRU) gives inputs `x` ([T, B, inputSize], [B, T, inputSize]
 * with batchFirst; T and B symbolic) and `h0` / `c0` ([numLayers * dirs, B, H]; zeros give
 * forward's default of no state; `initialStates: false` leaves them out and starts from
 * zeros), and outputs `output` (forward's output, the same shape), `hn` and `cn`
 * (LSTM). One ONNX node per stacked layer; batchFirst through Transpose nodes (layout stays 0).
 * There is no `lengths` input: every row runs all T steps.
 *
 * Training-only options are left out: a layer's dropout, inputDropout and recurrentDropout, a
 * Dropout layer of a Sequential (the identity at inference). Zoneout, which changes inference,
 * is refused.
 *
 * A Sequential of Embedding (first), RNN / LSTM / GRU, Linear and Dropout layers gives input `x`
 * (int64 ids after an Embedding, else float32; laid out as its first recurrent layer's input)
 * and output `output`; its recurrent layers start from zero states. Embedding is Gather,
 * Linear MatMul and Add.
 *
 * Refused with UNSUPPORTED, naming it: what ONNX's operators cannot compute (LSTM projSize,
 * forgetGate: false and gateRecurrence; GRU minimal; RNN tau, delays and identityRecurrence;
 * zoneout; CEC; any other layer in a Sequential). A disposed layer is DISPOSED; weights holding NaN or
 * Infinity are NOT_FINITE; layers of a Sequential whose widths do not chain, SHAPE_MISMATCH;
 * options other than `{ opset, initialStates }` (opset an integer from 14 to 22), BAD_ARGUMENT.
 *
 * The bytes are deterministic: the same model and options give the same file. The model
 * states `producer_name` 'simd-rnn', the IR version ONNX pairs with the opset, float32
 * weights as initializers.
 */
export function exportOnnx(model: RNN | LSTM | GRU | Sequential, options?: OnnxExportOptions): Uint8Array {
  const { opset, initialStates } = checkOptions(options);
  const type = moduleTypeOf(model)?.type;
  const g = new Graph();
  if (type === 'Sequential') sequentialGraph(g, model as Sequential);
  else if (type === 'RNN' || type === 'LSTM' || type === 'GRU' || type === 'CEC') recurrentGraph(g, model as RecurrentLayer, initialStates);
  else if (type !== undefined) unsupported(`a ${type} (exportOnnx takes an RNN, LSTM, GRU or a Sequential)`);
  else throw new RnnError('BAD_ARGUMENT', `exportOnnx: model must be an RNN, LSTM, GRU or Sequential, got ${describe(model)}`);
  const proto = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION[opset]),
    opsetImport: [{ domain: '', version: BigInt(opset) }],
    producerName: 'simd-rnn',
    producerVersion: PRODUCER_VERSION,
    graph: { name: 'simd-rnn', node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs },
  });
  return toBinary(ModelProtoSchema, proto);
}
