// fit: truncated BPTT equals the same chunks run by hand (state carried, loss only on each
// chunk's last k1 steps, gradients through k2 steps); many-to-one targets with lengths;
// validation, early stopping, progress, seeded shuffling, bad options.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, GRU, LSTM, Linear, RnnError, SGD, Sequential, crossEntropy, fit, init, mse } from '../src/node.js';
import type { RecurrentState } from '../src/rnn/layer.js';
import { fitFrom } from '../src/train/fit.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const T = 6, N = 3, D = 2, C = 4;
const x = { data: Float32Array.from(randomArray(1, T * N * D)), shape: [T, N, D] };
const y = Int32Array.from({ length: T * N }, (_, i) => (i * 7) % C);
const makeModel = () => new Sequential([new LSTM({ inputSize: D, hiddenSize: 5, seed: 2 }), new Linear({ inFeatures: 5, outFeatures: C, seed: 2 })]);
const bits = (m: Sequential) => Object.values(m.stateDict()).flatMap((t) => Array.from(t.data));

/** Steps t0..t1 of every row, time-major. */
function steps(t0: number, t1: number) {
  return { data: x.data.slice(t0 * N * D, t1 * N * D), shape: [t1 - t0, N, D] };
}

describe('fit', () => {
  test.each([[2, 2], [2, 4], [3, 5], [6, 6]])('truncated BPTT k1=%i k2=%i equals the chunks run by hand', (k1, k2) => {
    const a = makeModel(), optA = new SGD(a, { lr: 0.5 });
    fit(a, { x, y }, { optimizer: optA, bptt: { k1, k2 }, shuffle: false });

    const b = makeModel(), optB = new SGD(b, { lr: 0.5 });
    const states = new Map<number, (RecurrentState | undefined)[]>([[0, []]]);
    for (let s = 0; s < T; s += k1) {
      const e = Math.min(T, s + k1), w = Math.max(0, e - k2), b0 = Math.floor(w / k1) * k1;
      let st = states.get(b0)!;
      if (w > b0) { b.forward(steps(b0, w), { initialStates: st }); st = b.finalStates(); }
      b.zeroGrad();
      const out = b.forward(steps(w, e), { train: true, initialStates: st });
      states.set(e, b.finalStates());
      const targets = Int32Array.from(y.slice(w * N, e * N), (c, i) => (w + Math.floor(i / N) >= s ? c : -100));
      b.backward(crossEntropy(out, targets).grad);
      optB.step();
    }
    expect(bits(a)).toEqual(bits(b));
  });

  test('many-to-one with lengths: the loss sits on each row\'s last valid step', () => {
    const lengths = [6, 2, 4];
    const target = { data: Float32Array.of(0.5, -1, 2), shape: [3, 1] };
    const a = new Sequential([new GRU({ inputSize: D, hiddenSize: 4, seed: 5 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 5 })]);
    const optA = new Adam(a, { lr: 0.01 });
    fit(a, { x, y: target, lengths }, { optimizer: optA, target: 'last', shuffle: false });
    const b = new Sequential([new GRU({ inputSize: D, hiddenSize: 4, seed: 5 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 5 })]);
    const optB = new Adam(b, { lr: 0.01 });
    b.zeroGrad();
    const out = b.forward(x, { train: true, lengths });
    const picked = Float32Array.from(lengths, (len, r) => out.data[(len - 1) * N + r]);
    const { grad } = mse({ data: picked, shape: [3, 1] }, target);
    const full = new Float32Array(out.data.length);
    lengths.forEach((len, r) => { full[(len - 1) * N + r] = grad.data[r]; });
    b.backward({ data: full, shape: out.shape });
    optB.step();
    expect(bits(a)).toEqual(bits(b));
  });

  test('learns, reports progress, validates, and stops early', () => {
    const model = makeModel();
    const seen: number[] = [];
    const r = fit(model, { x, y }, {
      optimizer: new Adam(model, { lr: 0.05 }), epochs: 40, batchSize: 2, seed: 9, clipNorm: 5,
      validation: { x, y },
      onProgress: (p) => { if (p.valLoss === undefined) { seen.push(p.loss); expect(p.gradNorm).toBeGreaterThanOrEqual(0); } },
    });
    expect(r.steps).toBe(40 * 2);
    expect(r.history[r.history.length - 1].valLoss!).toBeLessThan(r.history[0].valLoss! * 0.6);
    expect(seen.length).toBe(80);
    const stop = fit(model, { x, y }, { optimizer: new SGD(model, { lr: 1e-9 }), epochs: 50, earlyStopping: { patience: 2, minDelta: 1e-3 } });
    expect(stop.stoppedEarly).toBe(true);
    expect(stop.history.length).toBe(3);
    const halt = fit(model, { x, y }, { optimizer: new SGD(model, { lr: 1e-3 }), epochs: 5, onProgress: () => false });
    expect(halt.steps).toBe(1);
  });

  test('bad options are clear errors', () => {
    const model = makeModel(), optimizer = new SGD(model, { lr: 0.1 });
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
    expect(code(() => fit(model, { x, y }, {} as never))).toBe('BAD_ARGUMENT');
    expect(code(() => fit(model, { x, y: y.subarray(1) }, { optimizer }))).toBe('SHAPE_MISMATCH');
    expect(code(() => fit(model, { x, y }, { optimizer, bptt: { k1: 4, k2: 2 } }))).toBe('BAD_ARGUMENT');
    expect(code(() => fit(model, { x, y }, { optimizer, epochs: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => fit(model, { x, y }, { optimizer, clipNorm: -1 }))).toBe('BAD_ARGUMENT');
    expect(code(() => fit(model, { x, y, lengths: [1, 2, 3] }, { optimizer, bptt: { k1: 2 } }))).toBe('BAD_ARGUMENT');
    expect(code(() => fit({} as never, { x, y }, { optimizer }))).toBe('BAD_ARGUMENT');
  });
});

// fitFrom: the command steps through an epoch one update per call and continues saved runs
describe('fitFrom', () => {
  const CASES: [number, number][] = [[2, 2], [2, 5], [4, 6], [6, 6]];
  const options = (optimizer: SGD, k1: number, k2: number, onProgress?: () => boolean) => ({ optimizer, bptt: { k1, k2 }, batchSize: 2, shuffle: false, onProgress });

  test.each(CASES)('k1=%i k2=%i: one update per call equals one fit call (two batches)', (k1, k2) => {
    const a = makeModel(), optA = new SGD(a, { lr: 0.5 });
    const ran = fit(a, { x, y }, options(optA, k1, k2)).steps;
    const b = makeModel(), optB = new SGD(b, { lr: 0.5 }), boundaries = new Map<number, (RecurrentState | undefined)[]>();
    for (let update = 0; update < ran; update++) {
      // the data checked in full by the first call only, as the command does
      expect(fitFrom(b, { x, y }, options(optB, k1, k2, () => false), { update, boundaries, dataChecked: update > 0 }).steps).toBe(1);
    }
    expect(ran).toBe(2 * Math.ceil(T / k1));
    expect(bits(b)).toEqual(bits(a));
  });

  test.each(CASES)('k1=%i k2=%i: continued mid-batch in a fresh model from copies of the weights, optimizer and the boundaries it needs', (k1, k2) => {
    const a = makeModel(), optA = new SGD(a, { lr: 0.5, momentum: 0.9 });
    const ran = fit(a, { x, y }, options(optA, k1, k2)).steps;
    // stop after the first update of the second batch (or the first update when a batch is one chunk)
    const perBatch = Math.ceil(T / k1), stopAt = perBatch > 1 ? perBatch + 1 : 1;
    const b = makeModel(), optB = new SGD(b, { lr: 0.5, momentum: 0.9 }), boundaries = new Map<number, (RecurrentState | undefined)[]>();
    for (let update = 0; update < stopAt; update++) fitFrom(b, { x, y }, options(optB, k1, k2, () => false), { update, boundaries });
    const s0 = (stopAt % perBatch) * k1, from = Math.floor(Math.max(0, s0 + k1 - k2) / k1) * k1;
    const kept = new Map([...boundaries].filter(([step]) => step >= from && step <= s0));
    const c = makeModel(), optC = new SGD(c, { lr: 0.5, momentum: 0.9 });
    c.loadStateDict(b.stateDict());
    optC.loadStateDict(optB.stateDict());
    const rest = fitFrom(c, { x, y }, options(optC, k1, k2), { update: stopAt, boundaries: kept }).steps;
    expect(stopAt + rest).toBe(ran);
    expect(bits(c)).toEqual(bits(a));
    expect(optC.stateDict()).toEqual(optA.stateDict());
  });

  test('a start outside the epoch, or without the boundaries it needs, is BAD_ARGUMENT and changes nothing', () => {
    const model = makeModel(), optimizer = new SGD(model, { lr: 0.5 }), before = bits(model);
    const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as RnnError).code; } };
    expect(code(() => fitFrom(model, { x, y }, options(optimizer, 2, 4), { update: 6, boundaries: new Map() }))).toBe('BAD_ARGUMENT');
    expect(code(() => fitFrom(model, { x, y }, options(optimizer, 2, 4), { update: -1, boundaries: new Map() }))).toBe('BAD_ARGUMENT');
    expect(() => fitFrom(model, { x, y }, options(optimizer, 2, 4), { update: 2, boundaries: new Map([[4, []]]) })).toThrow(/start\.boundaries must hold the states at step 2/);
    expect(bits(model)).toEqual(before);
  });
});
