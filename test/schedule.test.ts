// The learning-rate schedules (src/train/schedule.ts) against torch.optim.lr_scheduler:
// test/fixtures/schedules.json (made by test/fixtures/make_schedule_fixtures.py with Debian's
// torch 1.13) holds the rate (and OneCycleLR's momentum or beta1) after construction and after
// each of up to 300 steps, for every schedule with default and other options. Both sides run
// in float64 with the same operations in the same order: bit-identical, except where a cosine
// enters (CosineAnnealingLR, OneCycleLR 'cos'): Math.cos may differ from glibc's cos in the
// last bit, and the recursive form carries it on, so those take a relative 1e-12. Then: resuming from stateDict() is
// bit-identical, every option is checked, and a disposed optimizer is refused.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Adam, CosineAnnealingLR, ExponentialLR, LSTM, Linear, LinearLR, OneCycleLR, RMSprop, ReduceLROnPlateau, RnnError, SGD, Sequential, StepLR, checkpointInfo,
  fit, init, loadCheckpoint, loadCheckpointInto, loadSafetensors, saveCheckpoint, saveSafetensors, type Schedule,
} from '../src/node.js';
import { randomArray } from './helpers.js';
import { scheduleKinds } from '../src/train/schedule.js';

interface Fixture {
  name: string; kind: string; options: Record<string, unknown>; optimizer: { kind: 'SGD' | 'Adam'; options: Record<string, number> };
  steps: number; metrics?: number[]; lr: number[]; momentum?: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/schedules.json', import.meta.url), 'utf8')) as { torch: string; cases: Fixture[] };
const TOLERANCE = 1e-12;

beforeAll(async () => { await init(); });

const model = () => new Linear({ inFeatures: 2, outFeatures: 2, seed: 1 });
function optimizerOf(spec: Fixture['optimizer']): SGD | Adam {
  return spec.kind === 'SGD' ? new SGD(model(), spec.options as { lr: number }) : new Adam(model(), spec.options as { lr: number });
}
const momentumOf = (o: SGD | Adam) => (o instanceof Adam ? o.betas[0] : o.momentum);
const build = (kind: string, optimizer: SGD | Adam, options: Record<string, unknown>) => new scheduleKinds[kind](optimizer, options as never);
const stepOnce = (s: Schedule, metric?: number) => (s as unknown as { step(m?: number): void }).step(metric);
const relative = (got: number, want: number) => (got === want ? 0 : Math.abs(got - want) / Math.max(Math.abs(want), 1e-300));

describe('the schedules follow PyTorch', () => {
  let worst = 0, exact = 0, total = 0;
  for (const c of fixture.cases) {
    const tolerance = c.kind === 'CosineAnnealingLR' || (c.kind === 'OneCycleLR' && c.options.annealStrategy !== 'linear') ? TOLERANCE : 0;
    test(c.name, () => {
      const optimizer = optimizerOf(c.optimizer), schedule = build(c.kind, optimizer, c.options);
      for (let i = 0; i <= c.steps; i++) {
        if (i > 0) stepOnce(schedule, c.metrics?.[i - 1]);
        // PyTorch extrapolates OneCycleLR's rate after its last step below 0; ours stops at 0
        const want = Math.max(c.lr[i], 0);
        expect(schedule.getLastLr()).toBe(optimizer.lr);
        const err = relative(optimizer.lr, want);
        if (err > tolerance) throw new Error(`${c.name}: step ${i}: lr ${optimizer.lr}, PyTorch ${want} (relative ${err})`);
        worst = Math.max(worst, err); total++; if (err === 0) exact++;
        if (c.momentum) {
          const m = relative(momentumOf(optimizer), c.momentum[i]);
          if (m > tolerance) throw new Error(`${c.name}: step ${i}: momentum ${momentumOf(optimizer)}, PyTorch ${c.momentum[i]}`);
          worst = Math.max(worst, m);
        }
      }
    });
  }
  test('the largest difference', () => {
    // printed for the record: how close the float64 arithmetic came
    console.log(`schedules vs torch ${fixture.torch}: ${exact} of ${total} rates bit-identical, worst relative difference ${worst}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('resuming', () => {
  for (const c of fixture.cases) {
    test(`${c.name}: 150 steps, stateDict through JSON into a new schedule, 150 more, as 300 in one go`, () => {
      const n = Math.min(c.steps, 300), half = Math.floor(n / 2);
      const a = optimizerOf(c.optimizer), whole = build(c.kind, a, c.options);
      const straight: number[] = [];
      for (let i = 0; i < n; i++) { stepOnce(whole, c.metrics?.[i]); straight.push(a.lr, momentumOf(a)); }
      const b = optimizerOf(c.optimizer), first = build(c.kind, b, c.options);
      const resumed: number[] = [];
      for (let i = 0; i < half; i++) { stepOnce(first, c.metrics?.[i]); resumed.push(b.lr, momentumOf(b)); }
      const saved = JSON.parse(JSON.stringify(first.stateDict()));
      // a fresh optimizer and schedule, as a checkpoint rebuilds them
      const b2 = optimizerOf(c.optimizer), second = build(c.kind, b2, c.options);
      second.loadStateDict(saved);
      for (let i = half; i < n; i++) { stepOnce(second, c.metrics?.[i]); resumed.push(b2.lr, momentumOf(b2)); }
      expect(resumed).toEqual(straight);
      expect(second.stateDict()).toEqual(whole.stateDict());
    });
  }
});

describe('the optimizer takes the rate', () => {
  test('the next step uses optimizer.lr', () => {
    const a = model(), b = model(), x = { data: Float32Array.from([0.5, -1]), shape: [1, 2] };
    const sa = new SGD(a, { lr: 0.1 }), sb = new SGD(b, { lr: 0.025 });
    new ExponentialLR(sa, { gamma: 0.5 }).step(); new ExponentialLR(sa, { gamma: 0.5 }).step();
    expect(sa.lr).toBe(0.025);
    for (const [m, o] of [[a, sa], [b, sb]] as const) { m.zeroGrad(); m.forward(x, { train: true }); m.backward({ data: Float32Array.from([1, 2]), shape: [1, 2] }); o.step(); }
    expect(Array.from(a.stateDict().weight.data)).toEqual(Array.from(b.stateDict().weight.data));
  });
  test('lr, momentum and betas are checked', () => {
    const sgd = new SGD(model(), { lr: 0.1, momentum: 0.5, nesterov: true }), adam = new Adam(model(), { lr: 0.1 }), rms = new RMSprop(model(), { lr: 0.1 });
    for (const bad of [-1, NaN, Infinity, '0.1']) expect(() => { sgd.lr = bad as number; }).toThrow(/SGD.lr: lr must be a finite number >= 0/);
    expect(() => { sgd.momentum = 0; }).toThrow(/nesterov needs a momentum > 0/);
    expect(() => { rms.momentum = 1; }).toThrow(/RMSprop.momentum: momentum must be in \[0, 1\)/);
    expect(() => { adam.betas = [0.9, 1]; }).toThrow(/Adam.betas must be two numbers in \[0, 1\)/);
    expect([sgd.lr, sgd.momentum, adam.betas, rms.momentum]).toEqual([0.1, 0.5, [0.9, 0.999], 0]);
    sgd.lr = 0; expect(sgd.lr).toBe(0);
  });
});

describe('arguments', () => {
  const sgd = () => new SGD(model(), { lr: 0.1, momentum: 0.9 });
  const cases: [string, () => unknown, RegExp][] = [
    ['not an optimizer', () => new StepLR({ lr: 1 } as never, { stepSize: 1 }), /new StepLR: optimizer must be an SGD, Adam, AdamW or RMSprop/],
    ['unknown option', () => new StepLR(sgd(), { stepSize: 1, step_size: 2 } as never), /new StepLR: unknown option "step_size"/],
    ['missing options', () => new StepLR(sgd(), undefined as never), /new StepLR: options must be an object/],
    ['stepSize', () => new StepLR(sgd(), { stepSize: 1.5 }), /stepSize must be an integer >= 1, got 1.5/],
    ['gamma', () => new ExponentialLR(sgd(), { gamma: 0 }), /gamma must be a positive number, got 0/],
    ['gamma required', () => new ExponentialLR(sgd(), {} as never), /gamma must be a positive number, got undefined/],
    ['TMax', () => new CosineAnnealingLR(sgd(), { TMax: 0 }), /TMax must be an integer >= 1/],
    ['etaMin', () => new CosineAnnealingLR(sgd(), { TMax: 5, etaMin: -1 }), /etaMin must be a finite number >= 0/],
    ['startFactor', () => new LinearLR(sgd(), { startFactor: 0 }), /startFactor must be in \(0, 1\]/],
    ['endFactor', () => new LinearLR(sgd(), { endFactor: 1.5 }), /endFactor must be in \[0, 1\]/],
    ['totalIters', () => new LinearLR(sgd(), { totalIters: 0 }), /totalIters must be an integer >= 1/],
    ['maxLr', () => new OneCycleLR(sgd(), { maxLr: -1, totalSteps: 10 }), /maxLr must be a positive number/],
    ['no totalSteps', () => new OneCycleLR(sgd(), { maxLr: 1 }), /give totalSteps, or epochs and stepsPerEpoch/],
    ['epochs', () => new OneCycleLR(sgd(), { maxLr: 1, epochs: 0, stepsPerEpoch: 3 }), /epochs must be an integer >= 1/],
    ['pctStart', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), /pctStart must be in \[0, 1\]/],
    ['annealStrategy', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never }), /annealStrategy must be 'cos' or 'linear', got "exp"/],
    ['cycleMomentum', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, cycleMomentum: 1 as never }), /cycleMomentum must be true or false/],
    ['maxMomentum', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, maxMomentum: 1 }), /maxMomentum must be in \[0, 1\)/],
    ['empty phase', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 0.1 }), /leaves phase 1 of no length/],
    ['mode', () => new ReduceLROnPlateau(sgd(), { mode: 'up' as never }), /mode must be 'min' or 'max', got "up"/],
    ['factor', () => new ReduceLROnPlateau(sgd(), { factor: 1 }), /factor must be in \[0, 1\), got 1/],
    ['patience', () => new ReduceLROnPlateau(sgd(), { patience: -1 }), /patience must be an integer >= 0/],
    ['thresholdMode', () => new ReduceLROnPlateau(sgd(), { thresholdMode: 'x' as never }), /thresholdMode must be 'rel' or 'abs'/],
    ['cooldown', () => new ReduceLROnPlateau(sgd(), { cooldown: 0.5 }), /cooldown must be an integer >= 0/],
  ];
  for (const [name, make, message] of cases) {
    test(name, () => {
      let error: unknown;
      try { make(); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(RnnError);
      expect((error as RnnError).code).toBe('BAD_ARGUMENT');
      expect((error as RnnError).message).toMatch(message);
    });
  }
  test('a rejected construction leaves the optimizer as it was', () => {
    const o = sgd();
    expect(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, divFactor: 0 })).toThrow(/divFactor/);
    expect([o.lr, o.momentum]).toEqual([0.1, 0.9]);
  });
  test('OneCycleLR refuses a step past totalSteps, changing nothing', () => {
    const o = sgd(), s = new OneCycleLR(o, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    const before = [o.lr, o.momentum, JSON.stringify(s.stateDict())];
    expect(() => s.step()).toThrow(/OneCycleLR.step: stepped 5 times, totalSteps is 3/);
    expect([o.lr, o.momentum, JSON.stringify(s.stateDict())]).toEqual(before);
  });
  test('ReduceLROnPlateau takes a finite metric', () => {
    const s = new ReduceLROnPlateau(sgd());
    expect(() => s.step(NaN)).toThrow(expect.objectContaining({ code: 'NOT_FINITE' }));
    expect(() => s.step('1' as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(s.stateDict()).toEqual({ kind: 'ReduceLROnPlateau', lastEpoch: 0, baseLr: 0.1, lastLr: 0.1, best: null, numBadEpochs: 0, cooldownCounter: 0 });
  });
  test('loadStateDict checks everything before it changes anything', () => {
    const o = sgd(), s = new StepLR(o, { stepSize: 2 });
    s.step(); s.step();
    const before = JSON.stringify(s.stateDict()), good = s.stateDict();
    const bad: unknown[] = [null, { ...good, kind: 'ExponentialLR' }, { ...good, lastEpoch: -1 }, { ...good, lastLr: NaN }, { ...good, extra: 1 }, { ...good, baseLr: undefined }];
    for (const state of bad) expect(() => s.loadStateDict(state as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => new ReduceLROnPlateau(o).loadStateDict({ ...new ReduceLROnPlateau(o).stateDict(), numBadEpochs: 1.5 })).toThrow(/numBadEpochs/);
    const m = new OneCycleLR(new Adam(model(), { lr: 1 }), { maxLr: 1, totalSteps: 5 });
    expect(() => m.loadStateDict({ ...m.stateDict(), lastMomentum: undefined })).toThrow(/lastMomentum/);
    expect(() => m.loadStateDict({ ...m.stateDict(), lastEpoch: 6 })).toThrow(/lastEpoch must be at most totalSteps 5/);
    expect(JSON.stringify(s.stateDict())).toBe(before);
    expect(o.lr).toBeCloseTo(0.01, 15);
  });
  test('a disposed optimizer: DISPOSED, as its own step', () => {
    const o = sgd(), schedules = [new StepLR(o, { stepSize: 1 }), new OneCycleLR(o, { maxLr: 1, totalSteps: 9 })];
    const plateau = new ReduceLROnPlateau(o);
    o.dispose();
    for (const s of schedules) expect(() => stepOnce(s)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => plateau.step(1)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => new LinearLR(o)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(schedules[0].stateDict().lastEpoch).toBe(0);
  });
});

describe('fit', () => {
  const T = 5, N = 8, D = 2, C = 3;
  const x = { data: Float32Array.from(randomArray(3, T * N * D)), shape: [T, N, D] };
  const y = Int32Array.from({ length: T * N }, (_, i) => (i * 5) % C);
  const net = () => new Sequential([new LSTM({ inputSize: D, hiddenSize: 4, seed: 4 }), new Linear({ inFeatures: 4, outFeatures: C, seed: 4 })]);
  const bits = (m: Sequential) => Object.values(m.stateDict()).flatMap((t) => Array.from(t.data));

  test('steps the schedule after every update: the same as setting each rate by hand', () => {
    const a = net(), optA = new Adam(a, { lr: 0.01 }), schedule = new OneCycleLR(optA, { maxLr: 0.05, totalSteps: 12 });
    const rates: number[] = [];
    const result = fit(a, { x, y }, { optimizer: optA, schedule, epochs: 3, batchSize: 2, onProgress: () => { rates.push(optA.lr); } });
    expect(result.steps).toBe(12);
    expect(schedule.stateDict().lastEpoch).toBe(12);
    // the same run, the rates (and beta1) set by hand from a schedule stepped alone
    const lone = new Adam(net(), { lr: 0.01 }), s = new OneCycleLR(lone, { maxLr: 0.05, totalSteps: 12 }), want: [number, number][] = [[lone.lr, lone.betas[0]]];
    for (let i = 0; i < 12; i++) { s.step(); want.push([lone.lr, lone.betas[0]]); }
    expect(rates).toEqual(want.slice(1).map(([lr]) => lr));
    const b = net(), optB = new Adam(b, { lr: want[0][0], betas: [want[0][1], 0.999] });
    fit(b, { x, y }, { optimizer: optB, epochs: 3, batchSize: 2, onProgress: (p) => { optB.lr = want[p.step][0]; optB.betas = [want[p.step][1], 0.999]; } });
    expect(bits(a)).toEqual(bits(b));
    // and the schedule did change the updates
    const c = net();
    fit(c, { x, y }, { optimizer: new Adam(c, { lr: 0.01 }), epochs: 3, batchSize: 2 });
    expect(bits(c)).not.toEqual(bits(a));
  });

  test('ReduceLROnPlateau steps once per epoch with the validation loss', () => {
    const m = net(), opt = new SGD(m, { lr: 0.5 });
    // mode 'max' on a falling loss: never better after the first epoch, so with patience 0 every later epoch halves the rate
    const plateau = new ReduceLROnPlateau(opt, { mode: 'max', factor: 0.5, patience: 0 });
    const result = fit(m, { x, y }, { optimizer: opt, schedule: plateau, epochs: 4, batchSize: 4, validation: { x, y } });
    const losses = result.history.map((h) => h.valLoss!);
    expect(losses[3]).toBeLessThan(losses[0]);
    expect(plateau.stateDict()).toMatchObject({ lastEpoch: 4, best: losses[0] });
    expect(opt.lr).toBe(0.5 * 0.5 ** 3);
  });

  test('a schedule over another optimizer, or too short a OneCycleLR, is refused before any update', () => {
    const m = net(), opt = new SGD(m, { lr: 0.1, momentum: 0.9 }), before = bits(m);
    expect(() => fit(m, { x, y }, { optimizer: opt, schedule: new StepLR(new SGD(m, { lr: 1 }), { stepSize: 1 }) })).toThrow(/the schedule's optimizer must be options.optimizer/);
    const short = new OneCycleLR(opt, { maxLr: 1, totalSteps: 5 });
    expect(() => fit(m, { x, y }, { optimizer: opt, schedule: short, epochs: 3, batchSize: 4 })).toThrow(/OneCycleLR has 5 steps left, fewer than the 6 updates planned/);
    expect(() => fit(m, { x, y }, { optimizer: opt, schedule: {} as never })).toThrow(/fit: schedule must be a schedule/);
    expect(bits(m)).toEqual(before);
    expect(short.stateDict().lastEpoch).toBe(0);
  });
});

describe('checkpoints', () => {
  const T = 4, N = 6, D = 2, C = 3;
  const x = { data: Float32Array.from(randomArray(5, T * N * D)), shape: [T, N, D] };
  const y = Int32Array.from({ length: T * N }, (_, i) => (i * 2) % C);
  const net = () => new Sequential([new LSTM({ inputSize: D, hiddenSize: 3, seed: 6 }), new Linear({ inFeatures: 3, outFeatures: C, seed: 6 })]);
  const bits = (m: { stateDict(): Record<string, { data: Float32Array }> }) => Object.values(m.stateDict()).flatMap((t) => Array.from(t.data));
  const train = { epochs: 3, batchSize: 2, shuffle: false };
  /** The file with its "simd-rnn" description changed by `edit`. */
  function edited(bytes: Uint8Array, edit: (meta: Record<string, any>) => void): Uint8Array {
    const { tensors, metadata } = loadSafetensors(bytes), meta = JSON.parse(metadata['simd-rnn']);
    edit(meta);
    return saveSafetensors(tensors, { ...metadata, 'simd-rnn': JSON.stringify(meta) });
  }
  const codeOf = (f: () => unknown) => { try { f(); return 'loaded'; } catch (e) { return (e as RnnError).code; } };

  test('save, load, continue: the same weights, rates and momenta as one run', () => {
    const a = net(), optA = new SGD(a, { lr: 0.1, momentum: 0.9 }), schedA = new OneCycleLR(optA, { maxLr: 0.5, totalSteps: 18 });
    fit(a, { x, y }, { optimizer: optA, schedule: schedA, ...train, epochs: 6 });

    const b = net(), optB = new SGD(b, { lr: 0.1, momentum: 0.9 }), schedB = new OneCycleLR(optB, { maxLr: 0.5, totalSteps: 18 });
    fit(b, { x, y }, { optimizer: optB, schedule: schedB, ...train });
    const file = saveCheckpoint(b, optB, { note: 'half' }, { schedule: schedB });
    expect(checkpointInfo(file).schedule).toEqual({ kind: 'OneCycleLR', options: { maxLr: 0.5, totalSteps: 18 }, state: schedB.stateDict() });
    const loaded = loadCheckpoint(file);
    const optC = loaded.optimizer as SGD, schedC = loaded.schedule as OneCycleLR;
    expect(schedC).toBeInstanceOf(OneCycleLR);
    expect(schedC.optimizer).toBe(optC);
    expect([optC.lr, optC.momentum, schedC.stateDict()]).toEqual([optB.lr, optB.momentum, schedB.stateDict()]);
    fit(loaded.model as Sequential, { x, y }, { optimizer: optC, schedule: schedC, ...train });
    expect(bits(loaded.model)).toEqual(bits(a));
    expect([optC.lr, optC.momentum, schedC.stateDict()]).toEqual([optA.lr, optA.momentum, schedA.stateDict()]);
  });

  test('loadCheckpointInto a schedule of the same kind and options (keys in any order)', () => {
    const a = net(), opt = new Adam(a, { lr: 0.01 }), plateau = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 });
    fit(a, { x, y }, { optimizer: opt, schedule: plateau, ...train, validation: { x, y } });
    const file = saveCheckpoint(a, opt, undefined, { schedule: plateau });
    const b = net(), optB = new Adam(b, { lr: 0.01 }), plateauB = new ReduceLROnPlateau(optB, { factor: 0.5, patience: 0 });
    loadCheckpointInto(file, b, optB, plateauB);
    expect([optB.lr, plateauB.stateDict()]).toEqual([opt.lr, plateau.stateDict()]);
    expect(bits(b)).toEqual(bits(a));
  });

  test('the rate of an optimizer without a schedule is kept too; files without one load with options.lr', () => {
    const a = net(), opt = new SGD(a, { lr: 0.1 });
    opt.lr = 0.025;
    expect((loadCheckpoint(saveCheckpoint(a, opt)).optimizer!).lr).toBe(0.025);
    const old = edited(saveCheckpoint(a, opt), (m) => { delete m.optimizer.lr; });
    const back = loadCheckpoint(old);
    expect([back.optimizer!.lr, back.schedule]).toEqual([0.1, undefined]);
  });

  test('a bad schedule description is BAD_FILE, and loadCheckpointInto changes nothing', () => {
    const a = net(), opt = new SGD(a, { lr: 0.1, momentum: 0.9 }), sched = new StepLR(opt, { stepSize: 2 });
    fit(a, { x, y }, { optimizer: opt, schedule: sched, ...train });
    const file = saveCheckpoint(a, opt, undefined, { schedule: sched });
    const b = net(), optB = new SGD(b, { lr: 0.1, momentum: 0.9 }), schedB = new StepLR(optB, { stepSize: 2 });
    const before = JSON.stringify([bits(b), optB.lr, optB.stateDict().step, schedB.stateDict()]);
    const edits: [string, (m: Record<string, any>) => void][] = [
      ['unknown kind', (m) => { m.schedule.kind = 'CyclicLR'; }],
      ['kind of an Object', (m) => { m.schedule.kind = 'constructor'; }],
      ['options not an object', (m) => { m.schedule.options = 3; }],
      ['options the constructor refuses', (m) => { m.schedule.options = { stepSize: 0 }; }],
      ['state not an object', (m) => { m.schedule.state = null; }],
      ['state of another kind', (m) => { m.schedule.state.kind = 'ExponentialLR'; }],
      ['state with a negative lastLr', (m) => { m.schedule.state.lastLr = -1; }],
      ['state with an unknown field', (m) => { m.schedule.state.x = 1; }],
      ['a schedule without an optimizer', (m) => { delete m.optimizer; }],
      ['an optimizer lr that is no number', (m) => { m.optimizer.lr = 'x'; }],
    ];
    for (const [what, edit] of edits) {
      const bytes = edited(file, edit);
      expect(codeOf(() => loadCheckpoint(bytes)), what).toBe('BAD_FILE');
      expect(codeOf(() => loadCheckpointInto(bytes, b, optB, schedB)), what).toBe('BAD_FILE');
      expect(JSON.stringify([bits(b), optB.lr, optB.stateDict().step, schedB.stateDict()]), what).toBe(before);
    }
    // another kind or other options than the schedule given, or no schedule in the file
    expect(codeOf(() => loadCheckpointInto(file, b, optB, new StepLR(optB, { stepSize: 3 })))).toBe('BAD_FILE');
    expect(codeOf(() => loadCheckpointInto(file, b, optB, new ExponentialLR(optB, { gamma: 0.5 })))).toBe('BAD_FILE');
    expect(codeOf(() => loadCheckpointInto(saveCheckpoint(a, opt), b, optB, schedB))).toBe('BAD_FILE');
    expect(codeOf(() => checkpointInfo(edited(file, (m) => { m.schedule.kind = 'CyclicLR'; })))).toBe('BAD_FILE');
  });

  test('arguments', () => {
    const a = net(), opt = new SGD(a, { lr: 0.1 }), other = new SGD(a, { lr: 0.1 }), sched = new StepLR(opt, { stepSize: 2 });
    expect(() => saveCheckpoint(a, undefined, undefined, { schedule: sched })).toThrow(/options.schedule must step the optimizer given/);
    expect(() => saveCheckpoint(a, other, undefined, { schedule: sched })).toThrow(/options.schedule must step the optimizer given/);
    expect(() => saveCheckpoint(a, opt, undefined, { schedule: {} as never })).toThrow(/options.schedule must be a schedule/);
    expect(() => saveCheckpoint(a, opt, undefined, { scheduler: sched } as never)).toThrow(/unknown option "scheduler"/);
    expect(() => loadCheckpointInto(saveCheckpoint(a, opt, undefined, { schedule: sched }), a, other, sched)).toThrow(/schedule must be a schedule over the optimizer given/);
    expect(() => loadCheckpointInto(saveCheckpoint(a, opt, undefined, { schedule: sched }), a, undefined, sched)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});
