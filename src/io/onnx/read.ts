/**
 * readOnnx: an ONNX file (a protobuf-encoded ModelProto) to plain data (model.ts), every
 * graph flattened, every tensor float32 with its ONNX element type kept.
 *
 * The protobuf wire format is decoded by @bufbuild/protobuf from the schema in proto/onnx.proto
 * (generated into proto/onnx_pb.ts by proto/generate.mjs). Why that library: it is maintained
 * (regular releases, passes the protobuf conformance suite), plain ES modules marked free of
 * side effects, decodes without eval or `new Function` (workerd and strict CSP pages forbid
 * both; protobufjs' reflection builds its decoders with `Function`), and limits message
 * nesting (100 levels, about 30 levels of nested graphs), so a hostile file cannot overflow the
 * stack. The price is size: a bundle of readOnnx alone is 69 KB minified (20 KB gzipped), 61 KB
 * of it the library (a third of that its descriptor schema, which the generated module needs to
 * boot). The core entry never reaches it (test/onnx-read.test.ts checks).
 *
 * Refusals: anything that does not decode as a ModelProto with a graph, or whose tensors do
 * not hold the values their shapes need, is BAD_FILE naming what is wrong; tensors stored in
 * another file (data_location = EXTERNAL) and element types without a float32 meaning
 * (string, complex, 8-bit and 4-bit floats and ints) are UNSUPPORTED naming the tensor.
 * Before allocating a tensor the reader checks the file holds every value its shape needs, so
 * no tensor is larger than four times the bytes it came from.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { RnnError, describe } from '../../errors.js';
import type { OnnxAttribute, OnnxDataType, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from './model.js';
import { ModelProtoSchema, type AttributeProto, type GraphProto, type ModelProto, type TensorProto } from './proto/onnx_pb.js';

function bad(message: string): never {
  throw new RnnError('BAD_FILE', `readOnnx: ${message}`);
}

function unsupported(message: string): never {
  throw new RnnError('UNSUPPORTED', `readOnnx: ${message}`);
}

/** A key set on a plain object without invoking setters (a tensor may be named `__proto__`). */
function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function quote(name: string): string {
  return describe(name);
}

/** An int64 / uint64 as a number, clamped to +-(2^53 - 1). */
function int64(v: bigint): number {
  if (v > 9007199254740991n) return Number.MAX_SAFE_INTEGER;
  if (v < -9007199254740991n) return -Number.MAX_SAFE_INTEGER;
  return Number(v);
}

function clampSafe(v: number): number {
  return v > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : v < -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : v;
}

/** IEEE binary16 bits to the bits of the float32 of the same value (exact: every half is a float). */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16, exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 31) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // infinities and NaNs
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0;
  if (frac === 0) return sign >>> 0;
  // Subnormal half: a normal float32 once the fraction is shifted up to its leading one.
  let e = 113;
  while (!(frac & 0x400)) { frac <<= 1; e--; }
  return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

const bits32 = new Uint32Array(1), bitsAsFloat = new Float32Array(bits32.buffer);
/** A float32 given by its bits. */
function fromBits(b: number): number {
  bits32[0] = b;
  return bitsAsFloat[0];
}

/**
 * ONNX's TensorProto.DataType codes readOnnx converts: name, bytes per element in raw_data,
 * and the typed field that holds the values otherwise.
 */
const DTYPES: Record<number, [OnnxDataType, number, 'float' | 'int32' | 'int64' | 'uint64' | 'double']> = {
  1: ['float32', 4, 'float'],
  2: ['uint8', 1, 'int32'],
  3: ['int8', 1, 'int32'],
  4: ['uint16', 2, 'int32'],
  5: ['int16', 2, 'int32'],
  6: ['int32', 4, 'int32'],
  7: ['int64', 8, 'int64'],
  9: ['bool', 1, 'int32'],
  10: ['float16', 2, 'int32'],
  11: ['float64', 8, 'double'],
  12: ['uint32', 4, 'uint64'],
  13: ['uint64', 8, 'uint64'],
  16: ['bfloat16', 2, 'int32'],
};
const UNCONVERTED: Record<number, string> = {
  0: 'UNDEFINED', 8: 'STRING', 14: 'COMPLEX64', 15: 'COMPLEX128', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One element of raw_data (little-endian) as a number. */
function rawValue(view: DataView, dtype: OnnxDataType, at: number): number {
  switch (dtype) {
    case 'float32': return view.getFloat32(at, true);
    case 'float64': return view.getFloat64(at, true);
    case 'float16': return fromBits(halfToFloatBits(view.getUint16(at, true)));
    case 'bfloat16': return fromBits(view.getUint16(at, true) << 16 >>> 0);
    case 'int8': return view.getInt8(at);
    case 'uint8': return view.getUint8(at);
    case 'bool': return view.getUint8(at) ? 1 : 0;
    case 'int16': return view.getInt16(at, true);
    case 'uint16': return view.getUint16(at, true);
    case 'int32': return view.getInt32(at, true);
    case 'uint32': return view.getUint32(at, true);
    // hi * 2^32 + lo is exact below 2^53 in magnitude; beyond, it is rounded, then clamped.
    case 'int64': return clampSafe(view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true));
    case 'uint64': return clampSafe(view.getUint32(at + 4, true) * 4294967296 + view.getUint32(at, true));
  }
}

/** One element of the typed field (int32_data holds small ints and 16-bit float bits). */
function fieldValue(dtype: OnnxDataType, v: number | bigint): number {
  if (typeof v === 'bigint') return int64(v);
  switch (dtype) {
    case 'float16': return fromBits(halfToFloatBits(v & 0xffff));
    case 'bfloat16': return fromBits((v & 0xffff) << 16 >>> 0);
    case 'bool': return v ? 1 : 0;
    default: return v;
  }
}

/** A TensorProto as float32 data, shape and element type; `what` names it in errors. */
function readTensor(t: TensorProto, what: string): OnnxTensor {
  if (t.dataLocation === 1) {
    const location = t.externalData.find((e) => e.key === 'location')?.value;
    unsupported(`${what} keeps its data in another file${location ? ` (${quote(location)})` : ''} (data_location = EXTERNAL); save the model with its tensors inside it (onnx.save_model(..., save_as_external_data=False))`);
  }
  if (t.dataLocation !== 0) bad(`${what} has data_location ${t.dataLocation}; expected 0 (DEFAULT) or 1 (EXTERNAL)`);
  if (t.segment) unsupported(`${what} is a segment of a larger tensor (TensorProto.segment)`);
  const type = DTYPES[t.dataType];
  if (!type) {
    const name = UNCONVERTED[t.dataType];
    if (name) unsupported(`${what} has element type ${name}, which has no float32 value`);
    bad(`${what} has element type ${t.dataType}, which ONNX does not define`);
  }
  const [dtype, bytes, field] = type;
  const shape: number[] = [];
  let count = 1;
  for (const d of t.dims) {
    if (d < 0n || d > 9007199254740991n) bad(`${what} has a bad dimension ${d} in its shape`);
    shape.push(Number(d));
    count *= Number(d);
  }
  const raw = t.rawData;
  const values = field === 'float' ? t.floatData : field === 'int32' ? t.int32Data : field === 'int64' ? t.int64Data : field === 'uint64' ? t.uint64Data : t.doubleData;
  const others = [t.floatData, t.int32Data, t.int64Data, t.uint64Data, t.doubleData].filter((a) => a !== values && a.length > 0);
  if (others.length || t.stringData.length) bad(`${what} of ${dtype} holds values in a field of another element type`);
  if (raw.length > 0 && values.length > 0) bad(`${what} holds values both in raw_data and in its typed field`);
  const shapeText = `[${shape.join(', ')}]`;
  if (raw.length > 0) {
    // count is a float product: compared, never allocated, before the sizes agree.
    if (count * bytes !== raw.length) bad(`${what}: shape ${shapeText} of ${dtype} needs ${count * bytes} bytes of raw_data, the file holds ${raw.length}`);
    // Float32 weights, the bulk of a model, are one copy on little-endian hosts (all usual ones).
    // (new Uint8Array(raw) copies; raw.slice() would not when the caller passed a Node Buffer.)
    if (dtype === 'float32' && LITTLE_ENDIAN) return { data: new Float32Array(new Uint8Array(raw).buffer), shape, dtype };
    const data = new Float32Array(count), view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) data[i] = rawValue(view, dtype, i * bytes);
    return { data, shape, dtype };
  }
  if (count !== values.length) bad(`${what}: shape ${shapeText} needs ${count} values, the file holds ${values.length}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = fieldValue(dtype, values[i]);
  return { data, shape, dtype };
}

const utf8 = new TextDecoder();

/** The attribute types readOnnx does not decode into values (graphs are walked instead). */
const SKIPPED_TYPES = new Set([11, 12, 13, 14]);

/** An attribute's value, or 'graph' for GRAPH / GRAPHS, or undefined to skip it. */
function readAttribute(a: AttributeProto, what: string): OnnxAttribute | 'graph' | undefined {
  let type = a.type;
  if (type === 0) {
    // Old files may omit the type: infer it from the one field that is set.
    type = a.floats.length ? 6 : a.ints.length ? 7 : a.strings.length ? 8 : a.tensors.length ? 9 : a.graphs.length ? 10
      : a.t ? 4 : a.g ? 5 : a.s.length ? 3 : a.i !== 0n ? 2 : a.f !== 0 ? 1 : 0;
    if (type === 0) return undefined;
  }
  switch (type) {
    case 1: return a.f;
    case 2: return int64(a.i);
    case 3: return utf8.decode(a.s);
    case 4:
      if (!a.t) bad(`${what} is a TENSOR attribute without a tensor`);
      return readTensor(a.t, what);
    case 5: case 10: return 'graph';
    case 6: return [...a.floats];
    case 7: return a.ints.map(int64);
    case 8: return a.strings.map((s) => utf8.decode(s));
    case 9: return a.tensors.map((t, i) => readTensor(t, `${what}[${i}]`));
    default:
      if (SKIPPED_TYPES.has(type)) return undefined;
      bad(`${what} has attribute type ${type}, which ONNX does not define`);
  }
}

interface Walk {
  nodes: OnnxNode[];
  graphs: Record<string, OnnxGraph>;
}

/** Reads one graph into `walk`: its description, then its nodes and their subgraphs. */
function readGraph(g: GraphProto, path: string, parent: string | null, walk: Walk): OnnxGraph {
  const where = path === '' ? 'the main graph' : `graph ${quote(path)}`;
  const initializers: Record<string, OnnxTensor> = {};
  for (const [i, t] of g.initializer.entries()) {
    if (t.name === '') bad(`initializer ${i} of ${where} has no name`);
    if (Object.hasOwn(initializers, t.name)) bad(`${where} has two initializers named ${quote(t.name)}`);
    put(initializers, t.name, readTensor(t, `initializer ${quote(t.name)} of ${where}`));
  }
  const inputs = g.input.map((v) => v.name);
  const graph: OnnxGraph = {
    path, name: g.name, parent,
    inputs: parent === null ? inputs.filter((n) => !Object.hasOwn(initializers, n)) : inputs,
    outputs: g.output.map((v) => v.name),
    initializers,
  };
  put(walk.graphs, path, graph);
  for (const [index, n] of g.node.entries()) {
    const label = n.name.replace(/^\/+/, '') || `${n.opType}_${index}`;
    const what = `node ${quote(n.name || label)} of ${where}`;
    const node: OnnxNode = {
      name: n.name, opType: n.opType, domain: n.domain === 'ai.onnx' ? '' : n.domain,
      inputs: [...n.input], outputs: [...n.output], attributes: {}, skippedAttributes: [], graph: path,
    };
    walk.nodes.push(node);
    for (const a of n.attribute) {
      if (a.name === '') bad(`${what} has an attribute without a name`);
      if (Object.hasOwn(node.attributes, a.name) || node.skippedAttributes.includes(a.name)) bad(`${what} has two attributes named ${quote(a.name)}`);
      const value = readAttribute(a, `attribute ${quote(a.name)} of ${what}`);
      if (value === undefined) node.skippedAttributes.push(a.name);
      else if (value !== 'graph') put(node.attributes, a.name, value);
      else {
        const subgraphs = a.type === 10 || (a.type === 0 && !a.g) ? a.graphs.map((s, i) => [s, `[${i}]`] as const) : [[a.g!, ''] as const];
        for (const [s, suffix] of subgraphs) {
          const base = `${path}/${label}.${a.name}${suffix}`;
          let sub = base;
          for (let k = 2; Object.hasOwn(walk.graphs, sub); k++) sub = `${base}#${k}`;
          if (!s) bad(`attribute ${quote(a.name)} of ${what} is a GRAPH attribute without a graph`);
          readGraph(s, sub, path, walk);
        }
      }
    }
  }
  return graph;
}

/**
 * Decodes an ONNX model file (the bytes of a `.onnx` file, a protobuf ModelProto) into plain
 * data: opset, producer, the main graph's inputs, outputs and initializers, and the nodes of
 * every graph including the bodies of If, Loop and Scan (see `OnnxModel`). Tensors become
 * float32 `OnnxTensor`s that keep their ONNX element type. Needs no `init`. Imported from
 * `simd-rnn/onnx` (`import { readOnnx } from 'simd-rnn/onnx'`), not from the core entry.
 *
 * Throws BAD_ARGUMENT when `bytes` is not a Uint8Array; BAD_FILE naming what is wrong when the
 * bytes are not an ONNX model (not protobuf, truncated, a tensor shorter than its shape, no
 * graph, no default operator set); UNSUPPORTED for tensors kept in an external data file and
 * for element types with no float32 value (string, complex, 8-bit floats, 4-bit ints).
 */
export function readOnnx(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new RnnError('BAD_ARGUMENT', `readOnnx: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length === 0) bad('the file is empty');
  let m: ModelProto;
  try {
    m = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  } catch (e) {
    bad(`the file is not an ONNX model: its protobuf encoding is broken (${(e as Error)?.message ?? String(e)}); truncated or not an .onnx file?`);
  }
  try {
    if (!m.graph) bad('the file holds no graph (not an ONNX model?)');
    const opsets: Record<string, number> = {};
    for (const o of m.opsetImport) {
      const domain = o.domain === 'ai.onnx' ? '' : o.domain;
      if (o.version < 1n || o.version > 2147483647n) bad(`opset_import gives domain ${quote(domain)} version ${o.version}`);
      put(opsets, domain, Number(o.version));
    }
    if (!Object.hasOwn(opsets, '')) bad('opset_import declares no version of the default operator set (domain \'\' or \'ai.onnx\')');
    const walk: Walk = { nodes: [], graphs: {} };
    const main = readGraph(m.graph, '', null, walk);
    return {
      opset: opsets[''], opsets, irVersion: int64(m.irVersion),
      producer: m.producerName, producerVersion: m.producerVersion,
      inputs: main.inputs, outputs: main.outputs, initializers: main.initializers,
      nodes: walk.nodes, graphs: walk.graphs,
    };
  } catch (e) {
    if (e instanceof RnnError) throw e;
    // Anything else is a bug or an exhausted engine (stack, memory) on a hostile file.
    throw new RnnError('BAD_FILE', `readOnnx: the file could not be read (${(e as Error)?.message ?? String(e)})`, { cause: e });
  }
}
