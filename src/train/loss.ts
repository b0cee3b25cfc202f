/**
 * Losses as torch.nn.functional.cross_entropy and mse_loss; each returns the loss and its
 * gradient with respect to the first argument, ready for a layer's backward. Accumulated in
 * float64: the reductions are exact to float32 rounding of the result.
 *
 * crossEntropy(logits [..., C], targets): per row r with target t (rows ignored where
 * t === ignoreIndex): loss_r = logsumexp(x_r) - x_r[t], grad_r = softmax(x_r) - onehot(t).
 * 'mean' divides by the number of rows not ignored (0 rows: NaN loss and zero gradient, as
 * in PyTorch); 'sum' does not. The log-sum-exp subtracts the row maximum first.
 */
import { RnnError, describe } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkOptions, checkShape, checkTensor } from '../checks.js';

/** A loss and its gradient, as `crossEntropy` and `mse` return them. */
export interface LossResult {
  /** The loss, rounded to float32. */
  loss: number;
  /** The gradient of the loss with respect to the first argument, shaped as it. */
  grad: Tensor;
}
/** @inline */
type Reduction = 'mean' | 'sum';

function reductionOf(options: { reduction?: unknown } | undefined, what: string, known: readonly string[]): Reduction {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new RnnError('BAD_ARGUMENT', `${what}: options must be an object { ${known.join('?, ')}? }, got ${describe(options)}`);
  }
  checkOptions(options, known, `${what}: options`);
  const r = options?.reduction === undefined ? 'mean' : options.reduction;
  if (r !== 'mean' && r !== 'sum') throw new RnnError('BAD_ARGUMENT', `${what}: reduction must be 'mean' or 'sum', got ${describe(r)}`);
  return r;
}

/**
 * torch.nn.functional.cross_entropy over the last axis: logits [..., C], one target class per
 * row (rows whose target is `ignoreIndex`, default -100, take no loss). Per row,
 * loss = logsumexp(x) - x[t] and grad = softmax(x) - onehot(t). `reduction` 'mean' (default)
 * divides by the rows not ignored (none: a NaN loss and a zero gradient, as in PyTorch);
 * 'sum' does not.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array | ArrayLike<number>,
  options?: { ignoreIndex?: number; reduction?: Reduction }): LossResult {
  const what = 'crossEntropy';
  const x = checkTensor(logits, `${what}: logits`);
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] < 1) {
    throw new RnnError('SHAPE_MISMATCH', `${what}: logits must be [..., C] with C >= 1, got [${x.shape.join(', ')}]`);
  }
  const C = x.shape[x.shape.length - 1], rows = x.data.length / C;
  const reduction = reductionOf(options, what, ['ignoreIndex', 'reduction']);
  const ignore = options?.ignoreIndex === undefined ? -100 : options.ignoreIndex;
  if (!Number.isInteger(ignore)) throw new RnnError('BAD_ARGUMENT', `${what}: ignoreIndex must be an integer, got ${describe(ignore)}`);
  if (typeof targets !== 'object' || targets === null || typeof targets.length !== 'number') {
    throw new RnnError('BAD_ARGUMENT', `${what}: targets must be an Int32Array or an array of class indices, got ${describe(targets)}`);
  }
  if (targets.length !== rows) throw new RnnError('SHAPE_MISMATCH', `${what}: targets must have one class per row of logits (${rows}), got ${targets.length}`);
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t !== ignore && !(Number.isInteger(t) && t >= 0 && t < C)) {
      throw new RnnError('BAD_ARGUMENT', `${what}: targets[${r}] must be a class from 0 to ${C - 1} (or ignoreIndex ${ignore}), got ${describe(t)}`);
    }
  }
  checkFinite(x.data, `${what}: logits`);

  // One pass per row: exp(x - max) goes into grad, then the row is normalised and scaled.
  const grad = new Float32Array(x.data.length);
  const rowSum = new Float64Array(rows);
  let total = 0, counted = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignore) continue;
    const o = r * C;
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, x.data[o + j]);
    let s = 0;
    for (let j = 0; j < C; j++) { const e = Math.exp(x.data[o + j] - m); grad[o + j] = e; s += e; }
    total += m + Math.log(s) - x.data[o + t];
    rowSum[r] = s;
    counted++;
  }
  const scale = reduction === 'mean' ? (counted > 0 ? 1 / counted : 0) : 1;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignore) continue;
    const o = r * C, k = scale / rowSum[r];
    for (let j = 0; j < C; j++) grad[o + j] *= k;
    grad[o + t] -= scale;
  }
  const loss = reduction === 'mean' ? (counted > 0 ? total / counted : NaN) : total;
  return { loss: Math.fround(loss), grad: { data: grad, shape: [...x.shape] } };
}

/**
 * torch.nn.functional.mse_loss: the squared error between `pred` and `target` (the same
 * shape), averaged over every element (`reduction` 'mean', the default) or summed ('sum').
 */
export function mse(pred: Tensor, target: Tensor, options?: { reduction?: Reduction }): LossResult {
  const what = 'mse';
  const p = checkTensor(pred, `${what}: pred`), t = checkTensor(target, `${what}: target`);
  checkShape(t.shape, p.shape, `${what}: target`);
  const reduction = reductionOf(options, what, ['reduction']);
  checkFinite(p.data, `${what}: pred`);
  checkFinite(t.data, `${what}: target`);
  const n = p.data.length, scale = reduction === 'mean' ? 1 / n : 1;
  const grad = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = p.data[i] - t.data[i];
    total += d * d;
    grad[i] = 2 * d * scale;
  }
  return { loss: Math.fround(reduction === 'mean' ? total / n : total), grad: { data: grad, shape: [...p.shape] } };
}
