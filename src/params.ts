/**
 * What optimizers and gradient clipping see of a model: flat f32 buffers of parameters and
 * their gradients in wasm memory. Every layer, and Sequential, lists its buffers; elementwise
 * updates and global norms do not care how a buffer is cut into named tensors (and padding
 * inside a buffer is zero in both, so it stays zero).
 */
import type { Backend } from './backend.js';
import { RnnError, describe } from './errors.js';

export interface ParamBuffer {
  /** Byte address of the parameters. */
  readonly param: number;
  /** Byte address of the gradients, same length. */
  readonly grad: number;
  /** Number of f32 elements. */
  readonly length: number;
  readonly backend: Backend;
}

export interface Trainable {
  paramBuffers(): ParamBuffer[];
}

/**
 * The buffers of a model, or of an array of models trained together (for example a
 * recurrent layer and the ScalarMix over its layers), or a clear error naming what came.
 */
export function buffersOf(model: unknown, what: string): ParamBuffer[] {
  if (Array.isArray(model)) return model.flatMap((m, i) => buffersOf(m, `${what}: model[${i}]`));
  if (typeof model !== 'object' || model === null || typeof (model as Trainable).paramBuffers !== 'function') {
    throw new RnnError('BAD_ARGUMENT', `${what}: model must be a layer or Sequential (something with parameters), got ${describe(model)}`);
  }
  return (model as Trainable).paramBuffers();
}

/** Number of NaN or +-Infinity gradients over all buffers. */
export function countNonFiniteGrads(buffers: ParamBuffer[]): number {
  let n = 0;
  for (const b of buffers) n += b.backend.kernels.f32_count_nonfinite(b.grad, b.length);
  return n;
}
