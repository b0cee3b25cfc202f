// Properties of random configurations (test/arbitraries.ts) that must hold bit for bit:
//   stream: feeding a sequence step by step through layer.stream(B), from the same initial
//     states, gives forward's output at every step and its final h / c, bit-identical (every
//     forward-in-time, one-direction configuration with delays [1]: what stream() runs);
//   reruns: two layers built from the same options and seed, and a second run of the same
//     layer, give the same bytes of output, h, c, dx, dh0, dc0 and every gradient;
//   save / load: after a few optimizer steps (SGD, Adam, AdamW or RMSprop with random
//     options), the model (a recurrent layer, alone or in a Sequential with a Linear head)
//     comes back bit-identical through stateDict / loadStateDict, saveSafetensors /
//     loadSafetensors, saveCheckpoint / loadCheckpoint and loadCheckpointInto: the same forward
//     bytes, the same optimizer state, and the same bytes after one more training step on the
//     original and the copy; an echo state network likewise through its checkpoint.
// Case counts are printed; SIMD_RNN_RUNS / SIMD_RNN_SEED (property-config.ts) scale and reseed.
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, AdamW, EchoStateNetwork, Linear, RMSprop, SGD, Sequential, checkpointInfo, init, loadCheckpoint, loadCheckpointInto,
  loadSafetensors, saveCheckpoint, saveSafetensors, type Optimizer, type Tensor,
} from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import {
  buildLayer, bytesOf, caseData, describeCase, dictBytes, layerCase, sequenceIn, sizesOf, stateIn, swapTB, type LayerCase,
} from './arbitraries.js';
import { randomArray } from './helpers.js';
import { SEED, RUNS_FACTOR, fcParams } from './property-config.js';

console.log(`properties-roundtrip: seed ${SEED}, runs x${RUNS_FACTOR}`);

beforeAll(async () => { await init(); });

const f32 = (a: Float64Array) => Float32Array.from(a);

/** One training forward and backward of a case; every array the caller sees, as bytes. */
function run(layer: RecurrentLayer, c: LayerCase): number[][] {
  const { D, H, P, dirs, hasCell } = sizesOf(c), d = caseData(c);
  layer.zeroGrad();
  const fwd = layer.forward(sequenceIn(c, d.x, D), { h: c.h0 ? stateIn(c, d.h0, P) : undefined, c: c.c0 && hasCell ? stateIn(c, d.c0, H) : undefined },
    { train: true, lengths: c.lengths });
  const back = layer.backward(c.dOut ? sequenceIn(c, d.dOut, dirs * P) : null, { h: c.dH ? stateIn(c, d.dH, P) : undefined, c: c.dC && hasCell ? stateIn(c, d.dC, H) : undefined });
  return [...bytesOf(fwd.output.data, fwd.h.data, fwd.c?.data, back.dx?.data, back.dh0.data, back.dc0?.data),
    ...Object.values(layer.grads()).flatMap((t) => bytesOf(t.data))];
}

describe('stream equals forward, bit for bit', () => {
  test('every streamable configuration', () => {
    let cases = 0, steps = 0;
    fc.assert(fc.property(layerCase({ streamable: true }), (c) => {
      const { D, H, L, P, hasCell } = sizesOf(c), d = caseData(c), B = c.B, T = c.T;
      const layer = buildLayer(c.kind, c.options);
      try {
        const fwd = layer.forward(sequenceIn(c, d.x, D), { h: c.h0 ? stateIn(c, d.h0, P) : undefined, c: c.c0 && hasCell ? stateIn(c, d.c0, H) : undefined });
        const out = !c.unbatched && sizesOf(c).batchFirst ? swapTB(fwd.output.data, B, T, P) : fwd.output.data; // [T, B, P]
        const stream = layer.stream(B);
        const state: { h?: Tensor; c?: Tensor } = {};
        if (c.h0) state.h = { data: f32(d.h0), shape: [L, B, P] };
        if (c.c0 && hasCell) state.c = { data: f32(d.c0), shape: [L, B, H] };
        stream.setState(state);
        const x = f32(d.x);
        for (let t = 0; t < T; t++) {
          const h = stream.step(t % 2 ? x.subarray(t * B * D, (t + 1) * B * D) : { data: x.slice(t * B * D, (t + 1) * B * D), shape: [B, D] });
          expect(bytesOf(h.data), `${describeCase(c)}: step ${t}`).toEqual(bytesOf(out.subarray(t * B * P, (t + 1) * B * P)));
          steps++;
        }
        const last = stream.state();
        expect(bytesOf(last.h.data), describeCase(c)).toEqual(bytesOf(fwd.h.data));
        if (hasCell) expect(bytesOf(last.c!.data), describeCase(c)).toEqual(bytesOf(fwd.c!.data));
        cases++;
      } finally {
        layer.dispose();
      }
    }), fcParams(60));
    console.log(`properties-roundtrip: stream = forward over ${cases} configurations, ${steps} steps`);
  });
});

describe('reruns are bit-identical', () => {
  test('the same options and seed, and the same layer again', () => {
    let cases = 0;
    fc.assert(fc.property(layerCase(), (c) => {
      const a = buildLayer(c.kind, c.options), b = buildLayer(c.kind, c.options);
      try {
        const first = run(a, c);
        expect(run(b, c), describeCase(c)).toEqual(first);
        expect(run(a, c), describeCase(c)).toEqual(first);
        cases++;
      } finally {
        a.dispose();
        b.dispose();
      }
    }), fcParams(60));
    console.log(`properties-roundtrip: reruns bit-identical over ${cases} configurations`);
  });
});

// ---- save / load --------------------------------------------------------------------------

type Model = RecurrentLayer | Sequential;

const optimizerArb = fc.oneof(
  fc.record({ kind: fc.constant('SGD' as const), momentum: fc.constantFrom(0, 0.9), nesterov: fc.boolean(), weightDecay: fc.constantFrom(0, 0.01) })
    .map((o) => ({ ...o, nesterov: o.nesterov && o.momentum > 0 })),
  fc.record({ kind: fc.constantFrom('Adam' as const, 'AdamW' as const), betas: fc.constantFrom([0.9, 0.999], [0.5, 0.9]), eps: fc.constantFrom(1e-8, 1e-3), weightDecay: fc.constantFrom(0, 0.01) }),
  fc.record({ kind: fc.constant('RMSprop' as const), alpha: fc.constantFrom(0.99, 0.9), momentum: fc.constantFrom(0, 0.5), weightDecay: fc.constantFrom(0, 0.01) }),
);
type OptimizerChoice = { kind: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' } & Record<string, unknown>;

function makeOptimizer(model: Model, o: OptimizerChoice): Optimizer {
  const { kind, ...rest } = o, options = { lr: 0.01, ...rest } as never;
  if (kind === 'SGD') return new SGD(model, options);
  if (kind === 'Adam') return new Adam(model, options);
  if (kind === 'AdamW') return new AdamW(model, options);
  return new RMSprop(model, options);
}

/** A case's model: the layer, or the layer and a Linear head in a Sequential. */
function makeModel(c: LayerCase, seq: boolean, seed: number): Model {
  const layer = buildLayer(c.kind, { ...c.options, seed });
  if (!seq) return layer;
  const { P, dirs } = sizesOf(c);
  return new Sequential([layer, new Linear({ inFeatures: dirs * P, outFeatures: 2, seed })]);
}

/** Forward of the case's input through a model; with `step`, a training step before it. */
function forwardBytes(model: Model, c: LayerCase, opt?: Optimizer, stepSeed = 0): number[][] {
  const { D } = sizesOf(c), x = sequenceIn(c, caseData(c).x, D);
  if (opt) {
    model.zeroGrad();
    if (model instanceof Sequential) {
      const y = model.forward(x, { train: true });
      model.backward({ data: f32(randomArray(stepSeed, y.data.length, 0.1)), shape: y.shape });
    } else {
      const y = model.forward(x, undefined, { train: true });
      model.backward({ data: f32(randomArray(stepSeed, y.output.data.length, 0.1)), shape: y.output.shape });
    }
    opt.step();
  }
  const y = model instanceof Sequential ? model.forward(x) : model.forward(x).output;
  return bytesOf(y.data);
}

function optimizerBytes(opt: Optimizer): number[][] {
  const s = opt.stateDict();
  return [[s.step], ...bytesOf(...s.buffers)];
}

describe('save / load round trips are bit-identical', () => {
  test('stateDict, safetensors, checkpoints with optimizer state', () => {
    let cases = 0;
    const arb = fc.record({ c: layerCase(), seq: fc.boolean(), optimizer: optimizerArb, steps: fc.integer({ min: 0, max: 3 }) });
    fc.assert(fc.property(arb, ({ c, seq, optimizer, steps }) => {
      const made: { dispose(): void }[] = [];
      const keep = <T extends { dispose(): void }>(o: T) => { made.push(o); return o; };
      try {
        const a = keep(makeModel(c, seq, 1)), optA = keep(makeOptimizer(a, optimizer));
        for (let s = 0; s < steps; s++) forwardBytes(a, c, optA, 100 + s);
        const want = forwardBytes(a, c), wantOpt = optimizerBytes(optA), dict = dictBytes(a.stateDict());
        const what = `${describeCase(c)}${seq ? ' + Linear' : ''}, ${JSON.stringify(optimizer)}, ${steps} steps`;

        // stateDict / loadStateDict into a model with other weights
        const b = keep(makeModel(c, seq, 2));
        b.loadStateDict(a.stateDict());
        expect(forwardBytes(b, c), `${what}: loadStateDict`).toEqual(want);

        // safetensors
        const file = loadSafetensors(saveSafetensors(a.stateDict(), { note: 'x' }));
        expect(dictBytes(file.tensors), `${what}: safetensors`).toEqual(dict);
        const b2 = keep(makeModel(c, seq, 3));
        b2.loadStateDict(file.tensors);
        expect(forwardBytes(b2, c), `${what}: safetensors`).toEqual(want);

        // checkpoint with optimizer state, into a new model and into an existing one
        const bytes = saveCheckpoint(a, optA, { note: 'round trip' });
        expect(checkpointInfo(bytes).model, what).toEqual(a.config());
        const loaded = loadCheckpoint(bytes);
        const m = keep(loaded.model as Model), optM = keep(loaded.optimizer!);
        expect(loaded.metadata).toEqual({ note: 'round trip' });
        expect(dictBytes(m.stateDict()), `${what}: loadCheckpoint`).toEqual(dict);
        expect(forwardBytes(m, c), `${what}: loadCheckpoint`).toEqual(want);
        expect(optimizerBytes(optM), `${what}: loadCheckpoint optimizer`).toEqual(wantOpt);
        const into = keep(makeModel(c, seq, 4)), optInto = keep(makeOptimizer(into, optimizer));
        loadCheckpointInto(bytes, into, optInto);
        expect(forwardBytes(into, c), `${what}: loadCheckpointInto`).toEqual(want);
        expect(optimizerBytes(optInto), `${what}: loadCheckpointInto optimizer`).toEqual(wantOpt);

        // one more step from the original and from both copies: the optimizer state came back whole
        const next = forwardBytes(a, c, optA, 7);
        expect(forwardBytes(m, c, optM, 7), `${what}: a step after loadCheckpoint`).toEqual(next);
        expect(forwardBytes(into, c, optInto, 7), `${what}: a step after loadCheckpointInto`).toEqual(next);
        expect(optimizerBytes(optM)).toEqual(optimizerBytes(optA));
        cases++;
      } finally {
        for (const o of made.reverse()) o.dispose();
      }
    }), fcParams(40));
    console.log(`properties-roundtrip: save / load bit-identical over ${cases} models`);
  });

  test('an echo state network through its checkpoint', () => {
    let cases = 0;
    const arb = fc.record({
      inputSize: fc.integer({ min: 1, max: 3 }), reservoirSize: fc.integer({ min: 2, max: 12 }), outputSize: fc.integer({ min: 1, max: 3 }),
      leakRate: fc.constantFrom(1, 0.5), density: fc.constantFrom(0.2, 1), bias: fc.constantFrom(0, 0.3), readoutInput: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), T: fc.integer({ min: 4, max: 12 }), dataSeed: fc.integer({ min: 1, max: 2 ** 30 }),
    });
    fc.assert(fc.property(arb, ({ T, dataSeed, ...o }) => {
      const esn = new EchoStateNetwork({ ...o, ridge: 1e-2 });
      const u = { data: f32(randomArray(dataSeed, T * o.inputSize)), shape: [T, o.inputSize] };
      esn.fit(u, { data: f32(randomArray(dataSeed + 1, T * o.outputSize)), shape: [T, o.outputSize] });
      const back = loadCheckpoint(saveCheckpoint(esn)).model as EchoStateNetwork;
      try {
        expect(bytesOf(back.predict(u).data), JSON.stringify(o)).toEqual(bytesOf(esn.predict(u).data));
        expect(dictBytes(back.stateDict())).toEqual(dictBytes(esn.stateDict()));
        cases++;
      } finally {
        esn.dispose();
        back.dispose();
      }
    }), fcParams(20));
    console.log(`properties-roundtrip: echo state network checkpoints bit-identical over ${cases} networks`);
  });
});
