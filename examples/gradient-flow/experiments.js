// The gradient-flow experiments: numbers only (run.js prints them and draws the charts;
// test/gradient-flow.test.ts asserts their qualitative facts). Every run is seeded.
//
// 1. vanishing(): a loss on the last step of T = 100; ||dL/dh(t)|| for every t. A vanilla RNN
//    loses the gradient geometrically; so do the gated cells while their gates sit near 0.5
//    (PyTorch's initialisation); with their gates open (LSTM forget bias 3, GRU update-gate
//    bias 3) or without a forget gate (1997 LSTM, the bare carousel) it is kept.
// 2. exploding(): the same RNN with its recurrent weights scaled up: the gradient grows
//    towards t = 0; training on the adding problem diverges with plain SGD and trains with
//    clipGradNorm.
// 3. initialisations(): IRNN (relu, W_hh = I, Le et al. 2015), tanh with orthogonal W_hh
//    (Saxe et al. 2014) and PyTorch's default, compared on the gradient flow at init.
import { CEC, GRU, LSTM, Linear, RNN, Random, SGD, clipGradNorm, init, mse } from 'simd-rnn';

export const T = 100, B = 16, D = 8, H = 64;

function normals(seed, n) {
  const out = new Float32Array(n);
  new Random(seed).fillNormal(out);
  return out;
}

/** ||dL/dh(t)|| (and the spectrum) of a layer for a loss on its final state only. */
export function gradientFlow(layer, steps = T) {
  const x = { data: normals(1, steps * B * D), shape: [steps, B, D] };
  layer.forward(x, undefined, { train: true });
  layer.backward(null, { h: { data: normals(2, B * H), shape: [1, B, H] } });
  const [trace] = layer.gradientNorms();
  return { norms: Array.from(trace.h), spectrum: layer.recurrentSpectrum() };
}

/** Sets a block of a bias (gate index g of its G blocks) to v: gates opened by hand. */
function openGate(layer, g, v) {
  const dict = layer.stateDict();
  dict.bias_ih_l0.data.fill(v, g * H, (g + 1) * H);
  dict.bias_hh_l0.data.fill(0, g * H, (g + 1) * H);
  layer.loadStateDict(dict);
  return layer;
}

export async function vanishing() {
  await init();
  const o = { inputSize: D, hiddenSize: H, seed: 1 };
  const cells = [
    ['RNN (tanh)', new RNN(o)],
    ['LSTM', new LSTM(o)],
    ['LSTM, forget bias 3', new LSTM({ ...o, forgetBias: 3 })],
    ['LSTM without forget gate (1997)', new LSTM({ ...o, forgetGate: false })],
    ['GRU', new GRU(o)],
    ['GRU, update gate biased to keep (3)', openGate(new GRU(o), 1, 3)],
    ['CEC (bare carousel)', new CEC(o)],
  ];
  return cells.map(([name, layer]) => {
    const { norms } = gradientFlow(layer);
    layer.dispose();
    return { name, norms, ratio: norms[0] / norms[T - 1] };
  });
}

/** The adding problem (Hochreiter and Schmidhuber 1997): sum of the two marked numbers. */
export function addingBatch(random, steps, batch) {
  const x = new Float32Array(steps * batch * 2), y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const i = Math.floor(random.nextUnit() * (steps / 2)), j = Math.floor(steps / 2 + random.nextUnit() * (steps / 2));
    for (let t = 0; t < steps; t++) {
      const v = random.nextUnit();
      x[(t * batch + b) * 2] = v;
      if (t === i || t === j) { x[(t * batch + b) * 2 + 1] = 1; y[b] += v; }
    }
  }
  return { x: { data: x, shape: [steps, batch, 2] }, y: { data: y, shape: [batch, 1] } };
}

/**
 * Trains an RNN + Linear head on the adding problem with SGD (a step skipped when its
 * gradient is not finite), returning the loss and the gradient norm (before clipping) per
 * step, and the test MSE at the end (always answering 1 gives about 0.167). A run whose
 * parameters or activations overflow stops there (`divergedAt`): the library refuses
 * non-finite values with NOT_FINITE instead of training on garbage.
 */
export function trainAdding(make, { steps = 50, iterations = 300, lr = 0.05, clip = 0, seed = 7 } = {}) {
  const rnn = make(), head = new Linear({ inFeatures: rnn.spec.hOut, outFeatures: 1, seed });
  const model = [rnn, head], opt = new SGD(model, { lr, momentum: 0.9, nonFinite: 'skip' });
  const random = new Random(seed), losses = [], gradNorms = [];
  const run = (batch, train) => {
    const { h } = rnn.forward(batch.x, undefined, { train });
    const last = { data: h.data, shape: [h.shape[1], h.shape[2]] };
    return { last, pred: head.forward(last, { train }) };
  };
  let divergedAt = -1;
  for (let it = 0; it < iterations && divergedAt < 0; it++) {
    const batch = addingBatch(random, steps, 32);
    rnn.zeroGrad(); head.zeroGrad();
    try {
      const { pred } = run(batch, true);
      const { loss, grad } = mse(pred, batch.y);
      const { dx } = head.backward(grad);
      rnn.backward(null, { h: { data: dx.data, shape: [1, ...dx.shape] } });
      let norm = 0;
      for (const m of model) for (const g of Object.values(m.grads())) for (const v of g.data) norm += v * v;
      norm = Math.sqrt(norm);
      if (clip > 0 && Number.isFinite(norm)) clipGradNorm(model, clip);
      opt.step();
      losses.push(loss);
      gradNorms.push(norm);
    } catch (e) {
      if (e.code !== 'NOT_FINITE') throw e;
      divergedAt = it;
    }
  }
  let testMse = NaN;
  if (divergedAt < 0) {
    const test = addingBatch(new Random(seed + 1000), steps, 256);
    testMse = mse(run(test, false).pred, test.y).loss;
  }
  rnn.dispose(); head.dispose();
  return { losses, gradNorms, testMse, divergedAt };
}

export async function exploding() {
  await init();
  // PyTorch's initialisation with W_hh times 3: sigma_max about 3.3 > 1 / gamma = 1
  const scaled = (inputSize) => {
    const rnn = new RNN({ inputSize, hiddenSize: H, seed: 1 });
    const dict = rnn.stateDict();
    dict.weight_hh_l0.data.forEach((v, i, a) => (a[i] = v * 3));
    rnn.loadStateDict(dict);
    return rnn;
  };
  const probe = scaled(D);
  const flow = gradientFlow(probe);
  probe.dispose();
  return {
    norms: flow.norms, sigmaMax: flow.spectrum[0].sigmaMax, ratio: flow.norms[0] / flow.norms[T - 1],
    plain: trainAdding(() => scaled(2), { clip: 0 }),
    clipped: trainAdding(() => scaled(2), { clip: 1 }),
  };
}

export async function initialisations() {
  await init();
  const schemes = [
    ['IRNN (relu, W_hh = I)', new RNN({ inputSize: D, hiddenSize: H, nonlinearity: 'relu', init: 'identity', seed: 1 })],
    ['tanh, orthogonal W_hh', new RNN({ inputSize: D, hiddenSize: H, init: 'orthogonal', seed: 1 })],
    ['tanh, PyTorch default', new RNN({ inputSize: D, hiddenSize: H, seed: 1 })],
  ];
  return schemes.map(([name, layer]) => {
    const { norms, spectrum } = gradientFlow(layer);
    layer.dispose();
    return { name, norms, sigmaMax: spectrum[0].sigmaMax, regime: spectrum[0].regime, ratio: norms[0] / norms[T - 1] };
  });
}
