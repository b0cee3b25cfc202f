// File fuzzing of checkpoints (src/io/checkpoint.ts). Every mutated file goes to checkpointInfo,
// loadCheckpoint and loadCheckpointInto (into a model and optimizer loaded from the seed, with
// and without the optimizer). The contract: a load gives a well-formed model (its weights and
// optimizer state are the file's) or BAD_FILE, the one code the three document for a bad file
// (a file for another configuration included, so no SHAPE_MISMATCH here); never another error;
// loadCheckpointInto leaves the model's and the optimizer's bytes unchanged when it refuses;
// checkpointInfo refuses whatever loadCheckpoint refuses for the file's description, and
// accepts whatever it loads; no load allocates more than 4x the file's bytes + 1 MiB of wasm
// or ArrayBuffer memory (test/fuzz-files.ts), not even for a configuration that lies about
// its sizes. Mutations: byte flips and boundary values, every truncation at a structural
// boundary, header sizes that lie, safetensors header edits (test/fuzz-files-header.ts), and
// edits of the "simd-rnn" description: sizes, types, layers, optimizer kind / options / step /
// buffers / lr, schedule kind / options / state, format, text that is not JSON. A seed with a
// schedule loads into the seed's schedule too, which a refusal must leave as it was.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, EchoStateNetwork, Embedding, GRU, LSTM, Linear, OneCycleLR, RMSprop, RNN, ReduceLROnPlateau, SGD, Sequential, checkpointInfo, crossEntropy, init,
  loadCheckpoint, loadCheckpointInto, loadSafetensors, saveCheckpoint, type Backend, type RnnError, type Model, type Optimizer, type Schedule, type Tensor,
} from '../src/node.js';
import { moduleTypeOf } from '../src/registry.js';
import { RUNS_FACTOR, SEED, fcParams } from './property-config.js';
import { Tally, applyByteOps, byteOps, judge, type Outcome } from './fuzz-files.js';
import { applyHeaderEdits, headerEdit, headerText, joinSafetensors, splitSafetensors, type Entries, type HeaderEdit } from './fuzz-files-header.js';

console.log(`fuzz-files-checkpoint: seed ${SEED}, runs x${RUNS_FACTOR}`);

let backend: Backend;
const tally = new Tally();
afterAll(() => console.log(`fuzz-files-checkpoint (seed ${SEED}):\n${tally.summary()}`));

/** The seed files, and for each a model and optimizer loaded from it for loadCheckpointInto. */
interface Seed { bytes: Uint8Array; model: Model; optimizer?: Optimizer; schedule?: Schedule; snapshot: string }
const seeds = new Map<string, Seed>();

function stepOnce(model: Sequential, optimizer: Optimizer, V: number): void {
  const ids = { data: Int32Array.from({ length: 6 }, (_, i) => i % V), shape: [3, 2] };
  const out = model.forward(ids, { train: true });
  model.backward(crossEntropy(out, Int32Array.from({ length: 6 }, (_, i) => (i + 1) % V)).grad);
  optimizer.step();
}

/** The bytes of a model's weights, an optimizer's step, rate and state, a schedule's state, to compare before / after. */
function snapshot(model: Model, optimizer?: Optimizer, schedule?: Schedule): string {
  const parts = Object.entries(model.stateDict()).map(([k, t]) => `${k}:${t.shape}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')}`);
  if (optimizer) {
    const s = optimizer.stateDict();
    parts.push(`step ${s.step} lr ${optimizer.lr}`, ...s.buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')));
  }
  if (schedule) parts.push(JSON.stringify(schedule.stateDict()));
  return parts.join('\n');
}

beforeAll(async () => {
  backend = await init();
  const files: [string, Uint8Array][] = [];
  {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }), adam = new Adam(lstm, { lr: 0.01 });
    const x = { data: Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => Math.sin(i)), shape: [2, 3, 3] };
    const r = lstm.forward(x, undefined, { train: true });
    lstm.backward({ data: r.output.data.map(() => 0.1), shape: r.output.shape });
    adam.step();
    files.push(['lstm+adam', saveCheckpoint(lstm, adam, { note: 'seed' })]);
    adam.dispose(); lstm.dispose();
  }
  {
    const V = 5, seq = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: 3, seed: 2 }), new GRU({ inputSize: 3, hiddenSize: 2, bidirectional: true, seed: 2 }), new Linear({ inFeatures: 4, outFeatures: V, seed: 2 })]);
    const sgd = new SGD(seq, { lr: 0.1, momentum: 0.9 });
    stepOnce(seq, sgd, V);
    files.push(['sequential+sgd', saveCheckpoint(seq, sgd)]);
    const cycle = new OneCycleLR(sgd, { maxLr: 0.5, totalSteps: 10, threePhase: true });
    stepOnce(seq, sgd, V); cycle.step();
    files.push(['sequential+sgd+onecycle', saveCheckpoint(seq, sgd, undefined, { schedule: cycle })]);
    sgd.dispose(); seq.dispose();
  }
  {
    const gru = new GRU({ inputSize: 2, hiddenSize: 2, seed: 7 }), adam = new Adam(gru, { lr: 0.01 }), plateau = new ReduceLROnPlateau(adam, { patience: 0, cooldown: 1 });
    plateau.step(1); plateau.step(2);
    files.push(['gru+adam+plateau', saveCheckpoint(gru, adam, undefined, { schedule: plateau })]);
    adam.dispose(); gru.dispose();
  }
  {
    const rnn = new RNN({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, seed: 3 }), rms = new RMSprop(rnn, { lr: 0.01 });
    files.push(['rnn+rmsprop(step 0)', saveCheckpoint(rnn, rms)]);
    rms.dispose(); rnn.dispose();
  }
  {
    const linear = new Linear({ inFeatures: 3, outFeatures: 2, seed: 4 });
    files.push(['linear', saveCheckpoint(linear, undefined, { vocabulary: 'ab' })]);
    linear.dispose();
  }
  {
    const esn = new EchoStateNetwork({ inputSize: 1, reservoirSize: 6, outputSize: 1, seed: 5 });
    files.push(['esn', saveCheckpoint(esn)]);
    esn.dispose();
  }
  files.push(['format-1 fixture', new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'checkpoint-format1.safetensors')))]);
  for (const [name, bytes] of files) {
    const { model, optimizer, schedule } = loadCheckpoint(bytes);
    seeds.set(name, { bytes, model, optimizer, schedule, snapshot: snapshot(model, optimizer, schedule) });
  }
});

afterAll(() => {
  for (const s of seeds.values()) { s.optimizer?.dispose(); s.model.dispose(); }
});

const ALLOWED = ['BAD_FILE'] as const;
const sameValues = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** A loaded model (and optimizer) holds exactly the file's tensors, as loadSafetensors reads them. */
function checkLoaded(bytes: Uint8Array, model: Model, optimizer: Optimizer | undefined, info: ReturnType<typeof checkpointInfo>, schedule?: Schedule): void {
  const { tensors } = loadSafetensors(bytes);
  const weights = Object.keys(tensors).filter((k) => !/^optimizer\.(0|[1-9]\d*)$/.test(k));
  const state = model.stateDict();
  expect(Object.keys(state).sort()).toEqual(weights.sort());
  for (const k of weights) {
    expect(state[k].shape, k).toEqual(tensors[k].shape);
    expect(sameValues(state[k].data, tensors[k].data), k).toBe(true);
  }
  expect(moduleTypeOf(model)?.type).toBe(info.model.type);
  expect(optimizer?.kind).toBe(info.optimizer?.kind);
  if (optimizer) {
    const s = optimizer.stateDict();
    expect(s.step).toBe(info.optimizer!.step);
    s.buffers.forEach((b, i) => expect(sameValues(b, tensors[`optimizer.${i}`].data), `optimizer.${i}`).toBe(true));
    expect(Object.keys(tensors).length - weights.length).toBe(s.buffers.length);
  }
  // a schedule loaded holds the file's state (JSON-equal), and its optimizer the rate in it
  if (schedule) {
    expect(schedule.stateDict()).toEqual(info.schedule!.state);
    expect(optimizer!.lr).toBe(info.schedule!.state.lastLr);
  }
}

/** checkpointInfo's result is well-formed: what the CLI prints and tools rely on. */
function checkInfo(info: ReturnType<typeof checkpointInfo>): void {
  expect(typeof info.model.type).toBe('string');
  if (info.optimizer) {
    expect(Number.isSafeInteger(info.optimizer.step) && info.optimizer.step >= 0, `step ${info.optimizer.step}`).toBe(true);
    expect(typeof info.optimizer.options === 'object' && info.optimizer.options !== null && !Array.isArray(info.optimizer.options), 'options').toBe(true);
  }
  for (const shape of Object.values(info.tensors)) expect(shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  for (const v of Object.values(info.metadata)) expect(typeof v).toBe('string');
}

/** The three entries on one file, and what they must agree on. */
function checkAll(what: string, family: string, seedName: string, bytes: Uint8Array, withOptimizer: boolean): void {
  const seed = seeds.get(seedName)!;
  const info = judge(`${what}: checkpointInfo`, backend, bytes.length, ALLOWED, () => checkpointInfo(bytes));
  if (info.ok) checkInfo(info.value);
  tally.add(`${family}: checkpointInfo`, info);

  const load: Outcome<unknown> = judge(`${what}: loadCheckpoint`, backend, bytes.length, ALLOWED, () => loadCheckpoint(bytes), ({ model, optimizer, schedule }) => {
    try {
      if (!info.ok) throw new Error(`${what}: loadCheckpoint loads a file checkpointInfo refuses (${info.message})`);
      expect(schedule?.kind).toBe(optimizer ? info.value.schedule?.kind : undefined);
      checkLoaded(bytes, model, optimizer, info.value, schedule);
    } finally {
      optimizer?.dispose();
      model.dispose();
    }
  });
  tally.add(`${family}: loadCheckpoint`, load);

  const optimizer = withOptimizer ? seed.optimizer : undefined, schedule = withOptimizer ? seed.schedule : undefined;
  const into = judge(`${what}: loadCheckpointInto${optimizer ? ' with optimizer' : ''}`, backend, bytes.length, ALLOWED, () => loadCheckpointInto(bytes, seed.model, optimizer, schedule), () => {
    try {
      if (!info.ok) throw new Error(`${what}: loadCheckpointInto loads a file checkpointInfo refuses (${info.message})`);
      checkLoaded(bytes, seed.model, optimizer, { ...info.value, optimizer: optimizer ? info.value.optimizer : undefined }, schedule);
    } finally {
      // back to the seed's state (and its memory: a state the seed's optimizer did not have is freed)
      loadCheckpointInto(seed.bytes, seed.model, seed.optimizer, seed.schedule);
    }
  });
  tally.add(`${family}: loadCheckpointInto`, into);
  // no partial load: a refusal leaves the model's and the optimizer's bytes as they were
  expect(snapshot(seed.model, seed.optimizer, seed.schedule), `${what}: the model, optimizer or schedule changed`).toBe(seed.snapshot);
}

// ---- edits of the checkpoint's own description (the "simd-rnn" metadata string) ----

type MetaEdit =
  | { edit: 'set'; path: number; value: unknown }
  | { edit: 'scale'; path: number; factor: number }
  | { edit: 'drop'; path: number }
  | { edit: 'add'; key: string; value: unknown }
  | { edit: 'layers'; how: 'empty' | 'notArray' | 'unknown' | 'duplicate' | 'reverse' | 'nested' | 'null' }
  | { edit: 'optimizer'; field: 'kind' | 'options' | 'step' | 'buffers' | 'lr' | 'whole' | 'drop' | 'add'; value: unknown }
  | { edit: 'schedule'; field: string; value: unknown }
  | { edit: 'format'; value: unknown }
  | { edit: 'text'; value: string };

const VALUES = [-1, 0, 1, 2, 3, 1.5, -0.5, 1e9, 2 ** 31, 2 ** 53, 1e308, '4', '', null, true, false, [], {}, [4], 'LSTM', 'Unknown', 'tanh', 'relu'];
const OPTIMIZER_VALUES: Record<string, unknown[]> = {
  kind: ['SGD', 'Adam', 'AdamW', 'RMSprop', 'adam', '', null, 1, 'Unknown'],
  options: ['x', null, [], {}, { lr: -1 }, { lr: 0 }, { lr: 0.1, momentum: 2 }, { lr: 1, bogus: 1 }, { lr: 1e308 }, { lr: '0.1' }, JSON.parse('{"__proto__":{"lr":1}}')],
  step: [-1, 0, 1, 2, 1.5, 2 ** 53, 1e300, '1', null, []],
  buffers: [0, 1, 2, 3, 1e9, -1, 'x', null],
  lr: [-1, 0, 0.5, NaN, 1e308, '0.1', null, [], {}],
  whole: [null, 'x', 1, [], {}, { kind: 'Adam' }],
  drop: [null],
  add: [{ kind: 'Adam', options: { lr: 0.1 }, step: 0, buffers: 0 }, { kind: 'SGD', options: { lr: 0.1, momentum: 0.5 }, step: 3, buffers: 2 }],
};

const SCHEDULE_VALUES: Record<string, unknown[]> = {
  kind: ['StepLR', 'OneCycleLR', 'ReduceLROnPlateau', 'LinearLR', 'CyclicLR', '', null, 1, 'constructor', '__proto__', 'toString'],
  options: ['x', null, [], {}, { maxLr: -1, totalSteps: 10 }, { maxLr: 0.5, totalSteps: 1 }, { maxLr: 0.5, totalSteps: 10, bogus: 1 }, { patience: 0, cooldown: 1 }, { stepSize: 2 }],
  'state.kind': ['StepLR', 'OneCycleLR', 'ReduceLROnPlateau', null, 1],
  'state.lastEpoch': [-1, 0, 1, 9, 10, 11, 1.5, 1e300, '1', null],
  'state.baseLr': [-1, 0, 0.02, NaN, 1e308, null],
  'state.lastLr': [-1, 0, 0.02, 1e308, null, '0.1'],
  'state.lastMomentum': [-0.1, 0, 0.9, 1, 2, null],
  'state.best': [null, -1, 1e308, 'x', [], 3],
  'state.numBadEpochs': [-1, 0, 1, 1.5, null],
  'state.cooldownCounter': [-1, 0, 1, 1.5, null],
  'state.extra': [1],
  state: [null, 'x', 1, [], {}],
  whole: [null, 'x', 1, [], {}, { kind: 'StepLR' }],
  drop: [null],
  add: [{ kind: 'StepLR', options: { stepSize: 2 }, state: { kind: 'StepLR', lastEpoch: 3, baseLr: 0.1, lastLr: 0.01 } },
    { kind: 'ReduceLROnPlateau', options: {}, state: { kind: 'ReduceLROnPlateau', lastEpoch: 0, baseLr: 0.1, lastLr: 0.1, best: null, numBadEpochs: 0, cooldownCounter: 0 } }],
};

const path = fc.nat({ max: 1000 });
const metaEdit: fc.Arbitrary<MetaEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ edit: fc.constant('set' as const), path, value: fc.constantFrom(...VALUES) }) },
  { weight: 3, arbitrary: fc.record({ edit: fc.constant('scale' as const), path, factor: fc.constantFrom(2, 10, 100, 1000, 1e5, 1e9, 0.5) }) },
  fc.record({ edit: fc.constant('drop' as const), path }),
  fc.record({ edit: fc.constant('add' as const), key: fc.constantFrom('hiddenSize2', 'seed', '__proto__', 'constructor', 'projSize', 'layers'), value: fc.constantFrom(...VALUES) }),
  fc.record({ edit: fc.constant('layers' as const), how: fc.constantFrom('empty' as const, 'notArray' as const, 'unknown' as const, 'duplicate' as const, 'reverse' as const, 'nested' as const, 'null' as const) }),
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(OPTIMIZER_VALUES)).chain((field) => fc.record({ edit: fc.constant('optimizer' as const), field: fc.constant(field as 'kind'), value: fc.constantFrom(...OPTIMIZER_VALUES[field]) })) },
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(SCHEDULE_VALUES)).chain((field) => fc.record({ edit: fc.constant('schedule' as const), field: fc.constant(field), value: fc.constantFrom(...SCHEDULE_VALUES[field]) })) },
  fc.record({ edit: fc.constant('format' as const), value: fc.constantFrom(0, 2, '1', null, 1.5) }),
  fc.record({ edit: fc.constant('text' as const), value: fc.constantFrom('', '{', 'null', '[]', '1', '"x"', '{"format":1}', '{"format":1,"model":null}') }),
);

/** Every (object, key) below `root` whose value is not an object: the leaves a 'set' edit may hit. */
function leaves(root: unknown, out: [Record<string, unknown>, string][] = []): [Record<string, unknown>, string][] {
  if (typeof root !== 'object' || root === null) return out;
  for (const [k, v] of Object.entries(root)) {
    if (typeof v === 'object' && v !== null) leaves(v, out);
    else out.push([root as Record<string, unknown>, k]);
  }
  return out;
}

function applyMetaEdits(entries: Entries, edits: readonly MetaEdit[]): Entries {
  const out: Entries = entries.map(([k, v]) => [k, structuredClone(v)]);
  const m = out.find(([k]) => k === '__metadata__')![1] as Record<string, string>;
  let text: string | undefined;
  const meta = JSON.parse(m['simd-rnn']) as { model: Record<string, unknown>; optimizer?: Record<string, unknown>; schedule?: Record<string, unknown>; format?: unknown };
  for (const e of edits) {
    const spots = leaves(meta.model);
    const spot = spots.length && 'path' in e ? spots[e.path % spots.length] : undefined;
    switch (e.edit) {
      case 'set': if (spot) spot[0][spot[1]] = e.value; break;
      case 'scale': if (spot && typeof spot[0][spot[1]] === 'number') spot[0][spot[1]] = (spot[0][spot[1]] as number) * e.factor; break;
      case 'drop': if (spot) delete spot[0][spot[1]]; break;
      case 'add': Object.defineProperty(meta.model, e.key, { value: e.value, enumerable: true, writable: true, configurable: true }); break;
      case 'layers': {
        const layers = Array.isArray(meta.model.layers) ? (meta.model.layers as unknown[]) : undefined;
        const values = { empty: [], notArray: { 0: layers?.[0] }, unknown: [...(layers ?? []), { type: 'Unknown' }], duplicate: layers ? [...layers, layers[layers.length - 1]] : [structuredClone(meta.model)], reverse: layers ? [...layers].reverse() : undefined, nested: [{ type: 'Sequential', layers: layers ?? [] }], null: null };
        meta.model.layers = values[e.how];
        break;
      }
      case 'optimizer':
        if (e.field === 'drop') delete meta.optimizer;
        else if (e.field === 'add' || e.field === 'whole') meta.optimizer = e.value as Record<string, unknown>;
        else if (typeof meta.optimizer === 'object' && meta.optimizer !== null) meta.optimizer[e.field] = e.value;
        break;
      case 'schedule': {
        const sched = meta.schedule, state = sched?.state as Record<string, unknown> | undefined;
        if (e.field === 'drop') delete meta.schedule;
        else if (e.field === 'add' || e.field === 'whole') meta.schedule = structuredClone(e.value) as Record<string, unknown>;
        else if (e.field.startsWith('state.')) { if (typeof state === 'object' && state !== null) state[e.field.slice(6)] = e.value; }
        else if (typeof sched === 'object' && sched !== null) sched[e.field] = e.value;
        break;
      }
      case 'format': meta.format = e.value; break;
      case 'text': text = e.value; break;
    }
  }
  m['simd-rnn'] = text ?? JSON.stringify(meta);
  return out;
}

const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

describe('checkpoints on mutated files: checkpointInfo, loadCheckpoint, loadCheckpointInto', () => {
  test('the seeds load as they are', () => {
    for (const [name, seed] of seeds) checkAll(name, 'seeds', name, seed.bytes, true);
  });

  test('byte mutations: flips, boundary bytes and words, truncation, garbage, cut and repeated ranges', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds.keys()), byteOps(3), fc.boolean(), (name, ops, withOptimizer) => {
      checkAll(`${name} with ${json(ops)}`, 'byte mutations', name, applyByteOps(seeds.get(name)!.bytes, ops), withOptimizer);
    }), fcParams(150));
  });

  test('truncated at every structural boundary, and header sizes that lie', () => {
    for (const [name, { bytes }] of seeds) {
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)), { entries } = splitSafetensors(bytes);
      const cuts = new Set<number>([0, 7, 8, 9, 8 + n - 1, 8 + n, 8 + n + 1, bytes.length - 1]);
      for (const [, e] of entries) for (const o of (e as { data_offsets?: number[] }).data_offsets ?? []) cuts.add(8 + n + o);
      for (const cut of cuts) if (cut < bytes.length) checkAll(`${name} cut to ${cut} bytes`, 'truncations', name, bytes.subarray(0, cut), true);
      for (const size of [0n, BigInt(n - 1), BigInt(n + 1), BigInt(bytes.length), 2n ** 53n, 2n ** 64n - 1n, 100n * 2n ** 20n + 1n]) {
        const b = bytes.slice();
        new DataView(b.buffer).setBigUint64(0, size, true);
        checkAll(`${name} with header size ${size}`, 'header size lies', name, b, true);
      }
    }
  });

  test('safetensors header edits: dtypes, shapes, offsets, duplicate / missing / extra / odd names, metadata, broken text', () => {
    const splits = new Map([...seeds].map(([name, s]) => [name, splitSafetensors(s.bytes)]));
    fc.assert(fc.property(fc.constantFrom(...splits.keys()), fc.array(headerEdit, { minLength: 1, maxLength: 2 }), fc.boolean(), (name, edits: HeaderEdit[], withOptimizer) => {
      const { header, data } = applyHeaderEdits(splits.get(name)!, edits);
      checkAll(`${name} with ${json(edits)}`, 'header edits', name, joinSafetensors(header, data), withOptimizer);
    }), fcParams(200));
  });

  test('description edits: sizes, types, layers, optimizer kind / options / step / buffers / lr, schedule, format, not JSON', () => {
    const splits = new Map([...seeds].map(([name, s]) => [name, splitSafetensors(s.bytes)]));
    fc.assert(fc.property(fc.constantFrom(...splits.keys()), fc.array(metaEdit, { minLength: 1, maxLength: 3 }), fc.boolean(), (name, edits, withOptimizer) => {
      const split = splits.get(name)!;
      const { header, data } = applyHeaderEdits({ entries: applyMetaEdits(split.entries, edits), data: split.data }, []);
      checkAll(`${name} with ${json(edits)}`, 'description edits', name, joinSafetensors(header, data), withOptimizer);
    }), fcParams(250));
  });
});

describe('what the fuzzer found (each failed before its fix)', () => {
  const edited = (name: string, edits: MetaEdit[], header: HeaderEdit[] = []) => {
    const split = splitSafetensors(seeds.get(name)!.bytes);
    const { header: h, data } = applyHeaderEdits({ entries: applyMetaEdits(split.entries, edits), data: split.data }, header);
    return joinSafetensors(h, data);
  };
  const codeOf = (f: () => unknown) => { try { f(); return 'loaded'; } catch (e) { return (e as RnnError).code ?? String(e); } };

  test('a configuration claiming sizes its weights cannot fill is refused before it allocates (an LSTM of 4000 hidden units from 1 KB built 288 MB first)', () => {
    // the LSTM's hiddenSize (leaf 2 of its configuration) x 1000; the ESN's reservoirSize x 100
    for (const [name, path, factor] of [['lstm+adam', 2, 1000], ['esn', 1, 100], ['sequential+sgd', 5, 1e5]] as const) {
      const bytes = edited(name, [{ edit: 'scale', path, factor }]);
      const r = judge(`${name} x${factor}`, backend, bytes.length, ALLOWED, () => loadCheckpoint(bytes), (m) => m.model.dispose());
      expect(r.ok ? 'loaded' : r.code).toBe('BAD_FILE');
    }
  });

  test('loadCheckpointInto without an optimizer, from a file with optimizer state, keeps no memory (it built an optimizer and dropped it)', () => {
    const seed = seeds.get('lstm+adam')!;
    judge('lstm+adam into the model alone', backend, seed.bytes.length, ALLOWED, () => loadCheckpointInto(seed.bytes, seed.model));
  });

  test('optimizer options its constructor refuses are BAD_FILE, not BAD_ARGUMENT', () => {
    const bytes = edited('lstm+adam', [{ edit: 'optimizer', field: 'options', value: { lr: -1 } }]);
    expect(codeOf(() => loadCheckpoint(bytes))).toBe('BAD_FILE');
  });

  test('checkpointInfo refuses an optimizer step or options that loadCheckpoint refuses', () => {
    for (const [field, value] of [['step', -1], ['step', 1.5], ['options', 'x'], ['options', null]] as const) {
      const bytes = edited('lstm+adam', [{ edit: 'optimizer', field, value }]);
      expect([codeOf(() => checkpointInfo(bytes)), codeOf(() => loadCheckpoint(bytes))], `${field} ${value}`).toEqual(['BAD_FILE', 'BAD_FILE']);
    }
  });

  test('a tensor named __proto__ is a tensor the model lacks (it was dropped unseen); checkpointInfo lists it', () => {
    const bytes = edited('lstm+adam', [], [{ edit: 'extra', name: '__proto__', floats: 2 }]);
    expect(codeOf(() => loadCheckpoint(bytes))).toBe('BAD_FILE');
    expect(Object.keys(checkpointInfo(bytes).tensors)).toContain('__proto__');
  });

  test('optimizer state tensors must be optimizer.0 to optimizer.<n - 1> (one renamed past the array indices loaded, its buffer left as it was)', () => {
    const split = splitSafetensors(seeds.get('lstm+adam')!.bytes);
    for (const name of ['optimizer.99999999999999999999', 'optimizer.01']) {
      const entries = split.entries.map(([k, v]): [string, unknown] => [k === 'optimizer.1' ? name : k, v]);
      const bytes = joinSafetensors(headerText(entries), split.data);
      expect(codeOf(() => loadCheckpoint(bytes)), name).toBe('BAD_FILE');
      expect(codeOf(() => loadCheckpointInto(bytes, seeds.get('lstm+adam')!.model, seeds.get('lstm+adam')!.optimizer)), name).toBe('BAD_FILE');
    }
  });
});
