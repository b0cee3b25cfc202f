// File fuzzing of the Keras / TensorFlow.js loader (`simd-rnn/keras`: loadKerasModel with a
// model.json and its weight bytes). Seeds: fixtures of test/fixtures/keras (every layer kind,
// Bidirectional merges, a functional chain, an Embedding with mask_zero, quantized uint8 /
// uint16 / float16 weights). The codes loadKerasModel documents for a bad file: BAD_FILE, and
// UNSUPPORTED (a mutation can turn a layer, a dtype or an option into one the loader names and
// refuses) and SHAPE_MISMATCH (a weight of the wrong shape for its layer); never another error
// or code, never a wasm trap; a refusal keeps no layer; no load allocates more than 4x the
// files' bytes (model.json + weights) + 1 MiB of wasm or ArrayBuffer memory
// (test/fuzz-files.ts); what loads runs: `predict` on an input of the model's shape gives an
// output for each row. Mutations: weight bytes (flips, boundary values, truncation at every
// weight boundary, garbage), weight files split at random points, manifest lies (byte counts
// through shapes and dtypes, quantization, names, paths, groups), topology edits (sizes,
// classes, flags, activations, input shapes, layers, __proto__ keys) and model.json text that
// is not a model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, type Backend, type RnnErrorCode } from '../src/node.js';
import { loadKerasModel, type KerasModel } from '../src/keras.js';
import { RUNS_FACTOR, SEED, fcParams } from './property-config.js';
import { Tally, applyByteOps, byteOps, judge } from './fuzz-files.js';

console.log(`fuzz-files-keras: seed ${SEED}, runs x${RUNS_FACTOR}`);

const NAMES = [
  'lstm_seq', 'simple_rnn_relu_nobias_last', 'gru_reset_after_seq', 'bidi_gru_concat_last', 'bidi_lstm_ave_last', 'lstm_dense_softmax',
  'gru_timedistributed_relu', 'stack_identities', 'functional_chain', 'embedding_lstm_dense', 'mask_both_stack_bidi',
  'quantized_uint8', 'quantized_uint16', 'quantized_float16',
];
const dir = join(import.meta.dirname, 'fixtures', 'keras');
const SEEDS = new Map(NAMES.map((n) => [n, { text: readFileSync(join(dir, `${n}.json`), 'utf8'), weights: new Uint8Array(readFileSync(join(dir, `${n}.bin`))) }]));
const ALLOWED: readonly RnnErrorCode[] = ['BAD_FILE', 'UNSUPPORTED', 'SHAPE_MISMATCH'];

let backend: Backend;
beforeAll(async () => { backend = await init(); });
const tally = new Tally();
afterAll(() => console.log(`fuzz-files-keras (seed ${SEED}):\n${tally.summary()}`));

/** A loaded model runs: predict on a batch of 2 of its input shape (3 steps where it is open) gives an output for each. */
function checkModel(m: KerasModel, what: string): void {
  expect(m.layers.length, what).toBeGreaterThan(0);
  // a declared length of a million steps is a valid model, but no input to try here
  if (m.inputShape?.some((d) => d !== null && d > 64)) return;
  let y;
  if (m.takesIds) {
    const T = (m.inputShape?.[1] as number | null | undefined) ?? 3;
    y = m.predict({ data: Int32Array.from({ length: 2 * T }, (_, i) => i % 2), shape: [2, T] });
  } else {
    const first = m.layers.find((l) => l.module)!.module!.config() as { inputSize?: number; inFeatures?: number };
    const F = first.inputSize ?? first.inFeatures!, T = (m.inputShape?.[1] as number | null | undefined) ?? 3;
    const shape = m.inputShape && m.inputShape.length === 2 ? [2, F] : [2, T, F];
    y = m.predict({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)), shape });
  }
  // (not necessarily finite: a flipped exponent makes a finite weight of 1e38, and relu overflows)
  expect(y.data.length, `${what}: output size`).toBe(y.shape.reduce((a, b) => a * b, 1));
  expect(y.shape[0], `${what}: batch`).toBe(2);
}

function load(what: string, family: string, json: string | object, weights: Uint8Array | Uint8Array[]): void {
  const size = (typeof json === 'string' ? json.length : JSON.stringify(json).length) + (Array.isArray(weights) ? weights.reduce((n, w) => n + w.length, 0) : weights.length);
  const r = judge(`${what}: loadKerasModel`, backend, size, ALLOWED, () => loadKerasModel(json, weights), (m) => {
    try { checkModel(m, what); } finally { m.dispose(); }
  });
  tally.add(family, r);
}

// ---- edits of model.json ----

type Json = Record<string, unknown>;
const VALUES = [-1, 0, 1, 2, 3, 1.5, 1e9, 2 ** 53, '4', '', null, true, false, [], {}, [4], 'tanh', 'relu', 'elu', 'LSTM', 'Dense', 'Nope'];

/** Every (object, key) below `root` holding a value that is not an object or array. */
function leaves(root: unknown, out: [Json, string][] = []): [Json, string][] {
  if (typeof root !== 'object' || root === null) return out;
  for (const [k, v] of Object.entries(root)) {
    if (typeof v === 'object' && v !== null) leaves(v, out);
    else out.push([root as Json, k]);
  }
  return out;
}

/** Every object below `root` (arrays included), for structural edits. */
function objects(root: unknown, out: Json[] = []): Json[] {
  if (typeof root !== 'object' || root === null) return out;
  out.push(root as Json);
  for (const v of Object.values(root)) objects(v, out);
  return out;
}

type ManifestLie =
  | { lie: 'shape'; pick: number; how: 'plus' | 'minus' | 'zero' | 'negative' | 'fraction' | 'huge' | 'exact2^53' | 'string' | 'null' | 'flat' | 'extraDim' | 'notArray' }
  | { lie: 'dtype'; pick: number; value: unknown }
  | { lie: 'quantization'; pick: number; value: unknown }
  | { lie: 'name'; pick: number; how: 'duplicate' | 'rename' | 'proto' | 'empty' | 'number' }
  | { lie: 'paths'; value: unknown }
  | { lie: 'group'; how: 'weightsNotArray' | 'null' | 'empty' | 'split' | 'merge' | 'notArray' }
  | { lie: 'remove'; pick: number }
  | { lie: 'swap'; pick: number }
  | { lie: 'extra'; floats: number };

type TopologyEdit =
  | { edit: 'set'; path: number; value: unknown }
  | { edit: 'scale'; path: number; factor: number }
  | { edit: 'drop'; path: number }
  | { edit: 'proto'; path: number }
  | { edit: 'layers'; how: 'empty' | 'reverse' | 'duplicate' | 'notArray' | 'dropFirst' | 'dropLast' }
  | { edit: 'shape'; value: unknown }
  | { edit: 'model'; how: 'noTopology' | 'topologyArray' | 'format' | 'noManifest' | 'className' | 'modelConfig' };

const pick = fc.nat({ max: 1 << 20 });
const manifestLie: fc.Arbitrary<ManifestLie> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ lie: fc.constant('shape' as const), pick, how: fc.constantFrom('plus' as const, 'minus' as const, 'zero' as const, 'negative' as const, 'fraction' as const, 'huge' as const, 'exact2^53' as const, 'string' as const, 'null' as const, 'flat' as const, 'extraDim' as const, 'notArray' as const) }) },
  { weight: 2, arbitrary: fc.record({ lie: fc.constant('dtype' as const), pick, value: fc.constantFrom('float32', 'int32', 'float16', 'float64', 'string', 'bool', 'uint8', undefined, 1) }) },
  { weight: 2, arbitrary: fc.record({ lie: fc.constant('quantization' as const), pick, value: fc.constantFrom(
    { dtype: 'uint8', scale: 0.01, min: -1 }, { dtype: 'uint16', scale: 0.001, min: -1 }, { dtype: 'float16' }, { dtype: 'int8', scale: 1, min: 0 },
    { dtype: 'uint8', scale: NaN, min: 0 }, { dtype: 'uint8', scale: 'x', min: 0 }, { dtype: 'uint8' }, { dtype: 'uint8', scale: 1, min: 0, original_dtype: 'int32' }, null, 'x', []) }) },
  fc.record({ lie: fc.constant('name' as const), pick, how: fc.constantFrom('duplicate' as const, 'rename' as const, 'proto' as const, 'empty' as const, 'number' as const) }),
  fc.record({ lie: fc.constant('paths' as const), value: fc.constantFrom(undefined, null, 'x', [], ['a.bin', 'b.bin'], [1]) }),
  fc.record({ lie: fc.constant('group' as const), how: fc.constantFrom('weightsNotArray' as const, 'null' as const, 'empty' as const, 'split' as const, 'merge' as const, 'notArray' as const) }),
  fc.record({ lie: fc.constant('remove' as const), pick }),
  fc.record({ lie: fc.constant('swap' as const), pick }),
  fc.record({ lie: fc.constant('extra' as const), floats: fc.nat({ max: 6 }) }),
);
const topologyEdit: fc.Arbitrary<TopologyEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ edit: fc.constant('set' as const), path: pick, value: fc.constantFrom(...VALUES) }) },
  { weight: 2, arbitrary: fc.record({ edit: fc.constant('scale' as const), path: pick, factor: fc.constantFrom(2, 10, 1000, 1e6, 0.5, -1) }) },
  fc.record({ edit: fc.constant('drop' as const), path: pick }),
  fc.record({ edit: fc.constant('proto' as const), path: pick }),
  fc.record({ edit: fc.constant('layers' as const), how: fc.constantFrom('empty' as const, 'reverse' as const, 'duplicate' as const, 'notArray' as const, 'dropFirst' as const, 'dropLast' as const) }),
  fc.record({ edit: fc.constant('shape' as const), value: fc.constantFrom([null, 5, 0], [null, 5, 1e9], [null, -1, 4], [null, 5, 4.5], 'x', [null], [null, null, null], [2 ** 53, 5, 4], [null, 1e9]) }),
  fc.record({ edit: fc.constant('model' as const), how: fc.constantFrom('noTopology' as const, 'topologyArray' as const, 'format' as const, 'noManifest' as const, 'className' as const, 'modelConfig' as const) }),
);

function manifestEntries(model: Json): Json[] {
  const m = model.weightsManifest;
  return Array.isArray(m) ? m.flatMap((g) => (Array.isArray((g as Json)?.weights) ? ((g as Json).weights as Json[]) : [])) : [];
}

/** The bytes of each manifest entry, in order (before any lie), to rebuild the weights when entries move. */
function applyManifestLie(model: Json, weights: Uint8Array, e: ManifestLie): Uint8Array {
  const entries = manifestEntries(model), w = entries.length ? entries[('pick' in e ? e.pick : 0) % entries.length] : undefined;
  if (!Array.isArray(model.weightsManifest)) return weights;
  const groups = model.weightsManifest as Json[];
  switch (e.lie) {
    case 'shape': {
      if (!w || !Array.isArray(w.shape)) break;
      const s = w.shape as number[], i = s.length ? e.pick % s.length : 0;
      const set = (v: unknown) => { const c = [...s] as unknown[]; c[i] = v; return c; };
      w.shape = { plus: set(s[i] + 1), minus: set(s[i] - 1), zero: set(0), negative: set(-s[i]), fraction: set(s[i] + 0.5), huge: set(1e8), 'exact2^53': set(2 ** 53), string: set(String(s[i])), null: set(null), flat: [s.reduce((a, b) => a * b, 1)], extraDim: [...s, 1], notArray: 'x' }[e.how];
      break;
    }
    case 'dtype': if (w) { if (e.value === undefined) delete w.dtype; else w.dtype = e.value; } break;
    case 'quantization': if (w) w.quantization = e.value; break;
    case 'name': if (w) w.name = { duplicate: entries[0].name, rename: `${w.name}_x`, proto: '__proto__', empty: '', number: 7 }[e.how]; break;
    case 'paths': if (groups[0]) { if (e.value === undefined) delete groups[0].paths; else groups[0].paths = e.value; } break;
    case 'group':
      if (e.how === 'weightsNotArray' && groups[0]) groups[0].weights = { 0: (groups[0].weights as unknown[])[0] };
      else if (e.how === 'null') groups.unshift(null as never);
      else if (e.how === 'empty') groups.push({ paths: [], weights: [] });
      else if (e.how === 'split' && groups[0] && Array.isArray(groups[0].weights)) {
        const ws = groups[0].weights as Json[];
        groups.splice(1, 0, { paths: ['second.bin'], weights: ws.splice(Math.ceil(ws.length / 2)) });
      } else if (e.how === 'merge') model.weightsManifest = [{ paths: ['all.bin'], weights: entries }];
      else if (e.how === 'notArray') model.weightsManifest = groups[0] ?? {};
      break;
    case 'remove': if (w) for (const g of groups) if (Array.isArray(g?.weights)) (g.weights as Json[]).splice((g.weights as Json[]).indexOf(w) >>> 0, (g.weights as Json[]).includes(w) ? 1 : 0); break;
    case 'swap': if (w && entries.length > 1) { const o = entries[(e.pick + 1) % entries.length]; [w.name, o.name] = [o.name, w.name]; } break;
    case 'extra': {
      if (!groups[0] || !Array.isArray(groups[0].weights)) break;
      (groups[0].weights as Json[]).push({ name: 'extra/kernel', shape: [e.floats], dtype: 'float32' });
      const more = new Uint8Array(weights.length + 4 * e.floats);
      more.set(weights);
      return more;
    }
  }
  return weights;
}

function applyTopologyEdit(model: Json, e: TopologyEdit): void {
  const topo = model.modelTopology as Json | undefined;
  const config = (topo?.config ?? topo?.model_config) as Json | Json[] | undefined;
  const layers = (Array.isArray(config) ? config : (config as Json | undefined)?.layers) as Json[] | undefined;
  const spots = leaves(layers);
  const spot = spots.length && 'path' in e ? spots[e.path % spots.length] : undefined;
  switch (e.edit) {
    case 'set': if (spot) spot[0][spot[1]] = e.value; break;
    case 'scale': if (spot && typeof spot[0][spot[1]] === 'number') spot[0][spot[1]] = (spot[0][spot[1]] as number) * e.factor; break;
    case 'drop': if (spot) delete spot[0][spot[1]]; break;
    case 'proto': {
      const all = objects(layers);
      const o = all.length ? all[e.path % all.length] : undefined;
      if (o && !Array.isArray(o)) Object.defineProperty(o, '__proto__', { value: { units: 1e9 }, enumerable: true, writable: true, configurable: true });
      break;
    }
    case 'layers': {
      if (!Array.isArray(layers)) break;
      if (e.how === 'empty') layers.splice(0);
      else if (e.how === 'reverse') layers.reverse();
      else if (e.how === 'duplicate') layers.push(structuredClone(layers[layers.length - 1]));
      else if (e.how === 'dropFirst') layers.shift();
      else if (e.how === 'dropLast') layers.pop();
      else if (config && !Array.isArray(config)) config.layers = { 0: layers[0] };
      break;
    }
    case 'shape': {
      const c = layers?.[0]?.config as Json | undefined;
      if (c) c.batch_input_shape = e.value;
      break;
    }
    case 'model': {
      if (e.how === 'noTopology') delete model.modelTopology;
      else if (e.how === 'topologyArray') model.modelTopology = [topo];
      else if (e.how === 'format') model.format = 'graph-model';
      else if (e.how === 'noManifest') delete model.weightsManifest;
      else if (e.how === 'className' && topo) topo.class_name = topo.class_name === 'Sequential' ? 'Model' : 'Sequential';
      else if (e.how === 'modelConfig' && topo) model.modelTopology = { model_config: topo };
      break;
    }
  }
}

const json = (v: unknown) => JSON.stringify(v, (_, x) => (x === undefined ? '<undefined>' : typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

describe('Keras / TensorFlow.js models, mutated: loadKerasModel', () => {
  test('the seeds load as they are, as objects and as text, weights whole and split into files', () => {
    for (const [name, { text, weights }] of SEEDS) {
      load(name, 'seeds', text, weights);
      load(`${name} (object)`, 'seeds', JSON.parse(text), weights);
      load(`${name} (3 files)`, 'seeds', text, [weights.subarray(0, 5), weights.subarray(5, 9), weights.subarray(9)]);
    }
  });

  test('weight bytes mutated: flips, boundary values, truncation, garbage, cut and repeated ranges', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), byteOps(3), (name, ops) => {
      const { text, weights } = SEEDS.get(name)!;
      load(`${name} with ${json(ops)}`, 'weight bytes', text, applyByteOps(weights, ops));
    }), fcParams(120));
  });

  test('weights truncated at every weight boundary (and one byte either side), or split into files with a piece lost or repeated', () => {
    for (const [name, { text, weights }] of SEEDS) {
      const model = JSON.parse(text) as Json, cuts = new Set([0, 1, weights.length - 1]);
      let at = 0;
      for (const w of manifestEntries(model)) {
        const n = (w.shape as number[]).reduce((a, b) => a * b, 1), q = (w.quantization as Json | undefined)?.dtype;
        at += n * (q === 'uint8' ? 1 : q ? 2 : 4);
        for (const d of [-1, 0, 1]) cuts.add(at + d);
      }
      for (const cut of cuts) if (cut >= 0 && cut < weights.length) load(`${name} cut to ${cut} bytes`, 'weight truncations', text, weights.subarray(0, cut));
      const half = weights.length >> 1;
      load(`${name} second half lost`, 'weight truncations', text, [weights.subarray(0, half)]);
      load(`${name} first half twice`, 'weight truncations', text, [weights.subarray(0, half), weights.subarray(0, half), weights.subarray(half)]);
    }
  });

  test('manifest lies: shapes (byte counts), dtypes, quantization, names, paths, groups, missing / swapped / extra weights', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), fc.array(manifestLie, { minLength: 1, maxLength: 3 }), (name, lies) => {
      const seed = SEEDS.get(name)!, model = JSON.parse(seed.text) as Json;
      let weights: Uint8Array = seed.weights;
      for (const l of lies) weights = applyManifestLie(model, weights, l);
      load(`${name} with ${json(lies)}`, 'manifest lies', model, weights);
    }), fcParams(250));
  });

  test('topology edits: sizes, classes, flags, activations, input shapes, layers, inbound nodes, __proto__ keys, the model object', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), fc.array(topologyEdit, { minLength: 1, maxLength: 3 }), fc.boolean(), (name, edits, asText) => {
      const seed = SEEDS.get(name)!, model = JSON.parse(seed.text) as Json;
      for (const e of edits) applyTopologyEdit(model, e);
      load(`${name} with ${json(edits)}`, 'topology edits', asText ? JSON.stringify(model) : model, seed.weights);
    }), fcParams(250));
  });

  test('model.json text that is not a model: cut anywhere, bytes flipped, other JSON values', () => {
    fc.assert(fc.property(fc.constantFrom(...SEEDS.keys()), fc.oneof(byteOps(2), fc.constantFrom('[]', '1', 'null', '"x"', '{}', '{"modelTopology":{}}')), (name, edit) => {
      const { text, weights } = SEEDS.get(name)!;
      const mutated = typeof edit === 'string' ? edit : new TextDecoder().decode(applyByteOps(new TextEncoder().encode(text), edit));
      load(`${name} with text ${json(edit)}`, 'text edits', mutated, weights);
    }), fcParams(100));
  });
});

describe('what the fuzzer found (each failed before its fix)', () => {
  const codeOf = (f: () => unknown) => { try { (f() as KerasModel).dispose(); return 'loaded'; } catch (e) { return (e as { code?: string }).code ?? String(e); } };
  const lied = (name: string, lies: ManifestLie[]) => {
    const seed = SEEDS.get(name)!, model = JSON.parse(seed.text) as Json;
    let weights: Uint8Array = seed.weights;
    for (const l of lies) weights = applyManifestLie(model, weights, l);
    return { model, weights };
  };

  test('a weight shape that lies is refused before its array is allocated (a dimension of 1e8 allocated gigabytes first; 2^53 threw a RangeError)', () => {
    for (const how of ['huge', 'exact2^53'] as const) {
      const { model, weights } = lied('lstm_seq', [{ lie: 'shape', pick: 0, how }]);
      const r = judge(how, backend, weights.length + JSON.stringify(model).length, ALLOWED, () => loadKerasModel(model, weights), (m) => m.dispose());
      expect(r.ok ? 'loaded' : r.code, how).toBe('BAD_FILE');
    }
  });

  test('a weight holding NaN is BAD_FILE naming it, not NOT_FINITE from a layer', () => {
    const { text, weights } = SEEDS.get('lstm_seq')!, w = weights.slice();
    w.set([0xff, 0xff, 0xff, 0x7f], 8);
    expect(() => loadKerasModel(text, w)).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringContaining('lstm_LSTM1/kernel') }));
  });

  test('model.json text holding JSON that is no object is BAD_FILE (an argument that is no object stays BAD_ARGUMENT)', () => {
    const { weights } = SEEDS.get('lstm_seq')!;
    for (const text of ['[]', '1', 'null', '"x"']) expect(codeOf(() => loadKerasModel(text, weights)), text).toBe('BAD_FILE');
    expect(codeOf(() => loadKerasModel(7 as never, weights))).toBe('BAD_ARGUMENT');
  });

  test('input shapes no input can meet are refused at load: an Embedding declaring 3-D input, a size of 0', () => {
    const cases: [string, unknown][] = [['embedding_lstm_dense', [null, null, null]], ['lstm_seq', [null, 0, 4]], ['lstm_seq', [null, 5, 0]]];
    for (const [name, shape] of cases) {
      const model = JSON.parse(SEEDS.get(name)!.text) as Json;
      applyTopologyEdit(model, { edit: 'shape', value: shape });
      expect(codeOf(() => loadKerasModel(model, SEEDS.get(name)!.weights)), `${name} ${JSON.stringify(shape)}`).toBe('BAD_FILE');
    }
  });
});
