// The counterexamples the malformed-argument properties (properties-errors-*.test.ts) found,
// each as a plain test: before the fixes each call below was accepted (an option given as
// null taken as its default, a string 'false' taken as true, Sequential.backward(null) doing
// nothing, fit clamping a length over T), threw a TypeError or RangeError instead of an
// RnnError, hung (narma10 of 2^31 steps), or changed the model before refusing (fit).
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, EchoStateNetwork, Embedding, GRU, LSTM, Linear, RNN, Random, RnnError, SGD, ScalarMix, Sequential, clipGradNorm, crossEntropy, fit,
  generate, init, loadCheckpointInto, mse, narma10, orthogonal, saveCheckpoint, tensor, uniformInit, xavierNormal,
  type Tensor,
} from '../src/node.js';

beforeAll(async () => { await init(); });

function code(f: () => unknown): string {
  try { f(); } catch (e) { return e instanceof RnnError ? e.code : `${(e as Error).constructor.name}: ${(e as Error).message}`; }
  return 'no error';
}
const t = (shape: number[], fill = 0.5): Tensor => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape });
const never = <T>(v: unknown) => v as T;
const bits = (d: Record<string, Tensor>) => Object.values(d).map((v) => Array.from(new Uint32Array(v.data.slice().buffer)));

describe('an option given as null is refused like any other wrong type, not taken as its default', () => {
  const lstm = () => new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });
  const cases: [string, () => unknown][] = [
    ['new RNN({ init: null })', () => new RNN(never({ inputSize: 2, hiddenSize: 3, init: null }))],
    ['LSTM.forward: opts.train null', () => lstm().forward(t([2, 1, 2]), undefined, never({ train: null }))],
    ['LSTM.forward: opts.allLayers null', () => lstm().forward(t([2, 1, 2]), undefined, never({ allLayers: null }))],
    ['GRU.backward: opts.inputGrad null', () => {
      const g = new GRU({ inputSize: 2, hiddenSize: 3 });
      g.forward(t([2, 1, 2]), undefined, { train: true });
      return g.backward(t([2, 1, 3]), undefined, never({ inputGrad: null }));
    }],
    ['Linear.forward: opts.train null', () => new Linear({ inFeatures: 2, outFeatures: 2 }).forward(t([1, 2]), never({ train: null }))],
    ['ScalarMix.forward: opts.train null', () => new ScalarMix({ numLayers: 1 }).forward([t([2])], never({ train: null }))],
    ['new EchoStateNetwork({ spectralRadius: null })', () => new EchoStateNetwork(never({ inputSize: 1, reservoirSize: 4, outputSize: 1, spectralRadius: null }))],
    ['new SGD({ momentum: null })', () => new SGD(lstm(), never({ lr: 0.1, momentum: null }))],
    ['new Adam({ betas: null })', () => new Adam(lstm(), never({ lr: 0.1, betas: null }))],
    ['clipGradNorm: nonFinite null', () => clipGradNorm(lstm(), 1, never({ nonFinite: null }))],
    ['crossEntropy: reduction null', () => crossEntropy(t([1, 2]), [0], never({ reduction: null }))],
    ['crossEntropy: ignoreIndex null', () => crossEntropy(t([1, 2]), [0], never({ ignoreIndex: null }))],
  ];
  test.each(cases)('%s', (_, f) => { expect(code(f)).toBe('BAD_ARGUMENT'); });
});

describe('arguments of the wrong type are BAD_ARGUMENT, not taken as something else', () => {
  const emb = () => new Embedding({ numEmbeddings: 5, embeddingDim: 2, seed: 1 });
  const seq = () => new Sequential([emb(), new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 5, seed: 1 })]);
  const ids = { data: Int32Array.of(1, 2, 3), shape: [3, 1] };
  const cases: [string, () => unknown][] = [
    ["Embedding.forward: opts.train 'false' (was training)", () => emb().forward(ids, never({ train: 'false' }))],
    ['Embedding.forward: ids.shape [1.5, 2] for 3 ids', () => emb().forward(never({ data: Int32Array.of(1, 2, 3), shape: [1.5, 2] }))],
    ['crossEntropy(logits, targets, 5)', () => crossEntropy(t([1, 2]), [0], never(5))],
    ["mse(pred, target, 'sum')", () => mse(t([2]), t([2]), never('sum'))],
    ['Sequential.backward(null) (did nothing)', () => { const s = seq(); s.forward(ids, { train: true }); return s.backward(never(null)); }],
    ["Sequential.backward: opts.inputGrad 'no'", () => { const s = seq(); s.forward(ids, { train: true }); return s.backward(t([3, 1, 5]), never({ inputGrad: 'no' })); }],
    ['Sequential.forward: opts.initialStates 5 (was ignored)', () => seq().forward(ids, never({ initialStates: 5 }))],
    ["generate(model, prompt, 'x') (generated 'x'.length ids)", () => generate(seq(), [1], never('x'))],
    ['generate: seed 1.5', () => generate(seq(), [1], { length: 2, seed: 1.5 })],
    ['generate: seed null', () => generate(seq(), [1], never({ length: 2, seed: null }))],
    ['generate: a model that is no Sequential', () => generate(never({ layers: [emb()] }), [1], { length: 2 })],
    ["new Random('abc') (was seed 0)", () => new Random(never('abc'))],
    ['new Random(1.5)', () => new Random(1.5)],
    ["tensor([1, 'x'], [2]) (was NaN)", () => tensor(never([1, 'x']), [2])],
  ];
  test.each(cases)('%s', (_, f) => { expect(code(f)).toBe('BAD_ARGUMENT'); });
  test('init({ wasm: 42 }) once initialised (was ignored)', async () => {
    await expect(init(never({ wasm: 42 }))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('a TypeError or RangeError becomes an RnnError', () => {
  const cases: [string, () => unknown, string][] = [
    ['uniformInit with no Random', () => uniformInit(new Float32Array(4), 1, never(null)), 'BAD_ARGUMENT'],
    ['xavierNormal with {} for the Random', () => xavierNormal(new Float32Array(4), 2, 2, never({})), 'BAD_ARGUMENT'],
    ['orthogonal with 5 for the Random', () => orthogonal(new Float32Array(4), 2, 2, never(5)), 'BAD_ARGUMENT'],
    ['loadCheckpointInto(bytes, null)', () => loadCheckpointInto(saveCheckpoint(new Linear({ inFeatures: 1, outFeatures: 1 })), never(null)), 'BAD_ARGUMENT'],
    ['generate: length 2^40', () => generate(new Sequential([new Embedding({ numEmbeddings: 2, embeddingDim: 2 })]), [1], { length: 2 ** 40 }), 'OUT_OF_MEMORY'],
    ['narma10(2^40)', () => narma10(2 ** 40), 'BAD_ARGUMENT'],
    // used to allocate 16 GB of float64 and run for hours
    ['narma10(2^31)', () => narma10(2 ** 31), 'BAD_ARGUMENT'],
  ];
  test.each(cases)('%s', (_, f, want) => { expect(code(f)).toBe(want); });

  test('loadCheckpointInto: an optimizer that is none is BAD_ARGUMENT (was BAD_FILE), a disposed one DISPOSED (was BAD_FILE)', () => {
    const lin = new Linear({ inFeatures: 2, outFeatures: 2, seed: 1 }), opt = new SGD(lin, { lr: 0.1, momentum: 0.5 });
    opt.step();
    const bytes = saveCheckpoint(lin, opt);
    expect(code(() => loadCheckpointInto(bytes, lin, never(5)))).toBe('BAD_ARGUMENT');
    expect(code(() => loadCheckpointInto(bytes, lin, never({ kind: 'SGD' })))).toBe('BAD_ARGUMENT');
    const dead = new SGD(lin, { lr: 0.1, momentum: 0.5 });
    dead.dispose();
    expect(code(() => loadCheckpointInto(bytes, lin, dead))).toBe('DISPOSED');
  });
});

describe('fit checks everything before the first update and changes nothing when it refuses', () => {
  const T = 3, N = 2;
  const model = () => new Sequential([new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 4, seed: 2 })]);
  const x = () => t([T, N, 2]);
  const classes = () => Int32Array.of(0, 1, 2, 3, 0, 1);
  const cases: [string, (m: Sequential) => unknown, string][] = [
    ['a recurrent layer for the model (TypeError after training)', () => fit(never(new LSTM({ inputSize: 2, hiddenSize: 3 })), { x: x(), y: classes() }, { optimizer: never({ step: () => true }) }), 'BAD_ARGUMENT'],
    ['x without data (TypeError)', (m) => fit(m, never({ x: { shape: [T, N, 2] }, y: classes() }), { optimizer: new SGD(m, { lr: 0.1 }) }), 'BAD_ARGUMENT'],
    ['x.data a Float64Array (was rounded silently)', (m) => fit(m, never({ x: { data: new Float64Array(12), shape: [T, N, 2] }, y: classes() }), { optimizer: new SGD(m, { lr: 0.1 }) }), 'BAD_ARGUMENT'],
    ['lengths [3, 4] with T = 3 (was clamped)', (m) => fit(m, { x: x(), y: classes(), lengths: [3, 4] }, { optimizer: new SGD(m, { lr: 0.1 }) }), 'BAD_ARGUMENT'],
    ['onProgress 5 (TypeError after the first update)', (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), onProgress: 5 })), 'BAD_ARGUMENT'],
    ["shuffle 'yes'", (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), shuffle: 'yes' })), 'BAD_ARGUMENT'],
    ['seed 1.5', (m) => fit(m, { x: x(), y: classes() }, { optimizer: new SGD(m, { lr: 0.1 }), seed: 1.5 }), 'BAD_ARGUMENT'],
    ['epochs null', (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), epochs: null })), 'BAD_ARGUMENT'],
    ['bptt {} (k1 missing)', (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), bptt: {} })), 'BAD_ARGUMENT'],
    ["earlyStopping 'x'", (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), earlyStopping: 'x' })), 'BAD_ARGUMENT'],
    ["earlyStopping.minDelta 'x'", (m) => fit(m, { x: x(), y: classes() }, never({ optimizer: new SGD(m, { lr: 0.1 }), earlyStopping: { patience: 1, minDelta: 'x' } })), 'BAD_ARGUMENT'],
    ['y a tensor holding NaN', (m) => fit(m, { x: x(), y: t([T, N, 4], NaN) }, { optimizer: new SGD(m, { lr: 0.1 }) }), 'NOT_FINITE'],
    // known only once the model has run: refused after the first forward, before zeroGrad
    ['a class beyond the output width 4', (m) => fit(m, { x: x(), y: Int32Array.of(0, 1, 2, 3, 0, 4) }, { optimizer: new SGD(m, { lr: 0.1 }) }), 'BAD_ARGUMENT'],
    ['y a tensor of width 3 for an output of 4 (was NaN gradients)', (m) => fit(m, { x: x(), y: t([T, N, 3]) }, { optimizer: new SGD(m, { lr: 0.1 }) }), 'SHAPE_MISMATCH'],
  ];
  test.each(cases)('%s', (_, f, want) => {
    const m = model();
    // gradients that a zeroGrad or a backward would change
    m.forward(x(), { train: true });
    m.backward(t([T, N, 4], 0.25));
    const params = bits(m.stateDict()), grads = bits(m.grads());
    expect(code(() => f(m))).toBe(want);
    expect(bits(m.stateDict())).toEqual(params);
    expect(bits(m.grads())).toEqual(grads);
    m.dispose();
  });
});
