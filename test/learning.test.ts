// The classic recurrent-net tasks are learned, not just computed: the adding problem (where
// an LSTM succeeds and a vanilla tanh RNN of the same size, trained the same way, does not),
// parity, and binary addition, the last two tested on sequences much longer than any seen in
// training. Weights are seeded (`seed`), data come from test/tasks.ts's own seeded generator,
// so every run does the same arithmetic; each test prints steps, time and its metrics.
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Adam, LSTM, Linear, RNN, init, type RecurrentLayer } from '../src/node.js';
import {
  Rng, additionBatch, addingBatch, classifyAccuracy, classifyLastStep, classifyStep,
  lastStepAccuracy, lastTargets, model, parityBatch, regressMse, regressStep, type Model,
} from './tasks.js';

beforeAll(async () => { await init(); });

const live: Model[] = [];
afterEach(() => { for (const m of live.splice(0)) { m.rnn.dispose(); m.head.dispose(); } });

/** A recurrent layer with H hidden units under a Linear head of `outputs`, both seeded. */
function build(rnn: RecurrentLayer, H: number, outputs: number, seed: number): Model {
  const m = model(rnn, new Linear({ inFeatures: H, outFeatures: outputs, seed }));
  live.push(m);
  return m;
}

/** Runs `steps` optimizer steps of `step`; returns the mean training loss of the last 100 and the time. */
function train(m: Model, lr: number, steps: number, step: () => number) {
  const opt = new Adam(m.all, { lr });
  const t0 = performance.now();
  let recent = 0;
  for (let s = 0; s < steps; s++) {
    const loss = step();
    opt.step();
    if (s >= steps - 100) recent += loss / 100;
  }
  opt.dispose();
  return { loss: recent, seconds: (performance.now() - t0) / 1000 };
}

const f = (x: number, digits = 4) => x.toFixed(digits);

describe('the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015), T = 50', () => {
  const T = 50, H = 32, B = 32, STEPS = 1200, LR = 1e-2, CLIP = 1;

  test('an LSTM learns it (test MSE < 0.01); a tanh RNN of the same size, trained the same way, does not', () => {
    const testSet = addingBatch(new Rng(1001), T, 1000);
    // the baseline that ignores the input: always answer the mean sum, 1
    let meanMse = 0;
    for (const y of testSet.y.data) meanMse += (y - 1) ** 2 / testSet.y.data.length;

    const results = (['LSTM', 'RNN'] as const).map((kind) => {
      const rnn = kind === 'LSTM' ? new LSTM({ inputSize: 2, hiddenSize: H, seed: 1 }) : new RNN({ inputSize: 2, hiddenSize: H, seed: 1 });
      const m = build(rnn, H, 1, 1);
      const data = new Rng(1);   // the same training sequences for both
      const run = train(m, LR, STEPS, () => regressStep(m, addingBatch(data, T, B), CLIP));
      const testMse = regressMse(m, testSet);
      console.log(`adding T=${T}: ${kind} H=${H} B=${B} Adam lr=${LR} clip=${CLIP}: ${STEPS} steps in ${f(run.seconds, 1)} s, ` +
        `train MSE (last 100 steps) ${f(run.loss)}, test MSE ${f(testMse)} (always-the-mean ${f(meanMse)})`);
      return { kind, testMse };
    });
    const [lstm, rnn] = results;
    expect(meanMse).toBeGreaterThan(0.15);
    expect(lstm.testMse).toBeLessThan(0.01);
    expect(rnn.testMse).toBeGreaterThan(0.1);   // measured: no better than answering the mean
    expect(rnn.testMse).toBeGreaterThan(20 * lstm.testMse);
  });
});

describe('parity: trained on lengths 1..10, tested on length 50', () => {
  const H = 16, B = 32, LR = 1e-2, CLIP = 1, MAX_LEN = 10;
  const trainLengths = (rng: Rng) => Array.from({ length: B }, () => 1 + rng.int(MAX_LEN));

  test('many-to-many (parity of the bits so far, at every step): >= 99% on length 50', () => {
    const STEPS = 500;
    const m = build(new LSTM({ inputSize: 1, hiddenSize: H, seed: 1 }), H, 2, 1);
    const data = new Rng(2);
    const run = train(m, LR, STEPS, () => classifyStep(m, parityBatch(data, trainLengths(data)), CLIP));
    const testRng = new Rng(1002);
    const short = classifyAccuracy(m, parityBatch(testRng, Array.from({ length: 1000 }, () => 1 + testRng.int(MAX_LEN))));
    const long = classifyAccuracy(m, parityBatch(testRng, new Array(1000).fill(50)));
    const veryLong = classifyAccuracy(m, parityBatch(testRng, new Array(100).fill(1000)));
    console.log(`parity many-to-many: LSTM H=${H} B=${B} Adam lr=${LR}, lengths 1..${MAX_LEN} (opts.lengths): ${STEPS} steps in ${f(run.seconds, 1)} s, ` +
      `train loss ${f(run.loss)}; lengths 1..10 steps right ${f(short.step)}; length 50 (1000 sequences): steps right ${f(long.step)}, ` +
      `last step ${f(long.last)}, whole sequences ${f(long.row)}; length 1000 (100 sequences): steps right ${f(veryLong.step)}, whole sequences ${f(veryLong.row)}`);
    expect(short.step).toBe(1);
    expect(long.step).toBeGreaterThanOrEqual(0.99);
    expect(long.last).toBeGreaterThanOrEqual(0.99);
  });

  test('many-to-one (parity of the whole sequence, from h_n only): >= 99% on length 50', () => {
    const STEPS = 800;
    const m = build(new LSTM({ inputSize: 1, hiddenSize: H, seed: 1 }), H, 2, 1);
    const data = new Rng(3);
    const run = train(m, LR, STEPS, () => {
      const batch = parityBatch(data, trainLengths(data));
      return classifyLastStep(m, batch, lastTargets(batch), CLIP);
    });
    const testRng = new Rng(1003);
    const shortSet = parityBatch(testRng, Array.from({ length: 1000 }, () => 1 + testRng.int(MAX_LEN)));
    const longSet = parityBatch(testRng, new Array(1000).fill(50));
    const veryLongSet = parityBatch(testRng, new Array(100).fill(1000));
    const short = lastStepAccuracy(m, shortSet, lastTargets(shortSet));
    const long = lastStepAccuracy(m, longSet, lastTargets(longSet));
    const veryLong = lastStepAccuracy(m, veryLongSet, lastTargets(veryLongSet));
    console.log(`parity many-to-one: LSTM H=${H} B=${B} Adam lr=${LR}, lengths 1..${MAX_LEN} (opts.lengths): ${STEPS} steps in ${f(run.seconds, 1)} s, ` +
      `train loss ${f(run.loss)}; accuracy on lengths 1..10 ${f(short)}, length 50 (1000 sequences) ${f(long)}, length 1000 (100 sequences) ${f(veryLong)}`);
    expect(short).toBe(1);
    expect(long).toBeGreaterThanOrEqual(0.99);
  });
});

describe('binary addition, least significant bit first: trained on 8-bit numbers, tested on 32-bit', () => {
  test('>= 99% of 32-bit sums exactly right (all 33 bits)', () => {
    const H = 16, B = 32, STEPS = 1500, LR = 1e-2, CLIP = 1;
    const m = build(new LSTM({ inputSize: 2, hiddenSize: H, seed: 1 }), H, 2, 1);
    const data = new Rng(4);
    const run = train(m, LR, STEPS, () => classifyStep(m, additionBatch(data, 8, B), CLIP));
    const testRng = new Rng(1004);
    const a8 = classifyAccuracy(m, additionBatch(testRng, 8, 1000));
    const a32 = classifyAccuracy(m, additionBatch(testRng, 32, 1000));
    const a128 = classifyAccuracy(m, additionBatch(testRng, 128, 1000));
    console.log(`binary addition: LSTM H=${H} B=${B} Adam lr=${LR}, 8-bit numbers: ${STEPS} steps in ${f(run.seconds, 1)} s, train loss ${f(run.loss)}; ` +
      `sums exactly right: 8-bit ${f(a8.row)}, 32-bit ${f(a32.row)} (bits right ${f(a32.step)}), 128-bit ${f(a128.row)} (bits right ${f(a128.step)}); 1000 sums each`);
    expect(a8.row).toBe(1);
    expect(a32.row).toBeGreaterThanOrEqual(0.99);
  });
});
