// The plain-JavaScript helpers need no init(): every one runs in this file's module context
// before init() has been called (vitest gives each test file its own), and gives the same
// bits after init() as before. orthogonal is the one helper whose numbers change: before
// init() it runs a float64 JS twin, after it the blocked wasm QR (close, not bit-identical).
import { beforeAll, describe, expect, test } from 'vitest';
import {
  LSTM, Random, RnnError, identityInit, init, lineChart, loadSafetensors, mackeyGlass, narma10,
  nrmse, orthogonal, runtimeSupport, saveSafetensors, tensor, uniformInit, xavierNormal, xavierUniform,
} from '../src/node.js';
import { getBackend } from '../src/backend.js';

function codeOf(f: () => unknown): string {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(RnnError);
    return (e as RnnError).code;
  }
  return 'no error';
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Every number as its bits (float32 data as its bytes), so equal fingerprints mean equal bits. */
function fingerprint(v: unknown): unknown {
  if (typeof v === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v);
    return `f64:${hex(b)}`;
  }
  if (v instanceof Float32Array) return `f32[${v.length}]:${hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`;
  if (v instanceof Uint8Array) return `u8[${v.length}]:${hex(v)}`;
  if (Array.isArray(v)) return v.map(fingerprint);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fingerprint(x)]));
  }
  return v;
}

function randomDraws(seed: number) {
  const r = new Random(seed);
  const u32 = Array.from({ length: 8 }, () => r.nextU32());
  const unit = Array.from({ length: 8 }, () => r.nextUnit());
  const normal = Array.from({ length: 8 }, () => r.nextNormal());
  const fillNormal = new Float32Array(101), fillUniform = new Float32Array(101);
  r.fillNormal(fillNormal, 0.5);
  r.fillUniform(fillUniform, 0.25);
  return { u32, unit, normal, fillNormal, fillUniform };
}

const prediction = (task: { inputs: { data: Float32Array; shape: number[] } }) => task.inputs;

// Each helper with arguments that reach its checks, its defaults and its arithmetic.
const CASES: Record<string, () => unknown> = {
  'tensor from numbers': () => tensor([0.1, 1 / 3, -2.5e-8, 1e30, -0, 7], [2, 3]),
  'tensor keeps a Float32Array': () => {
    const data = new Float32Array([1.5, -2]);
    const t = tensor(data, [1, 2]);
    return { same: t.data === data, shape: t.shape, empty: tensor([], [0, 4]).shape };
  },
  'tensor errors': () => [
    codeOf(() => tensor(new Float32Array(6), [4, 2])),
    codeOf(() => tensor(new Float64Array(6) as never, [6])),
    codeOf(() => tensor([1, 2], [2.5])),
  ],
  'narma10 default seed': () => narma10(64),
  'narma10 seeded': () => narma10(500, 3),
  'narma10 errors': () => [codeOf(() => narma10(0)), codeOf(() => narma10(5, 0.5))],
  'mackeyGlass defaults': () => mackeyGlass(300),
  'mackeyGlass options': () => mackeyGlass(200, { tau: 30, dt: 0.05, sample: 0.5, horizon: 5, seed: 2 }),
  'mackeyGlass errors': () => [codeOf(() => mackeyGlass(10, { dt: 0.3, tau: 17 })), codeOf(() => mackeyGlass(-1))],
  'nrmse one output': () => {
    const task = mackeyGlass(400, { horizon: 3 });
    return nrmse(prediction(task), task.targets);
  },
  'nrmse two outputs': () => {
    const a = narma10(300, 1), b = narma10(300, 2);
    const p = new Float32Array(600), t = new Float32Array(600);
    for (let i = 0; i < 300; i++) {
      p[2 * i] = a.inputs.data[i]; p[2 * i + 1] = b.inputs.data[i];
      t[2 * i] = a.targets.data[i]; t[2 * i + 1] = b.targets.data[i];
    }
    return [nrmse({ data: p, shape: [100, 3, 2] }, { data: t, shape: [100, 3, 2] }), nrmse({ data: t, shape: [300, 2] }, { data: t, shape: [300, 2] })];
  },
  'nrmse constant target and errors': () => {
    const c = { data: new Float32Array([2, 2, 2]), shape: [3, 1] };
    return [nrmse(c, c), nrmse({ data: new Float32Array([1, 2, 3]), shape: [3, 1] }, c),
      codeOf(() => nrmse(c, { data: new Float32Array(4), shape: [4, 1] })), codeOf(() => nrmse(c, 3 as never))];
  },
  Random: () => [randomDraws(0), randomDraws(12345), randomDraws(-1)],
  uniformInit: () => uniformInit(new Float32Array(37), 0.125, new Random(4)),
  xavierUniform: () => xavierUniform(new Float32Array(6 * 5), 6, 5, new Random(5), 2),
  xavierNormal: () => xavierNormal(new Float32Array(6 * 5), 6, 5, new Random(6)),
  identityInit: () => [identityInit(new Float32Array(15), 3, 5, 0.5), identityInit(new Float32Array(16), 4, 4)],
  lineChart: () => lineChart({
    title: 'series', xLabel: 't', yLabel: 'x',
    series: [{ name: 'narma', y: narma10(50, 1).targets.data }, { name: 'mg', x: [1, 2, 4], y: [3, 1, 2] }],
  }),
  lineChartLog: () => lineChart({ logY: true, series: [{ name: 'a', y: [1e-6, 1e-3, 1, 10] }], width: 320, height: 200 }),
  safetensors: () => {
    const bytes = saveSafetensors({ w: tensor([1, -2, 3.25, 0.1], [2, 2]), b: new Float32Array([0.5]) }, { note: 'pure' });
    return { bytes, loaded: loadSafetensors(bytes) };
  },
  runtimeSupport: () => runtimeSupport(),
};

const NAMES = Object.keys(CASES);
const before = new Map<string, unknown>();
const orthogonalBefore = new Map<string, Float32Array>();
const ORTHO: [number, number][] = [[16, 16], [64, 16], [5, 33]];

describe('before init()', () => {
  test('this file runs without a backend', () => {
    expect(codeOf(() => getBackend('test'))).toBe('NOT_INITIALIZED');
    expect(codeOf(() => new LSTM({ inputSize: 2, hiddenSize: 3 }))).toBe('NOT_INITIALIZED');
  });

  test.each(NAMES)('%s runs', (name) => {
    const v = fingerprint(CASES[name]());
    expect(JSON.stringify(v)).not.toMatch(/NOT_INITIALIZED/);
    before.set(name, v);
    expect(codeOf(() => getBackend('test'))).toBe('NOT_INITIALIZED');
  });

  test.each(ORTHO)('orthogonal %i x %i runs (the float64 twin)', (rows, cols) => {
    orthogonalBefore.set(`${rows}x${cols}`, orthogonal(new Float32Array(rows * cols), rows, cols, new Random(9)));
    expect(codeOf(() => getBackend('test'))).toBe('NOT_INITIALIZED');
  });
});

describe('after init()', () => {
  beforeAll(async () => {
    await init();
  });

  test.each(NAMES)('%s gives the same bits as before init()', (name) => {
    expect(before.has(name), 'the before-init test ran').toBe(true);
    expect(fingerprint(CASES[name]())).toEqual(before.get(name));
  });

  test.each(ORTHO)('orthogonal %i x %i is within 1e-5 of the float64 twin', (rows, cols) => {
    const a = orthogonalBefore.get(`${rows}x${cols}`)!;
    const b = orthogonal(new Float32Array(rows * cols), rows, cols, new Random(9));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('Random state', () => {
  test('fromState(state()) continues with the same draws, from any point', () => {
    for (const skip of [0, 1, 7, 1000]) {
      const a = new Random(77);
      for (let i = 0; i < skip; i++) a.nextU32();
      const b = Random.fromState(a.state());
      expect(b.state()).toBe(a.state());
      const draws = (r: Random) => [r.nextU32(), r.nextUnit(), r.nextNormal(), r.nextU32()];
      expect(draws(b)).toEqual(draws(a));
      expect(b.state()).toBe(a.state());
    }
    // the state is the seed at first, and moves with every draw
    const r = new Random(5);
    expect(r.state()).toBe(5);
    r.nextU32();
    expect(r.state()).not.toBe(5);
  });

  test.each([[0], [0.3], [0.5], [1 / 3], [0.999]])('fillBernoulli(p = %s) draws what a loop of nextUnit() draws and ends in its state', (p) => {
    const a = new Random(7), b = new Random(7), n = 10007;
    const out = new Float32Array(n), want = new Float32Array(n);
    a.fillBernoulli(out, p, 0, 2.5);
    for (let i = 0; i < n; i++) want[i] = b.nextUnit() < p ? 0 : 2.5;
    expect(out).toEqual(want);
    expect(a.state()).toBe(b.state());
    if (p > 0) expect(out.includes(0)).toBe(true);
  });

  test.each([[-1], [2 ** 32], [1.5], [NaN], ['3']])('fromState(%s) is BAD_ARGUMENT', (state) => {
    expect(() => Random.fromState(state as number)).toThrow(/Random\.fromState: state must be an integer from 0 to 4294967295/);
    expect(codeOf(() => Random.fromState(state as number))).toBe('BAD_ARGUMENT');
  });
});
