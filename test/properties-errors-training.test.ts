// Property: every public entry of training, persistence and the helpers (optimizers and their
// step / stateDict / loadStateDict, clipping, penalties, losses, fit, generate, the weight
// initialisers, Random, tensor, the datasets, nrmse, lineChart, safetensors and checkpoint
// functions, init), given a random malformed argument (a wrong type, NaN or infinity, a
// negative, fractional or huge size, a wrong shape or dtype, an unknown option, a disposed
// object), throws an RnnError with a listed code and leaves every object exactly as it was
// (test/error-world.ts: parameters, gradients, optimizer and stream states as bytes, the
// arena's bytes in use, and what later valid calls return, against an untouched twin). The
// codes met are printed per entry; SIMD_RNN_RUNS / SIMD_RNN_SEED scale and reseed the run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, AdamW, RMSprop, Random, SGD, Sequential, checkpointInfo, clipGradNorm, clipGradValue, crossEntropy, fit, generate,
  identityInit, init, l1Penalty, l2Penalty, lineChart, loadCheckpoint, loadCheckpointInto, loadSafetensors, mackeyGlass, mse, narma10, nrmse,
  orthogonal, orthogonalBlocks, saveCheckpoint, saveSafetensors, tensor, uniformInit, xavierNormal, xavierUniform, RnnError,
  type Backend, type RnnErrorCode, type Tensor,
} from '../src/node.js';
import { randomArray } from './helpers.js';
import {
  BAD, BAD_FLAGS, BAD_SEEDS, BAD_SIZES, DEAD, FINITE, HUGE, HUGE_SIZES, NON_FINITE, NOT_OBJECTS, SHAPE, bad, checkBadCalls, collected, each,
  optionFaults, optionsObjectFaults, tensorFaults, worldSpec, type BadCall, type World,
} from './error-world.js';
import { SEED, RUNS_FACTOR, fcParams } from './property-config.js';

console.log(`properties-errors-training: seed ${SEED}, runs x${RUNS_FACTOR}`);

let backend: Backend;
beforeAll(async () => { backend = await init(); });

const RUNS = 25;
const met = new Map<string, Map<string, number>>();
afterAll(() => {
  if (process.env.COLLECT) console.log([...collected].sort().join('\n'));
  for (const [entry, codes] of met) {
    const n = [...codes.values()].reduce((a, b) => a + b, 0);
    console.log(`properties-errors-training: ${entry}: ${n} bad calls, ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  }
});

/** `runs` worlds, each taking 1 to 16 bad calls of `calls`. */
function property(name: string, calls: fc.Arbitrary<BadCall>, runs = RUNS): void {
  test(name, () => {
    const stats = new Map<string, number>();
    met.set(name, stats);
    const list = fc.array(calls, { minLength: 1, maxLength: process.env.COLLECT ? 1 : 16 });
    fc.assert(fc.property(worldSpec, list, (spec, cs) => checkBadCalls(backend, spec, cs, stats)), fcParams(runs));
  });
}

const f32 = (seed: number, n: number) => Float32Array.from(randomArray(seed, n));
const t32 = (seed: number, shape: number[]): Tensor => ({ data: f32(seed, shape.reduce((a, b) => a * b, 1)), shape });
const POSITIVE: readonly unknown[] = [0, -1, ...NON_FINITE];
const NON_NEGATIVE: readonly unknown[] = [-1, -1e-9, ...NON_FINITE];

describe('optimizers, clipping, penalties', () => {
  type Make = (model: unknown, options: unknown) => unknown;
  const kinds: [string, Make, Record<string, readonly unknown[]>][] = [
    ['SGD', (m, o) => new SGD(m, o as never), { momentum: [1, -0.1, 1.5, ...NON_FINITE], nesterov: BAD_FLAGS }],
    ['Adam', (m, o) => new Adam(m, o as never), { eps: POSITIVE, betas: [[1, 0.9], [0.9], [0.9, 0.999, 0.5], 'x', [NaN, 0.9], [0.9, -0.1], ['0.9', 0.9], 5, null, {}] }],
    ['AdamW', (m, o) => new AdamW(m, o as never), { eps: POSITIVE, betas: [[0.9, 1], [], null] }],
    ['RMSprop', (m, o) => new RMSprop(m, o as never), { alpha: [1, -0.1, ...NON_FINITE], eps: POSITIVE, momentum: [1, ...NON_FINITE] }],
  ];
  const calls: BadCall[] = kinds.flatMap(([kind, make, own]) => {
    const base = () => ({ lr: 0.1 });
    const over = (w: World, o: unknown) => make(w.linear, o);
    return [
      ...each([...NOT_OBJECTS, null, undefined, {}, [5], [null]], `new ${kind}(model)`, BAD, (_w, m) => make(m, base())),
      bad(`new ${kind} over a disposed module`, DEAD, (w) => make(w.dead.linear, base())),
      bad(`new ${kind} over a disposed module in an array`, DEAD, (w) => make([w.linear, w.dead.mix], base())),
      ...optionsObjectFaults(`new ${kind}`, base, over, [...NOT_OBJECTS, null, undefined]),
      ...optionFaults(`new ${kind}`, base, 'lr', [...POSITIVE, undefined], over),
      ...optionFaults(`new ${kind}`, base, 'weightDecay', NON_NEGATIVE, over),
      ...optionFaults(`new ${kind}`, base, 'nonFinite', ['ignore', 1, null, true], over),
      ...Object.entries(own).flatMap(([k, values]) => optionFaults(`new ${kind}`, base, k, values, over)),
    ];
  });
  const optimizers = fc.oneof(
    fc.constantFrom(
      ...calls,
      bad('new SGD: nesterov without momentum', BAD, (w) => new SGD(w.linear, { lr: 0.1, nesterov: true })),
      bad('step of a disposed optimizer', DEAD, (w) => w.dead.opt.step()),
      bad('step of an optimizer over a disposed module', DEAD, (w) => w.dead.optOverDead.step()),
      bad('stateDict of a disposed optimizer', DEAD, (w) => w.dead.opt.stateDict()),
      bad('stateDict of an optimizer over a disposed module', DEAD, (w) => w.dead.optOverDead.stateDict()),
      bad('loadStateDict of an optimizer over a disposed module', DEAD, (w) => w.dead.optOverDead.loadStateDict({ kind: 'SGD', step: 0, buffers: [] })),
      ...each([...NOT_OBJECTS, null, undefined, {}, { kind: 'SGD', step: 1, buffers: [] }], 'Adam.loadStateDict(state)', SHAPE, (w, s) => w.opt.loadStateDict(s as never)),
      ...[-1, 1.5, NaN, '1', null, Infinity].map((v) => bad(`Adam.loadStateDict: step = ${String(v)}`, BAD, (w) => w.opt.loadStateDict({ ...w.opt.stateDict(), step: v as number }))),
      bad('Adam.loadStateDict: a buffer missing', SHAPE, (w) => { const s = w.opt.stateDict(); s.buffers.pop(); return w.opt.loadStateDict(s); }),
      bad('Adam.loadStateDict: a buffer too short', SHAPE, (w) => { const s = w.opt.stateDict(); s.buffers[1] = s.buffers[1].subarray(1); return w.opt.loadStateDict(s); }),
      bad('Adam.loadStateDict: a Float64Array buffer', SHAPE, (w) => { const s = w.opt.stateDict(); (s.buffers as unknown[])[0] = Float64Array.from(s.buffers[0]); return w.opt.loadStateDict(s); }),
      bad('Adam.loadStateDict: buffers not an array', SHAPE, (w) => w.opt.loadStateDict({ ...w.opt.stateDict(), buffers: 5 as never })),
      bad('Adam.loadStateDict: the state of an SGD', BAD, (w) => w.opt.loadStateDict(w.seqOpt.stateDict())),
      bad('Adam.loadStateDict: a buffer holding NaN', FINITE, (w) => { const s = w.opt.stateDict(); s.buffers[2] = s.buffers[2].slice(); s.buffers[2][0] = NaN; return w.opt.loadStateDict(s); }),
    ),
  );
  property('SGD, Adam, AdamW, RMSprop', optimizers, 40);

  const modelFaults = (what: string, f: (w: World, m: unknown) => unknown): BadCall[] => [
    ...each([...NOT_OBJECTS, null, undefined, {}, [5]], `${what}(model)`, BAD, f),
    bad(`${what} of a disposed module`, DEAD, (w) => f(w, w.dead.linear)),
    bad(`${what} of an array holding a disposed module`, DEAD, (w) => f(w, [w.linear, w.dead.layer])),
    bad(`${what} of a Sequential over disposed layers`, DEAD, (w) => f(w, w.dead.seq)),
  ];
  const clipping = fc.constantFrom(
    ...modelFaults('clipGradNorm', (w, m) => clipGradNorm(m, 1)),
    ...each([...POSITIVE, undefined], 'clipGradNorm(model, maxNorm)', BAD, (w, v) => clipGradNorm(w.layer, v as number)),
    ...each([...NOT_OBJECTS, null], 'clipGradNorm(model, 1, options)', BAD, (w, o) => clipGradNorm(w.layer, 1, o as never)),
    bad('clipGradNorm: an unknown option', BAD, (w) => clipGradNorm(w.layer, 1, { nonfinite: 'skip' } as never)),
    ...each(['ignore', 1, null, true], 'clipGradNorm: nonFinite', BAD, (w, v) => clipGradNorm(w.layer, 1, { nonFinite: v as never })),
    ...modelFaults('clipGradValue', (w, m) => clipGradValue(m, 1)),
    ...each([...NON_NEGATIVE, undefined], 'clipGradValue(model, clip)', BAD, (w, v) => clipGradValue(w.layer, v as number)),
    ...modelFaults('l1Penalty', (w, m) => l1Penalty(m, 0.1)),
    ...modelFaults('l2Penalty', (w, m) => l2Penalty(m, 0.1)),
    ...each([...NON_NEGATIVE, undefined], 'l1Penalty(model, lambda)', BAD, (w, v) => l1Penalty(w.layer, v as number)),
    ...each([...NON_NEGATIVE, undefined], 'l2Penalty(model, lambda)', BAD, (w, v) => l2Penalty([w.linear, w.mix], v as number)),
  );
  property('clipGradNorm, clipGradValue, l1Penalty, l2Penalty', clipping);
});

describe('losses, fit, generate', () => {
  const logits = () => t32(1, [3, 4]);
  const losses = fc.oneof(
    tensorFaults('crossEntropy(logits)', logits, (_w, l) => crossEntropy(l as Tensor, [0, 1, 2]), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[4, 3], [12], [3, 4, 1], [3, 0], []] }),
    tensorFaults('mse(pred)', () => t32(2, [2, 3]), (_w, p) => mse(p as Tensor, t32(3, [2, 3])), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[3, 2], [6], [2, 3, 1]] }),
    tensorFaults('mse(pred, target)', () => t32(3, [2, 3]), (_w, t) => mse(t32(2, [2, 3]), t as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[3, 2], [6], [2, 3, 1]] }),
    fc.constantFrom(
      ...each([...NOT_OBJECTS, null, undefined, {}], 'crossEntropy(logits, targets)', BAD, (_w, t) => crossEntropy(logits(), t as never)),
      ...[[0, 1], [0, 1, 2, 3], []].map((t) => bad(`crossEntropy: ${t.length} targets for 3 rows`, SHAPE, () => crossEntropy(logits(), t))),
      ...[4, -1, 1.5, NaN, '1', null, Infinity, 2 ** 32].map((v) => bad(`crossEntropy: a target ${String(v)}`, BAD, () => crossEntropy(logits(), [0, v as number, 1]))),
      ...each([...NOT_OBJECTS, null], 'crossEntropy(logits, targets, options)', BAD, (_w, o) => crossEntropy(logits(), [0, 1, 2], o as never)),
      bad('crossEntropy: an unknown option', BAD, () => crossEntropy(logits(), [0, 1, 2], { ignore_index: 1 } as never)),
      ...each([1.5, NaN, '1', Infinity, null], 'crossEntropy: ignoreIndex', BAD, (_w, v) => crossEntropy(logits(), [0, 1, 2], { ignoreIndex: v as number })),
      ...each(['avg', 'none', 1, null], 'crossEntropy: reduction', BAD, (_w, v) => crossEntropy(logits(), [0, 1, 2], { reduction: v as never })),
      ...each([...NOT_OBJECTS, null], 'mse(pred, target, options)', BAD, (_w, o) => mse(t32(2, [2]), t32(3, [2]), o as never)),
      bad('mse: an unknown option', BAD, () => mse(t32(2, [2]), t32(3, [2]), { reduce: 'sum' } as never)),
      ...each(['avg', 'none', 1, null], 'mse: reduction', BAD, (_w, v) => mse(t32(2, [2]), t32(3, [2]), { reduction: v as never })),
    ),
  );
  property('crossEntropy, mse', losses);

  // fit over the world's Sequential (Embedding 5 x 2 -> GRU -> Linear 3 -> 5), ids [T=3, N=2]
  const data = (w: World) => ({ x: w.seqIds, y: Int32Array.of(1, 2, 3, 4, 0, 1) });
  const opts = (w: World) => ({ optimizer: w.seqOpt, epochs: 1 });
  const run = (w: World, d: unknown, o: unknown, model: unknown = w.seq) => fit(model as never, d as never, o as never);
  const fitOf = (m: unknown, w: World) => fit(m as never, data(w) as never, opts(w) as never);
  const fitCalls = fc.constantFrom(
    ...each([...NOT_OBJECTS, null, undefined, {}], 'fit(model)', BAD, (w, m) => fitOf(m, w)),
    bad('fit of a recurrent layer (not a Sequential)', BAD, (w) => run(w, { x: w.x, y: w.dOut }, { optimizer: w.opt }, w.layer)),
    bad('fit of a Sequential over disposed layers', DEAD, (w) => run(w, { x: t32(1, [2, 1, 2]), y: t32(2, [2, 1, 2]) }, { optimizer: w.seqOpt }, w.dead.seq)),
    bad('fit with a disposed optimizer', DEAD, (w) => run(w, data(w), { optimizer: w.dead.opt })),
    ...each([...NOT_OBJECTS, null, undefined], 'fit(model, data)', BAD, (w, d) => run(w, d, opts(w))),
    bad('fit: an unknown data key', BAD, (w) => run(w, { ...data(w), lenghts: [3, 3] }, opts(w))),
    ...each([...NOT_OBJECTS, null, undefined, { shape: [3, 2] }, { data: Int32Array.of(1), shape: [1] }, { data: null, shape: [3, 2] }, { data: [1, 2, 3, 4, 0, 1], shape: [3, 2] },
      { data: Float64Array.of(1, 2, 3, 4, 0, 1), shape: [3, 2] }, { data: Int32Array.of(1, 2, 3, 4, 0, 1), shape: [3, 2.5] }, { data: Int32Array.of(1, 2, 3, 4, 0, 1), shape: [3, 3] }],
    'fit: data.x', SHAPE, (w, x) => run(w, { ...data(w), x }, opts(w))),
    bad('fit: data.x ids of three axes (the GRU behind the Embedding refuses them)', SHAPE, (w) => run(w, { ...data(w), x: { data: Int32Array.of(1, 2, 3, 4, 0, 1), shape: [6, 1, 1] } }, opts(w)), true),
    bad('fit: data.x holding an id out of range', BAD, (w) => run(w, { ...data(w), x: { data: Int32Array.of(1, 2, 3, 9, 0, 1), shape: [3, 2] } }, opts(w))),
    ...each([...NOT_OBJECTS, null, undefined, new Int32Array(5), Int32Array.of(1, 2, 3, 4, 0, -1), [1, 2, 3, 4, 0, 1]],
      'fit: data.y', SHAPE, (w, y) => run(w, { ...data(w), y }, opts(w))),
    bad('fit: data.y a tensor holding NaN', FINITE, (w) => { const y = t32(3, [3, 2, 5]); y.data[4] = NaN; return run(w, { ...data(w), y }, { ...opts(w), loss: 'mse' }); }),
    bad('fit: data.y a tensor of a wrong shape', SHAPE, (w) => run(w, { ...data(w), y: t32(3, [3, 2]) }, { ...opts(w), loss: 'mse' })),
    // the output width is known once the model has run
    bad('fit: data.y a class beyond the output width', BAD, (w) => run(w, { ...data(w), y: Int32Array.of(1, 2, 3, 4, 0, 7) }, opts(w)), true),
    bad('fit: data.y a tensor narrower than the output', SHAPE, (w) => run(w, { ...data(w), y: t32(3, [3, 2, 4]) }, { ...opts(w), loss: 'mse' }), true),
    bad('fit: validation.y a class beyond the output width', BAD, (w) => run(w, data(w), { ...opts(w), validation: { ...data(w), y: Int32Array.of(1, 2, 3, 4, 0, 5) } }), true),
    ...each([5, 'x', [3], [3, 3, 3], [0, 3], [3, 4], [1.5, 3], [NaN, 3], ['3', 3], [null, 3]], 'fit: data.lengths', SHAPE, (w, l) => run(w, { ...data(w), lengths: l }, opts(w))),
    ...each([...NOT_OBJECTS, null, undefined, {}, { optimizer: 5 }, { optimizer: {} }], 'fit(model, data, options)', BAD, (w, o) => run(w, data(w), o)),
    bad('fit: an unknown option', BAD, (w) => run(w, data(w), { ...opts(w), epoch: 2 })),
    ...optionFaults('fit', opts, 'loss', ['nll', 1, null], (w, o) => run(w, data(w), o)),
    ...optionFaults('fit', opts, 'target', ['first', 1, null], (w, o) => run(w, data(w), o)),
    ...['epochs', 'batchSize'].flatMap((k) => optionFaults('fit', opts, k, BAD_SIZES, (w, o) => run(w, data(w), o))),
    ...optionFaults('fit', opts, 'shuffle', BAD_FLAGS, (w, o) => run(w, data(w), o)),
    ...optionFaults('fit', opts, 'seed', BAD_SEEDS, (w, o) => run(w, data(w), o)),
    ...optionFaults('fit', opts, 'bptt', [5, 'x', null, {}, { k1: 0 }, { k1: 1.5 }, { k1: 2, k2: 1 }, { k1: '2' }, { k1: 1, k3: 2 }], (w, o) => run(w, data(w), o)),
    ...['clipNorm', 'clipValue'].flatMap((k) => optionFaults('fit', opts, k, POSITIVE, (w, o) => run(w, data(w), o))),
    ...optionFaults('fit', opts, 'validation', [5, 'x', { x: 5, y: 5 }, { x: { data: Int32Array.of(1), shape: [1] }, y: Int32Array.of(1) }], (w, o) => run(w, data(w), o), SHAPE),
    ...optionFaults('fit', opts, 'onProgress', [5, 'x', {}, null], (w, o) => run(w, data(w), o)),
    ...optionFaults('fit', opts, 'earlyStopping', [5, 'x', {}, { patience: 0 }, { patience: 1.5 }, { patience: 1, minDelta: 'x' }, { patience: 1, minDelta: NaN }, { patience: 1, minDelta: -1 }, { patience: 1, mindelta: 0 }],
      (w, o) => run(w, data(w), o)),
    bad('fit: truncated BPTT with lengths', BAD, (w) => run(w, { ...data(w), lengths: [3, 2] }, { ...opts(w), bptt: { k1: 1 } })),
  );
  property('fit', fitCalls, 40);

  const gen = (w: World, prompt: unknown, options: unknown, model: unknown = w.seq) => generate(model as never, prompt as never, options as never);
  const generateCalls = fc.constantFrom(
    ...each([...NOT_OBJECTS, null, undefined, {}], 'generate(model)', BAD, (_w, m) => generate(m as never, [1], { length: 2 })),
    bad('generate: a model without an Embedding first', BAD, (w) => gen(w, [1], { length: 2 }, new Sequential([w.linear]))),
    bad('generate: a model over disposed layers', DEAD, (w) => gen(w, [1], { length: 2 }, new Sequential([w.dead.emb, w.dead.linear]))),
    ...each([...NOT_OBJECTS, null, undefined, [], [5], [-1], [1.5], [NaN], ['1'], [2 ** 32 + 1], [null]], 'generate(model, prompt)', BAD, (w, p) => gen(w, p, { length: 2 })),
    ...each([...NOT_OBJECTS, null, undefined], 'generate(model, prompt, options)', BAD, (w, o) => gen(w, [1], o)),
    bad('generate: an unknown option', BAD, (w) => gen(w, [1], { length: 2, temp: 1 })),
    ...each([-1, 1.5, NaN, '2', null, undefined, Infinity], 'generate: length', BAD, (w, v) => gen(w, [1], { length: v })),
    // 2^31 ids fit an Int32Array: a long run, not a malformed one
    ...each(HUGE_SIZES.filter((n) => n > 2 ** 32), 'generate: length', HUGE, (w, v) => gen(w, [1], { length: v })),
    ...each(NON_NEGATIVE, 'generate: temperature', BAD, (w, v) => gen(w, [1], { length: 2, temperature: v })),
    ...each([0, -1, 1.5, NaN, '2', null], 'generate: topK', BAD, (w, v) => gen(w, [1], { length: 2, topK: v })),
    ...each(BAD_SEEDS, 'generate: seed', BAD, (w, v) => gen(w, [1], { length: 2, seed: v })),
  );
  property('generate', generateCalls);
});

describe('initialisers and plain helpers', () => {
  const rnd = () => new Random(1);
  const initCalls: BadCall[] = [
    ...each([null, 5, [1, 2], new Float64Array(4), new Int32Array(4)], 'uniformInit(values)', BAD, (_w, v) => uniformInit(v as never, 1, rnd())),
    ...each(NON_NEGATIVE, 'uniformInit(values, bound)', BAD, (_w, v) => uniformInit(new Float32Array(4), v as number, rnd())),
    ...each([null, undefined, 5, {}, Math, 'x'], 'uniformInit(values, bound, random)', BAD, (_w, r) => uniformInit(new Float32Array(4), 1, r as never)),
    ...(['xavierUniform', 'xavierNormal', 'orthogonal'] as const).flatMap((name) => {
      const f = { xavierUniform, xavierNormal, orthogonal }[name];
      return [
        ...each([null, 5, [1, 2, 3, 4], new Float64Array(4), new Float32Array(5)], `${name}(values)`, SHAPE, (_w, v) => f(v as never, 2, 2, rnd())),
        ...each(BAD_SIZES, `${name}(values, rows)`, BAD, (_w, v) => f(new Float32Array(4), v as number, 2, rnd())),
        ...each(BAD_SIZES, `${name}(values, rows, cols)`, BAD, (_w, v) => f(new Float32Array(4), 2, v as number, rnd())),
        ...each([null, undefined, 5, {}, 'x'], `${name}(values, rows, cols, random)`, BAD, (_w, r) => f(new Float32Array(4), 2, 2, r as never)),
        ...each(NON_NEGATIVE, `${name}: gain`, BAD, (_w, g) => f(new Float32Array(4), 2, 2, rnd(), g as number)),
      ];
    }),
    ...each(BAD_SIZES, 'orthogonalBlocks(values, gates)', BAD, (_w, v) => orthogonalBlocks(new Float32Array(8), v as number, 2, 2, rnd())),
    ...each(BAD_SIZES, 'orthogonalBlocks(values, gates, H)', BAD, (_w, v) => orthogonalBlocks(new Float32Array(8), 2, v as number, 2, rnd())),
    ...each([null, undefined, 5, {}], 'orthogonalBlocks(..., random)', BAD, (_w, r) => orthogonalBlocks(new Float32Array(8), 2, 2, 2, r as never)),
    ...each([null, 5, new Float64Array(4), new Float32Array(3)], 'identityInit(values)', SHAPE, (_w, v) => identityInit(v as never, 2, 2)),
    ...each(BAD_SIZES, 'identityInit(values, rows)', BAD, (_w, v) => identityInit(new Float32Array(4), v as number, 2)),
    ...each(NON_FINITE, 'identityInit: scale', BAD, (_w, s) => identityInit(new Float32Array(4), 2, 2, s as number)),
    ...each([1.5, NaN, Infinity, '1', null, {}, 2 ** 53], 'new Random(seed)', BAD, (_w, s) => new Random(s as number)),
    ...each([null, 5, 'x', new Float64Array(2), [1, 'x'], new Int32Array(2)], 'tensor(data)', BAD, (_w, d) => tensor(d as never, [2])),
    ...each([null, 5, 'x', [-1], [1.5], [NaN], ['2']], 'tensor(data, shape)', BAD, (_w, s) => tensor([1, 2], s as never)),
    bad('tensor: 2 values for shape [3]', SHAPE, () => tensor([1, 2], [3])),
    ...each(BAD_SIZES, 'narma10(length)', BAD, (_w, n) => narma10(n as number)),
    ...each(HUGE_SIZES, 'narma10(length)', HUGE, (_w, n) => narma10(n as number)),
    ...each(BAD_SEEDS, 'narma10(length, seed)', BAD, (_w, s) => narma10(10, s as number)),
    ...each(BAD_SIZES, 'mackeyGlass(length)', BAD, (_w, n) => mackeyGlass(n as number)),
    ...each(HUGE_SIZES, 'mackeyGlass(length)', HUGE, (_w, n) => mackeyGlass(n as number)),
    ...each([...NOT_OBJECTS, null], 'mackeyGlass(length, options)', BAD, (_w, o) => mackeyGlass(10, o as never)),
    bad('mackeyGlass: an unknown option', BAD, () => mackeyGlass(10, { delay: 17 } as never)),
    ...(['tau', 'dt', 'sample'] as const).flatMap((k) => each(POSITIVE, `mackeyGlass: ${k}`, BAD, (_w, v) => mackeyGlass(10, { [k]: v }))),
    ...each(BAD_SIZES, 'mackeyGlass: horizon', BAD, (_w, v) => mackeyGlass(10, { horizon: v as number })),
    ...each(BAD_SEEDS, 'mackeyGlass: seed', BAD, (_w, v) => mackeyGlass(10, { seed: v as number })),
    bad('mackeyGlass: tau not a multiple of dt', BAD, () => mackeyGlass(10, { tau: 17.05 })),
    ...each([...NOT_OBJECTS, null, undefined, {}], 'nrmse(prediction)', BAD, (_w, p) => nrmse(p as never, t32(1, [3, 1]))),
    bad('nrmse: shapes that differ', SHAPE, () => nrmse(t32(1, [3, 1]), t32(2, [1, 3]))),
    ...each([...NOT_OBJECTS, null, undefined, {}, { series: 5 }, { series: [5] }, { series: [{ name: 1, y: [1] }] }, { series: [{ name: 'a', y: 5 }] },
      { series: [{ name: 'a', y: [1, 2], x: [1] }] }, { series: [], width: 10 }, { series: [], height: NaN }, { series: [], title: 5 }, { series: [], logY: 'yes' },
      { series: [], colour: 'red' }], 'lineChart(options)', SHAPE, (_w, o) => lineChart(o as never)),
  ];
  property('initialisers, Random, tensor, datasets, nrmse, lineChart', fc.constantFrom(...initCalls), 40);
});

describe('safetensors and checkpoints', () => {
  const file = (w: World) => saveCheckpoint(w.linear, w.opt);
  const io = fc.constantFrom(
    ...each([...NOT_OBJECTS, null, undefined], 'saveSafetensors(tensors)', BAD, (_w, t) => saveSafetensors(t as never)),
    ...each([5, null, 'x', {}, { data: [1], shape: [1] }, Float64Array.of(1), { data: Float32Array.of(1, 2), shape: [3] }], 'saveSafetensors({ a })', SHAPE, (_w, v) => saveSafetensors({ a: v as never })),
    bad('saveSafetensors: a tensor named __metadata__', BAD, () => saveSafetensors({ __metadata__: Float32Array.of(1) })),
    ...each([5, 'x', null, { k: 1 }, { k: null }], 'saveSafetensors(tensors, metadata)', BAD, (_w, m) => saveSafetensors({ a: Float32Array.of(1) }, m as never)),
    ...each([...NOT_OBJECTS, null, undefined, [1, 2, 3], Float32Array.of(1)], 'loadSafetensors(bytes)', BAD, (_w, b) => loadSafetensors(b as never)),
    ...each([new Uint8Array(3), new Uint8Array(8).fill(255), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 91, 93)], 'loadSafetensors(bytes)', ['BAD_FILE'], (_w, b) => loadSafetensors(b as never)),
    ...each([...NOT_OBJECTS, null, undefined, {}], 'saveCheckpoint(model)', BAD, (_w, m) => saveCheckpoint(m as never)),
    bad('saveCheckpoint of a disposed module', DEAD, (w) => saveCheckpoint(w.dead.layer)),
    ...each([5, 'x', {}, null], 'saveCheckpoint(model, optimizer)', BAD, (w, o) => saveCheckpoint(w.linear, o as never)),
    bad('saveCheckpoint with a disposed optimizer', DEAD, (w) => saveCheckpoint(w.linear, w.dead.opt)),
    ...each([5, 'x', null, { k: 1 }, { 'simd-rnn': 'x' }], 'saveCheckpoint(model, optimizer, metadata)', BAD, (w, m) => saveCheckpoint(w.linear, undefined, m as never)),
    ...each([...NOT_OBJECTS, null, undefined, [1, 2]], 'loadCheckpoint(bytes)', BAD, (_w, b) => loadCheckpoint(b as never)),
    bad('loadCheckpoint: a safetensors file that is no checkpoint', ['BAD_FILE'], () => loadCheckpoint(saveSafetensors({ a: Float32Array.of(1) }))),
    bad('loadCheckpoint: a cut file', ['BAD_FILE'], (w) => loadCheckpoint(file(w).subarray(0, 40))),
    ...each([...NOT_OBJECTS, null, undefined], 'checkpointInfo(bytes)', BAD, (_w, b) => checkpointInfo(b as never)),
    ...each([...NOT_OBJECTS, null, undefined, {}], 'loadCheckpointInto(bytes, model)', BAD, (w, m) => loadCheckpointInto(file(w), m as never)),
    bad('loadCheckpointInto a model of another configuration', ['BAD_FILE'], (w) => loadCheckpointInto(file(w), w.mix)),
    bad('loadCheckpointInto a disposed module', DEAD, (w) => loadCheckpointInto(saveCheckpoint(w.linear), w.dead.linear)),
    ...each([5, 'x', {}, { kind: 'Adam' }, null], 'loadCheckpointInto(bytes, model, optimizer)', BAD, (w, o) => loadCheckpointInto(file(w), w.linear, o as never)),
    bad('loadCheckpointInto: an optimizer of another kind', ['BAD_FILE', 'BAD_ARGUMENT'], (w) => loadCheckpointInto(saveCheckpoint(w.seq, w.seqOpt), w.seq, new Adam(w.seq, { lr: 1 }))),
    bad('loadCheckpointInto: a file without optimizer state', ['BAD_FILE', 'BAD_ARGUMENT'], (w) => loadCheckpointInto(saveCheckpoint(w.linear), w.linear, w.opt)),
    bad('loadCheckpointInto: a disposed optimizer', DEAD, (w) => loadCheckpointInto(saveCheckpoint(w.seq, w.seqOpt), w.seq, w.dead.opt)),
  );
  property('saveSafetensors, loadSafetensors, checkpoints', io);
});

describe('init', () => {
  test('malformed options are BAD_ARGUMENT, after init as before', async () => {
    const values: [string, unknown][] = [
      ...[5, 'x', true, null, Symbol('i'), 3n].map((v): [string, unknown] => ['options', v]),
      ['an unknown option', { simd: 'auto', thread: 2 }],
      ...['fast', 1, null, 'RELAXED'].map((v): [string, unknown] => ['simd', { simd: v }]),
      ...[0, -1, 1.5, NaN, '1', null].map((v): [string, unknown] => ['maxMemoryBytes', { maxMemoryBytes: v }]),
      ...[42, 'x', {}, null, [1, 2], true].map((v): [string, unknown] => ['wasm', { wasm: v }]),
    ];
    let n = 0;
    const codes = new Map<string, number>();
    await fc.assert(fc.asyncProperty(fc.constantFrom(...values), async ([what, options]) => {
      let code: RnnErrorCode | string = 'no error';
      try { await init(options as never); } catch (e) { code = e instanceof RnnError ? e.code : String(e); }
      expect(code, `init(${what}): ${String(options)}`).toBe('BAD_ARGUMENT');
      codes.set(code, (codes.get(code) ?? 0) + 1);
      n++;
    }), fcParams(30));
    expect((await init()).simd).toBe(backend.simd);
    console.log(`properties-errors-training: init: ${n} bad calls, ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  });
});
