// Property: every public entry of the layers (RNN / LSTM / GRU / CEC constructors, forward,
// backward, stream and its step / setState, loadStateDict, Linear, Embedding, Sequential,
// ScalarMix, EchoStateNetwork and its stream), given a random malformed argument (a wrong
// type, NaN or infinity, a negative, fractional or huge size, a wrong shape or dtype, an
// unknown option, a disposed object), throws an RnnError with a listed code and leaves every
// object exactly as it was: test/error-world.ts builds the objects twice from one seed, runs
// the call on one, and compares parameters, gradients, optimizer and stream states (as bytes),
// the arena's bytes in use, and what later valid calls return. The codes met are printed per
// entry; SIMD_RNN_RUNS / SIMD_RNN_SEED (property-config.ts) scale and reseed the run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CEC, EchoStateNetwork, Embedding, GRU, LSTM, Linear, RNN, ScalarMix, Sequential, init, type Backend, type Tensor } from '../src/node.js';
import { randomArray } from './helpers.js';
import {
  BAD, BAD_FLAGS, BAD_SEEDS, BAD_SIZES, DEAD, FINITE, HUGE, HUGE_SIZES, NON_FINITE, NOT_OBJECTS, SHAPE, bad, checkBadCalls, each, optionFaults,
  optionsObjectFaults, stateDictFaults, tensorFaults, worldSpec, collected, type BadCall, type World,
} from './error-world.js';
import { SEED, RUNS_FACTOR, fcParams } from './property-config.js';

console.log(`properties-errors-layers: seed ${SEED}, runs x${RUNS_FACTOR}`);

let backend: Backend;
beforeAll(async () => { backend = await init(); });

const RUNS = 30;
const met = new Map<string, Map<string, number>>();
afterAll(() => {
  if (process.env.COLLECT) console.log([...collected].sort().join('\n'));
  for (const [entry, codes] of met) {
    const n = [...codes.values()].reduce((a, b) => a + b, 0);
    console.log(`properties-errors-layers: ${entry}: ${n} bad calls, ${[...codes].map(([c, k]) => `${c} ${k}`).join(', ')}`);
  }
});

/** `runs` worlds, each taking 1 to 16 bad calls of `calls`. */
function property(name: string, calls: fc.Arbitrary<BadCall>, runs = RUNS): void {
  test(name, () => {
    const stats = new Map<string, number>();
    met.set(name, stats);
    fc.assert(fc.property(worldSpec, fc.array(calls, { minLength: 1, maxLength: process.env.COLLECT ? 1 : 16 }), (spec, cs) => checkBadCalls(backend, spec, cs, stats)), fcParams(runs));
  });
}

const f32 = (seed: number, n: number) => Float32Array.from(randomArray(seed, n));
const t32 = (seed: number, shape: number[]): Tensor => ({ data: f32(seed, shape.reduce((a, b) => a * b, 1)), shape });
const BAD_ACTIVATIONS: readonly unknown[] = ['gelu', 'Tanh', 1, null, {}, { type: 'relu' }, { type: 'hardSigmoid', alpha: 0 }, { type: 'hardSigmoid', alpha: NaN },
  { type: 'hardSigmoid', beta: Infinity }, { type: 'hardSigmoid', gamma: 1 }, ['tanh']];

describe('recurrent layers', () => {
  const ctor = (kind: string) => (_w: World, o: unknown) => {
    if (kind === 'LSTM') return new LSTM(o as never);
    if (kind === 'GRU') return new GRU(o as never);
    if (kind === 'CEC') return new CEC(o as never);
    return new RNN(o as never);
  };
  const base = () => ({ inputSize: 2, hiddenSize: 3 });
  const common = (kind: string): BadCall[] => [
    ...optionsObjectFaults(`new ${kind}`, base, ctor(kind), [...NOT_OBJECTS, null, undefined]),
    ...optionFaults(`new ${kind}`, base, 'inputSize', [...BAD_SIZES, undefined], ctor(kind)),
    ...optionFaults(`new ${kind}`, base, 'hiddenSize', [...BAD_SIZES, undefined], ctor(kind)),
    ...optionFaults(`new ${kind}`, base, 'numLayers', BAD_SIZES, ctor(kind)),
    ...['inputSize', 'hiddenSize', 'numLayers'].flatMap((k) => optionFaults(`new ${kind}`, base, k, HUGE_SIZES, ctor(kind), HUGE)),
    ...['bias', 'batchFirst', 'bidirectional', 'reverse'].flatMap((k) => optionFaults(`new ${kind}`, base, k, BAD_FLAGS, ctor(kind))),
    ...optionFaults(`new ${kind}`, base, 'seed', BAD_SEEDS, ctor(kind)),
    ...optionFaults(`new ${kind}`, base, 'init', ['Xavier', 'he', 1, null, ''], ctor(kind)),
    ...optionFaults(`new ${kind}`, base, 'initScale', [0, -1, ...NON_FINITE], ctor(kind)),
    bad(`new ${kind}: reverse with bidirectional`, BAD, (w) => ctor(kind)(w, { ...base(), reverse: true, bidirectional: true })),
  ];
  const constructors = fc.constantFrom(
    ...common('RNN'), ...common('LSTM'), ...common('GRU'), ...common('CEC'),
    ...optionFaults('new RNN', base, 'nonlinearity', BAD_ACTIVATIONS, ctor('RNN')),
    ...optionFaults('new RNN', base, 'tau', [0.5, 0, -1, NaN, Infinity, '2', null, [1, 2], [1, 2, 0.5], [1, NaN, 2], {}], ctor('RNN')),
    ...optionFaults('new RNN', base, 'trainTau', BAD_FLAGS, ctor('RNN')),
    bad('new RNN: trainTau without tau', BAD, (w) => ctor('RNN')(w, { ...base(), trainTau: true })),
    ...optionFaults('new RNN', base, 'delays', [[], [0], [-1], [1, 1], [1.5], [NaN], ['2'], 3, '1', null, {}], ctor('RNN')),
    ...optionFaults('new RNN', base, 'identityRecurrence', BAD_FLAGS, ctor('RNN')),
    ...optionFaults('new LSTM', base, 'projSize', [-1, 1.5, 3, 4, NaN, '1', null, {}], ctor('LSTM')),
    ...optionFaults('new LSTM', base, 'projSize', HUGE_SIZES, ctor('LSTM')),
    ...['peepholes', 'forgetGate', 'coupled', 'gateRecurrence'].flatMap((k) => optionFaults('new LSTM', base, k, BAD_FLAGS, ctor('LSTM'))),
    ...optionFaults('new LSTM', base, 'cellClip', [-1, -0.5, ...NON_FINITE], ctor('LSTM')),
    ...optionFaults('new LSTM', base, 'forgetBias', NON_FINITE, ctor('LSTM')),
    ...['gateActivation', 'cellActivation', 'hiddenActivation'].flatMap((k) => optionFaults('new LSTM', base, k, BAD_ACTIVATIONS, ctor('LSTM'))),
    bad('new LSTM: coupled without a forget gate', BAD, (w) => ctor('LSTM')(w, { ...base(), coupled: true, forgetGate: false })),
    bad('new LSTM: forgetBias with coupled', BAD, (w) => ctor('LSTM')(w, { ...base(), coupled: true, forgetBias: 1 })),
    ...[{ peepholes: true }, { cellClip: 1 }, { coupled: true }, { forgetGate: false }, { gateActivation: 'relu' }, { hiddenActivation: 'sigmoid' }]
      .map((o) => bad(`new LSTM: gateRecurrence with ${JSON.stringify(o)}`, BAD, (w) => ctor('LSTM')(w, { ...base(), gateRecurrence: true, ...o }))),
    ...['resetAfter', 'minimal'].flatMap((k) => optionFaults('new GRU', base, k, BAD_FLAGS, ctor('GRU'))),
    bad('new GRU: minimal with resetAfter', BAD, (w) => ctor('GRU')(w, { ...base(), minimal: true, resetAfter: true })),
    ...['gateActivation', 'cellActivation'].flatMap((k) => optionFaults('new GRU', base, k, BAD_ACTIVATIONS, ctor('GRU'))),
    ...['nonlinearity', 'projSize', 'resetAfter'].map((k) => bad(`new CEC: ${k}`, BAD, (w) => ctor('CEC')(w, { ...base(), [k]: 1 }))),
    bad('new GRU: projSize', BAD, (w) => ctor('GRU')(w, { ...base(), projSize: 1 })),
  );
  property('new RNN / LSTM / GRU / CEC', constructors, 60);

  // forward: x [T, B, D] (or [B, T, D]); state h [L, B, P], c [L, B, H]; opts
  const fwd = (w: World, x: unknown, state?: unknown, opts?: unknown) => w.layer.forward(x as Tensor, state as never, opts as never);
  const h0 = (w: World) => t32(1, [w.L, w.spec.B, w.P]);
  const c0 = (w: World) => t32(2, [w.L, w.spec.B, w.H]);
  const T = (w: World) => w.spec.T;
  const forward = fc.oneof(
    tensorFaults('forward(x)', (w) => w.x, (w, x) => fwd(w, x), {
      notTensors: [...NOT_OBJECTS, null, undefined],
      wrongShapes: (s) => [[s[0] * s[1] * s[2]], [1, ...s], [s[0], s[1], s[2] + 1], [...s, 1], [0, s[1], s[2]], [s[0], 0, s[2]]],
    }),
    tensorFaults('forward(x, { h })', h0, (w, h) => fwd(w, w.x, { h }), {
      notTensors: NOT_OBJECTS,
      wrongShapes: (s) => [[s[0] + 1, s[1], s[2]], [s[0], s[1] + 1, s[2]], [s[0], s[1], s[2] + 1], [s[0] * s[1], s[2]]],
    }),
    fc.constantFrom(
      ...each(NOT_OBJECTS, 'forward(x, state)', BAD, (w, s) => fwd(w, w.x, s)),
      bad('forward(x, { c }) of a layer without c, or c of a wrong shape', SHAPE, (w) => fwd(w, w.x, { c: w.hasCell ? t32(3, [w.L, w.spec.B, w.H + 1]) : c0(w) })),
      bad('forward(x, { c }) holding NaN', [...FINITE, 'BAD_ARGUMENT'], (w) => { const c = c0(w); c.data[0] = NaN; return fwd(w, w.x, { c }); }),
      ...each([...NOT_OBJECTS, null], 'forward(x, undefined, opts)', BAD, (w, o) => fwd(w, w.x, undefined, o)),
      bad('forward: an unknown option', BAD, (w) => fwd(w, w.x, undefined, { trian: true })),
      ...each(BAD_FLAGS, 'forward: opts.train', BAD, (w, v) => fwd(w, w.x, undefined, { train: v })),
      ...each(BAD_FLAGS, 'forward: opts.allLayers', BAD, (w, v) => fwd(w, w.x, undefined, { allLayers: v })),
      ...each([5, 'x', true, null, Symbol('l'), {}], 'forward: opts.lengths', BAD, (w, v) => fwd(w, w.x, undefined, { lengths: v })),
      ...[(w: World) => new Array(w.spec.B + 1).fill(1), (w: World) => []].map((f, i) => bad(`forward: opts.lengths of a wrong count (${i})`, SHAPE, (w) => fwd(w, w.x, undefined, { lengths: f(w) }))),
      ...[0, -1, 1.5, NaN, Infinity, '1', null, 'T+1'].map((v) => bad(`forward: opts.lengths holding ${String(v)}`, BAD, (w) => {
        const l: unknown[] = new Array(w.spec.B).fill(T(w));
        l[w.spec.B - 1] = v === 'T+1' ? T(w) + 1 : v;
        return fwd(w, w.x, undefined, { lengths: l });
      })),
      bad('forward on a disposed layer', DEAD, (w) => w.dead.layer.forward({ data: new Float32Array(w.D), shape: [1, 1, w.D] })),
    ),
  );
  property('forward', forward, 60);

  // backward: dOutput [T, B, P] (as x's layout), dState, opts
  const bwd = (w: World, d: unknown, s?: unknown, o?: unknown) => w.layer.backward(d as Tensor, s as never, o as never);
  const backward = fc.oneof(
    tensorFaults('backward(dOutput)', (w) => w.dOut, (w, d) => bwd(w, d), {
      notTensors: NOT_OBJECTS,
      wrongShapes: (s) => [[s[0] + 1, s[1], s[2]], [s[0], s[1] + 1, s[2]], [s[0], s[1], s[2] + 1], [s[0] * s[1] * s[2]]],
    }),
    tensorFaults('backward(dOutput, { h })', h0, (w, h) => bwd(w, w.dOut, { h }), { notTensors: NOT_OBJECTS, wrongShapes: (s) => [[s[0], s[1], s[2] + 1], [s[0] * s[1], s[2]]] }),
    fc.constantFrom(
      ...each(NOT_OBJECTS, 'backward(dOutput, dState)', BAD, (w, s) => bwd(w, w.dOut, s)),
      bad('backward: an unknown option', BAD, (w) => bwd(w, w.dOut, undefined, { inputGrads: false })),
      ...each(BAD_FLAGS, 'backward: opts.inputGrad', BAD, (w, v) => bwd(w, w.dOut, undefined, { inputGrad: v })),
      ...each([5, 'x', {}, [], [null, null, null, null]], 'backward: opts.dLayers', BAD, (w, v) => bwd(w, w.dOut, undefined, { dLayers: v })),
      bad('backward: opts.dLayers holding a tensor of a wrong shape', SHAPE, (w) => bwd(w, w.dOut, undefined, { dLayers: Array.from({ length: w.L }, () => t32(4, [1, 1, 1])) })),
      bad('backward without a tape', ['NO_TAPE'], (w) => w.idle.backward(t32(5, [1, 1, 2]))),
      bad('backward on a disposed layer', DEAD, (w) => w.dead.layer.backward(null)),
    ),
  );
  property('backward', backward, 60);

  // stream(batch), step, setState
  const step = (w: World, x: unknown) => w.stream.step(x as Tensor);
  const streams = fc.oneof(
    fc.constantFrom(
      ...each([0, -1, 1.5, NaN, Infinity, '2', null, {}, 2n], 'stream(batch)', BAD, (w, b) => w.layer.stream(b as number)),
      ...each(HUGE_SIZES, 'stream(batch)', HUGE, (w, b) => w.layer.stream(b as number)),
      bad('stream() of a bidirectional layer', ['UNSUPPORTED'], (w) => w.bidi.stream()),
      bad('stream() of a disposed layer', DEAD, (w) => w.dead.layer.stream()),
      bad('step on a disposed stream', DEAD, (w) => w.dead.stream.step(new Float32Array(w.spec.B * w.D))),
      bad('step: a Float32Array of a wrong size', SHAPE, (w) => step(w, new Float32Array(w.spec.B * w.D + 1))),
      bad('setState on a disposed stream', DEAD, (w) => w.dead.stream.setState({})),
      ...each([...NOT_OBJECTS, null], 'setState(state)', BAD, (w, s) => w.stream.setState(s as never)),
      bad('setState: c of a layer without c, or of a wrong shape', SHAPE, (w) => w.stream.setState({ c: w.hasCell ? t32(6, [w.L, w.spec.B, w.H + 1]) : c0(w) })),
    ),
    tensorFaults('step(x)', (w) => t32(7, [w.spec.B, w.D]), step, { notTensors: NOT_OBJECTS, wrongShapes: (s) => [[s[0] * s[1]], [s[0] + 1, s[1]], [1, ...s]] }),
    tensorFaults('setState({ h })', h0, (w, h) => w.stream.setState({ h: h as Tensor }), { notTensors: NOT_OBJECTS, wrongShapes: (s) => [[s[0], s[1], s[2] + 1], [s[0] * s[1], s[2]]] }),
  );
  property('stream, step, setState', streams, 40);

  const params = fc.oneof(
    stateDictFaults('loadStateDict', (w) => w.layer),
    fc.constantFrom(
      bad('loadStateDict on a disposed layer', DEAD, (w) => w.dead.layer.loadStateDict({})),
      ...each([-1, 1.5, NaN, '2', null], 'workBytes(T)', BAD, (w, v) => w.layer.workBytes(v as number, 1, true)),
      ...each([-1, 1.5, NaN, '2', null], 'workBytes(T, B)', BAD, (w, v) => w.layer.workBytes(1, v as number, false)),
      bad('stateDict of a disposed layer', DEAD, (w) => w.dead.layer.stateDict()),
      bad('grads of a disposed layer', DEAD, (w) => w.dead.layer.grads()),
      bad('zeroGrad of a disposed layer', DEAD, (w) => w.dead.layer.zeroGrad()),
      bad('gradientNorms before any backward', ['NO_TAPE'], (w) => w.idle.gradientNorms()),
      bad('gateStats before any forward', ['NO_TAPE'], (w) => w.idle.gateStats()),
    ),
  );
  property('loadStateDict and the other methods', params);
});

describe('Linear, Embedding, Sequential, ScalarMix', () => {
  const linBase = () => ({ inFeatures: 3, outFeatures: 2 });
  const newLinear = (_w: World, o: unknown) => new Linear(o as never);
  const linear = fc.oneof(
    fc.constantFrom(
      ...optionsObjectFaults('new Linear', linBase, newLinear, [...NOT_OBJECTS, null, undefined]),
      ...['inFeatures', 'outFeatures'].flatMap((k) => [...optionFaults('new Linear', linBase, k, [...BAD_SIZES, undefined], newLinear),
        ...optionFaults('new Linear', linBase, k, HUGE_SIZES, newLinear, HUGE)]),
      ...optionFaults('new Linear', linBase, 'bias', BAD_FLAGS, newLinear),
      ...optionFaults('new Linear', linBase, 'seed', BAD_SEEDS, newLinear),
      bad('Linear.forward: an unknown option', BAD, (w) => w.linear.forward(t32(1, [2, 3]), { trian: true } as never)),
      ...each(BAD_FLAGS, 'Linear.forward: opts.train', BAD, (w, v) => w.linear.forward(t32(1, [2, 3]), { train: v as boolean })),
      bad('Linear.forward on a disposed layer', DEAD, (w) => w.dead.linear.forward(t32(1, [1, 3]))),
      bad('Linear.backward on a disposed layer', DEAD, (w) => w.dead.linear.backward(t32(1, [1, 2]))),
      bad('Linear.backward without a tape', ['NO_TAPE'], (w) => { const l = new Linear({ inFeatures: 3, outFeatures: 2 }); try { return l.backward(t32(1, [2, 2])); } finally { l.dispose(); } }),
    ),
    tensorFaults('Linear.forward(x)', () => t32(1, [2, 3]), (w, x) => w.linear.forward(x as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[2, 4], [6], [3, 1], []] }),
    tensorFaults('Linear.backward(dOut)', () => t32(2, [2, 2]), (w, d) => w.linear.backward(d as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[2, 3], [4], [1, 2, 2], [2, 2, 1]] }),
    stateDictFaults('Linear.loadStateDict', (w) => w.linear),
  );
  property('Linear', linear);

  const embBase = () => ({ numEmbeddings: 5, embeddingDim: 3 });
  const newEmb = (_w: World, o: unknown) => new Embedding(o as never);
  const ids = (data: ArrayLike<number>, shape: unknown) => ({ data: Int32Array.from(data), shape }) as never;
  const embedding = fc.oneof(
    fc.constantFrom(
      ...optionsObjectFaults('new Embedding', embBase, newEmb, [...NOT_OBJECTS, null, undefined]),
      ...['numEmbeddings', 'embeddingDim'].flatMap((k) => [...optionFaults('new Embedding', embBase, k, [...BAD_SIZES, undefined], newEmb),
        ...optionFaults('new Embedding', embBase, k, HUGE_SIZES, newEmb, HUGE)]),
      ...optionFaults('new Embedding', embBase, 'seed', BAD_SEEDS, newEmb),
      ...each([...NOT_OBJECTS, null, undefined, { data: [1, 2], shape: [2] }, { data: Float32Array.of(1, 2), shape: [2] }, { data: new Int32Array(2) }],
        'Embedding.forward(ids)', BAD, (w, v) => w.emb.forward(v as never)),
      ...[[5], [-1], [2 ** 31 - 1]].map((v) => bad(`Embedding.forward: id ${v}`, BAD, (w) => w.emb.forward(ids(v, [1])))),
      ...[[4], [-1], [1.5, 2], [NaN], ['2'], 'x', null].map((s) => bad(`Embedding.forward: ids.shape ${JSON.stringify(s)} for 3 ids`, SHAPE, (w) => w.emb.forward(ids([1, 2, 3], s)))),
      bad('Embedding.forward: an unknown option', BAD, (w) => w.emb.forward(ids([1], [1]), { trian: true } as never)),
      ...each(BAD_FLAGS, 'Embedding.forward: opts.train', BAD, (w, v) => w.emb.forward(ids([1], [1]), { train: v as boolean })),
      bad('Embedding.forward on a disposed layer', DEAD, (w) => w.dead.emb.forward(ids([1], [1]))),
      bad('Embedding.backward without a tape', ['NO_TAPE'], (w) => { const e = new Embedding({ numEmbeddings: 2, embeddingDim: 2 }); try { return e.backward(t32(1, [1, 2])); } finally { e.dispose(); } }),
    ),
    tensorFaults('Embedding.backward(dOut)', () => t32(3, [2, 2, 3]), (w, d) => w.emb.backward(d as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[2, 2, 4], [4, 3], [2, 2, 3, 1]] }),
    stateDictFaults('Embedding.loadStateDict', (w) => w.emb),
  );
  property('Embedding', embedding);

  const sequential = fc.oneof(
    fc.constantFrom(
      ...each([...NOT_OBJECTS, null, undefined, [], [5], [null], [{}]], 'new Sequential(layers)', BAD, (_w, v) => new Sequential(v as never)),
      bad('new Sequential: an Embedding after the first layer', BAD, (w) => new Sequential([w.linear, w.emb])),
      bad('new Sequential: a ScalarMix', BAD, (w) => new Sequential([w.mix as never])),
      ...each([...NOT_OBJECTS, null], 'Sequential.forward(ids, opts)', BAD, (w, o) => w.seq.forward(w.seqIds, o as never)),
      bad('Sequential.forward: an unknown option', BAD, (w) => w.seq.forward(w.seqIds, { trian: true } as never)),
      ...each([5, 'x', {}, true], 'Sequential.forward: opts.initialStates', BAD, (w, v) => w.seq.forward(w.seqIds, { initialStates: v as never })),
      // found by the GRU behind the Embedding, whose inference forward has dropped its tape by then
      bad('Sequential.forward: an initial state of a wrong shape', SHAPE, (w) => w.seq.forward(w.seqIds, { initialStates: [undefined, { h: t32(1, [1, 2, 4]) }] }), true),
      bad('Sequential.forward: lengths over T', BAD, (w) => w.seq.forward(w.seqIds, { lengths: [3, 4] }), true),
      bad('Sequential.forward: ids out of range', BAD, (w) => w.seq.forward({ data: Int32Array.of(9), shape: [1, 1] })),
      bad('Sequential.forward: a tensor into the Embedding', BAD, (w) => w.seq.forward(t32(1, [3, 2]))),
      bad('Sequential.forward over disposed layers', DEAD, (w) => w.dead.seq.forward(t32(1, [1, 2]))),
      bad('Sequential.backward over disposed layers', DEAD, (w) => w.dead.seq.backward(t32(1, [1, 2]))),
      ...each([...NOT_OBJECTS, null, undefined], 'Sequential.backward(dOut)', BAD, (w, d) => w.seq.backward(d as never)),
      bad('Sequential.backward: an unknown option', BAD, (w) => w.seq.backward(t32(1, [3, 2, 5]), { inputGrads: false } as never)),
      ...each(BAD_FLAGS, 'Sequential.backward: opts.inputGrad', BAD, (w, v) => w.seq.backward(t32(1, [3, 2, 5]), { inputGrad: v as boolean })),
    ),
    tensorFaults('Sequential.backward(dOut)', () => t32(2, [3, 2, 5]), (w, d) => w.seq.backward(d as Tensor), { notTensors: NOT_OBJECTS, wrongShapes: () => [[3, 2, 4], [6, 5], [3, 2, 5, 1]] }),
    stateDictFaults('Sequential.loadStateDict', (w) => w.seq),
  );
  property('Sequential', sequential);

  const mixBase = () => ({ numLayers: 2 });
  const newMix = (_w: World, o: unknown) => new ScalarMix(o as never);
  const layers = () => [t32(1, [2, 3]), t32(2, [2, 3])];
  const mix = fc.oneof(
    fc.constantFrom(
      ...optionsObjectFaults('new ScalarMix', mixBase, newMix, [...NOT_OBJECTS, null, undefined]),
      ...optionFaults('new ScalarMix', mixBase, 'numLayers', [...BAD_SIZES, undefined], newMix),
      ...optionFaults('new ScalarMix', mixBase, 'numLayers', HUGE_SIZES, newMix, HUGE),
      ...['trainWeights', 'trainGamma'].flatMap((k) => optionFaults('new ScalarMix', mixBase, k, BAD_FLAGS, newMix)),
      ...optionFaults('new ScalarMix', mixBase, 'gamma', NON_FINITE, newMix),
      ...each([...NOT_OBJECTS, null, undefined, [], [t32(1, [2, 3])], [t32(1, [2, 3]), 5]], 'ScalarMix.forward(layers)', BAD, (w, v) => w.mix.forward(v as never)),
      bad('ScalarMix.forward: layers of different shapes', SHAPE, (w) => w.mix.forward([t32(1, [2, 3]), t32(2, [3, 2])])),
      bad('ScalarMix.forward: an unknown option', BAD, (w) => w.mix.forward(layers(), { trian: true } as never)),
      ...each(BAD_FLAGS, 'ScalarMix.forward: opts.train', BAD, (w, v) => w.mix.forward(layers(), { train: v as boolean })),
      bad('ScalarMix.forward on a disposed mix', DEAD, (w) => w.dead.mix.forward(layers())),
      bad('ScalarMix.backward without a tape', ['NO_TAPE'], (w) => { const m = new ScalarMix({ numLayers: 1 }); try { return m.backward(t32(1, [2])); } finally { m.dispose(); } }),
      bad('ScalarMix.weights of a disposed mix', DEAD, (w) => w.dead.mix.weights()),
    ),
    tensorFaults('ScalarMix.forward(layers[1])', () => t32(3, [2, 3]), (w, t) => w.mix.forward([t32(1, [2, 3]), t as Tensor]), { notTensors: NOT_OBJECTS, wrongShapes: () => [[3, 2], [6], [2, 3, 1]] }),
    tensorFaults('ScalarMix.backward(dy)', () => t32(4, [2, 3]), (w, d) => w.mix.backward(d as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[3, 2], [6]] }),
    stateDictFaults('ScalarMix.loadStateDict', (w) => w.mix),
  );
  property('ScalarMix', mix);
});

describe('EchoStateNetwork', () => {
  const base = () => ({ inputSize: 2, reservoirSize: 4, outputSize: 1 });
  const make = (_w: World, o: unknown) => new EchoStateNetwork(o as never);
  const u = () => t32(1, [5, 2]);
  const esn = fc.oneof(
    fc.constantFrom(
      ...optionsObjectFaults('new EchoStateNetwork', base, make, [...NOT_OBJECTS, null, undefined]),
      ...['inputSize', 'reservoirSize', 'outputSize'].flatMap((k) => [...optionFaults('new EchoStateNetwork', base, k, [...BAD_SIZES, undefined], make),
        ...optionFaults('new EchoStateNetwork', base, k, HUGE_SIZES, make, HUGE)]),
      ...optionFaults('new EchoStateNetwork', base, 'spectralRadius', [0, -1, ...NON_FINITE], make),
      ...optionFaults('new EchoStateNetwork', base, 'leakRate', [0, -0.5, 1.5, ...NON_FINITE], make),
      ...optionFaults('new EchoStateNetwork', base, 'density', [0, 1.5, ...NON_FINITE], make),
      ...['inputScale', 'bias', 'ridge'].flatMap((k) => optionFaults('new EchoStateNetwork', base, k, [-1, ...NON_FINITE], make)),
      ...optionFaults('new EchoStateNetwork', base, 'washout', [-1, 1.5, ...NON_FINITE], make),
      ...optionFaults('new EchoStateNetwork', base, 'readoutInput', BAD_FLAGS, make),
      ...optionFaults('new EchoStateNetwork', base, 'seed', BAD_SEEDS, make),
      bad('fit: washout >= T', BAD, (w) => { const e = new EchoStateNetwork({ ...base(), washout: 5, seed: 1 }); try { return e.fit(u(), t32(2, [5, 1])); } finally { e.dispose(); } }),
      bad('predict before fit', BAD, (w) => { const e = new EchoStateNetwork({ ...base(), seed: 1 }); try { return e.predict(u()); } finally { e.dispose(); } }),
      bad('fit: targets of a wrong shape', SHAPE, (w) => w.esn.fit(u(), t32(2, [5, 2]))),
      bad('fit: targets holding NaN', FINITE, (w) => { const t = t32(2, [5, 1]); t.data[3] = NaN; return w.esn.fit(u(), t); }),
      ...each([...NOT_OBJECTS, null], 'predict(u, opts)', BAD, (w, o) => w.esn.predict(u(), o as never)),
      bad('predict: opts.state of a wrong shape', SHAPE, (w) => w.esn.predict(u(), { state: t32(3, [7]) })),
      bad('predict: an unknown option', BAD, (w) => w.esn.predict(u(), { stat: t32(3, [6]) } as never)),
      ...each([0, -1, 1.5, NaN, '1', null], 'EchoStateNetwork.stream(batch)', BAD, (w, b) => w.esn.stream(b as number)),
      ...each(HUGE_SIZES, 'EchoStateNetwork.stream(batch)', HUGE, (w, b) => w.esn.stream(b as number)),
      ...each([...NOT_OBJECTS, null, undefined, {}, { weight: t32(1, [1, 6]) }], 'loadReadout', SHAPE, (w, r) => w.esn.loadReadout(r as never)),
      bad('loadReadout: a weight of a wrong shape', SHAPE, (w) => w.esn.loadReadout({ weight: t32(1, [1, 7]), bias: t32(2, [1]) })),
      bad('loadReadout: NaN', FINITE, (w) => w.esn.loadReadout({ weight: new Float32Array(6).fill(NaN), bias: t32(2, [1]) })),
      bad('predict on a disposed network', DEAD, (w) => w.dead.esn.predict(u())),
      bad('states of a disposed network', DEAD, (w) => w.dead.esn.states(u())),
      bad('step on a disposed stream', DEAD, (w) => w.dead.esnStream.step(new Float32Array(2))),
      bad('esn stream step: a Float32Array of a wrong size', SHAPE, (w) => w.esnStream.step(new Float32Array(3))),
      ...each([...NOT_OBJECTS, null], 'esn stream setState', SHAPE, (w, s) => w.esnStream.setState(s as never)),
    ),
    tensorFaults('fit(inputs)', u, (w, x) => w.esn.fit(x as Tensor, t32(2, [5, 1])), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[5, 3], [10], [5, 1, 3]] }),
    tensorFaults('predict(inputs)', u, (w, x) => w.esn.predict(x as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[5, 3], [10], [5, 1, 3]] }),
    tensorFaults('states(inputs)', u, (w, x) => w.esn.states(x as Tensor), { notTensors: [...NOT_OBJECTS, null, undefined], wrongShapes: () => [[5, 1], [10]] }),
    tensorFaults('esn stream step(u)', () => t32(1, [1, 2]), (w, x) => w.esnStream.step(x as Tensor), { notTensors: NOT_OBJECTS, wrongShapes: () => [[2, 1], [1, 3], [2]] }),
    tensorFaults('esn stream setState(x)', () => t32(1, [1, 6]), (w, x) => w.esnStream.setState(x as Tensor), { notTensors: NOT_OBJECTS, wrongShapes: () => [[6], [1, 7]] }),
    stateDictFaults('EchoStateNetwork.loadStateDict', (w) => w.esn),
  );
  property('EchoStateNetwork', esn, 40);
});
