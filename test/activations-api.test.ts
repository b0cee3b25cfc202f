// The activation options of LSTM, GRU and RNN: bad values refused with the option's name and
// the accepted values; the explicit defaults bit-identical to no option (the default kernels
// run); checkpoints rebuild a layer with its activations; gateStats and recurrentSpectrum use
// each gate's own activation.
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, RnnError, init, loadCheckpoint, saveCheckpoint } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { randomArray, sameBits } from './helpers.js';

beforeAll(async () => { await init(); });

const error = (fn: () => unknown): RnnError => {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return e as RnnError; }
  throw new Error('no error');
};

describe('bad activation values are BAD_ARGUMENT naming the option and the accepted values', () => {
  const bad: unknown[] = ['softsign', 'Sigmoid', 'elu', 1, null, { type: 'relu' }, { type: 'hardSigmoid', alpha: 0 },
    { type: 'hardSigmoid', alpha: -0.2 }, { type: 'hardSigmoid', beta: NaN }, { type: 'hardSigmoid', alpha: '0.2' },
    { type: 'hardSigmoid', gamma: 1 }, ['hardSigmoid']];
  const makers: [string, (v: unknown) => unknown][] = [
    ['new LSTM: gateActivation', (v) => new LSTM({ inputSize: 1, hiddenSize: 2, gateActivation: v as never })],
    ['new LSTM: cellActivation', (v) => new LSTM({ inputSize: 1, hiddenSize: 2, cellActivation: v as never })],
    ['new LSTM: hiddenActivation', (v) => new LSTM({ inputSize: 1, hiddenSize: 2, hiddenActivation: v as never })],
    ['new GRU: gateActivation', (v) => new GRU({ inputSize: 1, hiddenSize: 2, gateActivation: v as never })],
    ['new GRU: cellActivation', (v) => new GRU({ inputSize: 1, hiddenSize: 2, cellActivation: v as never })],
    ['new RNN: nonlinearity', (v) => new RNN({ inputSize: 1, hiddenSize: 2, nonlinearity: v as never })],
  ];
  test.each(makers)('%s', (what, make) => {
    for (const v of bad) {
      const e = error(() => make(v));
      expect(e.code).toBe('BAD_ARGUMENT');
      expect(e.message).toContain(what);
      expect(e.message).toContain("'sigmoid', 'tanh', 'relu', 'hardSigmoid' or { type: 'hardSigmoid', alpha, beta }");
    }
  });
  test('RNN, CEC and GRU options do not exist elsewhere; gateRecurrence needs the default activations', () => {
    expect(error(() => new RNN({ inputSize: 1, hiddenSize: 2, gateActivation: 'relu' } as never)).code).toBe('BAD_ARGUMENT');
    expect(error(() => new GRU({ inputSize: 1, hiddenSize: 2, hiddenActivation: 'relu' } as never)).code).toBe('BAD_ARGUMENT');
    const e = error(() => new LSTM({ inputSize: 1, hiddenSize: 2, gateRecurrence: true, gateActivation: 'hardSigmoid' }));
    expect(e.message).toMatch(/gateRecurrence.*default activations/);
    expect(new LSTM({ inputSize: 1, hiddenSize: 2, gateRecurrence: true, gateActivation: 'sigmoid' }).config()).toMatchObject({ gateRecurrence: true });
  });
});

describe('the explicit defaults are the layers without the options, bit for bit', () => {
  const cases: [string, (o: Record<string, unknown>) => RecurrentLayer, Record<string, unknown>, Record<string, unknown>][] = [
    ['LSTM', (o) => new LSTM(o as never), {}, { gateActivation: 'sigmoid', cellActivation: 'tanh', hiddenActivation: 'tanh' }],
    ['LSTM peepholes, clip, bidirectional', (o) => new LSTM(o as never), { peepholes: true, cellClip: 0.5, bidirectional: true }, { gateActivation: 'sigmoid', hiddenActivation: 'tanh' }],
    ['LSTM projection, 2 layers', (o) => new LSTM(o as never), { projSize: 2, numLayers: 2 }, { cellActivation: 'tanh' }],
    ['GRU', (o) => new GRU(o as never), {}, { gateActivation: 'sigmoid', cellActivation: 'tanh' }],
    ['GRU resetAfter false, bidirectional', (o) => new GRU(o as never), { resetAfter: false, bidirectional: true }, { gateActivation: 'sigmoid', cellActivation: 'tanh' }],
    ['GRU minimal', (o) => new GRU(o as never), { minimal: true }, { gateActivation: 'sigmoid' }],
    ['RNN', (o) => new RNN(o as never), {}, { nonlinearity: 'tanh' }],
  ];
  test.each(cases)('%s', (_name, make, variant, defaults) => {
    const common = { inputSize: 3, hiddenSize: 5, seed: 4, ...variant };
    const a = make(common), b = make({ ...common, ...defaults });
    expect(b.config()).toEqual(a.config());
    const T = 4, B = 3, x = { data: Float32Array.from(randomArray(1, T * B * 3, 2)), shape: [T, B, 3] };
    const fa = a.forward(x, undefined, { train: true }), fb = b.forward(x, undefined, { train: true });
    expect(sameBits(fb.output.data, fa.output.data)).toBe(true);
    const dy = { data: Float32Array.from(randomArray(2, fa.output.data.length)), shape: fa.output.shape };
    const ba = a.backward(dy), bb = b.backward(dy);
    expect(sameBits(bb.dx!.data, ba.dx!.data)).toBe(true);
    const ga = a.grads(), gb = b.grads();
    for (const k of Object.keys(ga)) expect(sameBits(gb[k].data, ga[k].data), k).toBe(true);
    a.dispose(); b.dispose();
  });
});

test('checkpoints rebuild the layers with their activations', () => {
  const layers: RecurrentLayer[] = [
    new LSTM({ inputSize: 3, hiddenSize: 4, seed: 2, gateActivation: 'hardSigmoid', cellActivation: 'relu', hiddenActivation: { type: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 }, peepholes: true }),
    new GRU({ inputSize: 3, hiddenSize: 4, seed: 2, gateActivation: { type: 'hardSigmoid', alpha: 0.3, beta: 0.4 }, cellActivation: 'sigmoid', resetAfter: false }),
    new RNN({ inputSize: 3, hiddenSize: 4, seed: 2, nonlinearity: 'hardSigmoid' }),
  ];
  expect(layers[0].config()).toMatchObject({ gateActivation: { type: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, cellActivation: 'relu', hiddenActivation: { type: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 } });
  expect(layers[1].config()).toMatchObject({ gateActivation: { type: 'hardSigmoid', alpha: 0.3, beta: 0.4 }, cellActivation: 'sigmoid' });
  expect(layers[2].config()).toMatchObject({ nonlinearity: { type: 'hardSigmoid', alpha: 0.2, beta: 0.5 } });
  expect(new LSTM({ inputSize: 3, hiddenSize: 4 }).config()).not.toHaveProperty('gateActivation');
  const x = { data: Float32Array.from(randomArray(1, 15, 3)), shape: [5, 1, 3] };
  for (const layer of layers) {
    const loaded = loadCheckpoint(saveCheckpoint(layer)).model as RecurrentLayer;
    expect(loaded.config()).toEqual(layer.config());
    expect(sameBits(loaded.forward(x).output.data, layer.forward(x).output.data)).toBe(true);
  }
});

describe('diagnostics take each gate\'s activation', () => {
  test('gateStats: the hard sigmoid saturates at exactly 0 and 1; relu reports dead units', () => {
    const layer = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1, gateActivation: 'hardSigmoid', cellActivation: 'relu' });
    layer.forward({ data: Float32Array.from(randomArray(3, 40, 30)), shape: [10, 2, 2] });
    const [{ gates }] = layer.gateStats();
    expect(gates.map((g) => [g.gate, g.activation])).toEqual([['i', 'hardSigmoid'], ['f', 'hardSigmoid'], ['g', 'relu'], ['o', 'hardSigmoid']]);
    for (const g of [gates[0], gates[1], gates[3]]) {
      expect(g.saturatedLow + g.saturatedHigh).toBeGreaterThan(0.2); // large inputs: many exactly 0 or 1
      expect(g.saturatedLow + g.saturatedHigh).toBeLessThanOrEqual(1);
    }
    expect(gates[2].saturatedHigh).toBe(0);
  });
  test('recurrentSpectrum: gamma is alpha for the hard sigmoid, 1/4 for the sigmoid, 1 for tanh and relu', () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1, gateActivation: { type: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 }, cellActivation: 'relu' });
    expect(lstm.recurrentSpectrum().map((e) => e.gamma)).toEqual([1 / 6, 1 / 6, 1, 1 / 6]);
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, seed: 1, cellActivation: 'sigmoid' });
    expect(gru.recurrentSpectrum().map((e) => e.gamma)).toEqual([0.25, 0.25, 0.25]);
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3, seed: 1, nonlinearity: 'hardSigmoid' });
    expect(rnn.recurrentSpectrum().map((e) => e.gamma)).toEqual([0.2]);
  });
});
