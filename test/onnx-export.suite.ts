// exportOnnx against onnxruntime, without onnxruntime: every case of
// test/fixtures/onnx-export/cases.json (made by make_fixtures.mjs, which exported each seeded
// model and ran it in onnxruntime-node 1.30). For each case: exportOnnx of the same seeded
// model gives the committed file byte for byte (so the file onnxruntime ran is what we export
// today); our forward equals onnxruntime's recorded outputs within 1e-5; importOnnx of the
// export gives back layers of the same configuration and the same weights bit for bit. Then
// every refusal. One backend per realm: onnx-export.test.ts runs this on the relaxed build,
// onnx-export-baseline.test.ts on the baseline build.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { CEC, Embedding, GRU, LSTM, Linear, RNN, RnnError, ScalarMix, Sequential, init, type RecurrentLayer, type Tensor } from '../src/node.js';
import { exportOnnx, importOnnx, readOnnx } from '../src/onnx.js';
import { PRODUCER_VERSION } from '../src/io/onnx/export.js';
import type { SimdMode } from '../src/backend.js';
import { sameBits } from './helpers.js';

const DIR = fileURLToPath(new URL('./fixtures/onnx-export/', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
interface Json { shape: number[]; data: number[] }
interface LayerSpec { type: string; options: Record<string, unknown>; torchCase?: string }
type ModelSpec = LayerSpec | { type: 'Sequential'; layers: LayerSpec[] };
interface Case {
  name: string; file: string; covers: string; model: ModelSpec; opset: number; exportOptions?: { opset?: number; initialStates?: boolean };
  inputs: Record<string, Json & { type: 'float32' | 'int64' }>; onnxruntime: Record<string, Json>;
}
const CASES: Case[] = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')).cases;
const TORCH = JSON.parse(readFileSync(ROOT + 'test/fixtures/onnx/cases.json', 'utf8')).cases as Array<{ name: string; torch?: { stateDict: Record<string, Json>; inputs: Record<string, Json>; outputs: Record<string, Json> } }>;
const TOL = 1e-5;
const LAYERS = { RNN, LSTM, GRU, Embedding, Linear } as unknown as Record<string, new (o: never) => RecurrentLayer | Linear | Embedding>;

const tensor = (j: Json): Tensor => ({ data: Float32Array.from(j.data), shape: j.shape });
const maxDiff = (a: Float32Array, b: ArrayLike<number>) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const isRecurrent = (t: string) => t === 'RNN' || t === 'LSTM' || t === 'GRU';

function build(m: ModelSpec): RecurrentLayer | Sequential {
  if (m.type === 'Sequential') return new Sequential((m as { layers: LayerSpec[] }).layers.map((l) => new LAYERS[l.type](l.options as never)));
  const spec = m as LayerSpec, layer = new LAYERS[spec.type](spec.options as never) as RecurrentLayer;
  if (spec.torchCase) {
    const sd = TORCH.find((c) => c.name === spec.torchCase)!.torch!.stateDict;
    layer.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, tensor(v)])));
  }
  return layer;
}

/** The recurrent layers of a model, as importOnnx should give them back: one per stacked layer, time-major, float32 attributes. */
function expectedImports(model: RecurrentLayer | Sequential): Array<{ config: Record<string, unknown>; dict: Record<string, Tensor> }> {
  const layers = model instanceof Sequential ? model.layers.filter((l) => isRecurrent(l.config().type as string)) as RecurrentLayer[] : [model];
  return layers.flatMap((layer) => {
    const c = layer.config(), dict = layer.stateDict(), L = c.numLayers as number, dirs = c.bidirectional ? 2 : 1;
    return Array.from({ length: L }, (_, l) => {
      const options: Record<string, unknown> = { ...c, numLayers: 1, batchFirst: false, inputSize: l === 0 ? c.inputSize : dirs * (c.hiddenSize as number) };
      delete options.type;
      // ONNX's clip and activation_alpha / _beta are float32 attributes
      if (typeof options.cellClip === 'number') options.cellClip = Math.fround(options.cellClip);
      for (const k of ['gateActivation', 'cellActivation', 'hiddenActivation', 'nonlinearity']) {
        const v = options[k];
        if (v === 'hardSigmoid') options[k] = { type: 'hardSigmoid', alpha: Math.fround(0.2), beta: 0.5 };
        else if (typeof v === 'object' && v !== null) options[k] = { type: 'hardSigmoid', alpha: Math.fround((v as { alpha: number }).alpha), beta: Math.fround((v as { beta: number }).beta) };
      }
      const twin = new LAYERS[c.type as string](options as never) as RecurrentLayer;
      const config = twin.config();
      twin.dispose();
      const mine = Object.fromEntries(Object.entries(dict).filter(([k]) => k.includes(`_l${l}`) && !k.includes(`_l${l}0`)).map(([k, v]) => [k.replace(`_l${l}`, '_l0'), v]));
      return { config, dict: mine };
    });
  });
}

export function onnxExportSuite(simd: SimdMode): void {
  beforeAll(async () => { await init({ simd }); });

  describe(`exportOnnx: the fixtures onnxruntime ran (${simd})`, () => {
    test.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const model = build(c.model);
      const bytes = exportOnnx(model as never, c.exportOptions ?? (c.opset === 14 ? undefined : { opset: c.opset }));
      // the file onnxruntime ran is what exportOnnx writes today
      expect(Buffer.from(bytes).equals(readFileSync(DIR + c.file)), `${c.file}: run node test/fixtures/onnx-export/make_fixtures.mjs`).toBe(true);

      // our forward on the recorded inputs, against onnxruntime's outputs
      let worst = 0;
      const x = c.inputs.x;
      if (model instanceof Sequential) {
        const y = model.forward(x.type === 'int64' ? { data: Int32Array.from(x.data), shape: x.shape } : tensor(x));
        expect(y.shape).toEqual(c.onnxruntime.output.shape);
        worst = maxDiff(y.data, c.onnxruntime.output.data);
      } else {
        const r = model.forward(tensor(x), c.inputs.h0 ? { h: tensor(c.inputs.h0), ...(c.inputs.c0 ? { c: tensor(c.inputs.c0) } : {}) } : undefined);
        expect(r.output.shape).toEqual(c.onnxruntime.output.shape);
        expect(r.h.shape).toEqual(c.onnxruntime.hn.shape);
        worst = Math.max(maxDiff(r.output.data, c.onnxruntime.output.data), maxDiff(r.h.data, c.onnxruntime.hn.data));
        if (r.c) worst = Math.max(worst, maxDiff(r.c.data, c.onnxruntime.cn.data));
        expect(Object.keys(c.onnxruntime).sort()).toEqual(r.c ? ['cn', 'hn', 'output'] : ['hn', 'output']);
      }
      console.log(`${c.name}: max abs error against onnxruntime ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOL);

      // and back: importOnnx gives each stacked layer with its configuration and weights
      const imported = importOnnx(bytes), want = expectedImports(model);
      expect(imported.length).toBe(want.length);
      imported.forEach(({ layer }, k) => {
        expect(layer.config()).toEqual(want[k].config);
        const dict = layer.stateDict();
        expect(Object.keys(dict).sort()).toEqual(Object.keys(want[k].dict).sort());
        for (const [name, t] of Object.entries(want[k].dict)) expect(sameBits(dict[name].data, t.data), `${name} of node ${k}`).toBe(true);
        layer.dispose();
      });
      model.dispose();
    });
  });

  describe(`exportOnnx: PyTorch -> ONNX -> simd-rnn -> ONNX (${simd})`, () => {
    test("torch_lstm_2layers_bidirectional_batch_first: the re-export's onnxruntime outputs equal torch's", () => {
      const torchCase = TORCH.find((c) => c.name === 'torch_lstm_2layers_bidirectional_batch_first')!;
      const c = CASES.find((x) => x.name === torchCase.name)!;
      // the committed export was made from torch's state dict; importOnnx of PyTorch's own file gives the same weights
      const fromTorch = importOnnx(new Uint8Array(readFileSync(ROOT + 'test/fixtures/onnx/torch_lstm_2layers_bidirectional_batch_first.onnx')));
      const fromOurs = importOnnx(new Uint8Array(readFileSync(DIR + c.file)));
      expect(fromOurs.length).toBe(fromTorch.length);
      fromTorch.forEach(({ layer }, k) => {
        const a = layer.stateDict(), b = fromOurs[k].layer.stateDict();
        for (const name of Object.keys(a)) expect(sameBits(a[name].data, b[name].data), `${name} of layer ${k}`).toBe(true);
        expect(fromOurs[k].layer.config()).toEqual(layer.config());
        layer.dispose(); fromOurs[k].layer.dispose();
      });
      const { outputs } = torchCase.torch!;
      let worst = 0;
      for (const [ours, theirs] of [['output', 'output'], ['hn', 'h_n'], ['cn', 'c_n']]) {
        expect(c.onnxruntime[ours].shape).toEqual(outputs[theirs].shape);
        worst = Math.max(worst, maxDiff(Float32Array.from(c.onnxruntime[ours].data), outputs[theirs].data));
      }
      console.log(`onnxruntime on the re-export against torch: max abs error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOL);
    });
  });

  describe(`exportOnnx: the model file (${simd})`, () => {
    test('opset, IR version, producer, inputs and outputs', () => {
      expect(PRODUCER_VERSION).toBe(JSON.parse(readFileSync(ROOT + 'package.json', 'utf8')).version);
      const lstm = new LSTM({ inputSize: 3, hiddenSize: 2, seed: 1 });
      const ir: Record<number, number> = { 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };
      for (let opset = 14; opset <= 22; opset++) {
        const m = readOnnx(exportOnnx(lstm, { opset }));
        expect([m.opset, m.irVersion, m.producer, m.producerVersion]).toEqual([opset, ir[opset], 'simd-rnn', PRODUCER_VERSION]);
        expect([m.inputs, m.outputs]).toEqual([['x', 'h0', 'c0'], ['output', 'hn', 'cn']]);
      }
      expect(exportOnnx(lstm)).toEqual(exportOnnx(lstm, { opset: 14 }));
      const gru = new GRU({ inputSize: 3, hiddenSize: 2, seed: 1 });
      expect([readOnnx(exportOnnx(gru)).inputs, readOnnx(exportOnnx(gru)).outputs]).toEqual([['x', 'h0'], ['output', 'hn']]);
      const stateless = readOnnx(exportOnnx(lstm, { initialStates: false }));
      expect([stateless.inputs, stateless.outputs]).toEqual([['x'], ['output', 'hn', 'cn']]);
      expect(exportOnnx(lstm, { initialStates: true })).toEqual(exportOnnx(lstm));
      // no layout attribute: batchFirst is Transpose nodes
      const bf = new LSTM({ inputSize: 3, hiddenSize: 2, batchFirst: true, seed: 1 });
      const nodes = readOnnx(exportOnnx(bf)).nodes;
      expect(nodes.find((n) => n.opType === 'LSTM')!.attributes.layout).toBeUndefined();
      expect(nodes.filter((n) => n.opType === 'Transpose').length).toBe(3);
      for (const l of [lstm, gru, bf]) l.dispose();
    });
  });

  describe(`exportOnnx: refusals (${simd})`, () => {
    const refused = (make: () => { dispose(): void }, code: string, words: string[], options?: unknown) => {
      const model = make();
      let error: unknown = null;
      try { exportOnnx(model as never, options as never); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(RnnError);
      expect((error as RnnError).code).toBe(code);
      for (const w of words) expect((error as RnnError).message).toContain(w);
      model.dispose();
    };
    const base = { inputSize: 3, hiddenSize: 4, seed: 1 };
    test.each([
      ['LSTM projSize', () => new LSTM({ ...base, projSize: 2 }), ['projSize']],
      ['LSTM forgetGate: false', () => new LSTM({ ...base, forgetGate: false }), ['forgetGate: false']],
      ['LSTM gateRecurrence', () => new LSTM({ ...base, gateRecurrence: true }), ['gateRecurrence']],
      ['GRU minimal (MGU)', () => new GRU({ ...base, minimal: true }), ['minimal']],
      ['RNN tau (leaky)', () => new RNN({ ...base, tau: 2 }), ['tau']],
      ['RNN delays', () => new RNN({ ...base, delays: [1, 3] }), ['delays [1, 3]']],
      ['RNN identityRecurrence', () => new RNN({ ...base, identityRecurrence: true }), ['identityRecurrence']],
      ['CEC', () => new CEC(base), ['CEC']],
      ['a Sequential with a CEC', () => new Sequential([new CEC(base)]), ['layers[0]', 'CEC']],
      ['a Sequential with an LSTM with projections', () => new Sequential([new Linear({ inFeatures: 2, outFeatures: 3, seed: 1 }), new LSTM({ ...base, projSize: 2 })]), ['layers[1]', 'projSize']],
    ] as const)('UNSUPPORTED: %s', (_, make, words) => refused(make as never, 'UNSUPPORTED', [...words]));

    test('UNSUPPORTED: a module exportOnnx does not take', () => {
      const mix = new ScalarMix({ numLayers: 2 } as never);
      expect(() => exportOnnx(mix as never)).toThrow(/ScalarMix/);
      mix.dispose();
    });
    test('DISPOSED: a disposed layer, or a Sequential with one', () => {
      refused(() => { const l = new LSTM(base); l.dispose(); return l; }, 'DISPOSED', ['LSTM', 'disposed']);
      refused(() => { const l = new Linear({ inFeatures: 4, outFeatures: 2 }); const s = new Sequential([new GRU(base), l]); l.dispose(); return s; }, 'DISPOSED', ['layers[1]', 'Linear']);
    });
    test('BAD_ARGUMENT: the model, options and opset', () => {
      for (const bad of [13, 23, 14.5, '14', null, Number.NaN]) refused(() => new LSTM(base), 'BAD_ARGUMENT', ['opset', '14', '22'], { opset: bad });
      refused(() => new LSTM(base), 'BAD_ARGUMENT', ['options'], 14);
      refused(() => new LSTM(base), 'BAD_ARGUMENT', ['unknown option', 'layout'], { layout: 1 });
      refused(() => new LSTM(base), 'BAD_ARGUMENT', ['initialStates'], { initialStates: 'no' });
      for (const bad of [null, {}, 'LSTM', new Float32Array(3)]) {
        let code = '';
        try { exportOnnx(bad as never); } catch (e) { code = (e as RnnError).code; }
        expect(code).toBe('BAD_ARGUMENT');
      }
    });
    test('NOT_FINITE: weights holding NaN or Infinity (a diverged update)', () => {
      refused(() => {
        const l = new GRU(base), dict = l.stateDict();
        dict.bias_hh_l0.data[1] = Number.NaN;
        l.stateDict = () => dict; // loadStateDict refuses NaN; training that diverged is the way in
        return l;
      }, 'NOT_FINITE', ['bias_hh_l0']);
    });
    test('SHAPE_MISMATCH: a Sequential whose widths do not chain', () => {
      refused(() => new Sequential([new LSTM(base), new Linear({ inFeatures: 5, outFeatures: 2, seed: 1 })]), 'SHAPE_MISMATCH', ['layers[1]', '5', '4']);
    });
  });
}
