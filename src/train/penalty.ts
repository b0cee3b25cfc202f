/**
 * Weight penalties added to a loss: each returns the penalty's value and ADDS its gradient
 * into the model's gradients (call it after backward, before clipping and the step).
 *   l1Penalty: lambda * sum |p|,  gradient lambda * sign(p)   (sign(0) = 0)
 *   l2Penalty: lambda * sum p^2,  gradient 2 lambda p
 * Unlike weightDecay in the optimizers, these act through the gradient of the loss, so they
 * are clipped with it and seen by Adam's moments, as a penalty term in PyTorch's loss would be.
 */
import { RnnError, describe } from '../errors.js';
import { f32Index } from '../layout.js';
import { buffersOf } from '../params.js';

function lambdaOf(lambda: number, what: string): number {
  if (typeof lambda !== 'number' || !(lambda >= 0) || !Number.isFinite(lambda)) throw new RnnError('BAD_ARGUMENT', `${what}: lambda must be a number >= 0, got ${describe(lambda)}`);
  return lambda;
}

/**
 * The L2 penalty lambda * sum p^2 over every parameter of `model`; ADDS its gradient 2 lambda p
 * into the model's gradients and returns the penalty (add it to the loss you report). Call it
 * after backward, before clipping and the step.
 */
export function l2Penalty(model: unknown, lambda: number): number {
  const buffers = buffersOf(model, 'l2Penalty'), l = lambdaOf(lambda, 'l2Penalty');
  let sum = 0;
  for (const b of buffers) {
    sum += b.backend.kernels.f32_sumsq(b.param, b.length);
    b.backend.kernels.f32_axpy(b.grad, 2 * l, b.param, b.length);
  }
  return l * sum;
}

/**
 * The L1 penalty lambda * sum |p| over every parameter of `model`; ADDS its gradient
 * lambda * sign(p) (sign(0) = 0) into the model's gradients and returns the penalty. Call it
 * after backward, before clipping and the step.
 */
export function l1Penalty(model: unknown, lambda: number): number {
  const buffers = buffersOf(model, 'l1Penalty'), l = lambdaOf(lambda, 'l1Penalty');
  let sum = 0;
  for (const b of buffers) {
    const heap = b.backend.arena.f32, p = f32Index(b.param), g = f32Index(b.grad);
    for (let i = 0; i < b.length; i++) {
      const v = heap[p + i];
      sum += Math.abs(v);
      heap[g + i] += v > 0 ? l : v < 0 ? -l : 0;
    }
  }
  return l * sum;
}
