/**
 * Tensors: row-major float32 data with a shape. Arrays handed back to callers are theirs
 * (copies) unless a function says it returns a view.
 */
import { RnnError, describe } from './errors.js';

/**
 * A row-major float32 array and its shape: element (i, j, k) of a [I, J, K] tensor is
 * `data[(i * J + j) * K + k]`, and `data.length` is the product of `shape`. Any object of
 * this form is a tensor; `tensor()` builds one with checks.
 */
export interface Tensor {
  /** The elements, row-major (last axis fastest). */
  data: Float32Array;
  /** The size of each axis, outermost first. */
  shape: number[];
}

/** The number of elements a shape holds; throws BAD_ARGUMENT for a bad dimension. */
export function shapeSize(shape: readonly number[], what: string): number {
  if (!Array.isArray(shape)) throw new RnnError('BAD_ARGUMENT', `${what}: shape must be an array of integers, got ${describe(shape)}`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RnnError('BAD_ARGUMENT', `${what}: shape [${shape.join(', ')}] must hold non-negative integers, got ${describe(d)}`);
    }
    n *= d;
  }
  return n;
}

/**
 * A tensor over `data` (a Float32Array, kept as is, or an array of numbers, copied).
 * Throws SHAPE_MISMATCH when the length does not match the shape; other typed arrays are
 * refused (BAD_ARGUMENT) so that no float64 data is rounded without the caller saying so.
 * Plain JavaScript: needs no `init()`.
 */
export function tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor {
  const n = shapeSize(shape, 'tensor');
  let f32: Float32Array;
  if (data instanceof Float32Array) f32 = data;
  else if (Array.isArray(data)) {
    const bad = data.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new RnnError('BAD_ARGUMENT', `tensor: data[${bad}] must be a number, got ${describe(data[bad])}`);
    f32 = Float32Array.from(data as number[]);
  }
  else {
    throw new RnnError('BAD_ARGUMENT', `tensor: data must be a Float32Array or an array of numbers, got ${describe(data)}${ArrayBuffer.isView(data) ? ' (convert it with Float32Array.from)' : ''}`);
  }
  if (f32.length !== n) {
    throw new RnnError('SHAPE_MISMATCH', `tensor: data has ${f32.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  }
  return { data: f32, shape: [...shape] };
}
