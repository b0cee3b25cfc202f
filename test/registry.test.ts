// The module and optimizer registries and the one life cycle: every registered module type
// goes through a checkpoint and back (same config, same state dict bit for bit, same forward),
// rejects a bad state dict through the one strict check with the documented codes and without
// changing, reports its memory and is disposed; every registered optimizer resumes from a
// checkpoint bit-identically. A type registered without an entry in SAMPLES fails here.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CEC, Dropout, EchoStateNetwork, Embedding, GRU, LSTM, Linear, RNN, RnnError, ScalarMix, Sequential,
  checkpointInfo, init, loadCheckpoint, loadCheckpointInto, saveCheckpoint, type Module, type Tensor,
} from '../src/node.js';
import { moduleType, moduleTypeOf, moduleTypes, optimizerType, optimizerTypes } from '../src/registry.js';

beforeAll(async () => { await init(); });

const T = 4, B = 2;
const seq = (n: number, width: number, seed = 1) => ({ data: Float32Array.from({ length: n * width }, (_, i) => Math.sin(seed * 7.3 + i * 0.61)), shape: [T, B, width] });
const ids = { data: Int32Array.from({ length: T * B }, (_, i) => (i * 3 + 1) % 9), shape: [T, B] };

/** One example of every registered type, and how to run it forward. */
const SAMPLES: Record<string, { make: () => Module; run: (m: Module) => Tensor }> = {
  RNN: { make: () => new RNN({ inputSize: 3, hiddenSize: 5, numLayers: 2, seed: 1 }), run: (m) => (m as RNN).forward(seq(T * B, 3)).output },
  LSTM: { make: () => new LSTM({ inputSize: 3, hiddenSize: 5, projSize: 2, bidirectional: true, seed: 2 }), run: (m) => (m as LSTM).forward(seq(T * B, 3)).output },
  GRU: { make: () => new GRU({ inputSize: 3, hiddenSize: 4, resetAfter: false, seed: 3 }), run: (m) => (m as GRU).forward(seq(T * B, 3)).output },
  CEC: { make: () => new CEC({ inputSize: 3, hiddenSize: 4, seed: 4 }), run: (m) => (m as CEC).forward(seq(T * B, 3)).output },
  Linear: { make: () => new Linear({ inFeatures: 3, outFeatures: 6, seed: 5 }), run: (m) => (m as Linear).forward(seq(T * B, 3)) },
  Dropout: { make: () => new Dropout({ p: 0.25, seed: 3 }), run: (m) => (m as Dropout).forward(seq(T * B, 3)) },
  Embedding: { make: () => new Embedding({ numEmbeddings: 9, embeddingDim: 3, seed: 6 }), run: (m) => (m as Embedding).forward(ids) },
  Sequential: {
    // a Dropout of p = 0 keeps the optimizers' resume below exact (masks are not in checkpoints)
    make: () => new Sequential([new Embedding({ numEmbeddings: 9, embeddingDim: 3, seed: 7 }), new GRU({ inputSize: 3, hiddenSize: 4, seed: 8 }), new Dropout({ p: 0 }), new Linear({ inFeatures: 4, outFeatures: 9, seed: 9 })]),
    run: (m) => (m as Sequential).forward(ids),
  },
  ScalarMix: {
    make: () => {
      const mix = new ScalarMix({ numLayers: 3, trainGamma: false });
      mix.loadStateDict({ scalar_parameters: Float32Array.of(0.5, -1, 0.25), gamma: Float32Array.of(1.5) });
      return mix;
    },
    run: (m) => (m as ScalarMix).forward([seq(T * B, 2, 1), seq(T * B, 2, 2), seq(T * B, 2, 3)]),
  },
  EchoStateNetwork: {
    make: () => {
      const esn = new EchoStateNetwork({ inputSize: 2, reservoirSize: 12, outputSize: 1, leakRate: 0.7, readoutInput: true, washout: 1, seed: 10 });
      esn.fit(seq(T * B, 2), { data: Float32Array.from({ length: T * B }, (_, i) => Math.cos(i)), shape: [T, B, 1] });
      return esn;
    },
    run: (m) => (m as EchoStateNetwork).predict(seq(T * B, 2, 4)),
  },
};

const bits = (d: Record<string, Tensor>) => Object.fromEntries(Object.entries(d).map(([k, t]) => [k, { shape: t.shape, bits: Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)) }]));
const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };

test('every registered module type has a sample here, and the registry knows the classes', () => {
  const types = moduleTypes().map((t) => t.type);
  expect(types.sort()).toEqual(Object.keys(SAMPLES).sort());
  for (const [type, s] of Object.entries(SAMPLES)) {
    const m = s.make();
    expect(moduleTypeOf(m)?.type).toBe(type);
    expect(m.config().type).toBe(type);
    expect(moduleType(type)?.is(m)).toBe(true);
    m.dispose();
  }
  expect(moduleTypeOf({})).toBeUndefined();
  expect(optimizerTypes().map((t) => t.kind)).toEqual(['SGD', 'Adam', 'AdamW', 'RMSprop']);
});

describe.each(Object.keys(SAMPLES))('%s', (type) => {
  const { make, run } = SAMPLES[type];

  test('saveCheckpoint / loadCheckpoint: same config, same state dict, same forward; checkpointInfo agrees', () => {
    const model = make(), file = saveCheckpoint(model, undefined, { note: type });
    const info = checkpointInfo(file);
    expect(info.model).toEqual(model.config());
    expect(info.metadata).toEqual({ note: type });
    expect(info.tensors).toEqual(Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.shape])));
    const loaded = loadCheckpoint(file);
    expect(loaded.optimizer).toBeUndefined();
    expect(moduleTypeOf(loaded.model)?.type).toBe(type);
    expect(loaded.model.config()).toEqual(model.config());
    expect(bits(loaded.model.stateDict())).toEqual(bits(model.stateDict()));
    const want = run(model), got = run(loaded.model);
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
    // and into a fresh module of the same configuration
    const target = moduleType(type)!.build(Object.fromEntries(Object.entries(model.config()).filter(([k]) => k !== 'type')));
    loadCheckpointInto(file, target);
    expect(bits(target.stateDict())).toEqual(bits(model.stateDict()));
    for (const m of [model, loaded.model, target]) m.dispose();
  });

  test('loadStateDict: the one strict check, with its codes, and nothing changes on a rejection', () => {
    const model = make(), dict = model.stateDict(), before = bits(dict);
    if (Object.keys(dict).length === 0) { // no parameters (Dropout): only the empty dict passes
      expect(code(() => model.loadStateDict(null as never))).toBe('BAD_ARGUMENT');
      expect(code(() => model.loadStateDict({ bogus: new Float32Array(1) }))).toBe('BAD_ARGUMENT');
      model.loadStateDict({});
      model.dispose();
      return;
    }
    const [first] = Object.keys(dict);
    const { [first]: dropped, ...missing } = dict;
    void dropped;
    const nan = dict[first].data.slice(); nan[0] = NaN;
    const cases: [string, unknown, string][] = [
      ['not an object', null, 'BAD_ARGUMENT'],
      ['an unknown key', { ...dict, bogus: new Float32Array(1) }, 'BAD_ARGUMENT'],
      ['a missing key', missing, 'BAD_ARGUMENT'],
      ['a wrong size', { ...dict, [first]: new Float32Array(dict[first].data.length + 1) }, 'SHAPE_MISMATCH'],
      ['a wrong shape', { ...dict, [first]: { data: dict[first].data, shape: [1, dict[first].data.length, 1] } }, 'SHAPE_MISMATCH'],
      ['a NaN', { ...dict, [first]: nan }, 'NOT_FINITE'],
    ];
    // a NaN in the last key too: nothing before it may have been written
    const keys = Object.keys(dict), last = keys[keys.length - 1];
    if (last !== first) { const v = dict[last].data.slice(); v[v.length - 1] = Infinity; cases.push(['an Infinity in the last key', { ...Object.fromEntries(keys.map((k) => [k, Float32Array.from(dict[k].data, (x) => x + 1)])), [last]: v }, 'NOT_FINITE']); }
    for (const [, bad, want] of cases) {
      expect(code(() => model.loadStateDict(bad as never))).toBe(want);
      expect(bits(model.stateDict())).toEqual(before);
    }
    // bare Float32Arrays are taken too
    model.loadStateDict(Object.fromEntries(keys.map((k) => [k, dict[k].data])));
    expect(bits(model.stateDict())).toEqual(before);
    model.dispose();
  });

  test('memoryBytes while alive; dispose is idempotent and later calls throw DISPOSED', () => {
    const model = make();
    expect(model.memoryBytes()).toBeGreaterThanOrEqual(type === 'Dropout' ? 0 : 1); // Dropout holds no wasm memory
    model.dispose();
    model.dispose();
    expect(code(() => model.stateDict())).toBe('DISPOSED');
    expect(code(() => model.memoryBytes())).toBe('DISPOSED');
  });
});

test('Sequential: memoryBytes is the sum over its layers, and dispose disposes them', () => {
  const layers = [new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 }), new Linear({ inFeatures: 3, outFeatures: 2, seed: 2 })] as const;
  const model = new Sequential([...layers]);
  model.forward(seq(T * B, 2));
  expect(model.memoryBytes()).toBe(layers[0].memoryBytes() + layers[1].memoryBytes());
  model.dispose();
  for (const l of layers) expect(code(() => l.stateDict())).toBe('DISPOSED');
  expect(code(() => model.forward(seq(T * B, 2)))).toBe('DISPOSED');
});

test('Sequential.loadStateDict checks the whole dict before any layer changes', () => {
  const model = SAMPLES.Sequential.make(), dict = model.stateDict(), before = bits(dict);
  const changed = Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, { data: t.data.map((x) => x * 2), shape: t.shape }]));
  const keys = Object.keys(changed), last = keys[keys.length - 1];
  expect(code(() => model.loadStateDict({ ...changed, [last]: new Float32Array(1) }))).toBe('SHAPE_MISMATCH');
  expect(code(() => model.loadStateDict({ ...changed, '7.weight': new Float32Array(1) }))).toBe('BAD_ARGUMENT');
  expect(bits(model.stateDict())).toEqual(before);
  model.dispose();
});

test('Sequential takes layers by their registered role: a model of its own is refused', () => {
  const mix = new ScalarMix({ numLayers: 2 });
  expect(code(() => new Sequential([mix as never]))).toBe('BAD_ARGUMENT');
  const emb = new Embedding({ numEmbeddings: 3, embeddingDim: 2 });
  expect(code(() => new Sequential([new Linear({ inFeatures: 2, outFeatures: 2 }), emb]))).toBe('BAD_ARGUMENT');
});

test('a checkpoint naming an unknown type or a bad configuration is BAD_FILE', () => {
  const file = saveCheckpoint(SAMPLES.Linear.make());
  const info = checkpointInfo(file);
  expect(info.model.type).toBe('Linear');
  // rewrite the description in place: same length, another type name
  const text = new TextDecoder().decode(file), at = text.indexOf('\\"type\\":\\"Linear\\"');
  expect(at).toBeGreaterThan(0);
  const foreign = file.slice(); foreign.set(new TextEncoder().encode('\\"type\\":\\"Lineaz\\"'), at);
  expect(code(() => loadCheckpoint(foreign))).toBe('BAD_FILE');
});

describe.each(optimizerTypes().map((t) => t.kind))('optimizer %s', (kind) => {
  test('resumes from a checkpoint bit-identically (rebuilt through the registry)', () => {
    const make = () => SAMPLES.Sequential.make() as Sequential;
    const target = Int32Array.from(ids.data, (x) => (x * 2) % 9);
    const stepOnce = (model: Sequential, opt: { step(): boolean }) => {
      model.zeroGrad();
      const out = model.forward(ids, { train: true });
      const grad = Float32Array.from(out.data, (v, i) => (v - (i % 9 === target[Math.floor(i / 9)] ? 1 : 0)) / out.data.length);
      model.backward({ data: grad, shape: out.shape });
      opt.step();
    };
    const model = make(), opt = optimizerType(kind)!.build(model, { lr: 0.05 });
    stepOnce(model, opt); stepOnce(model, opt);
    const file = saveCheckpoint(model, opt);
    expect(checkpointInfo(file).optimizer).toEqual({ kind, options: { lr: 0.05 }, step: 2 });
    const loaded = loadCheckpoint(file);
    expect(loaded.optimizer?.kind).toBe(kind);
    expect(optimizerType(kind)!.is(loaded.optimizer)).toBe(true);
    stepOnce(model, opt); stepOnce(loaded.model as Sequential, loaded.optimizer!);
    expect(bits(loaded.model.stateDict())).toEqual(bits(model.stateDict()));
    expect(loaded.optimizer!.stateDict()).toEqual(opt.stateDict());
    model.dispose(); loaded.model.dispose(); opt.dispose(); loaded.optimizer!.dispose();
  });
});

test('registration lives in modules.ts alone and runs on demand: no file has a side effect, a bundle of one layer carries no registry', async () => {
  const root = resolve(import.meta.dirname, '..'), src = join(root, 'src');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { sideEffects: unknown };
  expect(pkg.sideEffects).toBe(false);
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  const registering = walk(src).filter((f) => f.endsWith('.ts') && /register(Module|Optimizer)\(/.test(readFileSync(f, 'utf8')));
  expect(registering.map((f) => relative(src, f)).sort()).toEqual(['modules.ts', 'registry.ts']);
  const { build } = await import('esbuild');
  const bundle = await build({
    stdin: { contents: "import { LSTM } from 'simd-rnn'; console.log(LSTM);", resolveDir: root, loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
  });
  // messages only the registry, training and the echo state network hold (minifying keeps strings)
  const code = new TextDecoder().decode(bundle.outputFiles[0].contents);
  for (const text of ['is registered already', 'unknown module type', 'EchoStateNetwork', 'Sequential.loadStateDict', 'Adam']) expect(code).not.toContain(text);
});
