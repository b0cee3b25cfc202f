// Regularisation of the recurrent layers (src/rnn/dropout.ts): dropout between layers,
// inputDropout, recurrentDropout and zoneout. The backward of every option, with lengths,
// bidirectional and stacked, against float64 finite differences of a reference that applies
// the same masks (test/reference/dropout64.ts; the masks are the ones the layer drew, read
// back through its internal `lastMasks`); inference untouched by the dropout options and
// zoneout's inference rule against the reference; the keep rate; the same masks for the same
// seed; argument checks; config round trips. dropout.test.ts runs it on the relaxed build,
// dropout-baseline.test.ts on the baseline build.
// Tolerance of the gradients |ours - fd| <= 1e-5 (1 + |fd|), of forwards 1e-5 (1 + |ref|);
// the measured worst is printed.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Adam, CEC, Dropout, GRU, LSTM, Linear, RNN, RnnError, Sequential, fit, init, loadCheckpoint, mse, saveCheckpoint } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { compareWithFiniteDifferences, type GradTarget, type Mode } from './reference/rnn64.js';
import { forwardReg64, type RegMode } from './reference/dropout64.js';
import { randomArray, sameBits } from './helpers.js';
import type { Tensor } from '../src/tensor.js';
import { exportOnnx, importOnnx, readOnnx } from '../src/onnx.js';

// PyTorch's `dropout` between layers: test/fixtures/dropout.json (make_dropout_fixtures.py)
// holds PyTorch's own masks, which our layer takes through its internal mask hook.
const TORCH_TOL = { forward: 2e-6, backward: 2e-5 };
interface TorchCase { name: string; mode: Mode; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; projSize: number; T: number; B: number; p: number; lengths: number[] | null; tensors: Record<string, { offset: number; shape: number[] }> }
const torchMeta = JSON.parse(readFileSync(new URL('./fixtures/dropout.json', import.meta.url), 'utf8')) as { torch: string; cases: TorchCase[] };
const torchBin = readFileSync(new URL('./fixtures/dropout.bin', import.meta.url));
const torchFloats = new Float32Array(torchBin.buffer, torchBin.byteOffset, torchBin.byteLength / 4);
const fixture = (c: TorchCase, key: string): Tensor | undefined => {
  const t = c.tensors[key];
  return t && { data: torchFloats.slice(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)), shape: t.shape };
};
const worstOf = (ours: Tensor, want: Tensor) => {
  expect(ours.shape).toEqual(want.shape);
  let w = 0;
  want.data.forEach((v, i) => { w = Math.max(w, Math.abs(ours.data[i] - v) / (1 + Math.abs(v))); });
  return w;
};

interface Case { name: string; mode: RegMode; L: number; bidir: boolean; reg: Record<string, number>; proj?: number; lengths?: number[]; h0?: boolean; B?: number }
const cases: Case[] = [];
for (const mode of ['RNN_TANH', 'LSTM', 'GRU'] as Mode[]) {
  cases.push({ name: `${mode} dropout between 3 layers`, mode, L: 3, bidir: false, reg: { dropout: 0.4 } });
  cases.push({ name: `${mode} inputDropout, 2 layers bidirectional, lengths, h0`, mode, L: 2, bidir: true, reg: { inputDropout: 0.3, dropout: 0.2 }, lengths: [5, 2, 4], h0: true });
  cases.push({ name: `${mode} zoneout, 2 layers bidirectional, lengths, h0`, mode, L: 2, bidir: true, reg: { zoneout: 0.3 }, lengths: [3, 5, 1], h0: true });
  cases.push({ name: `${mode} zoneout with inputDropout and dropout, 2 layers`, mode, L: 2, bidir: false, reg: { zoneout: 0.5, inputDropout: 0.2, dropout: 0.3 } });
}
for (const mode of ['RNN_TANH', 'GRU', 'CEC'] as RegMode[]) {
  cases.push({ name: `${mode} recurrentDropout, 2 layers bidirectional, lengths, h0`, mode, L: 2, bidir: true, reg: { recurrentDropout: 0.4 }, lengths: [4, 5, 2], h0: true });
  cases.push({ name: `${mode} recurrentDropout, inputDropout and dropout, 2 layers`, mode, L: 2, bidir: false, reg: { recurrentDropout: 0.3, inputDropout: 0.3, dropout: 0.3 } });
}
// B >= 4: the recurrent product from the row-major weights instead of the panels of small batches
cases.push({ name: 'GRU recurrentDropout, B = 5, lengths', mode: 'GRU', L: 1, bidir: true, reg: { recurrentDropout: 0.5 }, lengths: [5, 1, 3, 4, 2], B: 5 });
cases.push({ name: 'LSTM recurrentDropout, B = 5, lengths', mode: 'LSTM', L: 2, bidir: false, reg: { recurrentDropout: 0.5, dropout: 0.2 }, lengths: [2, 5, 3, 4, 5], B: 5, h0: true });
cases.push({ name: 'LSTM zoneout, B = 6, lengths', mode: 'LSTM', L: 1, bidir: true, reg: { zoneout: 0.5 }, lengths: [2, 5, 3, 4, 5, 1], B: 6 });
cases.push({ name: 'CEC zoneout, bidirectional, lengths, h0', mode: 'CEC', L: 1, bidir: true, reg: { zoneout: 0.4 }, lengths: [2, 5, 3], h0: true });
cases.push({ name: 'LSTM recurrentDropout, 2 layers bidirectional, lengths, h0', mode: 'LSTM', L: 2, bidir: true, reg: { recurrentDropout: 0.4 }, lengths: [4, 5, 2], h0: true });
cases.push({ name: 'LSTM recurrentDropout, inputDropout and dropout, projection', mode: 'LSTM', L: 2, bidir: false, reg: { recurrentDropout: 0.3, inputDropout: 0.3, dropout: 0.3 }, proj: 3 });
cases.push({ name: 'LSTM zoneout, projection, bidirectional, lengths', mode: 'LSTM', L: 1, bidir: true, reg: { zoneout: 0.4 }, proj: 4, lengths: [2, 5, 5], h0: true });

function build(mode: RegMode, o: Record<string, unknown>, proj = 0): RecurrentLayer {
  if (mode === 'CEC') return new CEC(o as { inputSize: number; hiddenSize: number });
  if (mode === 'LSTM') return new LSTM({ ...(o as { inputSize: number; hiddenSize: number }), projSize: proj });
  if (mode === 'GRU') return new GRU(o as { inputSize: number; hiddenSize: number });
  return new RNN({ ...(o as { inputSize: number; hiddenSize: number }), nonlinearity: mode === 'RNN_RELU' ? 'relu' : 'tanh' });
}
const f32 = (a: Float64Array) => Float32Array.from(a);

export function dropoutSuite(simd: 'relaxed' | 'baseline'): void {
  describe(`dropout between layers against PyTorch ${torchMeta.torch} with its masks (${simd} build)`, () => {
    test.each(torchMeta.cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
      expect((await init({ simd })).simd).toBe(simd);
      const layer = build(c.mode, { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, dropout: c.p, seed: 1 }, c.projSize);
      const params: Record<string, Tensor> = {};
      for (const key of Object.keys(c.tensors)) if (/^(weight|bias)_/.test(key)) params[key] = fixture(c, key)!;
      layer.loadStateDict(params);
      const asked: string[] = [];
      layer.setMaskSource((m) => { asked.push(m.name); return fixture(c, m.name)!.data; });
      const h0 = fixture(c, 'h0'), c0 = fixture(c, 'c0');
      const out = layer.forward(fixture(c, 'x')!, h0 ? { h: h0, c: c0 } : undefined, { train: true, lengths: c.lengths ?? undefined });
      expect(asked).toEqual(Array.from({ length: c.numLayers - 1 }, (_, l) => `dmask_l${l}`));
      let fwd = Math.max(worstOf(out.output, fixture(c, 'output')!), worstOf(out.h, fixture(c, 'h_n')!));
      if (c.mode === 'LSTM') fwd = Math.max(fwd, worstOf(out.c!, fixture(c, 'c_n')!));
      layer.zeroGrad();
      const dC = fixture(c, 'dC');
      const back = layer.backward(fixture(c, 'dOut')!, { h: fixture(c, 'dH')!, c: dC });
      let bwd = Math.max(worstOf(back.dx!, fixture(c, 'dx')!), h0 ? worstOf(back.dh0, fixture(c, 'dh0')!) : 0);
      if (c0) bwd = Math.max(bwd, worstOf(back.dc0!, fixture(c, 'dc0')!));
      for (const [k, g] of Object.entries(layer.grads())) bwd = Math.max(bwd, worstOf(g, fixture(c, `grad.${k}`)!));
      console.log(`${c.name} (${simd}): forward worst ${fwd.toExponential(2)} (tolerance ${TORCH_TOL.forward}), backward worst ${bwd.toExponential(2)} (tolerance ${TORCH_TOL.backward})`);
      expect(fwd).toBeLessThanOrEqual(TORCH_TOL.forward);
      expect(bwd).toBeLessThanOrEqual(TORCH_TOL.backward);
      layer.dispose();
    });
  });

  describe(`regularised BPTT against float64 finite differences with the same masks (${simd} build)`, () => {
    test.each(cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
      expect((await init({ simd })).simd).toBe(simd);
      const T = 5, B = c.B ?? 3, D = 4, H = 6, dirs = c.bidir ? 2 : 1, P = c.proj || H, isLSTM = c.mode === 'LSTM' || c.mode === 'CEC';
      const layer = build(c.mode, { inputSize: D, hiddenSize: H, numLayers: c.L, bidirectional: c.bidir, seed: 11, ...c.reg }, c.proj);
      const x = randomArray(1, T * B * D), dOut = randomArray(2, T * B * dirs * P);
      const dH = randomArray(3, c.L * dirs * B * P), dC = randomArray(4, c.L * dirs * B * H);
      const h0 = c.h0 ? randomArray(5, c.L * dirs * B * P) : undefined;
      const c0 = c.h0 && isLSTM ? randomArray(6, c.L * dirs * B * H) : undefined;
      const state = h0 ? { h: { data: f32(h0), shape: [c.L * dirs, B, P] }, c: c0 ? { data: f32(c0), shape: [c.L * dirs, B, H] } : undefined } : undefined;
      layer.zeroGrad();
      const fwd = layer.forward({ data: f32(x), shape: [T, B, D] }, state, { train: true, lengths: c.lengths });
      const masks = layer.lastMasks();
      expect(Object.keys(masks).length).toBeGreaterThan(0);
      const back = layer.backward({ data: f32(dOut), shape: fwd.output.shape }, {
        h: { data: f32(dH), shape: fwd.h.shape }, c: fwd.c ? { data: f32(dC), shape: fwd.c.shape } : undefined,
      });
      const grads = layer.grads();
      const params: Record<string, Float64Array> = {};
      for (const [k, v] of Object.entries(layer.stateDict())) params[k] = Float64Array.from(v.data);
      const cfg = { mode: c.mode, inputSize: D, hiddenSize: H, numLayers: c.L, bias: true, bidirectional: c.bidir, projSize: c.proj ?? 0 };
      const run = () => forwardReg64(cfg, params, x, T, B, masks, { h0, c0, lengths: c.lengths });
      // the forward itself against the reference with the same masks
      const ref = run();
      let fw = 0;
      ref.output.forEach((v, i) => { fw = Math.max(fw, Math.abs(fwd.output.data[i] - v) / (1 + Math.abs(v))); });
      ref.h_n.forEach((v, i) => { fw = Math.max(fw, Math.abs(fwd.h.data[i] - v) / (1 + Math.abs(v))); });
      if (isLSTM) ref.c_n!.forEach((v, i) => { fw = Math.max(fw, Math.abs(fwd.c!.data[i] - v) / (1 + Math.abs(v))); });
      expect(fw).toBeLessThan(1e-5);
      const loss = () => {
        const r = run();
        let s = 0;
        for (let i = 0; i < r.output.length; i++) s += r.output[i] * dOut[i];
        for (let i = 0; i < r.h_n.length; i++) s += r.h_n[i] * dH[i];
        if (isLSTM) for (let i = 0; i < r.c_n!.length; i++) s += r.c_n![i] * dC[i];
        return s;
      };
      const targets: GradTarget[] = [['x', x, back.dx!.data]];
      if (h0) targets.push(['h0', h0, back.dh0.data]);
      if (c0) targets.push(['c0', c0, back.dc0!.data]);
      for (const [k, v] of Object.entries(params)) targets.push([k, v, grads[k].data]);
      const { worst, failures } = compareWithFiniteDifferences(loss, targets, 1e-5, 8);
      console.log(`${c.name} (${simd}): forward worst ${fw.toExponential(2)}, gradients worst |ours - fd| / (1 + |fd|) = ${worst.toExponential(2)} over ${targets.length} tensors`);
      expect(failures.slice(0, 8)).toEqual([]);
      layer.dispose();
    });
  });

  describe(`regularisation: inference, masks, checks (${simd} build)`, () => {
    const T = 7, B = 3, D = 4, H = 5;
    const x = { data: f32(randomArray(9, T * B * D)), shape: [T, B, D] };

    test.each(['RNN_TANH', 'LSTM', 'GRU', 'CEC'] as RegMode[])('%s: dropout options leave inference and the weights bit-identical', async (mode) => {
      await init({ simd });
      const reg = { dropout: 0.5, inputDropout: 0.3, recurrentDropout: 0.2 };
      const plain = build(mode, { inputSize: D, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 3 });
      const reg1 = build(mode, { inputSize: D, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 3, ...reg });
      for (const [k, v] of Object.entries(plain.stateDict())) expect(sameBits(reg1.stateDict()[k].data, v.data), k).toBe(true);
      reg1.forward(x, undefined, { train: true }); // a training forward between inference ones changes nothing
      const a = plain.forward(x, undefined, { lengths: [7, 3, 5] }), b = reg1.forward(x, undefined, { lengths: [7, 3, 5] });
      expect(sameBits(a.output.data, b.output.data)).toBe(true);
      expect(sameBits(a.h.data, b.h.data)).toBe(true);
      // and a training forward does differ
      const c = reg1.forward(x, undefined, { train: true, lengths: [7, 3, 5] });
      expect(sameBits(a.output.data, c.output.data)).toBe(false);
      plain.dispose(); reg1.dispose();
    });

    test.each(['RNN_TANH', 'LSTM', 'GRU'] as Mode[])('%s: zoneout at inference is p h(t-1) + (1 - p) h_new', async (mode) => {
      await init({ simd });
      const layer = build(mode, { inputSize: D, hiddenSize: H, numLayers: 2, bidirectional: true, seed: 4, zoneout: 0.35 });
      const out = layer.forward(x, undefined, { lengths: [4, 7, 1] });
      const params: Record<string, Float64Array> = {};
      for (const [k, v] of Object.entries(layer.stateDict())) params[k] = Float64Array.from(v.data);
      const cfg = { mode, inputSize: D, hiddenSize: H, numLayers: 2, bias: true, bidirectional: true, projSize: 0 };
      const ref = forwardReg64(cfg, params, Float64Array.from(x.data), T, B, {}, { lengths: [4, 7, 1], zoneoutP: 0.35 });
      let w = 0;
      ref.output.forEach((v, i) => { w = Math.max(w, Math.abs(out.output.data[i] - v) / (1 + Math.abs(v))); });
      ref.h_n.forEach((v, i) => { w = Math.max(w, Math.abs(out.h.data[i] - v) / (1 + Math.abs(v))); });
      console.log(`${mode} zoneout inference (${simd}): worst ${w.toExponential(2)}`);
      expect(w).toBeLessThan(1e-5);
      layer.dispose();
    });

    test.each(['RNN_TANH', 'LSTM', 'GRU', 'CEC'] as RegMode[])('%s: a stream with zoneout steps as forward, bit for bit', async (mode) => {
      await init({ simd });
      const layer = build(mode, { inputSize: D, hiddenSize: H, numLayers: 2, seed: 4, zoneout: 0.35, dropout: 0.5 });
      const h0 = { data: f32(randomArray(3, 2 * B * H)), shape: [2, B, H] }, c0 = { data: f32(randomArray(4, 2 * B * H)), shape: [2, B, H] };
      const hasC = mode === 'LSTM' || mode === 'CEC', state = hasC ? { h: h0, c: c0 } : { h: h0 };
      const want = layer.forward(x, state), stream = layer.stream(B);
      stream.setState(state);
      for (let t = 0; t < T; t++) {
        const got = stream.step(x.data.subarray(t * B * D, (t + 1) * B * D));
        expect(sameBits(got.data.slice(), want.output.data.slice(t * B * H, (t + 1) * B * H)), `step ${t}`).toBe(true);
      }
      expect(sameBits(stream.state().h.data, want.h.data)).toBe(true);
      if (hasC) expect(sameBits(stream.state().c!.data, want.c!.data)).toBe(true);
      layer.dispose();
    });

    test('batchFirst and unbatched input draw and apply the same masks as time-major input', async () => {
      await init({ simd });
      const o = { inputSize: D, hiddenSize: H, numLayers: 2, seed: 12, dropout: 0.5, inputDropout: 0.5, recurrentDropout: 0.5 };
      const tm = new LSTM(o), bf = new LSTM({ ...o, batchFirst: true });
      const xb = { data: new Float32Array(T * B * D), shape: [B, T, D] };
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) xb.data.set(x.data.subarray((t * B + b) * D, (t * B + b + 1) * D), (b * T + t) * D);
      const a = tm.forward(x, undefined, { train: true, lengths: [7, 2, 5] }), r = bf.forward(xb, undefined, { train: true, lengths: [7, 2, 5] });
      const back = new Float32Array(a.output.data.length), W = a.output.shape[2];
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) back.set(r.output.data.subarray((b * T + t) * W, (b * T + t + 1) * W), (t * B + b) * W);
      expect(sameBits(back, a.output.data)).toBe(true);
      // unbatched: one row, masks [T, 1, w] / [1, w]
      const one = new GRU({ inputSize: D, hiddenSize: H, seed: 13, zoneout: 0.5, inputDropout: 0.5 }), two = new GRU({ inputSize: D, hiddenSize: H, seed: 13, zoneout: 0.5, inputDropout: 0.5 });
      const x1 = x.data.slice(0, T * D);
      const u = one.forward({ data: x1, shape: [T, D] }, undefined, { train: true }), v = two.forward({ data: x1, shape: [T, 1, D] }, undefined, { train: true });
      expect(sameBits(u.output.data, v.output.data)).toBe(true);
      expect(one.lastMasks().zmask_h_l0.length).toBe(T * H);
      for (const l of [tm, bf, one, two]) l.dispose();
    });

    test('the keep rate of every mask kind is 1 - p within 5 standard deviations', async () => {
      await init({ simd });
      const Tn = 40, Bn = 25, Hn = 100, p = 0.3;
      const layer = new LSTM({ inputSize: Hn, hiddenSize: Hn, numLayers: 2, seed: 5, dropout: p, inputDropout: p, recurrentDropout: p });
      const zl = new GRU({ inputSize: 2, hiddenSize: Hn, seed: 5, zoneout: p });
      layer.forward({ data: new Float32Array(Tn * Bn * Hn), shape: [Tn, Bn, Hn] }, undefined, { train: true });
      zl.forward({ data: new Float32Array(Tn * Bn * 2), shape: [Tn, Bn, 2] }, undefined, { train: true });
      const all = { ...layer.lastMasks(), ...zl.lastMasks() };
      expect(Object.keys(all).sort()).toEqual(['dmask_l0', 'imask_l0', 'imask_l1', 'rmask_l0', 'rmask_l1', 'zmask_h_l0']);
      for (const [name, m] of Object.entries(all)) {
        const zone = name.startsWith('z'), scale = Math.fround(1 / (1 - p));
        let kept = 0, odd = 0;
        for (const v of m) {
          if (v !== 0 && v !== (zone ? 1 : scale)) odd++;
          if (zone ? v === 0 : v !== 0) kept++; // zoneout: 0 = the unit takes its new value
        }
        expect(odd, name).toBe(0);
        const n = m.length, sd = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(kept - n * (1 - p)), `${name}: ${kept} of ${n}`).toBeLessThan(5 * sd);
      }
      layer.dispose(); zl.dispose();
    });

    test('the same seed draws the same masks; each training forward draws new ones', async () => {
      await init({ simd });
      const make = (seed: number) => new LSTM({ inputSize: D, hiddenSize: H, numLayers: 2, seed, dropout: 0.5, inputDropout: 0.5, zoneout: 0.5 });
      const a = make(21), b = make(21), c = make(22);
      const ma: Record<string, Float32Array>[] = [], mb: Record<string, Float32Array>[] = [];
      for (let i = 0; i < 2; i++) {
        const ra = a.forward(x, undefined, { train: true }), rb = b.forward(x, undefined, { train: true });
        expect(sameBits(ra.output.data, rb.output.data)).toBe(true);
        ma.push(a.lastMasks()); mb.push(b.lastMasks());
      }
      c.forward(x, undefined, { train: true });
      // a layer loaded from a checkpoint (built without a seed) draws a's masks after seedMasks(21)
      const loaded = loadCheckpoint(saveCheckpoint(a)).model as LSTM;
      loaded.seedMasks(21);
      loaded.forward(x, undefined, { train: true });
      expect(() => loaded.seedMasks(1.5)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
      for (const k of Object.keys(ma[0])) {
        expect(sameBits(loaded.lastMasks()[k], ma[0][k]), k).toBe(true);
        expect(sameBits(ma[0][k], mb[0][k]), k).toBe(true);
        expect(sameBits(ma[1][k], mb[1][k]), k).toBe(true);
        expect(sameBits(ma[0][k], ma[1][k]), k).toBe(false);
        expect(sameBits(ma[0][k], c.lastMasks()[k]), k).toBe(false);
      }
      a.dispose(); b.dispose(); c.dispose(); loaded.dispose();
    });

    test('the options are checked and round-trip through config()', async () => {
      await init({ simd });
      const base = { inputSize: 2, hiddenSize: 3 };
      for (const name of ['dropout', 'inputDropout', 'recurrentDropout', 'zoneout']) {
        for (const bad of [1, -0.1, 1.5, Number.NaN, Infinity, '0.5', null]) {
          let err: unknown;
          try { new LSTM({ ...base, [name]: bad }); } catch (e) { err = e; }
          expect(err, `${name}: ${String(bad)}`).toBeInstanceOf(RnnError);
          expect((err as RnnError).code).toBe('BAD_ARGUMENT');
          expect((err as RnnError).message).toContain(name);
        }
      }
      expect(() => new GRU({ ...base, recurrentDropout: 0.2, resetAfter: false })).toThrow(/recurrentDropout/);
      expect(() => new RNN({ ...base, recurrentDropout: 0.2, identityRecurrence: true } as never)).toThrow(/recurrentDropout/);
      expect(() => new RNN({ ...base, recurrentDropout: 0.2, delays: [1, 2] } as never)).toThrow(/recurrentDropout/);
      expect(() => new LSTM({ ...base, recurrentDropout: 0.2, zoneout: 0.1 })).toThrow(/zoneout and recurrentDropout/);
      expect(() => new RNN({ ...base, zoneout: 0.2, tau: 2 } as never)).toThrow(/zoneout/);
      const layer = new LSTM({ ...base, numLayers: 2, dropout: 0.25, inputDropout: 0.5, recurrentDropout: 0.125 });
      const cfg = layer.config();
      expect(cfg).toMatchObject({ dropout: 0.25, inputDropout: 0.5, recurrentDropout: 0.125 });
      expect(cfg).not.toHaveProperty('zoneout');
      expect(Object.keys(new LSTM(base).config())).not.toContain('dropout');
      const { type: _t, ...rest } = cfg;
      expect(new LSTM(rest as never).config()).toEqual(cfg);
      layer.dispose();
    });
  
    test('a regularised layer goes through a checkpoint: same config, same inference (zoneout included)', async () => {
      await init({ simd });
      const layer = new GRU({ inputSize: D, hiddenSize: H, numLayers: 2, seed: 8, zoneout: 0.25, inputDropout: 0.5, dropout: 0.125 });
      const loaded = loadCheckpoint(saveCheckpoint(layer)).model as GRU;
      expect(loaded.config()).toEqual(layer.config());
      expect(loaded.config()).toMatchObject({ zoneout: 0.25, inputDropout: 0.5, dropout: 0.125 });
      expect(sameBits(loaded.forward(x).output.data, layer.forward(x).output.data)).toBe(true);
      layer.dispose(); loaded.dispose();
    });
  });

  describe(`training with every regularisation still learns (${simd} build)`, () => {
    test('fit: the mean of a sequence, LSTM with dropout, inputDropout and recurrentDropout, GRU with zoneout, a Dropout layer', async () => {
      await init({ simd });
      const T = 8, N = 64, D = 2, x = { data: f32(randomArray(21, T * N * D)), shape: [T, N, D] };
      const y = { data: new Float32Array(N), shape: [N, 1] };
      for (let n = 0; n < N; n++) { let s = 0; for (let t = 0; t < T; t++) s += x.data[(t * N + n) * D] + x.data[(t * N + n) * D + 1]; y.data[n] = s / T; }
      const model = new Sequential([
        new LSTM({ inputSize: D, hiddenSize: 16, numLayers: 2, seed: 1, dropout: 0.1, inputDropout: 0.1, recurrentDropout: 0.1 }),
        new GRU({ inputSize: 16, hiddenSize: 16, seed: 2, zoneout: 0.1 }),
        new Dropout({ p: 0.1, seed: 3 }),
        new Linear({ inFeatures: 16, outFeatures: 1, seed: 4 }),
      ]);
      const lossNow = () => {
        const out = model.forward(x), last = out.data.slice((T - 1) * N, T * N);
        return mse({ data: last, shape: [N, 1] }, y).loss;
      };
      const before = lossNow();
      fit(model, { x, y }, { optimizer: new Adam(model, { lr: 0.01 }), target: 'last', epochs: 60, batchSize: 16, seed: 5 });
      const after = lossNow();
      console.log(`regularised fit (${simd}): inference MSE ${before.toFixed(4)} -> ${after.toFixed(4)}`);
      expect(after).toBeLessThan(before / 4);
      model.dispose();
    });
  });

  describe(`the Dropout module (${simd} build)`, () => {
    const n = 20000, x = { data: Float32Array.from({ length: n }, (_, i) => Math.sin(i) + 0.5), shape: [100, 2, 100] };

    test('identity at inference; a mask of 0 and 1 / (1 - p) in training, forward and backward', async () => {
      await init({ simd });
      const p = 0.4, drop = new Dropout({ p, seed: 2 }), scale = Math.fround(1 / (1 - p));
      const inf = drop.forward(x);
      expect(sameBits(inf.data, x.data)).toBe(true);
      expect(() => drop.backward(inf)).toThrow(expect.objectContaining({ code: 'NO_TAPE' }));
      const y = drop.forward(x, { train: true });
      const dOut = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
      const dx = drop.backward({ data: dOut, shape: x.shape }).dx;
      let zeros = 0;
      for (let i = 0; i < n; i++) {
        const kept = y.data[i] !== 0;
        if (!kept) zeros++;
        expect(y.data[i]).toBe(Math.fround(x.data[i] * (kept ? scale : 0)));
        expect(dx.data[i]).toBe(Math.fround(dOut[i] * (kept ? scale : 0)));
      }
      expect(Math.abs(zeros - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
      // the same seed, the same masks; the next forward a new one
      const twin = new Dropout({ p, seed: 2 });
      expect(sameBits(twin.forward(x, { train: true }).data, y.data)).toBe(true);
      expect(sameBits(twin.forward(x, { train: true }).data, y.data)).toBe(false);
      twin.seedMasks(2);
      expect(sameBits(twin.forward(x, { train: true }).data, y.data)).toBe(true);
      expect(drop.config()).toEqual({ type: 'Dropout', p });
      expect(drop.stateDict()).toEqual({});
    });

    test('in a Sequential: forward and backward through the mask, PyTorch layer indices kept', async () => {
      await init({ simd });
      const lin = new Linear({ inFeatures: 100, outFeatures: 3, seed: 4 }), drop = new Dropout({ p: 0.5, seed: 9 });
      const model = new Sequential([drop, lin]);
      const mask = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 2));
      drop.maskSource = () => mask;
      model.zeroGrad();
      const out = model.forward(x, { train: true });
      const dOut = { data: Float32Array.from({ length: out.data.length }, (_, i) => Math.sin(3 * i)), shape: out.shape };
      const dx = model.backward(dOut).dx!;
      const masked = { data: Float32Array.from(x.data, (v, i) => v * mask[i]), shape: x.shape };
      const lin2 = new Linear({ inFeatures: 100, outFeatures: 3, seed: 4 });
      expect(sameBits(lin2.forward(masked, { train: true }).data, out.data)).toBe(true);
      const want = lin2.backward(dOut).dx;
      expect(sameBits(dx.data, Float32Array.from(want.data, (v, i) => v * mask[i]))).toBe(true);
      expect(Object.keys(model.stateDict())).toEqual(['1.weight', '1.bias']);
      expect(model.config()).toEqual({ type: 'Sequential', layers: [{ type: 'Dropout', p: 0.5 }, lin.config()] });
      model.dispose(); lin2.dispose();
    });

    test('argument checks', async () => {
      await init({ simd });
      for (const bad of [1, -0.5, Number.NaN, '0.1', null]) expect(() => new Dropout({ p: bad as never })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringContaining('p must be a probability in [0, 1)') }));
      expect(() => new Dropout({ p: 0.1, rate: 0.2 } as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
      expect(() => new Dropout({ seed: 1.5 })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
      const drop = new Dropout();
      expect(drop.p).toBe(0.5);
      expect(() => drop.forward({ data: Float32Array.of(1, NaN), shape: [2] }, { train: true })).toThrow(expect.objectContaining({ code: 'NOT_FINITE' }));
      drop.forward({ data: Float32Array.of(1, 2), shape: [2] }, { train: true });
      expect(() => drop.backward({ data: Float32Array.of(1, 2, 3), shape: [3] })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
      drop.dispose();
      expect(() => drop.forward(x)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    });

  describe(`ONNX export leaves training-only regularisation out and refuses zoneout (${simd} build)`, () => {
    test('dropout options export as the plain layer; a Dropout adds no node; zoneout is UNSUPPORTED', async () => {
      await init({ simd });
      const o = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 6 };
      const plain = new LSTM(o), reg = new LSTM({ ...o, dropout: 0.5, inputDropout: 0.2, recurrentDropout: 0.3 });
      expect(sameBits(Float32Array.from(exportOnnx(reg)), Float32Array.from(exportOnnx(plain)))).toBe(true);
      const seq = (drop: boolean) => new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, seed: 1, dropout: 0.1 }), ...(drop ? [new Dropout({ p: 0.5 })] : []), new Linear({ inFeatures: 4, outFeatures: 2, seed: 2 }), ...(drop ? [new Dropout()] : [])]);
      const ops = (bytes: Uint8Array) => readOnnx(bytes).nodes.map((n) => n.opType);
      const withDrop = exportOnnx(seq(true)), without = exportOnnx(seq(false));
      expect(ops(withDrop)).toEqual([...ops(without), 'Identity']);
      expect(importOnnx(withDrop).map((i) => i.layer.config())).toEqual(importOnnx(without).map((i) => i.layer.config()));
      for (const m of [new GRU({ ...o, zoneout: 0.1 }), new Sequential([new LSTM({ ...o, zoneout: 0.2 })])]) {
        expect(() => exportOnnx(m)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('zoneout') }));
      }
      plain.dispose(); reg.dispose();
    });
  });
});
}
