// The `reverse` option (ONNX's direction 'reverse'): the one direction runs from the last step
// back. Checked bit for bit two ways: against the forward layer on the time-reversed sequence
// (stacked layers included, forward and backward), and against the reverse half of a
// bidirectional layer with the same weights (variable lengths included).
import { beforeAll, describe, expect, test } from 'vitest';
import { CEC, GRU, LSTM, RNN, RnnError, init, type Tensor } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { randomArray, sameBits } from './helpers.js';

beforeAll(async () => { await init(); });

type Make = (o: Record<string, unknown>) => RecurrentLayer;
const CASES: [string, Make, Record<string, unknown>][] = [
  ['RNN', (o) => new RNN(o as never), {}],
  ['RNN relu, leaky, delays', (o) => new RNN(o as never), { nonlinearity: 'relu', tau: 2, delays: [1, 2] }],
  ['LSTM', (o) => new LSTM(o as never), {}],
  ['LSTM projection', (o) => new LSTM(o as never), { projSize: 3 }],
  ['LSTM peepholes, coupled, clip', (o) => new LSTM(o as never), { peepholes: true, coupled: true, cellClip: 0.5 }],
  ['LSTM gate recurrence', (o) => new LSTM(o as never), { gateRecurrence: true }],
  ['GRU', (o) => new GRU(o as never), {}],
  ['GRU reset before', (o) => new GRU(o as never), { resetAfter: false }],
  ['CEC', (o) => new CEC(o as never), {}],
];
const T = 6, B = 3, D = 4, H = 5;

const tensor = (seed: number, shape: number[]): Tensor => ({ data: Float32Array.from(randomArray(seed, shape.reduce((a, b) => a * b, 1))), shape });

/** [T, B, W] with the time axis reversed. */
function flip(t: Tensor): Tensor {
  const [steps, ...rest] = t.shape, row = rest.reduce((a, b) => a * b, 1), data = new Float32Array(t.data.length);
  for (let s = 0; s < steps; s++) data.set(t.data.subarray(s * row, (s + 1) * row), (steps - 1 - s) * row);
  return { data, shape: t.shape };
}

/** Columns [from, from + width) of the last axis. */
function columns(t: Tensor, from: number, width: number): Float32Array {
  const last = t.shape[t.shape.length - 1], rows = t.data.length / last, out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(t.data.subarray(r * last + from, r * last + from + width), r * width);
  return out;
}

/** Gradients equal bit for bit, or (tol > 0) within tol relative to the largest. */
function sameGrads(a: RecurrentLayer, b: RecurrentLayer, rename: (k: string) => string = (k) => k, tol = 0): void {
  const ga = a.grads(), gb = b.grads();
  for (const [k, v] of Object.entries(ga)) {
    const w = gb[rename(k)].data;
    if (tol === 0) { expect(sameBits(v.data, w), k).toBe(true); continue; }
    const scale = Math.max(1e-30, ...w.map(Math.abs));
    expect(Math.max(...v.data.map((x, i) => Math.abs(x - w[i]))) / scale, k).toBeLessThan(tol);
  }
}

describe.each(CASES)('%s with reverse: true', (_, make, variant) => {
  test('equals the forward layer on the reversed sequence, two layers, forward and backward', () => {
    const o = { inputSize: D, hiddenSize: H, numLayers: 2, seed: 11, ...variant };
    const rev = make({ ...o, reverse: true }), fwd = make(o);
    fwd.loadStateDict(rev.stateDict());
    const x = tensor(1, [T, B, D]);
    const r = rev.forward(x, undefined, { train: true }), f = fwd.forward(flip(x), undefined, { train: true });
    expect(sameBits(r.output.data, flip(f.output).data)).toBe(true);
    expect(sameBits(r.h.data, f.h.data)).toBe(true);
    const dOut = tensor(2, r.output.shape);
    const dr = rev.backward(dOut), df = fwd.backward(flip(dOut));
    expect(sameBits(dr.dx!.data, flip(df.dx!).data)).toBe(true);
    expect(sameBits(dr.dh0.data, df.dh0.data)).toBe(true);
    // weight gradients sum over the steps in the other order: equal up to rounding
    sameGrads(rev, fwd, undefined, 1e-5);
    expect(rev.config()).toMatchObject({ reverse: true });
    expect(fwd.config()).not.toHaveProperty('reverse');
    rev.dispose(); fwd.dispose();
  });

  test("equals a bidirectional layer's reverse half, with lengths", () => {
    const o = { inputSize: D, hiddenSize: H, seed: 12, ...variant };
    const bi = make({ ...o, bidirectional: true }), rev = make({ ...o, reverse: true });
    const dict = bi.stateDict();
    rev.loadStateDict(Object.fromEntries(Object.keys(rev.stateDict()).map((k) => [k, dict[k.replace('_l0', '_l0_reverse')]])));
    const x = tensor(3, [T, B, D]), lengths = [T, 2, 4], P = rev.spec.hOut;
    const rb = bi.forward(x, undefined, { train: true, lengths }), rr = rev.forward(x, undefined, { train: true, lengths });
    expect(sameBits(rr.output.data, columns(rb.output, P, P))).toBe(true);
    expect(sameBits(rr.h.data, rb.h.data.subarray(B * P))).toBe(true);
    // the gradient reaches the reverse half only; the forward half adds exact zeros
    const dRev = tensor(4, rr.output.shape), dBi = new Float32Array(rb.output.data.length);
    for (let i = 0; i < T * B; i++) dBi.set(dRev.data.subarray(i * P, (i + 1) * P), i * 2 * P + P);
    const gr = rev.backward(dRev), gb = bi.backward({ data: dBi, shape: rb.output.shape });
    expect(Math.max(...gr.dx!.data.map((v, i) => Math.abs(v - gb.dx!.data[i])))).toBe(0);
    sameGrads(rev, bi, (k) => k.replace('_l0', '_l0_reverse'));
    bi.dispose(); rev.dispose();
  });
});

test('reverse is refused with bidirectional and by stream()', () => {
  const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
  expect(code(() => new LSTM({ inputSize: 2, hiddenSize: 3, reverse: true, bidirectional: true }))).toBe('BAD_ARGUMENT');
  expect(code(() => new GRU({ inputSize: 2, hiddenSize: 3, reverse: 1 as never }))).toBe('BAD_ARGUMENT');
  const rev = new LSTM({ inputSize: 2, hiddenSize: 3, reverse: true });
  expect(code(() => rev.stream())).toBe('UNSUPPORTED');
});
