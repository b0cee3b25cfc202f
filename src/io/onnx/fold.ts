/**
 * Constant folding for the importer: the value of every tensor of an ONNX model that is
 * computable from initializers and Constant nodes through the shape and gather operators
 * exporters put between them and a recurrent node (PyTorch's exporter reorders gate blocks
 * with Slice + Concat, sometimes inside If branches; others Reshape, Transpose, Cast, Gather).
 *
 * Values are Tensors with f32 data, row-major. Integer inputs (axes, shapes, indices) arrive
 * as f32 too (readOnnx converts every type), exact for the small integers they hold; the
 * int64 sentinels of Slice (+-2^63 - 1) stay beyond any dimension, which is all that matters.
 *
 * Semantics follow the ONNX operator specs (opsets 7 to 22): negative axes count from the
 * end, Slice clamps its bounds, Reshape's 0 copies a dimension and -1 is inferred.
 */
import { RnnError, describe } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { OnnxModel, OnnxNode } from './model.js';

/** A new array of n values for a fold's output, counted against the folding budget (see foldConstants). */
type Values = (node: OnnxNode, n: number) => Float32Array;
type Fold = (node: OnnxNode, inputs: (Tensor | undefined)[], opset: number, values: Values) => Tensor;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a shape, in elements. */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function fail(node: OnnxNode, why: string): never {
  throw new RnnError('BAD_FILE', `ONNX ${node.opType} node ${JSON.stringify(node.name)}: ${why}`);
}

/** An axis (negative counts from the end) checked against rank. */
function axisOf(node: OnnxNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** An INTS attribute, or undefined when absent; BAD_FILE when the file gave it another type. */
function intsAttribute(node: OnnxNode, attr: string): number[] | undefined {
  const a = node.attributes[attr];
  if (a === undefined) return undefined;
  if (!Array.isArray(a) || a.some((v) => typeof v !== 'number')) fail(node, `attribute ${attr} must be a list of ints, got ${describe(a)}`);
  return a as number[];
}

/** An integer list from an attribute or a constant input (opsets moved several attributes to inputs). */
function ints(node: OnnxNode, attr: string, input: Tensor | undefined): number[] | undefined {
  const a = node.attributes[attr];
  if (typeof a === 'number') return [a];
  return intsAttribute(node, attr) ?? (input ? Array.from(input.data) : undefined);
}

function required(node: OnnxNode, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (!t) fail(node, `input ${i} (${JSON.stringify(node.inputs[i] ?? '')}) is missing`);
  return t;
}

/** Gathers out[...] = data[map(index)] for every index of outShape. */
function remap(node: OnnxNode, values: Values, data: Float32Array, outShape: number[], source: (index: number[]) => number): Tensor {
  const out = values(node, size(outShape)), index = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    out[i] = data[source(index)];
    for (let k = outShape.length - 1; k >= 0; k--) { if (++index[k] < outShape[k]) break; index[k] = 0; }
  }
  return { data: out, shape: outShape };
}

const FOLDS: Record<string, Fold> = {
  Identity: (node, inputs) => required(node, inputs, 0),
  Constant(node) {
    const a = node.attributes;
    if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return a.value as Tensor;
    if (typeof a.value_float === 'number' || typeof a.value_int === 'number') return { data: Float32Array.of((a.value_float ?? a.value_int) as number), shape: [] };
    const list = (a.value_floats ?? a.value_ints) as number[] | undefined;
    if (Array.isArray(list)) return { data: Float32Array.from(list), shape: [list.length] };
    return fail(node, 'has no value this importer reads (value, value_float(s), value_int(s))');
  },
  Cast(node, inputs, _opset, values) {
    const x = required(node, inputs, 0), to = node.attributes.to;
    // TensorProto data types: FLOAT 1, DOUBLE 11 keep the f32 values; integer types truncate
    if (to === 1 || to === 11) return x;
    if ([2, 3, 4, 5, 6, 7, 12, 13].includes(to as number)) {
      const out = values(node, x.data.length);
      for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i]);
      return { data: out, shape: x.shape };
    }
    return fail(node, `casts to data type ${String(to)}, which the importer does not fold`);
  },
  Unsqueeze(node, inputs, opset) {
    const x = required(node, inputs, 0), axes = ints(node, 'axes', opset >= 13 ? inputs[1] : undefined);
    if (!axes) fail(node, 'has no axes');
    const rank = x.shape.length + axes.length, shape: number[] = [];
    const at = new Set(axes.map((a) => axisOf(node, a, rank)));
    for (let i = 0, j = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x.shape[j++]);
    return { data: x.data, shape };
  },
  Squeeze(node, inputs, opset) {
    const x = required(node, inputs, 0), axes = ints(node, 'axes', opset >= 13 ? inputs[1] : undefined);
    const drop = new Set(axes ? axes.map((a) => axisOf(node, a, x.shape.length)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    for (const a of drop) if (x.shape[a] !== 1) fail(node, `cannot squeeze axis ${a} of size ${x.shape[a]}`);
    return { data: x.data, shape: x.shape.filter((_, i) => !drop.has(i)) };
  },
  Reshape(node, inputs) {
    const x = required(node, inputs, 0), want = Array.from(required(node, inputs, 1).data);
    const allowZero = node.attributes.allowzero === 1;
    const shape = want.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1), free = shape.indexOf(-1);
    if (free >= 0) shape[free] = known > 0 ? size(x.shape) / known : 0;
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || size(shape) !== size(x.shape)) {
      fail(node, `cannot reshape [${x.shape.join(', ')}] to [${want.join(', ')}]`);
    }
    return { data: x.data, shape };
  },
  Transpose(node, inputs, _opset, values) {
    const x = required(node, inputs, 0), rank = x.shape.length;
    const perm = intsAttribute(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) fail(node, `perm [${perm.join(', ')}] does not fit rank ${rank}`);
    const st = strides(x.shape);
    return remap(node, values, x.data, perm.map((p) => x.shape[p]), (idx) => idx.reduce((o, v, i) => o + v * st[perm[i]], 0));
  },
  Concat(node, inputs, _opset, values) {
    const parts = inputs.map((_, i) => required(node, inputs, i));
    if (parts.length === 0) fail(node, 'has no inputs');
    const rank = parts[0].shape.length, axis = axisOf(node, node.attributes.axis as number, rank);
    for (const p of parts) {
      if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== parts[0].shape[i])) fail(node, 'inputs differ in shape off the axis');
    }
    const outer = size(parts[0].shape.slice(0, axis)), shape = [...parts[0].shape];
    shape[axis] = parts.reduce((a, p) => a + p.shape[axis], 0);
    const out = values(node, size(shape));
    let o = 0;
    for (let i = 0; i < outer; i++) {
      for (const p of parts) {
        const chunk = size(p.shape.slice(axis));
        out.set(p.data.subarray(i * chunk, (i + 1) * chunk), o);
        o += chunk;
      }
    }
    return { data: out, shape };
  },
  Slice(node, inputs, opset, values) {
    const x = required(node, inputs, 0), rank = x.shape.length;
    const starts = ints(node, 'starts', opset >= 10 ? inputs[1] : undefined), ends = ints(node, 'ends', opset >= 10 ? inputs[2] : undefined);
    if (!starts || !ends || starts.length !== ends.length) fail(node, 'needs starts and ends of one length');
    const axes = (opset >= 10 ? (inputs[3] && Array.from(inputs[3].data)) : intsAttribute(node, 'axes')) ?? starts.map((_, i) => i);
    const steps = (opset >= 10 && inputs[4] ? Array.from(inputs[4].data) : undefined) ?? starts.map(() => 1);
    const first = x.shape.map(() => 0), step = x.shape.map(() => 1), shape = [...x.shape];
    axes.forEach((axis, i) => {
      const a = axisOf(node, axis, rank), d = x.shape[a], s = steps[i];
      if (!Number.isInteger(s) || s === 0) fail(node, `step ${s} on axis ${a}`);
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
      const b = s > 0 ? clamp(starts[i], 0, d) : clamp(starts[i], -1, d - 1);
      const e = s > 0 ? clamp(ends[i], 0, d) : clamp(ends[i], -1, d - 1);
      first[a] = b; step[a] = s;
      shape[a] = Math.max(0, Math.ceil((e - b) / s));
    });
    const st = strides(x.shape);
    return remap(node, values, x.data, shape, (idx) => idx.reduce((o, v, i) => o + (first[i] + v * step[i]) * st[i], 0));
  },
  Gather(node, inputs, _opset, values) {
    const x = required(node, inputs, 0), indices = required(node, inputs, 1);
    const a = axisOf(node, (node.attributes.axis as number | undefined) ?? 0, x.shape.length), d = x.shape[a];
    const picks = Array.from(indices.data, (v) => (v < 0 ? v + d : v));
    if (picks.some((v) => !Number.isInteger(v) || v < 0 || v >= d)) fail(node, `an index is out of range for axis ${a} of size ${d}`);
    const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)], st = strides(x.shape), ir = indices.shape.length;
    const ist = strides(indices.shape);
    return remap(node, values, x.data, shape, (idx) => {
      let o = 0;
      for (let i = 0; i < a; i++) o += idx[i] * st[i];
      let flat = 0;
      for (let i = 0; i < ir; i++) flat += idx[a + i] * ist[i];
      o += picks[flat] * st[a];
      for (let i = a + 1; i < x.shape.length; i++) o += idx[i - 1 + ir] * st[i];
      return o;
    });
  },
};

/** The operators the importer folds. */
export const FOLDABLE: readonly string[] = Object.keys(FOLDS);

/**
 * Every tensor name of the model whose value is known without running it: initializers (of
 * every graph) and the outputs of foldable nodes whose inputs are all known, in node order
 * (ONNX lists each graph's nodes topologically; a subgraph may read its enclosing graph's).
 *
 * Folds that copy (Concat, Gather, Slice, Transpose, Cast) draw their outputs from a budget of
 * 4 values per value the file holds (initializers and attribute values) plus 65,536: exporters
 * need about 2 (PyTorch's gate reordering slices and concatenates each weight once), while a
 * file could otherwise ask for a value to be copied exponentially often (a Concat of a value
 * with itself, then of the result with itself, ...) and exhaust memory. Beyond it: BAD_FILE.
 */
export function foldConstants(model: OnnxModel, initializers: Record<string, Tensor>): Map<string, Tensor> {
  const known = new Map<string, Tensor>(Object.entries(initializers));
  const count = (v: unknown): number => (Array.isArray(v) ? v.reduce((n: number, x) => n + (typeof x === 'object' ? count(x) : 1), 0) : typeof v === 'object' && v !== null ? (v as Tensor).data.length : 1);
  let held = 0;
  for (const t of known.values()) held += t.data.length;
  for (const node of model.nodes) for (const v of Object.values(node.attributes)) held += count(v);
  const budget = 4 * held + 65536;
  let left = budget;
  const values: Values = (node, n) => {
    if (!(n <= left)) fail(node, `folds to ${n} values, beyond what constant folding may produce for this file (${budget} values in all: 4 per value the file holds, + 65536)`);
    left -= n;
    return new Float32Array(n);
  };
  for (const node of model.nodes) {
    const fold = FOLDS[node.opType];
    if (!fold) continue;
    const inputs = node.inputs.map((name) => (name === '' ? undefined : known.get(name)));
    if (node.inputs.some((name, i) => name !== '' && !inputs[i])) continue;
    const value = fold(node, inputs, model.opset, values);
    if (size(value.shape) !== value.data.length) fail(node, 'folds to a tensor whose data does not fit its shape');
    if (node.outputs[0]) known.set(node.outputs[0], value);
  }
  return known;
}
