// safetensors: a file written by numpy (test/fixtures/make_safetensors_fixtures.py) with F32,
// F16, BF16 and F64 tensors loads to the exact float32 values; our files round-trip; every
// kind of corrupt or truncated file is BAD_FILE.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { RnnError, init, loadSafetensors, saveSafetensors } from '../src/node.js';

const fixture = readFileSync(new URL('./fixtures/mixed.safetensors', import.meta.url));
const expected = JSON.parse(readFileSync(new URL('./fixtures/mixed.expected.json', import.meta.url), 'utf8'));

beforeAll(async () => { await init(); });

function code(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; }
  return 'no error';
}

/** A file from a header object and a data buffer, as another writer would make it. */
function file(header: unknown, data: Uint8Array, sizeField?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, sizeField ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  test('a numpy-written file with F32, F16, BF16 and F64 loads exactly', () => {
    const { tensors, metadata } = loadSafetensors(new Uint8Array(fixture));
    expect(metadata).toEqual(expected.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors) as [string, { shape: number[]; values: number[] }][]) {
      expect(tensors[name].shape).toEqual(want.shape);
      expect(Array.from(tensors[name].data)).toEqual(want.values.map(Math.fround));
    }
  });

  test('our files round-trip bit for bit, with metadata, aligned data, and an empty tensor', () => {
    const t = { a: { data: Float32Array.of(1, -0, 3.5e-42, -Infinity, NaN, 7), shape: [2, 3] }, b: new Float32Array(0), c: { data: Float32Array.of(2), shape: [] } };
    const bytes = saveSafetensors(t, { config: '{"kind":"LSTM"}' });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const back = loadSafetensors(bytes);
    expect(back.metadata).toEqual({ config: '{"kind":"LSTM"}' });
    expect(back.tensors.a.shape).toEqual([2, 3]);
    expect(new Uint32Array(back.tensors.a.data.buffer)).toEqual(new Uint32Array(t.a.data.buffer));
    expect(back.tensors.b).toEqual({ data: new Float32Array(0), shape: [0] });
    expect(back.tensors.c).toEqual({ data: Float32Array.of(2), shape: [] });
    expect(code(() => saveSafetensors({ x: { data: new Float32Array(3), shape: [2] } }))).toBe('SHAPE_MISMATCH');
    expect(code(() => saveSafetensors({ x: new Float32Array(1) }, { n: 1 as never }))).toBe('BAD_ARGUMENT');
  });

  test('corrupt, truncated and inconsistent files are BAD_FILE', () => {
    const good = saveSafetensors({ w: { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] }, b: { data: Float32Array.of(5, 6), shape: [2] } });
    expect(code(() => loadSafetensors(good.subarray(0, 5)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(good.subarray(0, good.length - 1)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(new Uint8Array([...good, 0, 0, 0, 0])))).toBe('BAD_FILE');
    const d = new Uint8Array(8);
    const entry = (dtype: string, shape: number[], offs: number[]) => ({ dtype, shape, data_offsets: offs });
    expect(code(() => loadSafetensors(file({ x: entry('F32', [2], [0, 8]) }, d, 10_000)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ x: entry('F32', [3], [0, 8]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ x: entry('I32', [2], [0, 8]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ x: entry('F32', [1], [0, 4]), y: entry('F32', [1], [2, 6]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ x: entry('F32', [1], [4, 8]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ x: entry('F32', [-2], [0, 8]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file({ __metadata__: { a: 1 }, x: entry('F32', [2], [0, 8]) }, d)))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors(file([1, 2], d)))).toBe('BAD_FILE');
    const broken = file({ x: entry('F32', [2], [0, 8]) }, d);
    broken[9] = 0x7b; broken[8] = 0x5b; // '[{' : not JSON any more
    expect(code(() => loadSafetensors(broken))).toBe('BAD_FILE');
    expect(code(() => loadSafetensors('x' as never))).toBe('BAD_ARGUMENT');
  });
});
