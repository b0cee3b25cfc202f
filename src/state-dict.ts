/**
 * The one strict check behind every loadStateDict, PyTorch's default `strict=True` plus
 * finiteness: the dict is an object, it has no key the module does not expect and every key
 * it does (BAD_ARGUMENT), each value is a Tensor of exactly the expected shape or a bare
 * Float32Array of the expected size (SHAPE_MISMATCH), and every value is finite (NOT_FINITE).
 * It only reads: a module writes the values it returns, so a rejected dict changes nothing.
 */
import { checkFinite, checkShape, checkTensor } from './checks.js';
import { RnnError, describe } from './errors.js';
import type { Tensor } from './tensor.js';

/** Keys listed in full in an "unexpected keys" message before the list is cut short. */
const LISTED = 12;

const list = (keys: readonly string[]) => (keys.length <= LISTED ? keys.join(', ') : `${keys.slice(0, LISTED).join(', ')}, ... (${keys.length} in all)`);

/**
 * One value of a state dict: a Tensor of exactly `shape`, or a bare Float32Array of its
 * size; finite. Returns its data (not a copy).
 */
export function checkStateValue(value: unknown, shape: readonly number[], what: string): Float32Array {
  let data: Float32Array;
  if (value instanceof Float32Array) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (value.length !== n) throw new RnnError('SHAPE_MISMATCH', `${what} must have ${n} elements ([${shape.join(', ')}]), got ${value.length}`);
    data = value;
  } else {
    const t = checkTensor(value, what);
    checkShape(t.shape, shape, what);
    data = t.data;
  }
  checkFinite(data, what);
  return data;
}

/**
 * A whole state dict against the names and shapes a module expects (`expected`, in the
 * module's order). Returns every value's data by name, in that order; throws before anything
 * is returned if any part is wrong. `what` names the caller ('Linear.loadStateDict').
 */
export function checkStateDict(dict: unknown, expected: Readonly<Record<string, readonly number[]>>, what: string): Record<string, Float32Array> {
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
    throw new RnnError('BAD_ARGUMENT', `${what}: dict must be an object of tensors, got ${describe(dict)}`);
  }
  const given = dict as Record<string, Tensor | Float32Array | undefined>, keys = Object.keys(expected);
  const unknown = Object.keys(given).filter((key) => !Object.hasOwn(expected, key));
  if (unknown.length) throw new RnnError('BAD_ARGUMENT', `${what}: unexpected keys ${list(unknown)} (expected ${list(keys)})`);
  const values: Record<string, Float32Array> = {};
  for (const key of keys) {
    const shape = expected[key], v = given[key];
    if (v === undefined) throw new RnnError('BAD_ARGUMENT', `${what}: missing key ${key} (shape [${shape.join(', ')}])`);
    values[key] = checkStateValue(v, shape, `${what}: ${key}`);
  }
  return values;
}
