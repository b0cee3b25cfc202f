// File fuzzing of loadSafetensors (src/io/safetensors.ts): mutated files load into well-formed
// tensors or are refused with BAD_FILE (its only code for a bad file), never another error, and
// no load allocates more than 4x the file's bytes + 1 MiB (test/fuzz-files.ts). The seeds: a file
// of our own writer with metadata, and the fixtures written by numpy / PyTorch (F16, BF16, F64).
// Mutations: byte flips and boundary values, every truncation at a structural boundary, header
// sizes that lie, and JSON header edits (test/fuzz-files-header.ts). A header claiming more than
// 100 MB is refused before it is decoded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors.js';
import { RUNS_FACTOR, SEED, fcParams } from './property-config.js';
import { Tally, applyByteOps, byteOps, judge, type Outcome } from './fuzz-files.js';
import { applyHeaderEdits, headerEdit, joinSafetensors, splitSafetensors } from './fuzz-files-header.js';

console.log(`fuzz-files-safetensors: seed ${SEED}, runs x${RUNS_FACTOR}`);

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', name)));
const own = saveSafetensors({
  'lstm.weight': { data: Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5), shape: [4, 3] },
  bias: new Float32Array([1, -2, 3]),
  empty: { data: new Float32Array(0), shape: [0, 5] },
  scalar: { data: new Float32Array([42]), shape: [] },
}, { note: 'seed', vocabulary: 'abc' });
const SEEDS: [string, Uint8Array][] = [['own', own], ['mixed', fixture('mixed.safetensors')], ['torch_lstm', fixture('torch_lstm.safetensors')]];
const ALLOWED = ['BAD_FILE'] as const;
const tally = new Tally();
afterAll(() => console.log(`fuzz-files-safetensors (seed ${SEED}):\n${tally.summary()}`));

/**
 * What a loaded file must be, read independently from the bytes: every tensor of the header
 * (and no other) as an own property, its shape as the header says, F32 values bit for bit;
 * every metadata string as an own property.
 */
function checkLoaded(bytes: Uint8Array, got: ReturnType<typeof loadSafetensors>): void {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  expect(Object.getPrototypeOf(got.tensors)).toBe(Object.prototype);
  expect(Object.keys(got.tensors).sort()).toEqual(names.sort());
  for (const name of names) {
    const t = Object.getOwnPropertyDescriptor(got.tensors, name)!.value, h = header[name];
    expect(t.shape).toEqual(h.shape);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(h.shape.reduce((a, b) => a * b, 1));
    if (h.dtype === 'F32') {
      const start = 8 + n + h.data_offsets[0];
      // bit for bit, but a NaN may come back with another payload
      const want = new Float32Array(bytes.slice(start, start + 4 * t.data.length).buffer);
      const got = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length), wantBits = new Uint32Array(want.buffer);
      for (let i = 0; i < want.length; i++) if (!(Number.isNaN(want[i]) && Number.isNaN(t.data[i]))) expect(got[i], `${name}[${i}]`).toBe(wantBits[i]);
    }
  }
  const meta = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  expect(Object.getPrototypeOf(got.metadata)).toBe(Object.prototype);
  expect(Object.keys(got.metadata).sort()).toEqual(Object.keys(meta).sort());
  for (const k of Object.keys(meta)) expect(Object.getOwnPropertyDescriptor(got.metadata, k)!.value).toBe(meta[k]);
}

function load(what: string, entry: string, bytes: Uint8Array): Outcome<ReturnType<typeof loadSafetensors>> {
  const r = judge(what, null, bytes.length, ALLOWED, () => loadSafetensors(bytes));
  if (r.ok) checkLoaded(bytes, r.value);
  tally.add(entry, r);
  return r;
}

describe('loadSafetensors on mutated files', () => {
  test('the seeds load as they are', () => {
    for (const [name, bytes] of SEEDS) expect(load(name, 'seeds', bytes).ok).toBe(true);
  });

  test('byte mutations: flips, boundary bytes and words, truncation, garbage, cut and repeated ranges', () => {
    const seeds = new Map(SEEDS);
    fc.assert(fc.property(fc.constantFrom(...seeds.keys()), byteOps(4), (name, ops) => {
      const seed = seeds.get(name)!;
      load(`${name} with ${JSON.stringify(ops, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, 'byte mutations', applyByteOps(seed, ops));
    }), fcParams(400));
  });

  test('truncated at every structural boundary (size field, header, each tensor\'s first and last byte)', () => {
    for (const [name, seed] of SEEDS) {
      const n = Number(new DataView(seed.buffer).getBigUint64(0, true)), { entries } = splitSafetensors(seed);
      const cuts = new Set<number>([...Array(9).keys(), 8 + n - 1, 8 + n, 8 + n + 1, seed.length - 1]);
      for (const [, e] of entries) {
        const offs = (e as { data_offsets?: number[] }).data_offsets;
        if (offs) for (const o of offs) for (const d of [-1, 0, 1]) cuts.add(8 + n + o + d);
      }
      for (const cut of cuts) {
        if (cut < 0 || cut >= seed.length) continue;
        const r = load(`${name} cut to ${cut} bytes`, 'truncations', seed.subarray(0, cut));
        // a cut inside the data, or of the last tensor's bytes, can never load
        expect(r.ok, `${name} cut to ${cut} bytes`).toBe(false);
      }
    }
  });

  test('header sizes that lie: too small, too large, beyond the file, 2^32 and 2^53 off, over 100 MB', () => {
    for (const [name, seed] of SEEDS) {
      const n = new DataView(seed.buffer).getBigUint64(0, true), len = BigInt(seed.length);
      const lies = [0n, 1n, 2n, 7n, n - 1n, n + 1n, n + 8n, len - 8n, len - 7n, len, n + 2n ** 32n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 100n * 2n ** 20n, 100n * 2n ** 20n + 1n];
      for (const size of lies) {
        const bytes = seed.slice();
        new DataView(bytes.buffer).setBigUint64(0, size, true);
        const r = load(`${name} with header size ${size}`, 'header size lies', bytes);
        expect(r.ok, `${name} with header size ${size}`).toBe(size === len - 8n && n === len - 8n);
      }
    }
  });

  test('JSON header edits: dtypes, shapes, offsets, duplicate / missing / extra / odd names, metadata, not an object, broken text', () => {
    const splits = new Map(SEEDS.map(([name, b]) => [name, splitSafetensors(b)]));
    fc.assert(fc.property(fc.constantFrom(...splits.keys()), fc.array(headerEdit, { minLength: 1, maxLength: 3 }), (name, edits) => {
      const split = splits.get(name)!;
      const { header, data } = applyHeaderEdits(split, edits);
      load(`${name} with ${JSON.stringify(edits)}`, 'header edits', joinSafetensors(header, data));
    }), fcParams(600));
  });

  test('a tensor or metadata key named __proto__ is kept as an own property, not set as the prototype', () => {
    const values = new Uint8Array(new Float32Array([1, 2]).buffer);
    const file = joinSafetensors('{"__metadata__":{"__proto__":"m","k":"v"},"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', values);
    const r = load('__proto__ names', 'header edits', file);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Object.keys(r.value.tensors)).toEqual(['__proto__']);
      expect(Object.keys(r.value.metadata).sort()).toEqual(['__proto__', 'k']);
    }
  });
});

describe('a header claiming more than 100 MB is refused before it is read', () => {
  test('the size field alone refuses it: no byte of the header is decoded, nothing is allocated', () => {
    // A real 100 MB + 16 byte buffer (so "beyond the file" is not the reason), its size field
    // claiming 100 MB + 1 bytes. The header is never decoded (TextDecoder.decode and JSON.parse
    // are not called) and no ArrayBuffer is allocated while refusing.
    const limit = 100 * 2 ** 20, bytes = new Uint8Array(limit + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(limit + 1), true);
    const decode = vi.spyOn(TextDecoder.prototype, 'decode'), parse = vi.spyOn(JSON, 'parse');
    try {
      const before = process.memoryUsage().arrayBuffers;
      let error: unknown;
      try { loadSafetensors(bytes); } catch (e) { error = e; }
      const grown = process.memoryUsage().arrayBuffers - before;
      expect(error).toMatchObject({ name: 'RnnError', code: 'BAD_FILE' });
      expect((error as Error).message).toMatch(/104857601 bytes.*limit of 104857600/);
      expect(decode).not.toHaveBeenCalled();
      expect(parse).not.toHaveBeenCalled();
      expect(grown).toBeLessThan(4096);
    } finally {
      decode.mockRestore();
      parse.mockRestore();
    }
  });
});
