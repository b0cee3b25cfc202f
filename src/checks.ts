/**
 * Checking what callers hand in: tensors, shapes, finiteness, sequence lengths. Every public
 * entry runs these before it touches any state, so a bad argument changes nothing.
 */
import { RnnError, describe } from './errors.js';
import type { Tensor } from './tensor.js';

/** A Tensor-like argument: its data and shape, checked against each other. */
export function checkTensor(value: unknown, what: string): { data: Float32Array; shape: number[] } {
  if (typeof value !== 'object' || value === null || !('data' in value) || !('shape' in value)) {
    throw new RnnError('BAD_ARGUMENT', `${what} must be a tensor { data: Float32Array, shape }, got ${describe(value)}`);
  }
  const { data, shape } = value as Tensor;
  if (!(data instanceof Float32Array)) {
    throw new RnnError('BAD_ARGUMENT', `${what}.data must be a Float32Array, got ${describe(data)}${ArrayBuffer.isView(data) ? ' (convert it with Float32Array.from)' : ''}`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RnnError('BAD_ARGUMENT', `${what}.shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) {
    throw new RnnError('SHAPE_MISMATCH', `${what}: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
  return { data, shape };
}

export function checkShape(shape: readonly number[], want: readonly number[], what: string): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new RnnError('SHAPE_MISMATCH', `${what} must have shape [${want.join(', ')}], got [${shape.join(', ')}]`);
  }
}

export function checkFinite(data: Float32Array, what: string): void {
  // x * 0 is 0 for every finite x and NaN for NaN and +-Infinity: four branch-free sums
  // find out cheaply whether to look for the culprit at all.
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const n4 = data.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    a0 += data[i] * 0; a1 += data[i + 1] * 0; a2 += data[i + 2] * 0; a3 += data[i + 3] * 0;
  }
  for (let i = n4; i < data.length; i++) a0 += data[i] * 0;
  if (a0 + a1 + a2 + a3 === 0) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) throw new RnnError('NOT_FINITE', `${what} must be finite, got ${v} at index ${i}`);
  }
}

export function checkLengths(lengths: unknown, T: number, B: number, what: string): ArrayLike<number> {
  if (typeof lengths !== 'object' || lengths === null || typeof (lengths as ArrayLike<number>).length !== 'number') {
    throw new RnnError('BAD_ARGUMENT', `${what} must be an array of integers, got ${describe(lengths)}`);
  }
  const arr = lengths as ArrayLike<number>;
  if (arr.length !== B) throw new RnnError('SHAPE_MISMATCH', `${what} must have one length per batch row (${B}), got ${arr.length}`);
  for (let i = 0; i < B; i++) {
    const v = arr[i];
    if (!Number.isInteger(v) || v < 1 || v > T) {
      throw new RnnError('BAD_ARGUMENT', `${what}[${i}] must be an integer from 1 to T = ${T}, got ${describe(v)}`);
    }
  }
  return arr;
}

/**
 * Refuses an options object holding a key that is not one of `known` (a misspelled option
 * would otherwise be ignored silently): BAD_ARGUMENT naming the key and listing the valid
 * names. Anything but a plain object is left to the caller's own checks.
 */
export function checkOptions(options: unknown, known: readonly string[], what: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) return;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RnnError('BAD_ARGUMENT', `${what}: unknown option ${JSON.stringify(key)} (known: ${known.join(', ')})`);
    }
  }
}

/** An integer option >= min, or BAD_ARGUMENT naming it. */
export function checkInt(v: unknown, name: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RnnError('BAD_ARGUMENT', `${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

/** A boolean option, `fallback` when absent. */
export function checkFlag(v: unknown, name: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new RnnError('BAD_ARGUMENT', `${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A seed: an integer (any safe one: the generator keeps its low 32 bits), or BAD_ARGUMENT naming it. */
export function checkSeed(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RnnError('BAD_ARGUMENT', `${name} must be an integer, got ${describe(v)}`);
  return v;
}

/** A finite number option accepted by `ok`, described as `expected` in the error. */
export function checkNumber(v: unknown, name: string, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RnnError('BAD_ARGUMENT', `${name} must be ${expected}, got ${describe(v)}`);
  return v;
}
