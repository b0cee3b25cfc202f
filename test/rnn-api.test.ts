// The recurrent layers' API around the numerics: streaming equals forward, state dicts,
// seeded initialisation, disposal, memory, and every kind of bad input (each a clear RnnError
// that leaves the layer working).
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, RnnError, init } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
function codeOf(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; }
  return 'no error';
}

const makers: [string, (o: object) => RecurrentLayer][] = [
  ['RNN', (o) => new RNN({ inputSize: 5, hiddenSize: 7, ...o })],
  ['LSTM', (o) => new LSTM({ inputSize: 5, hiddenSize: 7, ...o })],
  ['LSTM proj', (o) => new LSTM({ inputSize: 5, hiddenSize: 7, projSize: 3, ...o })],
  ['GRU', (o) => new GRU({ inputSize: 5, hiddenSize: 7, ...o })],
];

describe.each(makers)('%s', (_name, make) => {
  test('stream(batch) equals forward on the same sequence, and state get/set/reset work', () => {
    const layer = make({ numLayers: 2, seed: 3 });
    const T = 9, B = 2, D = 5;
    const x = f32(randomArray(11, T * B * D));
    const full = layer.forward({ data: x, shape: [T, B, D] });
    const stream = layer.stream(B);
    const P = full.output.shape[2];
    let last = new Float32Array(0);
    for (let t = 0; t < T; t++) {
      const h = stream.step({ data: x.subarray(t * B * D, (t + 1) * B * D), shape: [B, D] });
      expect(h.shape).toEqual([B, P]);
      const want = full.output.data.subarray(t * B * P, (t + 1) * B * P);
      for (let i = 0; i < want.length; i++) expect(Math.abs(h.data[i] - want[i])).toBeLessThanOrEqual(1e-6);
      last = h.data.slice();
    }
    const st = stream.state();
    for (let i = 0; i < st.h.data.length; i++) expect(Math.abs(st.h.data[i] - full.h.data[i])).toBeLessThanOrEqual(1e-6);
    if (full.c) for (let i = 0; i < st.c!.data.length; i++) expect(Math.abs(st.c!.data[i] - full.c.data[i])).toBeLessThanOrEqual(1e-6);
    // bare Float32Array input, state restore, reset
    const xt = x.subarray(0, B * D);
    const next = stream.step(xt).data.slice();
    stream.setState(st);
    expect(stream.step(xt).data).toEqual(next);
    stream.reset();
    const fromZero = stream.step(xt).data.slice();
    expect(fromZero).toEqual(full.output.data.slice(0, B * P));
    expect(last.length).toBe(B * P);
    // forward with the stream's state as initial state continues the sequence
    const cont = layer.forward({ data: x.subarray(0, B * D), shape: [1, B, D] }, st);
    expect(Array.from(cont.output.data)).toEqual(Array.from(next));
    layer.dispose();
  });

  test('a forward at B < 4 (recurrent weights packed in panels) gives, bit for bit, the rows of a forward at B = 4', () => {
    // H = 30: 4H and 3H are no multiples of the panel width 28, so the last panel is partial
    const variants: [string, (o: object) => RecurrentLayer][] = [
      ['default', make],
      ['GRU reset before', (o) => new GRU({ inputSize: 5, hiddenSize: 30, resetAfter: false, ...o })],
      ['GRU minimal', (o) => new GRU({ inputSize: 5, hiddenSize: 30, minimal: true, ...o })],
      ['LSTM peepholes', (o) => new LSTM({ inputSize: 5, hiddenSize: 30, peepholes: true, ...o })],
    ];
    for (const [what, build] of variants) {
      if (what !== 'default' && !_name.startsWith(what.split(' ')[0])) continue;
      const layer = build({ numLayers: 2, bidirectional: true, seed: 5 });
      const T = 6, D = 5, x = f32(randomArray(13, T * 4 * D));
      const all = layer.forward({ data: x, shape: [T, 4, D] });
      const P = all.output.shape[2];
      for (const B of [1, 2, 3]) {
        const xs = new Float32Array(T * B * D);
        for (let t = 0; t < T; t++) xs.set(x.subarray(t * 4 * D, t * 4 * D + B * D), t * B * D);
        const some = layer.forward({ data: xs, shape: [T, B, D] });
        for (let t = 0; t < T; t++) {
          expect(Array.from(some.output.data.subarray(t * B * P, (t + 1) * B * P)), `${what} B=${B} t=${t}`)
            .toEqual(Array.from(all.output.data.subarray(t * 4 * P, t * 4 * P + B * P)));
        }
      }
      layer.dispose();
    }
  });

  test('stateDict round-trips, seeds reproduce, and loadStateDict is strict and all-or-nothing', () => {
    const a = make({ seed: 42, bidirectional: true }), b = make({ seed: 42, bidirectional: true }), c = make({ seed: 43, bidirectional: true });
    const sa = a.stateDict(), sb = b.stateDict(), sc = c.stateDict();
    expect(Object.keys(sa)).toEqual(Object.keys(sb));
    for (const k of Object.keys(sa)) expect(sa[k].data).toEqual(sb[k].data);
    expect(sa.weight_ih_l0.data).not.toEqual(sc.weight_ih_l0.data);
    const bound = 1 / Math.sqrt(7);
    for (const t of Object.values(sa)) for (const v of t.data) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(sa.weight_ih_l0_reverse.shape[1]).toBe(5);

    c.loadStateDict(sa);
    for (const [k, v] of Object.entries(c.stateDict())) expect(v.data).toEqual(sa[k].data);
    const bare: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(sc)) bare[k] = v.data;
    c.loadStateDict(bare);
    expect(c.stateDict().weight_hh_l0.data).toEqual(sc.weight_hh_l0.data);

    const before = c.stateDict();
    const bad = (mutate: (d: Record<string, any>) => void) => {
      const d: Record<string, any> = {};
      for (const [k, v] of Object.entries(sa)) d[k] = { data: v.data.slice(), shape: [...v.shape] };
      mutate(d);
      return codeOf(() => c.loadStateDict(d));
    };
    expect(bad((d) => { delete d.bias_hh_l0; })).toBe('BAD_ARGUMENT');
    expect(bad((d) => { d.extra = d.bias_hh_l0; })).toBe('BAD_ARGUMENT');
    expect(bad((d) => { d.weight_ih_l0.shape = [d.weight_ih_l0.shape[1], d.weight_ih_l0.shape[0]]; })).toBe('SHAPE_MISMATCH');
    expect(bad((d) => { d.bias_ih_l0 = d.bias_ih_l0.data.subarray(1); })).toBe('SHAPE_MISMATCH');
    expect(bad((d) => { d.weight_hh_l0_reverse.data[3] = NaN; })).toBe('NOT_FINITE');
    expect(bad((d) => { d.weight_ih_l0 = { data: Float64Array.from(d.weight_ih_l0.data), shape: d.weight_ih_l0.shape }; })).toBe('BAD_ARGUMENT');
    for (const [k, v] of Object.entries(c.stateDict())) expect(v.data).toEqual(before[k].data);
    for (const l of [a, b, c]) l.dispose();
  });

  test('bad input is a clear RnnError and the layer keeps working', () => {
    const layer = make({ numLayers: 2, seed: 1 });
    const T = 4, B = 2, D = 5;
    const x = { data: f32(randomArray(5, T * B * D)), shape: [T, B, D] };
    const ok = layer.forward(x, undefined, { train: true });
    const hShape = ok.h.shape;
    expect(codeOf(() => layer.forward({ data: x.data, shape: [T, B, 4] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => layer.forward({ data: x.data, shape: [T, B * D] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => layer.forward({ data: x.data.subarray(1), shape: [T, B, D] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => layer.forward({ data: Float64Array.from(x.data) as never, shape: [T, B, D] }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => layer.forward(x.data as never))).toBe('BAD_ARGUMENT');
    const nan = x.data.slice(); nan[7] = NaN;
    expect(codeOf(() => layer.forward({ data: nan, shape: [T, B, D] }))).toBe('NOT_FINITE');
    const inf = x.data.slice(); inf[0] = -Infinity;
    expect(codeOf(() => layer.forward({ data: inf, shape: [T, B, D] }))).toBe('NOT_FINITE');
    expect(codeOf(() => layer.forward(x, undefined, { lengths: [0, 2] }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => layer.forward(x, undefined, { lengths: [5, 2] }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => layer.forward(x, undefined, { lengths: [2.5, 2] }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => layer.forward(x, undefined, { lengths: [2] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => layer.forward(x, { h: { data: new Float32Array(2 * 3 * 7), shape: [2, 3, 7] } }))).toBe('SHAPE_MISMATCH');
    const badH = new Float32Array(hShape.reduce((a, b) => a * b, 1)); badH[1] = Infinity;
    expect(codeOf(() => layer.forward(x, { h: { data: badH, shape: hShape } }))).toBe('NOT_FINITE');
    expect(codeOf(() => layer.forward(x, undefined, { train: 'yes' as never }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => layer.backward({ data: new Float32Array(3), shape: [3] }))).toBe('SHAPE_MISMATCH');
    const badOut = ok.output.data.slice(); badOut[0] = NaN;
    expect(codeOf(() => layer.backward({ data: badOut, shape: ok.output.shape }))).toBe('NOT_FINITE');
    // the tape survived every rejected call and an inference forward in between
    layer.forward(x);
    const back = layer.backward(null, { h: { data: new Float32Array(badH.length).fill(1), shape: hShape } });
    expect(back.dx.shape).toEqual([T, B, D]);
    expect(codeOf(() => layer.backward(null))).toBe('NO_TAPE');
    // and the layer still matches itself
    const again = layer.forward(x);
    expect(again.output.data).toEqual(ok.output.data);
    layer.dispose();
  });

  test('dispose returns the memory, then every call is DISPOSED', async () => {
    const { arena } = await init();
    const used = arena.usedBytes;
    const layer = make({ seed: 1 });
    const s = layer.stream(1);
    layer.forward({ data: new Float32Array(15), shape: [3, 5] }, undefined, { train: true });
    expect(layer.memoryBytes()).toBeGreaterThan(0);
    layer.dispose();
    layer.dispose();
    expect(arena.usedBytes).toBe(used);
    for (const call of [() => layer.forward({ data: new Float32Array(5), shape: [1, 5] }), () => layer.backward(null),
      () => layer.stateDict(), () => layer.grads(), () => layer.zeroGrad(), () => layer.loadStateDict({}),
      () => layer.stream(), () => layer.memoryBytes(), () => s.step(new Float32Array(5))]) {
      expect(codeOf(call)).toBe('DISPOSED');
    }
  });
});

describe('options and memory', () => {
  test('constructor options are checked', () => {
    expect(codeOf(() => new LSTM({ inputSize: 0, hiddenSize: 4 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new LSTM({ inputSize: 3, hiddenSize: 4.5 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new LSTM({ inputSize: 3, hiddenSize: 4, projSize: 4 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: 'softsign' as never }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new GRU({ inputSize: 3, hiddenSize: 4, projSize: 2 } as never))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: 1 as never }))).toBe('BAD_ARGUMENT');
    // a valid layer that stream() cannot run: UNSUPPORTED, not a bad argument
    expect(codeOf(() => new GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true }).stream())).toBe('UNSUPPORTED');
    expect(codeOf(() => new GRU({ inputSize: 3, hiddenSize: 4 }).stream(0))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => new GRU(undefined as never))).toBe('BAD_ARGUMENT');
  });

  test('a training forward with T = 10,000, B = 1, H = 256 works; memoryBytes follows the tape formula', () => {
    const layer = new LSTM({ inputSize: 8, hiddenSize: 256, seed: 1 });
    const T = 10_000;
    const x = { data: f32(randomArray(9, T * 8)), shape: [T, 1, 8] };
    const r = layer.forward(x, undefined, { train: true });
    expect(r.output.shape).toEqual([T, 1, 256]);
    const params = (4 * 256 * (8 + 256) + 2 * 4 * 256) * 4;
    const tape = layer.workBytes(T, 1, true);
    // floats: x 8T + out 256T + gates 1024T + h 256(T+1) + c 256(T+1) + tanhc 256T + dgx 1024T + dh + dc + 2 * 256T
    expect(tape).toBeGreaterThanOrEqual(4 * (8 * T + 256 * T + 1024 * T + 2 * 256 * (T + 1) + 256 * T + 1024 * T + 2 * 256 + 2 * 256 * T));
    expect(layer.memoryBytes()).toBeGreaterThanOrEqual(2 * params + tape);
    const back = layer.backward({ data: new Float32Array(T * 256).fill(1e-3), shape: [T, 1, 256] });
    expect(back.dx.shape).toEqual([T, 1, 8]);
    layer.dispose();
  });

  test('a tape larger than the memory limit is OUT_OF_MEMORY before any state changes', () => {
    const layer = new LSTM({ inputSize: 4, hiddenSize: 512, seed: 2 });
    const x = { data: f32(randomArray(3, 4 * 4)), shape: [4, 1, 4] };
    const ok = layer.forward(x, undefined, { train: true });
    const huge = { data: new Float32Array(400_000 * 4), shape: [400_000, 1, 4] };
    expect(codeOf(() => layer.forward(huge, undefined, { train: true }))).toBe('OUT_OF_MEMORY');
    const back = layer.backward(null, { h: { data: new Float32Array(512).fill(1), shape: [1, 1, 512] } });
    expect(back.dx.shape).toEqual([4, 1, 4]);
    expect(layer.forward(x).output.data).toEqual(ok.output.data);
    layer.dispose();
  });
});

describe('backward without the input gradient', () => {
  test('inputGrad: false returns dx null and the same parameter gradients', () => {
    const make = () => new LSTM({ inputSize: 5, hiddenSize: 6, numLayers: 2, seed: 8 });
    const x = { data: f32(randomArray(4, 7 * 2 * 5)), shape: [7, 2, 5] };
    const dOut = { data: f32(randomArray(5, 7 * 2 * 6)), shape: [7, 2, 6] };
    const a = make(), b = make();
    a.forward(x, undefined, { train: true });
    b.forward(x, undefined, { train: true });
    const ra = a.backward(dOut), rb = b.backward(dOut, undefined, { inputGrad: false });
    expect(ra.dx).not.toBeNull();
    expect(rb.dx).toBeNull();
    expect(rb.dh0.data).toEqual(ra.dh0.data);
    for (const [k, v] of Object.entries(a.grads())) expect(b.grads()[k].data).toEqual(v.data);
    a.dispose(); b.dispose();
  });
});
