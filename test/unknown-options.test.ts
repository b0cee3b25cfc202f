// Every options object is checked for unknown names: a misspelled option is BAD_ARGUMENT
// naming it and listing the valid names, as the recurrent layers always did, instead of
// being ignored silently.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, AdamW, CosineAnnealingLR, EchoStateNetwork, Embedding, ExponentialLR, GRU, LSTM, Linear, LinearLR, OneCycleLR, RMSprop, RNN, ReduceLROnPlateau,
  RnnError, SGD, ScalarMix, Sequential, StepLR, clipGradNorm, crossEntropy, fit, generate, init, lineChart, loadSafetensors, mackeyGlass, mse, saveSafetensors,
} from '../src/node.js';

beforeAll(async () => { await init(); });

function error(f: () => unknown): RnnError | undefined {
  try { f(); } catch (e) { return e as RnnError; }
  return undefined;
}

const never = <T>(v: unknown) => v as T;

describe('a misspelled option is BAD_ARGUMENT naming it', () => {
  const lin = () => new Linear({ inFeatures: 2, outFeatures: 3, seed: 1 });
  const cases: [string, string, () => unknown][] = [
    ['new Linear', 'outFeature', () => new Linear(never({ inFeatures: 2, outFeatures: 3, outFeature: 4 }))],
    ['new Embedding', 'embeddingDims', () => new Embedding(never({ numEmbeddings: 4, embeddingDim: 2, embeddingDims: 3 }))],
    ['new ScalarMix', 'trainGama', () => new ScalarMix(never({ numLayers: 2, trainGama: false }))],
    ['new EchoStateNetwork', 'spectralRadious', () => new EchoStateNetwork(never({ inputSize: 1, reservoirSize: 4, outputSize: 1, spectralRadious: 0.5 }))],
    ['new SGD', 'momentun', () => new SGD(lin(), never({ lr: 0.1, momentun: 0.9 }))],
    ['new Adam', 'lrr', () => new Adam(lin(), never({ lr: 0.1, lrr: 0.01 }))],
    ['new AdamW', 'weight_decay', () => new AdamW(lin(), never({ lr: 0.1, weight_decay: 0.1 }))],
    ['new RMSprop', 'betas', () => new RMSprop(lin(), never({ lr: 0.1, betas: [0.9, 0.99] }))],
    ['new StepLR', 'step_size', () => new StepLR(new SGD(lin(), { lr: 0.1 }), never({ stepSize: 2, step_size: 2 }))],
    ['new ExponentialLR', 'gama', () => new ExponentialLR(new SGD(lin(), { lr: 0.1 }), never({ gamma: 0.9, gama: 0.9 }))],
    ['new CosineAnnealingLR', 'tMax', () => new CosineAnnealingLR(new SGD(lin(), { lr: 0.1 }), never({ TMax: 5, tMax: 5 }))],
    ['new LinearLR', 'warmup', () => new LinearLR(new SGD(lin(), { lr: 0.1 }), never({ warmup: 5 }))],
    ['new OneCycleLR', 'max_lr', () => new OneCycleLR(new SGD(lin(), { lr: 0.1 }), never({ maxLr: 1, totalSteps: 5, max_lr: 1 }))],
    ['new ReduceLROnPlateau', 'patiense', () => new ReduceLROnPlateau(new SGD(lin(), { lr: 0.1 }), never({ patiense: 2 }))],
    ['new LSTM', 'hiddenSise', () => new LSTM(never({ inputSize: 1, hiddenSize: 2, hiddenSise: 3 }))],
    ['Linear.forward', 'trian', () => lin().forward({ data: new Float32Array(2), shape: [1, 2] }, never({ trian: true }))],
    ['Embedding.forward', 'trian', () => new Embedding({ numEmbeddings: 3, embeddingDim: 2 }).forward({ data: Int32Array.of(1), shape: [1] }, never({ trian: true }))],
    ['ScalarMix.forward', 'trian', () => new ScalarMix({ numLayers: 1 }).forward([{ data: new Float32Array(2), shape: [2] }], never({ trian: true }))],
    ['GRU.forward', 'length', () => new GRU({ inputSize: 1, hiddenSize: 2 }).forward({ data: new Float32Array(2), shape: [2, 1, 1] }, undefined, never({ length: [2] }))],
    ['RNN.backward', 'inputGrads', () => {
      const r = new RNN({ inputSize: 1, hiddenSize: 2 });
      r.forward({ data: new Float32Array(2), shape: [2, 1, 1] }, undefined, { train: true });
      return r.backward({ data: new Float32Array(4), shape: [2, 1, 2] }, undefined, never({ inputGrads: false }));
    }],
    ['Sequential.forward', 'trian', () => new Sequential([lin()]).forward({ data: new Float32Array(2), shape: [1, 2] }, never({ trian: true }))],
    ['Sequential.backward', 'inputGrads', () => {
      const m = new Sequential([lin()]);
      m.forward({ data: new Float32Array(2), shape: [1, 2] }, { train: true });
      return m.backward({ data: new Float32Array(3), shape: [1, 3] }, never({ inputGrads: false }));
    }],
    ['EchoStateNetwork.predict', 'sate', () => new EchoStateNetwork({ inputSize: 1, reservoirSize: 4, outputSize: 1, seed: 1 }).states({ data: new Float32Array(2), shape: [2, 1] }, never({ sate: null }))],
    ['clipGradNorm', 'nonfinite', () => clipGradNorm(lin(), 1, never({ nonfinite: 'skip' }))],
    ['crossEntropy', 'ignore_index', () => crossEntropy({ data: new Float32Array(3), shape: [1, 3] }, Int32Array.of(0), never({ ignore_index: 1 }))],
    ['mackeyGlass', 'horizn', () => mackeyGlass(10, never({ horizn: 2 }))],
    ['lineChart', 'titel', () => lineChart(never({ titel: 'loss', series: [{ name: 'a', y: [1, 2] }] }))],
    ['lineChart: series[1]', 'colour', () => lineChart(never({ series: [{ name: 'a', y: [1] }, { name: 'b', y: [2], colour: 'red' }] }))],
    ['mse', 'ignoreIndex', () => mse({ data: new Float32Array(3), shape: [1, 3] }, { data: new Float32Array(3), shape: [1, 3] }, never({ ignoreIndex: 1 }))],
  ];
  for (const [what, key, f] of cases) {
    test(`${what}: ${key}`, () => {
      const e = error(f);
      expect(e?.code).toBe('BAD_ARGUMENT');
      expect(e?.message).toContain(JSON.stringify(key));
      expect(e?.message).toContain('known:');
    });
  }

  test('fit, its bptt, earlyStopping and data', () => {
    const model = new Sequential([new Embedding({ numEmbeddings: 3, embeddingDim: 2, seed: 1 }), new Linear({ inFeatures: 2, outFeatures: 3, seed: 1 })]);
    const optimizer = new SGD(model, { lr: 0.1 });
    const data = { x: { data: Int32Array.of(0, 1, 2, 0), shape: [2, 2] }, y: Int32Array.of(1, 2, 0, 1) };
    for (const [options, key] of [
      [{ optimizer, epoch: 2 }, 'epoch'],
      [{ optimizer, bptt: { k1: 1, k3: 2 } }, 'k3'],
      [{ optimizer, earlyStopping: { patience: 1, min_delta: 0 } }, 'min_delta'],
    ] as const) {
      const e = error(() => fit(model, data, never(options)));
      expect(e?.code).toBe('BAD_ARGUMENT');
      expect(e?.message).toContain(JSON.stringify(key));
    }
    const e = error(() => fit(model, never({ ...data, length: [2, 2] }), { optimizer }));
    expect(e?.code).toBe('BAD_ARGUMENT');
    expect(e?.message).toContain('"length"');
    expect(fit(model, data, { optimizer, epochs: 1 }).steps).toBe(1);
    model.dispose();
  });

  test('generate', () => {
    const model = new Sequential([new Embedding({ numEmbeddings: 3, embeddingDim: 2, seed: 1 }), new Linear({ inFeatures: 2, outFeatures: 3, seed: 1 })]);
    const e = error(() => generate(model, [0], never({ length: 2, temprature: 0 })));
    expect(e?.code).toBe('BAD_ARGUMENT');
    expect(e?.message).toContain('"temprature"');
    model.dispose();
  });

  test('init', async () => {
    await expect(init(never({ maxMemory: 1 << 20 }))).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(init(never({ simdd: 'baseline' }))).rejects.toThrow(/"simdd"/);
  });

  test('lineChart: logY must be a boolean (a string was read as false)', () => {
    const e = error(() => lineChart(never({ logY: 'yes', series: [{ name: 'a', y: [1, 10] }] })));
    expect(e?.code).toBe('BAD_ARGUMENT');
    expect(e?.message).toContain('logY');
  });

  test('saveSafetensors: metadata is the format\'s free map of strings, so no key is unknown; an options object in its place is refused', () => {
    // PyTorch's safetensors writes { format: 'pt' }; any string key is the caller's to choose
    const bytes = saveSafetensors({ w: new Float32Array(2) }, { format: 'pt', anything: 'at all' });
    expect(loadSafetensors(bytes).metadata).toEqual({ format: 'pt', anything: 'at all' });
    const e = error(() => saveSafetensors({ w: new Float32Array(2) }, never({ metadata: { format: 'pt' } })));
    expect(e?.code).toBe('BAD_ARGUMENT');
    expect(e?.message).toContain('metadata.metadata must be a string');
  });
});
