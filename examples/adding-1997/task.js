// The adding problem as Hochreiter & Schmidhuber ran it (1997, Neural Computation 9(8),
// section 5.4, Experiment 4), and the training loop that measures a recipe on it.
//
// A sequence of L steps, L uniform in T .. T + T/10; each step is a pair (value, marker):
//   value  uniform in [-1, 1];
//   marker 1 at the two marked steps, -1 at the first and the last step (unless the first is
//          marked), 0 elsewhere.
// The first marked step is one of the first 10, the second one of the first T/2 - 1 steps
// still unmarked. When step 1 is marked its value is set to 0 (the paper's "X1 = 0").
// Target at the last step: 0.5 + (X1 + X2) / 4. A sequence is right when |error| < 0.04.
import { Adam, GRU, LSTM, Linear, Random, clipGradNorm, mse } from 'simd-rnn';

// the package build this example runs on, for whoever imports it (its test) to init that one
export { Random, init } from 'simd-rnn';

export const T = 100;
/** The paper's budget: training sequences the 1997 LSTM needed at T = 100. */
export const BUDGET = 74000;
export const TEST_SIZE = 2560;
export const TOLERANCE = 0.04;
/** Reached: at most this many of the TEST_SIZE held-out sequences wrong (the paper's result at T = 100). */
export const MAX_WRONG = 1;

/** One sequence: { length, x: Float32Array [length, 2], y, marks: [first, second] }. */
export function addingSequence(random, t = T) {
  const length = t + Math.floor(random.nextUnit() * (Math.floor(t / 10) + 1));
  const x = new Float32Array(length * 2);
  for (let s = 0; s < length; s++) x[2 * s] = 2 * random.nextUnit() - 1;
  x[1] = -1;
  x[2 * length - 1] = -1;
  const first = Math.floor(random.nextUnit() * 10);
  const k = Math.floor(random.nextUnit() * (Math.floor(t / 2) - 1)); // the k-th unmarked step
  const second = k < first ? k : k + 1;
  let sum = 0;
  for (const m of [first, second]) {
    if (m === 0) x[0] = 0;
    x[2 * m + 1] = 1;
    sum += x[2 * m];
  }
  return { length, x, y: 0.5 + sum / 4, marks: [first, second] };
}

/** N sequences as a batch: x [Lmax, N, 2] time-major, zero-padded, lengths and targets [N, 1]. */
export function addingBatch(random, n, t = T) {
  const seqs = Array.from({ length: n }, () => addingSequence(random, t));
  const steps = Math.max(...seqs.map((s) => s.length));
  const x = new Float32Array(steps * n * 2), y = new Float32Array(n), lengths = new Int32Array(n);
  seqs.forEach((s, b) => {
    for (let i = 0; i < s.length; i++) x.set(s.x.subarray(2 * i, 2 * i + 2), (i * n + b) * 2);
    y[b] = s.y;
    lengths[b] = s.length;
  });
  return { x: { data: x, shape: [steps, n, 2] }, y: { data: y, shape: [n, 1] }, lengths };
}

const LAYERS = { LSTM, GRU };
const OPTIMIZERS = { Adam };

/** The layer, head and optimizer of a recipe (recipe.json's form); `seed` seeds the weights. */
export function buildModel(recipe, seed) {
  const { type, ...options } = recipe.layer;
  const Layer = LAYERS[type], Optimizer = OPTIMIZERS[recipe.optimizer.type];
  if (!Layer) throw new Error(`recipe: layer.type must be one of ${Object.keys(LAYERS).join(', ')}, got ${type}`);
  if (!Optimizer) throw new Error(`recipe: optimizer.type must be one of ${Object.keys(OPTIMIZERS).join(', ')}, got ${recipe.optimizer.type}`);
  if (recipe.schedule !== null && recipe.schedule !== undefined) throw new Error('recipe: schedules are not supported here yet; set "schedule": null');
  const rnn = new Layer({ inputSize: 2, ...options, seed });
  const head = new Linear({ inFeatures: rnn.spec.hOut, outFeatures: 1, seed: seed + 100 });
  const { type: _, ...optOptions } = recipe.optimizer;
  const optimizer = new Optimizer([rnn, head], optOptions);
  return { rnn, head, optimizer, dispose: () => { rnn.dispose(); head.dispose(); } };
}

function predict(rnn, head, batch, train) {
  const { h } = rnn.forward(batch.x, undefined, { train, lengths: batch.lengths });
  const last = { data: h.data.subarray(h.data.length - h.shape[1] * h.shape[2]), shape: [h.shape[1], h.shape[2]] };
  return head.forward(last, { train });
}

/** Wrong answers (|error| >= TOLERANCE) of the model on a batch. */
export function countWrong(rnn, head, batch) {
  const pred = predict(rnn, head, batch, false);
  let wrong = 0;
  for (let b = 0; b < batch.y.data.length; b++) wrong += +!(Math.abs(pred.data[b] - batch.y.data[b]) < TOLERANCE);
  return wrong;
}

/**
 * Trains a recipe from seed `seed` (weights from `seed`, training data from Random(1000 +
 * seed), the held-out test set of TEST_SIZE from Random(2000 + seed)) for at most `budget`
 * training sequences, testing every `evalEvery`. Returns the training sequences seen when
 * the test set first had at most MAX_WRONG wrong (null if never), the wrong count at the
 * end (the reaching point, or the budget), and the test history.
 */
export function trainRecipe(recipe, seed, { budget = BUDGET, evalEvery = 1000, onEval } = {}) {
  const { rnn, head, optimizer, dispose } = buildModel(recipe, seed);
  const data = new Random(1000 + seed), test = addingBatch(new Random(2000 + seed), TEST_SIZE);
  const B = recipe.batch, history = [];
  let seen = 0, reachedAt = null, wrong = TEST_SIZE, nextEval = evalEvery, loss = NaN;
  try {
    while (seen + B <= budget) {
      const batch = addingBatch(data, B);
      rnn.zeroGrad(); head.zeroGrad();
      const pred = predict(rnn, head, batch, true);
      const l = mse(pred, batch.y);
      loss = l.loss;
      const { dx } = head.backward(l.grad);
      rnn.backward(null, { h: { data: dx.data, shape: [1, ...dx.shape] } });
      if (recipe.clipGradNorm) clipGradNorm([rnn, head], recipe.clipGradNorm);
      optimizer.step();
      seen += B;
      if (seen >= nextEval || seen + B > budget) {
        nextEval += evalEvery;
        wrong = countWrong(rnn, head, test);
        history.push({ seen, wrong, loss });
        onEval?.({ seen, wrong, loss });
        if (wrong <= MAX_WRONG) { reachedAt = seen; break; }
      }
    }
  } finally {
    dispose();
  }
  return { reachedAt, wrong, seen, history };
}
