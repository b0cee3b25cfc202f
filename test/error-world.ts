// The harness of the malformed-argument properties (properties-errors-*.test.ts): a "world"
// of live objects in every state a call can meet (a recurrent layer with a pending tape and a
// stream, a Linear, an Embedding, a Sequential with its optimizer, an Adam with state, a
// ScalarMix, a fitted echo state network and its stream, and disposed ones of each), built
// twice from one seed; pools of malformed values; and the check every bad call must pass:
//   - it throws an RnnError whose code is one of RNN_ERROR_CODES and of the codes its fault
//     allows (a disposed object: DISPOSED; a NaN in the data: NOT_FINITE; ...);
//   - every object is left exactly as it was: the bytes of every parameter, gradient,
//     optimizer state and stream state, and the arena's bytes in use, equal those before;
//   - nothing hidden changed either: the same valid calls afterwards (backward through the
//     pending tapes, optimizer steps, stream steps, predictions) give the same bytes as on the
//     untouched twin world.
// COLLECT=1 in the environment runs one call per world and, instead of stopping at the first
// failure, lists every call that fails (printed by the suites at the end): the way to see
// all that a change breaks at once.
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  Adam, EchoStateNetwork, Embedding, GRU, LSTM, Linear, RNN_ERROR_CODES, RnnError, SGD, ScalarMix, Sequential,
  type Backend, type EsnStream, type Optimizer, type RnnErrorCode, type Stream, type Tensor,
} from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { buildLayer, bytesOf, dictBytes, layerConfig, sizesOf, type Kind, type LayerCase } from './arbitraries.js';
import { randomArray } from './helpers.js';

/** What a world is built from: the recurrent layer's configuration and the seed of everything. */
export interface WorldSpec {
  kind: Kind;
  options: Record<string, unknown>;
  T: number;
  B: number;
  seed: number;
}

export const worldSpec: fc.Arbitrary<WorldSpec> = fc.record({
  config: layerConfig({ streamable: true }),
  T: fc.integer({ min: 1, max: 4 }),
  B: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
}).map(({ config, ...rest }) => ({ ...config, ...rest }));

const f32 = (seed: number, n: number, scale = 1) => Float32Array.from(randomArray(seed, n, scale));
const t32 = (seed: number, shape: number[], scale = 1): Tensor => ({ data: f32(seed, shape.reduce((a, b) => a * b, 1), scale), shape });

export interface World {
  spec: WorldSpec;
  /** The recurrent layer (forward in time, one direction), with a pending tape of x. */
  layer: RecurrentLayer;
  /** A valid input of `layer`, as it takes it ([B, T, D] with batchFirst), and dOutput. */
  x: Tensor;
  dOut: Tensor;
  /** Sizes of `layer`. */
  D: number; H: number; L: number; P: number; hasCell: boolean; batchFirst: boolean;
  /** layer.stream(B), one step taken. */
  stream: Stream;
  /** A GRU that has run no training forward (NO_TAPE), and a bidirectional LSTM (no stream). */
  idle: RecurrentLayer;
  bidi: RecurrentLayer;
  /** Linear 3 -> 2 with a pending tape of [2, 3]; Embedding 5 x 3 with a pending tape of ids [2, 2]. */
  linear: Linear;
  emb: Embedding;
  /** Embedding(5, 2) -> GRU(2, 3) -> Linear(3, 5), a pending tape of ids [3, 2]; SGD with momentum over it, one step taken. */
  seq: Sequential;
  seqOpt: Optimizer;
  seqIds: { data: Int32Array; shape: number[] };
  /** Adam over [layer, linear, mix], one step taken. */
  opt: Optimizer;
  /** ScalarMix over 2 layers of [2, 3], a pending tape. */
  mix: ScalarMix;
  /** A fitted echo state network 2 -> 6 -> 1 and a stream of it, one step taken. */
  esn: EchoStateNetwork;
  esnStream: EsnStream;
  dead: {
    layer: RecurrentLayer; linear: Linear; emb: Embedding; mix: ScalarMix; esn: EchoStateNetwork; seq: Sequential;
    stream: Stream; esnStream: EsnStream;
    /** A disposed optimizer, and one over a disposed Linear. */
    opt: Optimizer; optOverDead: Optimizer;
  };
  /** Everything to dispose at the end. */
  all: { dispose(): void }[];
}

/** Sizes of a world's layer, from the case helpers. */
function layerSizes(spec: WorldSpec) {
  return sizesOf({ kind: spec.kind, options: spec.options } as LayerCase);
}

export function makeWorld(spec: WorldSpec): World {
  const s = spec.seed, all: { dispose(): void }[] = [];
  const keep = <T extends { dispose(): void }>(o: T): T => { all.push(o); return o; };
  const { D, H, L, P, hasCell, batchFirst } = layerSizes(spec), T = spec.T, B = spec.B;
  const layer = keep(buildLayer(spec.kind, spec.options));
  const x = t32(s, batchFirst ? [B, T, D] : [T, B, D]);
  const dOut = t32(s + 1, batchFirst ? [B, T, P] : [T, B, P]);
  const linear = keep(new Linear({ inFeatures: 3, outFeatures: 2, seed: s }));
  const mix = keep(new ScalarMix({ numLayers: 2, gamma: 0.5 }));
  const opt = keep(new Adam([layer, linear, mix], { lr: 0.01 }));
  // one step, so the optimizer has state and every gradient something in it
  layer.forward(x, undefined, { train: true });
  layer.backward(dOut);
  linear.forward(t32(s + 2, [2, 3]), { train: true });
  linear.backward(t32(s + 3, [2, 2]));
  mix.forward([t32(s + 4, [2, 3]), t32(s + 5, [2, 3])], { train: true });
  mix.backward(t32(s + 6, [2, 3]));
  opt.step();
  // the pending tapes
  layer.forward(x, undefined, { train: true });
  linear.forward(t32(s + 7, [2, 3]), { train: true });
  mix.forward([t32(s + 8, [2, 3]), t32(s + 9, [2, 3])], { train: true });
  const stream = keep(layer.stream(B));
  stream.step(f32(s + 10, B * D));
  const emb = keep(new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: s }));
  emb.forward({ data: Int32Array.of(0, 4, 2, 2), shape: [2, 2] }, { train: true });

  const seq = keep(new Sequential([new Embedding({ numEmbeddings: 5, embeddingDim: 2, seed: s }), new GRU({ inputSize: 2, hiddenSize: 3, seed: s }), new Linear({ inFeatures: 3, outFeatures: 5, seed: s })]));
  const seqOpt = keep(new SGD(seq, { lr: 0.1, momentum: 0.9 }));
  const seqIds = { data: Int32Array.of(1, 2, 3, 4, 0, 1), shape: [3, 2] };
  seq.forward(seqIds, { train: true });
  seq.backward(t32(s + 11, [3, 2, 5]));
  seqOpt.step();
  seq.forward(seqIds, { train: true });

  const esn = keep(new EchoStateNetwork({ inputSize: 2, reservoirSize: 6, outputSize: 1, seed: s, ridge: 1e-2 }));
  esn.fit(t32(s + 12, [8, 2]), t32(s + 13, [8, 1]));
  const esnStream = keep(esn.stream(1));
  esnStream.step(f32(s + 14, 2));

  const idle = keep(new GRU({ inputSize: 2, hiddenSize: 2, seed: s }));
  const bidi = keep(new LSTM({ inputSize: 2, hiddenSize: 2, bidirectional: true, seed: s }));

  // the disposed ones
  const deadLayer = new LSTM({ inputSize: D, hiddenSize: 2, seed: s });
  const deadLinear = new Linear({ inFeatures: 3, outFeatures: 2, seed: s });
  const deadEmb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: s });
  const deadMix = new ScalarMix({ numLayers: 2 });
  const deadEsn = new EchoStateNetwork({ inputSize: 2, reservoirSize: 4, outputSize: 1, seed: s });
  const deadSeqLinear = new Linear({ inFeatures: 2, outFeatures: 2, seed: s });
  const deadSeq = new Sequential([deadSeqLinear]);
  const deadStream = layer.stream(B);
  const deadEsnStream = esn.stream(1);
  const deadOpt = new SGD(linear, { lr: 0.1 });
  const underOpt = new Linear({ inFeatures: 2, outFeatures: 2, seed: s });
  const optOverDead = keep(new SGD(underOpt, { lr: 0.1, momentum: 0.5 }));
  for (const o of [deadLayer, deadLinear, deadEmb, deadMix, deadEsn, deadSeq, deadStream, deadEsnStream, deadOpt, underOpt]) o.dispose();

  return {
    spec, layer, x, dOut, D, H, L, P, hasCell, batchFirst, stream, idle, bidi, linear, emb, seq, seqOpt, seqIds, opt, mix, esn, esnStream,
    dead: { layer: deadLayer, linear: deadLinear, emb: deadEmb, mix: deadMix, esn: deadEsn, seq: deadSeq, stream: deadStream, esnStream: deadEsnStream, opt: deadOpt, optOverDead },
    all,
  };
}

export function disposeWorld(w: World): void {
  for (const o of [...w.all].reverse()) o.dispose();
}

/** The bytes of everything a call could change, and the arena's bytes in use. */
export function snapshot(w: World, backend: Backend): unknown {
  const opt = (o: Optimizer) => { const s = o.stateDict(); return [s.kind, s.step, ...bytesOf(...s.buffers)]; };
  const module = (m: { stateDict(): Record<string, Tensor>; grads?(): Record<string, Tensor> }) => [dictBytes(m.stateDict()), m.grads ? dictBytes(m.grads()) : null];
  const st = w.stream.state();
  return {
    layer: module(w.layer), idle: module(w.idle), bidi: module(w.bidi), linear: module(w.linear), emb: module(w.emb),
    seq: module(w.seq), mix: module(w.mix), esn: module(w.esn),
    // the step count of the optimizer over a disposed Linear, which refuses stateDict
    opt: opt(w.opt), seqOpt: opt(w.seqOpt), optOverDead: (w.dead.optOverDead as unknown as { stepCount: number }).stepCount,
    stream: bytesOf(st.h.data, st.c?.data), esnStream: bytesOf(w.esnStream.state().data),
    used: backend.arena.usedBytes,
  };
}

/** The result of a call as bytes, or its error code. */
function attempt(f: () => (Float32Array | null | undefined)[]): unknown {
  try { return bytesOf(...f()); } catch (e) { return e instanceof RnnError ? e.code : String(e); }
}

/** Valid calls that read every tape, state and optimizer; the same on a world and its untouched twin. */
export function probe(w: World): unknown[] {
  const s = w.spec.seed + 100;
  return [
    attempt(() => { const r = w.layer.backward(w.dOut); return [r.dx?.data, r.dh0.data, r.dc0?.data]; }),
    attempt(() => [w.linear.backward(t32(s, [2, 2])).dx.data]),
    attempt(() => { w.emb.backward(t32(s + 1, [2, 2, 3])); return []; }),
    attempt(() => w.mix.backward(t32(s + 2, [2, 3])).dLayers.map((t) => t.data)),
    attempt(() => [w.seq.backward(t32(s + 3, [3, 2, 5])).dx?.data]),
    attempt(() => { w.opt.step(); w.seqOpt.step(); return [...Object.values(w.layer.stateDict()), ...Object.values(w.seq.stateDict())].map((t) => t.data); }),
    attempt(() => [w.stream.step(f32(s + 4, w.spec.B * w.D)).data.slice()]),
    attempt(() => [w.esn.predict(t32(s + 5, [3, 2])).data, w.esnStream.step(f32(s + 6, 2)).data.slice()]),
    attempt(() => [w.idle.forward(t32(s + 7, [2, 1, 2])).output.data]),
  ];
}

// ---- bad calls ----------------------------------------------------------------------------

/** One malformed call: what it is, the codes its fault allows, and the call. */
export interface BadCall {
  what: string;
  codes: readonly RnnErrorCode[];
  call: (w: World) => unknown;
  /**
   * The fault shows only once the model has run (a layer deep in a Sequential, a target of
   * fit beyond the output width), so the pending training tapes may have been replaced by
   * then, as any forward replaces them; everything else must still be as it was.
   */
  retapes?: boolean;
}

export const BAD = ['BAD_ARGUMENT'] as const;
export const SHAPE = ['SHAPE_MISMATCH', 'BAD_ARGUMENT'] as const;
export const FINITE = ['NOT_FINITE'] as const;
export const DEAD = ['DISPOSED'] as const;
export const HUGE = ['OUT_OF_MEMORY', 'BAD_ARGUMENT'] as const;

export const bad = (what: string, codes: readonly RnnErrorCode[], call: (w: World) => unknown, retapes = false): BadCall => ({ what, codes, call, retapes });

/** The training forwards that leave the world's tapes pending, again (after a call that may replace them). */
function retape(w: World): void {
  const s = w.spec.seed;
  w.layer.forward(w.x, undefined, { train: true });
  w.linear.forward(t32(s + 7, [2, 3]), { train: true });
  w.mix.forward([t32(s + 8, [2, 3]), t32(s + 9, [2, 3])], { train: true });
  w.emb.forward({ data: Int32Array.of(0, 4, 2, 2), shape: [2, 2] }, { train: true });
  w.seq.forward(w.seqIds, { train: true });
}

/** Values that are not what any argument of ours takes: wrong types, and the odd ones. */
export const NOT_OBJECTS: readonly unknown[] = [5, 'x', true, Symbol('s'), 3n, () => 1];
/** Not a positive integer (a size): wrong types, zero, negatives, fractions, NaN, infinities. */
export const BAD_SIZES: readonly unknown[] = [0, -1, -0, 1.5, NaN, Infinity, -Infinity, '3', null, true, {}, [2], 3n, Symbol('n')];
/** Sizes no memory holds. */
export const HUGE_SIZES: readonly number[] = [2 ** 31, 2 ** 40, 1e15, 2 ** 53 - 1];
/** Not true or false. */
export const BAD_FLAGS: readonly unknown[] = [0, 1, 'true', null, NaN, {}, [], 3n];
/** Not a finite number. */
export const NON_FINITE: readonly unknown[] = [NaN, Infinity, -Infinity, '1', null, {}, [], 1n, Symbol('f')];
/** Not an integer seed. */
export const BAD_SEEDS: readonly unknown[] = [1.5, NaN, Infinity, '1', null, {}, 2 ** 53, 1n];

const show = (v: unknown) => (typeof v === 'symbol' ? v.toString() : typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? 'a function' :
  ArrayBuffer.isView(v) ? `a ${v.constructor.name}` : JSON.stringify(v) ?? String(v));

/** One bad call per value: `what` gets the value appended. */
export function each(values: readonly unknown[], what: string, codes: readonly RnnErrorCode[], call: (w: World, v: unknown) => unknown): BadCall[] {
  return values.map((v) => bad(`${what} = ${show(v)}`, codes, (w) => call(w, v)));
}

/** Options with one key replaced by each bad value (a valid base in `base`). */
export function optionFaults(what: string, base: (w: World) => Record<string, unknown>, key: string, values: readonly unknown[],
  call: (w: World, o: unknown) => unknown, codes: readonly RnnErrorCode[] = BAD): BadCall[] {
  return each(values, `${what}: ${key}`, codes, (w, v) => call(w, { ...base(w), [key]: v }));
}

/** The options themselves not an object, and an unknown key added. */
export function optionsObjectFaults(what: string, base: (w: World) => Record<string, unknown>, call: (w: World, o: unknown) => unknown,
  notObjects: readonly unknown[] = [...NOT_OBJECTS, null]): BadCall[] {
  return [
    ...each(notObjects, `${what}: options`, BAD, call),
    bad(`${what}: an unknown option`, BAD, (w) => call(w, { ...base(w), unknownOption: 1 })),
  ];
}

/**
 * Faults of a tensor argument whose valid value is `valid(w)`: not a tensor (`notTensors`),
 * data of the wrong type, a malformed shape, data and shape of different sizes, shapes the
 * entry refuses (`wrongShapes`), and (when `finite`) a NaN or infinity in the data.
 */
export function tensorFaults(what: string, valid: (w: World) => Tensor, call: (w: World, t: unknown) => unknown,
  o: { wrongShapes?: (shape: number[]) => number[][]; finite?: boolean; notTensors?: readonly unknown[] } = {}): fc.Arbitrary<BadCall> {
  const fixed: BadCall[] = [
    ...each(o.notTensors ?? [...NOT_OBJECTS, null], what, BAD, call),
    bad(`${what} without shape`, BAD, (w) => call(w, { data: valid(w).data })),
    bad(`${what} without data`, BAD, (w) => call(w, { shape: valid(w).shape })),
    bad(`${what}.data a Float64Array`, BAD, (w) => { const t = valid(w); return call(w, { data: Float64Array.from(t.data), shape: t.shape }); }),
    bad(`${what}.data an Array`, BAD, (w) => { const t = valid(w); return call(w, { data: Array.from(t.data), shape: t.shape }); }),
    bad(`${what}.data an Int32Array`, BAD, (w) => { const t = valid(w); return call(w, { data: new Int32Array(t.data.length), shape: t.shape }); }),
    ...[(s: number[]) => s.join(), (s: number[]) => [...s.slice(0, -1), -s[s.length - 1]], (s: number[]) => [...s.slice(0, -1), s[s.length - 1] + 0.5],
      (s: number[]) => [...s.slice(0, -1), NaN], (s: number[]) => [...s.slice(0, -1), String(s[s.length - 1])], () => null]
      .map((f, i) => bad(`${what}.shape malformed (${i})`, SHAPE, (w) => { const t = valid(w); return call(w, { data: t.data, shape: f(t.shape) }); })),
    bad(`${what}: data one element short of its shape`, SHAPE, (w) => { const t = valid(w); return call(w, { data: t.data.subarray(1), shape: t.shape }); }),
    bad(`${what}: data one element over its shape`, SHAPE, (w) => { const t = valid(w); const d = new Float32Array(t.data.length + 1); d.set(t.data); return call(w, { data: d, shape: t.shape }); }),
  ];
  const arbs: fc.Arbitrary<BadCall>[] = [fc.constantFrom(...fixed)];
  if (o.wrongShapes) {
    arbs.push(fc.nat().map((k) => bad(`${what} of a wrong shape (${k})`, SHAPE, (w) => {
      const t = valid(w), shapes = o.wrongShapes!(t.shape), shape = shapes[k % shapes.length];
      return call(w, { data: f32(k + 1, shape.reduce((a, b) => a * b, 1)), shape });
    })));
  }
  if (o.finite !== false) {
    arbs.push(fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map(([i, v]) => bad(`${what} holding ${v}`, FINITE, (w) => {
      const t = valid(w), data = t.data.slice();
      if (data.length === 0) throw new Error('no element to poison');
      data[i % data.length] = v;
      return call(w, { data, shape: t.shape });
    })));
  }
  return fc.oneof(...arbs);
}

/** The state-dict faults of a module's loadStateDict. */
export function stateDictFaults(what: string, module: (w: World) => { stateDict(): Record<string, Tensor>; loadStateDict(d: never): void }): fc.Arbitrary<BadCall> {
  const load = (w: World, d: unknown) => module(w).loadStateDict(d as never);
  const first = (w: World) => Object.keys(module(w).stateDict())[0];
  const with1 = (w: World, f: (t: Tensor) => unknown) => { const d: Record<string, unknown> = { ...module(w).stateDict() }; d[first(w)] = f(d[first(w)] as Tensor); return d; };
  return fc.oneof(
    fc.constantFrom(
      ...each([...NOT_OBJECTS, null, [], undefined], `${what}(dict)`, BAD, load),
      bad(`${what}: a key missing`, BAD, (w) => { const d = module(w).stateDict(); delete d[first(w)]; return load(w, d); }),
      bad(`${what}: an unknown key`, BAD, (w) => load(w, { ...module(w).stateDict(), extra_weight: new Float32Array(1) })),
      bad(`${what}: a value of the wrong size`, SHAPE, (w) => load(w, with1(w, (t) => t.data.subarray(1)))),
      bad(`${what}: a tensor of the wrong shape`, SHAPE, (w) => load(w, with1(w, (t) => ({ data: t.data, shape: [1, t.data.length, 1] })))),
      bad(`${what}: a Float64Array value`, SHAPE, (w) => load(w, with1(w, (t) => Float64Array.from(t.data)))),
      bad(`${what}: a value that is no tensor`, BAD, (w) => load(w, with1(w, () => 5))),
    ),
    fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map(([i, v]) => bad(`${what}: a value holding ${v}`, FINITE, (w) => load(w, with1(w, (t) => {
      const data = t.data.slice(); data[i % data.length] = v; return { data, shape: t.shape };
    })))),
  );
}

export const collected = new Set<string>();

/** The code a call threw ('no error', or the name and message of anything but an RnnError). */
function outcome(f: () => unknown): { got: string; said: string; error: unknown } {
  try { f(); } catch (e) {
    const said = e instanceof Error ? ` (${e.message})` : '';
    return { got: e instanceof RnnError ? e.code : `${(e as Error)?.constructor?.name}${said}`, said, error: e };
  }
  return { got: 'no error', said: '', error: null };
}

/**
 * The property every bad call must pass (see the top of the file): two worlds are built from
 * one seed; one takes the calls in turn, each compared with the snapshot before it; at the end
 * the same valid calls on both worlds must give the same bytes. A rejected call leaves its
 * world as it was, so one world serves several calls (fast-check shrinks a failing list to
 * the one call at fault).
 */
export function checkBadCalls(backend: Backend, spec: WorldSpec, calls: BadCall[], stats: Map<string, number>): void {
  const w = makeWorld(spec), twin = makeWorld(spec);
  try {
    for (const c of calls) {
      const before = snapshot(w, backend);
      const { got, said, error } = outcome(() => c.call(w));
      if (process.env.COLLECT) {
        if (!c.codes.includes(got as RnnErrorCode)) collected.add(`${c.what}: got ${got}${said}`);
        else { try { expect(snapshot(w, backend)).toEqual(before); } catch { collected.add(`${c.what}: changed state`); } }
        continue;
      }
      expect(c.codes.includes(got as RnnErrorCode), `${c.what}: got ${got}${said}, expected ${c.codes.join(' or ')}`).toBe(true);
      expect(RNN_ERROR_CODES).toContain(got);
      expect((error as RnnError).message.length, c.what).toBeGreaterThan(0);
      expect(snapshot(w, backend), `${c.what}: changed state`).toEqual(before);
      stats.set(got, (stats.get(got) ?? 0) + 1);
    }
    if (calls.some((c) => c.retapes)) { retape(w); retape(twin); }
    const later = probe(w), want = probe(twin);
    if (process.env.COLLECT) {
      if (JSON.stringify(later) !== JSON.stringify(want)) collected.add(`${calls.map((c) => c.what).join(' | ')}: changed later calls`);
      return;
    }
    expect(later, `${calls.map((c) => c.what).join(', then ')}: changed what later calls see`).toEqual(want);
  } finally {
    disposeWorld(w);
    disposeWorld(twin);
  }
}
