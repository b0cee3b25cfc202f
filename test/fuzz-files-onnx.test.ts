// File fuzzing of the ONNX reader and importer (`simd-rnn/onnx`: readOnnx, importOnnx,
// layerFromOnnx). Seeds: fixtures of test/fixtures/onnx (each recurrent operator, every
// attribute, weights folded through Slice / Concat / Transpose / Gather / Cast / Constant, If
// and Loop subgraphs). Every mutated file goes to readOnnx, importOnnx, and (when it reads)
// layerFromOnnx on each recurrent node with the model's initializers. The codes each may give
// for a bad file, as documented: readOnnx BAD_FILE, or UNSUPPORTED (tensors in an external file,
// element types without a float32 value: a mutation can make a file ask for those);
// importOnnx and layerFromOnnx also SHAPE_MISMATCH (a weight of the wrong shape for the node's
// attributes) and UNSUPPORTED (attributes and activations the layers do not compute). Never
// another error or code, never a wasm trap; a refusal keeps no layer; no call allocates more
// than 4x the file's bytes + 1 MiB of wasm or ArrayBuffer memory (test/fuzz-files.ts); what
// loads is well-formed (tensors fit their shapes; layers run a forward of the right width).
// Mutations: byte flips and boundary values, truncation at every field boundary, varint and
// length lies, wire-type and field-number lies, overlong tags, dropped / repeated / swapped
// fields (test/fuzz-files-protobuf.ts); and edits through the schema: attribute type lies,
// attribute values, tensor dims, data types, raw data, external data, names, node operators
// and inputs, opsets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Backend, type RnnErrorCode, type Tensor } from '../src/node.js';
import { importOnnx, layerFromOnnx, readOnnx, type OnnxModel } from '../src/onnx.js';
import { AttributeProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProtoSchema, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../src/io/onnx/proto/onnx_pb.js';
import type { RNN, LSTM, GRU } from '../src/rnn/layer.js';
import { RUNS_FACTOR, SEED, fcParams } from './property-config.js';
import { Tally, applyByteOps, byteOps, judge } from './fuzz-files.js';
import { applyWireOps, fieldBoundaries, parseWire, wireOp, type WireField } from './fuzz-files-protobuf.js';

console.log(`fuzz-files-onnx: seed ${SEED}, runs x${RUNS_FACTOR}`);

const NAMES = [
  'lstm_forward', 'gru_lbr1_states', 'rnn_tanh_bidirectional_lengths_no_bias', 'lstm_input_forget_peepholes_bidirectional',
  'lstm_clip', 'gru_hardsigmoid_default_lbr0', 'lstm_layout1', 'lstm_weights_slice_concat', 'gru_weights_transpose_gather',
  'lstm_weights_cast', 'lstm_weights_constant_nodes', 'if_branches', 'loop_body_gru', 'stacked_lstm_gru',
];
const SEEDS = new Map(NAMES.map((n) => [n, new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'onnx', `${n}.onnx`)))]));
const READ: readonly RnnErrorCode[] = ['BAD_FILE', 'UNSUPPORTED'];
const IMPORT: readonly RnnErrorCode[] = ['BAD_FILE', 'UNSUPPORTED', 'SHAPE_MISMATCH'];
// layerFromOnnx takes tensors, not a file: NaN or Infinity in them is NOT_FINITE, as for loadStateDict
const LAYER: readonly RnnErrorCode[] = [...IMPORT, 'NOT_FINITE'];
const RECURRENT = new Set(['RNN', 'LSTM', 'GRU']);

let backend: Backend;
beforeAll(async () => { backend = await init(); });
const tally = new Tally();
afterAll(() => console.log(`fuzz-files-onnx (seed ${SEED}):\n${tally.summary()}`));

function checkTensor(t: Tensor, what: string): void {
  expect(t.data, what).toBeInstanceOf(Float32Array);
  expect(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${what}: shape [${t.shape}]`).toBe(true);
  expect(t.data.length, `${what}: data for shape [${t.shape}]`).toBe(t.shape.reduce((a, b) => a * b, 1));
}

/** A read model is plain data whose every tensor fits its shape. */
function checkModel(m: OnnxModel, what: string): void {
  for (const [path, g] of Object.entries(m.graphs)) for (const [name, t] of Object.entries(g.initializers)) checkTensor(t, `${what}: ${path}/${name}`);
  for (const n of m.nodes) {
    expect(typeof n.opType).toBe('string');
    expect(n.inputs.every((s) => typeof s === 'string')).toBe(true);
    for (const [k, v] of Object.entries(n.attributes)) {
      const values = Array.isArray(v) ? v : [v];
      for (const x of values) {
        if (typeof x === 'object') checkTensor(x, `${what}: ${n.name}.${k}`);
        else expect(['number', 'string'], `${what}: ${n.name}.${k}`).toContain(typeof x);
      }
    }
  }
}

/** An imported layer runs: a forward of two steps gives outputs of the right width. */
function checkLayer(layer: RNN | LSTM | GRU, what: string): void {
  const c = layer.config() as { inputSize: number; hiddenSize: number; bidirectional: boolean; batchFirst: boolean };
  const x = { data: new Float32Array(2 * c.inputSize).fill(0.5), shape: c.batchFirst ? [1, 2, c.inputSize] : [2, 1, c.inputSize] };
  const y = layer.forward(x).output;
  // (not necessarily finite: a flipped exponent makes a finite weight of 1e38, and relu overflows)
  expect(y.shape[2], `${what}: output width`).toBe((c.bidirectional ? 2 : 1) * c.hiddenSize);
  expect(y.data.length, `${what}: output size`).toBe(2 * y.shape[2]);
}

/** readOnnx, importOnnx and layerFromOnnx on one file. */
function checkAll(what: string, family: string, bytes: Uint8Array): void {
  const read = judge(`${what}: readOnnx`, backend, bytes.length, READ, () => readOnnx(bytes));
  if (read.ok) checkModel(read.value, what);
  tally.add(`${family}: readOnnx`, read);
  const imported = judge(`${what}: importOnnx`, backend, bytes.length, IMPORT, () => importOnnx(bytes), (layers) => {
    try {
      if (!read.ok) throw new Error(`${what}: importOnnx imports a file readOnnx refuses (${read.message})`);
      for (const { node, layer } of layers) checkLayer(layer, `${what}: ${node.opType} ${node.name}`);
    } finally {
      for (const { layer } of layers) layer.dispose();
    }
  });
  tally.add(`${family}: importOnnx`, imported);
  if (!read.ok) return;
  const model = read.value;
  for (const node of model.nodes) {
    if (node.domain !== '' || !RECURRENT.has(node.opType)) continue;
    const weights = Object.assign({}, ...Object.values(model.graphs).map((g) => g.initializers));
    const one = judge(`${what}: layerFromOnnx(${node.name})`, backend, bytes.length, LAYER, () => layerFromOnnx(node, weights), (layer) => {
      try { checkLayer(layer, `${what}: layerFromOnnx(${node.name})`); } finally { layer.dispose(); }
    });
    tally.add(`${family}: layerFromOnnx`, one);
  }
}

// ---- edits through the schema ----

/** Every node, attribute and tensor of a model, subgraphs included. */
function parts(m: ModelProto): { nodes: NodeProto[]; attributes: AttributeProto[]; tensors: TensorProto[]; graphs: GraphProto[] } {
  const out = { nodes: [] as NodeProto[], attributes: [] as AttributeProto[], tensors: [] as TensorProto[], graphs: [] as GraphProto[] };
  const walk = (g: GraphProto) => {
    out.graphs.push(g);
    out.tensors.push(...g.initializer);
    for (const n of g.node) {
      out.nodes.push(n);
      for (const a of n.attribute) {
        out.attributes.push(a);
        if (a.t) out.tensors.push(a.t);
        out.tensors.push(...a.tensors);
        if (a.g) walk(a.g);
        a.graphs.forEach(walk);
      }
    }
  };
  if (m.graph) walk(m.graph);
  return out;
}

type SchemaEdit =
  | { edit: 'attrType'; pick: number; type: number }
  | { edit: 'attrValue'; pick: number; field: string; k: number }
  | { edit: 'recurrentAttr'; pick: number; name: string; type: number; k: number }
  | { edit: 'dims'; pick: number; how: string; k: number }
  | { edit: 'dataType'; pick: number; value: number }
  | { edit: 'raw'; pick: number; how: string }
  | { edit: 'location'; pick: number; value: number }
  | { edit: 'tensorName'; pick: number; how: string }
  | { edit: 'removeTensor'; pick: number }
  | { edit: 'opType'; pick: number; value: string }
  | { edit: 'inputs'; pick: number; how: string; k: number }
  | { edit: 'opset'; value: bigint; domain: string }
  | { edit: 'noGraph' };

const F = [NaN, Infinity, -Infinity, 0, -1, 1e38, 3.5, 0.5];
const I = [-1n, 0n, 1n, 2n, 3n, 2n ** 31n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n];
const S = ['forward', 'reverse', 'bidirectional', 'sideways', '', 'Sigmoid', 'Tanh', 'Relu', 'HardSigmoid', 'Affine'];
const FLOATS = [[], [NaN], [Infinity, 1], [0.2, 0.5, 1], [-1]];
const INTS = [[], [-1n], [0n, 1n], [2n ** 53n], [1n, 0n, 2n], [0n, 0n, 0n]];
const STRINGS = [[], ['Foo'], ['Sigmoid', 'Tanh', 'Tanh'], ['Sigmoid', 'Tanh'], ['Tanh'], ['Sigmoid', 'Tanh', 'Tanh', 'Relu', 'Relu', 'Relu'], ['HardSigmoid', 'Tanh', 'Tanh']];
const RECURRENT_ATTRS = ['hidden_size', 'direction', 'layout', 'clip', 'activations', 'activation_alpha', 'activation_beta', 'input_forget', 'linear_before_reset', 'spatial'];
const enc = new TextEncoder();

/** Sets a value of attribute type `type` (1 FLOAT ... 8 STRINGS, 4 TENSOR) into its field; k picks the value. */
function setValue(a: AttributeProto, type: number, k: number): void {
  switch (type) {
    case 1: a.f = F[k % F.length]; break;
    case 2: a.i = I[k % I.length]; break;
    case 3: a.s = k % 7 === 6 ? Uint8Array.of(0xff, 0xfe) : enc.encode(S[k % S.length]); break;
    case 4: a.t = create(TensorProtoSchema, { dims: [BigInt(k % 3)], dataType: 1, floatData: Array.from({ length: k % 3 }, () => 1) }); break;
    case 6: a.floats = FLOATS[k % FLOATS.length]; break;
    case 7: a.ints = INTS[k % INTS.length]; break;
    case 8: a.strings = STRINGS[k % STRINGS.length].map((s) => enc.encode(s)); break;
    default: break;
  }
}

const pick = fc.nat({ max: 1 << 20 });
const schemaEdit: fc.Arbitrary<SchemaEdit> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ edit: fc.constant('attrType' as const), pick, type: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 99) }) },
  { weight: 2, arbitrary: fc.record({ edit: fc.constant('attrValue' as const), pick, field: fc.constantFrom('1', '2', '3', '4', '6', '7', '8'), k: pick }) },
  { weight: 4, arbitrary: fc.record({ edit: fc.constant('recurrentAttr' as const), pick, name: fc.constantFrom(...RECURRENT_ATTRS), type: fc.constantFrom(0, 1, 2, 3, 6, 7, 8), k: pick }) },
  { weight: 3, arbitrary: fc.record({ edit: fc.constant('dims' as const), pick, how: fc.constantFrom('empty', 'zero', 'negative', 'huge', 'plus', 'minus', 'reverse', 'extra', 'drop', 'overflow'), k: pick }) },
  fc.record({ edit: fc.constant('dataType' as const), pick, value: fc.nat({ max: 26 }) }),
  { weight: 2, arbitrary: fc.record({ edit: fc.constant('raw' as const), pick, how: fc.constantFrom('truncate', 'extend', 'empty', 'toFloatData', 'both', 'nan', 'toInt32Data') }) },
  fc.record({ edit: fc.constant('location' as const), pick, value: fc.constantFrom(1, 2, 5) }),
  fc.record({ edit: fc.constant('tensorName' as const), pick, how: fc.constantFrom('duplicate', 'empty', 'rename', '__proto__', 'constructor') }),
  fc.record({ edit: fc.constant('removeTensor' as const), pick }),
  fc.record({ edit: fc.constant('opType' as const), pick, value: fc.constantFrom('LSTM', 'GRU', 'RNN', 'Concat', 'Gather', 'Identity', 'Transpose', 'Slice', 'Reshape', 'Cast', 'Squeeze', 'Unsqueeze', 'Constant') }),
  { weight: 2, arbitrary: fc.record({ edit: fc.constant('inputs' as const), pick, how: fc.constantFrom('drop', 'empty', 'rename', 'extra', 'swap', 'self', 'repeat'), k: pick }) },
  fc.record({ edit: fc.constant('opset' as const), value: fc.constantFrom(0n, 1n, 6n, 7n, 9n, 13n, 22n, 23n, 2n ** 31n, -1n), domain: fc.constantFrom('', 'ai.onnx', 'com.microsoft') }),
  fc.record({ edit: fc.constant('noGraph' as const) }),
);

function applySchemaEdits(bytes: Uint8Array, edits: readonly SchemaEdit[]): Uint8Array {
  const m = fromBinary(ModelProtoSchema, bytes);
  for (const e of edits) {
    const { nodes, attributes, tensors, graphs } = parts(m);
    const at = <T>(list: T[]) => (list.length && 'pick' in e ? list[e.pick % list.length] : undefined);
    switch (e.edit) {
      case 'attrType': { const a = at(attributes); if (a) a.type = e.type; break; }
      case 'attrValue': { const a = at(attributes); if (a) setValue(a, Number(e.field), e.k); break; }
      case 'recurrentAttr': {
        const n = at(nodes.filter((x) => RECURRENT.has(x.opType)));
        if (!n) break;
        let a = n.attribute.find((x) => x.name === e.name);
        if (!a) { a = create(AttributeProtoSchema, { name: e.name }); n.attribute.push(a); }
        a.type = e.type;
        setValue(a, e.type === 0 ? 2 : e.type, e.k);
        break;
      }
      case 'dims': {
        const t = at(tensors);
        if (!t) break;
        const d = t.dims;
        const lies: Record<string, bigint[]> = {
          empty: [], zero: [0n], negative: [...d.slice(1), -1n], huge: [2n ** 53n], plus: d.map((x, i) => (i === e.k % Math.max(1, d.length) ? x + 1n : x)),
          minus: d.map((x, i) => (i === e.k % Math.max(1, d.length) ? x - 1n : x)), reverse: [...d].reverse(), extra: [...d, 1n], drop: d.slice(1), overflow: [2n ** 32n, 2n ** 32n, ...d],
        };
        t.dims = lies[e.how];
        break;
      }
      case 'dataType': { const t = at(tensors); if (t) t.dataType = e.value; break; }
      case 'raw': {
        const t = at(tensors);
        if (!t) break;
        const raw = t.rawData, floats = t.rawData.length % 4 === 0 ? Array.from(new Float32Array(raw.slice().buffer)) : [1];
        if (e.how === 'truncate') t.rawData = raw.slice(0, raw.length >> 1);
        else if (e.how === 'extend') t.rawData = Uint8Array.from([...raw, 0, 0, 0x80, 0x3f]);
        else if (e.how === 'empty') t.rawData = new Uint8Array(0);
        else if (e.how === 'toFloatData') { t.floatData = floats; t.rawData = new Uint8Array(0); }
        else if (e.how === 'toInt32Data') { t.int32Data = floats.map((x) => Math.trunc(x * 100) | 0); t.rawData = new Uint8Array(0); }
        else if (e.how === 'both') t.floatData = floats;
        else if (raw.length >= 4) { const r = raw.slice(); r.set([0xff, 0xff, 0xff, 0x7f]); t.rawData = r; } else t.floatData = t.floatData.map(() => NaN);
        break;
      }
      case 'location': { const t = at(tensors); if (t) { t.dataLocation = e.value; t.externalData = [{ $typeName: 'onnx.StringStringEntryProto', key: 'location', value: 'weights.bin' }]; } break; }
      case 'tensorName': {
        const t = at(tensors);
        if (!t) break;
        t.name = e.how === 'duplicate' ? tensors[0].name : e.how === 'empty' ? '' : e.how === 'rename' ? `${t.name}_x` : e.how;
        break;
      }
      case 'removeTensor': { const g = at(graphs.filter((x) => x.initializer.length)); if (g) g.initializer.splice(e.pick % g.initializer.length, 1); break; }
      case 'opType': { const n = at(nodes); if (n) n.opType = e.value; break; }
      case 'inputs': {
        const n = at(nodes);
        if (!n || !n.input.length) break;
        const i = e.k % n.input.length;
        if (e.how === 'drop') n.input.splice(i, 1);
        else if (e.how === 'empty') n.input[i] = '';
        else if (e.how === 'rename') n.input[i] = `${n.input[i]}_missing`;
        else if (e.how === 'extra') n.input.push(n.input[i]);
        else if (e.how === 'swap') n.input.reverse();
        else if (e.how === 'self') n.input[i] = n.output[0] ?? '';
        else n.input = Array.from({ length: 64 }, () => n.input[i]);
        break;
      }
      case 'opset': {
        const o = m.opsetImport.find((x) => x.domain === e.domain) ?? m.opsetImport[0];
        if (o) o.version = e.value;
        break;
      }
      case 'noGraph': m.graph = undefined; break;
    }
  }
  return toBinary(ModelProtoSchema, m);
}

const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

describe('ONNX files, mutated: readOnnx, importOnnx, layerFromOnnx', () => {
  test('the seeds import as they are', () => {
    for (const [name, bytes] of SEEDS) checkAll(name, 'seeds', bytes);
  });

  test('byte mutations: flips, boundary bytes and words, truncation, garbage, cut and repeated ranges', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), byteOps(3), (name, ops) => {
      checkAll(`${name} with ${json(ops)}`, 'byte mutations', applyByteOps(SEEDS.get(name)!, ops));
    }), fcParams(250));
  });

  test('truncated at every field boundary (start, after the tag, after the length, last byte)', () => {
    // all boundaries of three seeds, the first 40 of the others
    let k = 0;
    for (const [name, bytes] of SEEDS) {
      const cuts = fieldBoundaries(parseWire(bytes)!);
      for (const cut of k++ < 3 ? cuts : cuts.slice(0, 40)) if (cut > 0 && cut < bytes.length) checkAll(`${name} cut to ${cut} bytes`, 'truncations', bytes.subarray(0, cut));
    }
  });

  test('wire lies: varint values, declared lengths, wire types, field numbers, overlong tags, dropped / repeated / swapped fields', () => {
    const trees = new Map([...SEEDS].map(([name, b]) => [name, parseWire(b)! as WireField[]]));
    fc.assert(fc.property(fc.constantFrom(...trees.keys()), fc.array(wireOp, { minLength: 1, maxLength: 3 }), (name, ops) => {
      checkAll(`${name} with ${json(ops)}`, 'wire lies', applyWireOps(trees.get(name)!, ops));
    }), fcParams(300));
  });

  test('schema edits: attribute types and values, tensor dims / data types / raw data / location / names, operators, inputs, opsets', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), fc.array(schemaEdit, { minLength: 1, maxLength: 3 }), (name, edits) => {
      checkAll(`${name} with ${json(edits)}`, 'schema edits', applySchemaEdits(SEEDS.get(name)!, edits));
    }), fcParams(400));
  });
});

describe('constant folding cannot multiply a file', () => {
  // A model whose LSTM reads W through constant folds that copy a small initializer over and
  // over: Concat of a value with itself, 24 times (2^24 copies), one Concat of 2000 inputs, or a
  // Gather of 4096 zero indices.
  function amplifier(kind: 'doubling' | 'wide' | 'gather'): Uint8Array {
    const H = 1, I = 256, nodes: NodeProto[] = [];
    const init: TensorProto[] = [create(TensorProtoSchema, { name: 'W0', dims: [1n, BigInt(4 * H), BigInt(I)], dataType: 1, rawData: new Uint8Array(16 * I) })];
    let last = 'W0';
    if (kind === 'doubling') {
      for (let k = 1; k <= 24; k++) {
        nodes.push(create(NodeProtoSchema, { opType: 'Concat', input: [last, last], output: [`W${k}`], attribute: [create(AttributeProtoSchema, { name: 'axis', type: 2, i: 2n })] }));
        last = `W${k}`;
      }
    } else if (kind === 'wide') {
      nodes.push(create(NodeProtoSchema, { opType: 'Concat', input: Array.from({ length: 2000 }, () => 'W0'), output: ['W1'], attribute: [create(AttributeProtoSchema, { name: 'axis', type: 2, i: 2n })] }));
      last = 'W1';
    } else {
      init.push(create(TensorProtoSchema, { name: 'idx', dims: [4096n], dataType: 2, rawData: new Uint8Array(4096) }));
      nodes.push(create(NodeProtoSchema, { opType: 'Gather', input: ['W0', 'idx'], output: ['W1'], attribute: [create(AttributeProtoSchema, { name: 'axis', type: 2, i: 0n })] }));
      last = 'W1';
    }
    init.push(create(TensorProtoSchema, { name: 'R', dims: [1n, BigInt(4 * H), BigInt(H)], dataType: 1, rawData: new Uint8Array(16 * H * H) }));
    nodes.push(create(NodeProtoSchema, { opType: 'LSTM', input: ['X', last, 'R'], output: ['Y'], attribute: [create(AttributeProtoSchema, { name: 'hidden_size', type: 2, i: BigInt(H) })] }));
    const m = create(ModelProtoSchema, { irVersion: 8n, opsetImport: [{ $typeName: 'onnx.OperatorSetIdProto', domain: '', version: 14n }], graph: { $typeName: 'onnx.GraphProto', node: nodes, initializer: init, input: [], output: [] } as unknown as GraphProto });
    return toBinary(ModelProtoSchema, m);
  }

  for (const kind of ['doubling', 'wide', 'gather'] as const) {
    test(`${kind}: refused as BAD_FILE within the memory bound`, () => {
      const bytes = amplifier(kind);
      const r = judge(kind, backend, bytes.length, IMPORT, () => importOnnx(bytes), (layers) => layers.forEach((l) => l.layer.dispose()));
      expect(r.ok ? 'loaded' : r.code).toBe('BAD_FILE');
    });
  }
});

describe('what the fuzzer found (each failed before its fix)', () => {
  const codeOf = (f: () => unknown) => { try { f(); return 'loaded'; } catch (e) { return (e as { code?: string }).code ?? String(e); } };

  test('an attribute whose type lies (Transpose perm as a STRING) is BAD_FILE, not a TypeError from the folder', () => {
    const bytes = applySchemaEdits(SEEDS.get('gru_weights_transpose_gather')!, [{ edit: 'attrType', pick: 0, type: 3 }]);
    expect(readOnnx(bytes).nodes.find((n) => n.opType === 'Transpose')?.attributes.perm).toBeTypeOf('string');
    expect(codeOf(() => importOnnx(bytes))).toBe('BAD_FILE');
  });

  test('attribute values no layer takes (LSTM clip Infinity, HardSigmoid alpha NaN) are BAD_FILE, not BAD_ARGUMENT from the layer', () => {
    const clip = applySchemaEdits(SEEDS.get('lstm_forward')!, [{ edit: 'recurrentAttr', pick: 0, name: 'clip', type: 1, k: 1 }]);
    expect(readOnnx(clip).nodes[0].attributes.clip).toBe(Infinity);
    expect(codeOf(() => importOnnx(clip))).toBe('BAD_FILE');
    const alpha = applySchemaEdits(SEEDS.get('lstm_forward')!, [
      { edit: 'recurrentAttr', pick: 0, name: 'activations', type: 8, k: 6 },
      { edit: 'recurrentAttr', pick: 0, name: 'activation_alpha', type: 6, k: 1 },
    ]);
    expect(readOnnx(alpha).nodes[0].attributes.activation_alpha).toEqual([NaN]);
    expect(codeOf(() => importOnnx(alpha))).toBe('BAD_FILE');
  });

  test('weights holding NaN are BAD_FILE from importOnnx (a file), NOT_FINITE naming the ONNX tensor from layerFromOnnx', () => {
    const bytes = applySchemaEdits(SEEDS.get('lstm_forward')!, [{ edit: 'raw', pick: 0, how: 'nan' }]);
    expect(codeOf(() => importOnnx(bytes))).toBe('BAD_FILE');
    const model = readOnnx(bytes), node = model.nodes.find((n) => n.opType === 'LSTM')!;
    expect(() => layerFromOnnx(node, model.initializers)).toThrow(expect.objectContaining({ code: 'NOT_FINITE', message: expect.stringContaining(JSON.stringify(model.nodes[0].inputs[1])) }));
  });
});
