// importOnnx and layerFromOnnx against onnxruntime: every case of test/fixtures/onnx/cases.json
// (made by test/fixtures/make_onnx_fixtures.py with python3-onnx and onnxruntime-node 1.30).
// For each recurrent node expected to import: the layer's options, its stateDict bit for bit
// (weights on a 2^-12 grid, so the gate reordering is exact), and its forward on the node's
// own inputs (x, lengths, h0, c0) against onnxruntime's output, h_n and c_n within 1e-5. Cases
// expected to be refused: the RnnError code and the words its message must contain. One
// backend per realm: onnx-import.test.ts runs this on the relaxed build,
// onnx-import-baseline.test.ts on the baseline build.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { GRU, LSTM, RNN, RnnError, init, type RecurrentLayer, type Tensor } from '../src/node.js';
import { importOnnx, layerFromOnnx, readOnnx } from '../src/onnx.js';
import type { SimdMode } from '../src/backend.js';
import { sameBits } from './helpers.js';

const DIR = fileURLToPath(new URL('./fixtures/onnx/', import.meta.url));
interface Json { shape: number[]; data: number[] }
interface NodeCase {
  name: string; opType: string; graph: string; options?: Record<string, unknown>;
  stateDict?: Record<string, Json>; run?: Record<string, Json>;
}
interface Case {
  name: string; file: string; covers: string; expect: 'import' | 'refuse';
  error?: { code: string; contains: string[] }; nodes: NodeCase[];
  torch?: { stateDict: Record<string, Json> };
}
const CASES: Case[] = JSON.parse(readFileSync(DIR + 'cases.json', 'utf8')).cases;
const TOL = 1e-5;

const tensor = (j: Json): Tensor => ({ data: Float32Array.from(j.data), shape: j.shape });
const bytes = (c: Case) => new Uint8Array(readFileSync(DIR + c.file));
const graphOf = (g: string) => g.replace(/^\//, '');
const maxDiff = (a: Float32Array, b: ArrayLike<number>) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

export function onnxImportSuite(simd: SimdMode): void {
  beforeAll(async () => { await init({ simd }); });

  describe(`importOnnx: fixtures that import (${simd})`, () => {
    test.each(CASES.filter((c) => c.expect === 'import').map((c) => [c.name, c] as const))('%s', (_, c) => {
      const imported = importOnnx(bytes(c));
      expect(imported.map((i) => i.node.opType).sort()).toEqual(c.nodes.map((n) => n.opType).sort());
      let worst = 0;
      for (const want of c.nodes) {
        const found = imported.find((i) => i.node.name === want.name && graphOf(i.node.graph) === graphOf(want.graph));
        expect(found, `${want.name} in graph '${want.graph}'`).toBeDefined();
        const layer = found!.layer;
        // ONNX's clip is a float32 attribute
        const options = { ...want.options, ...(typeof want.options!.cellClip === 'number' ? { cellClip: Math.fround(want.options!.cellClip) } : {}) };
        const twin = new ({ LSTM, GRU, RNN } as Record<string, new (o: never) => RecurrentLayer>)[want.opType](options as never);
        expect(layer.config()).toEqual(twin.config()); // the options, as a layer built from them states them
        twin.dispose();
        const dict = layer.stateDict();
        expect(Object.keys(dict).sort()).toEqual(Object.keys(want.stateDict!).sort());
        for (const [k, v] of Object.entries(want.stateDict!)) expect(sameBits(dict[k].data, Float32Array.from(v.data)), k).toBe(true);
        const run = want.run!;
        const state = { h: run.h0 && tensor(run.h0), c: run.c0 && tensor(run.c0) };
        const r = layer.forward(tensor(run.x), state, { lengths: run.lengths?.data });
        expect(r.output.shape).toEqual(run.output.shape);
        worst = Math.max(worst, maxDiff(r.output.data, run.output.data), maxDiff(r.h.data, run.h_n.data));
        if (run.c_n) worst = Math.max(worst, maxDiff(r.c!.data, run.c_n.data));
      }
      console.log(`${c.name}: max abs error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOL);
      for (const { layer } of imported) layer.dispose();
    });
  });

  describe(`importOnnx: PyTorch's exports carry its own weights (${simd})`, () => {
    test.each(CASES.filter((c) => c.torch).map((c) => [c.name, c] as const))('%s', (_, c) => {
      const imported = importOnnx(bytes(c));
      // one node per stacked layer, in order: its _l0 weights are PyTorch's _l{k} ones
      imported.forEach(({ layer }, k) => {
        for (const [name, t] of Object.entries(layer.stateDict())) {
          const theirs = c.torch!.stateDict[name.replace('_l0', `_l${k}`)];
          expect(sameBits(t.data, Float32Array.from(theirs.data)), `${name} of layer ${k}`).toBe(true);
        }
        layer.dispose();
      });
    });
  });

  describe(`importOnnx: fixtures refused (${simd})`, () => {
    test.each(CASES.filter((c) => c.expect === 'refuse').map((c) => [c.name, c] as const))('%s', (_, c) => {
      let error: unknown = null;
      try { importOnnx(bytes(c)); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(RnnError);
      expect((error as RnnError).code).toBe(c.error!.code);
      for (const word of c.error!.contains) expect((error as RnnError).message).toContain(word);
    });
  });

  describe(`layerFromOnnx (${simd})`, () => {
    const c = CASES.find((x) => x.name === 'lstm_all_variants')!;
    test('a node and its weights by input name give the layer importOnnx gives', () => {
      const model = readOnnx(bytes(c)), node = model.nodes.find((n) => n.opType === 'LSTM')!;
      const layer = layerFromOnnx(node, model.initializers), imported = importOnnx(bytes(c))[0].layer;
      const a = layer.stateDict(), b = imported.stateDict();
      for (const k of Object.keys(b)) expect(sameBits(a[k].data, b[k].data)).toBe(true);
      expect(layer.config()).toEqual(imported.config());
      layer.dispose(); imported.dispose();
    });
    test('bad arguments and missing weights are clear errors', () => {
      const model = readOnnx(bytes(c)), node = model.nodes.find((n) => n.opType === 'LSTM')!;
      const code = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
      expect(code(() => layerFromOnnx(null as never, {}))).toBe('BAD_ARGUMENT');
      expect(code(() => layerFromOnnx(node, null as never))).toBe('BAD_ARGUMENT');
      expect(code(() => layerFromOnnx(node, {}))).toBe('BAD_FILE');
      expect(code(() => layerFromOnnx({ ...node, opType: 'Conv' }, model.initializers))).toBe('UNSUPPORTED');
      expect(code(() => layerFromOnnx({ ...node, attributes: { ...node.attributes, direction: 'sideways' } }, model.initializers))).toBe('BAD_FILE');
      expect(code(() => layerFromOnnx({ ...node, attributes: { ...node.attributes, spatial: 1 } }, model.initializers))).toBe('UNSUPPORTED');
      for (const [key, value] of [['activations', [1, 2, 3]], ['activation_alpha', ['x']], ['input_forget', 2], ['clip', 'wide'], ['hidden_size', 'four'], ['layout', 2]] as const) {
        expect(code(() => layerFromOnnx({ ...node, attributes: { ...node.attributes, [key]: value as never } }, model.initializers)), key).toBe('BAD_FILE');
      }
      expect(code(() => layerFromOnnx(node, { ...model.initializers, [node.inputs[1]]: { shape: [1] } as never }))).toBe('BAD_ARGUMENT');
      const W = model.initializers[node.inputs[1]];
      const narrow = [W.shape[0], W.shape[1], W.shape[2] - 1];
      expect(code(() => layerFromOnnx(node, { ...model.initializers, [node.inputs[2]]: { data: new Float32Array(narrow.reduce((x, y) => x * y, 1)), shape: narrow } }))).toBe('SHAPE_MISMATCH');
      expect(code(() => layerFromOnnx(node, { ...model.initializers, [node.inputs[1]]: { data: W.data.subarray(1), shape: W.shape } }))).toBe('SHAPE_MISMATCH');
      expect(code(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5])))).toBe('BAD_FILE');
    });
  });
}

/** Seeded bit flips in fixture files: importOnnx imports, or throws an RnnError (never another error). */
export function onnxImportFuzz(): void {
  test('mutated files give an RnnError or layers, nothing else', () => {
    let s = 12345;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    const codes = new Map<string, number>();
    for (const c of CASES) {
      const original = bytes(c);
      for (let k = 0; k < 60; k++) {
        const b = original.slice();
        for (let f = 0; f < 1 + (next() % 3); f++) b[next() % b.length] ^= 1 << (next() % 8);
        try {
          for (const { layer } of importOnnx(b)) layer.dispose();
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
        } catch (e) {
          if (!(e instanceof RnnError)) throw new Error(`${c.name}, mutation ${k}: ${String(e)}`);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }
    }
    console.log(`importOnnx on ${CASES.length * 60} mutated files: ${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  });
}
