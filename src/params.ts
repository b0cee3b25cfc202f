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
  /**
   * Whether the owner still holds this memory; false once it was disposed (the addresses may
   * then belong to another module). Every consumer asks through `checkAlive` before it
   * touches memory.
   */
  readonly alive: () => boolean;
  /** What owns the buffer, for messages ('Linear', 'LSTM', ...). */
  readonly owner: string;
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
  return checkAlive((model as Trainable).paramBuffers(), what);
}

/**
 * The buffers, or DISPOSED when any owner was disposed since they were listed: nothing may
 * then touch any of them (a disposed module's memory may hold another module's parameters).
 */
export function checkAlive(buffers: ParamBuffer[], what: string): ParamBuffer[] {
  const dead = buffers.find((b) => !b.alive());
  if (dead) throw new RnnError('DISPOSED', `${what}: a ${dead.owner} whose parameters this uses was disposed`);
  return buffers;
}

/** Number of NaN or +-Infinity gradients over all buffers. */
export function countNonFiniteGrads(buffers: ParamBuffer[]): number {
  let n = 0;
  for (const b of buffers) n += b.backend.kernels.f32_count_nonfinite(b.grad, b.length);
  return n;
}
