/**
 * Gradient clipping as torch.nn.utils.clip_grad_norm_ and clip_grad_value_.
 *
 * clipGradNorm: the global L2 norm over every gradient (accumulated in float64), and, when it
 * exceeds maxNorm, every gradient scaled by maxNorm / (norm + 1e-6). Returns the norm before
 * clipping. A non-finite norm is NOT_FINITE by default (nothing is scaled); with
 * { nonFinite: 'skip' } the gradients are left as they are and the norm is returned.
 */
import { checkOptions } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import { buffersOf } from '../params.js';

/**
 * torch.nn.utils.clip_grad_norm_: the global L2 norm over every gradient of `model` (a layer,
 * a Sequential, or an array of them trained together), accumulated in float64; when it
 * exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6). Returns the norm
 * before clipping. A non-finite norm throws NOT_FINITE and scales nothing, or with
 * `{ nonFinite: 'skip' }` leaves the gradients as they are and returns the norm.
 */
export function clipGradNorm(model: unknown, maxNorm: number, options?: { nonFinite?: 'throw' | 'skip' }): number {
  const buffers = buffersOf(model, 'clipGradNorm');
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new RnnError('BAD_ARGUMENT', `clipGradNorm: maxNorm must be a positive number, got ${describe(maxNorm)}`);
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new RnnError('BAD_ARGUMENT', `clipGradNorm: options must be an object { nonFinite? }, got ${describe(options)}`);
  checkOptions(options, ['nonFinite'], 'clipGradNorm: options');
  const mode = options?.nonFinite === undefined ? 'throw' : options.nonFinite;
  if (mode !== 'throw' && mode !== 'skip') throw new RnnError('BAD_ARGUMENT', `clipGradNorm: nonFinite must be 'throw' or 'skip', got ${describe(mode)}`);
  let sumsq = 0;
  for (const b of buffers) sumsq += b.backend.kernels.f32_sumsq(b.grad, b.length);
  const norm = Math.sqrt(sumsq);
  if (!Number.isFinite(norm)) {
    if (mode === 'skip') return norm;
    throw new RnnError('NOT_FINITE', `clipGradNorm: the gradient norm is ${norm}; nothing was scaled`);
  }
  // PyTorch computes the coefficient in float32 and always multiplies by min(coef, 1)
  const coef = Math.fround(maxNorm / (Math.fround(norm) + 1e-6));
  if (coef < 1) for (const b of buffers) b.backend.kernels.f32_scale(b.grad, b.grad, coef, b.length);
  return norm;
}

/** torch.nn.utils.clip_grad_value_: clamps every gradient of `model` to [-clipValue, clipValue]. */
export function clipGradValue(model: unknown, clipValue: number): void {
  const buffers = buffersOf(model, 'clipGradValue');
  if (typeof clipValue !== 'number' || !(clipValue >= 0) || !Number.isFinite(clipValue)) {
    throw new RnnError('BAD_ARGUMENT', `clipGradValue: clipValue must be a number >= 0, got ${describe(clipValue)}`);
  }
  for (const b of buffers) b.backend.kernels.f32_clamp(b.grad, b.grad, -clipValue, clipValue, b.length);
}
