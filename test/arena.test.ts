// The arena (src/arena.ts) and the layout planner (src/layout.ts).
import { describe, expect, test } from 'vitest';
import { RnnError } from '../src/errors.js';
import { MAX_MEMORY_BYTES, PAGE_BYTES } from '../src/arena.js';
import { planLayout, slotOffset } from '../src/layout.js';
import { loadBackend } from './helpers.js';
import { createBackend } from '../src/backend.js';
import { readFile } from 'node:fs/promises';

function code(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; }
  return 'no error';
}

describe('arena', () => {
  test('regions are 64-byte aligned, zero-filled, disjoint, and above the static data', async () => {
    const { arena, kernels } = await loadBackend('baseline');
    const regions = [1, 3, 64, 65, 1000].map((n) => arena.alloc(n, `r${n}`));
    for (const r of regions) {
      expect(r.ptr % 64).toBe(0);
      expect(r.ptr).toBeGreaterThanOrEqual(kernels.heap_base());
      expect(r.bytes % 64).toBe(0);
      expect(Array.from(new Uint8Array(kernels.memory.buffer, r.ptr, r.bytes)).every((v) => v === 0)).toBe(true);
    }
    const sorted = [...regions].sort((a, b) => a.ptr - b.ptr);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].ptr).toBeGreaterThanOrEqual(sorted[i - 1].ptr + sorted[i - 1].bytes);
  });

  test('freed regions are reused and merged with their neighbours; reuse is zero-filled', async () => {
    const { arena } = await loadBackend('baseline');
    const a = arena.alloc(256, 'a'), b = arena.alloc(256, 'b'), c = arena.alloc(256, 'c');
    arena.f32At(a.ptr, 64).fill(7);
    arena.free(a); arena.free(b);
    const ab = arena.alloc(512, 'ab'); // fits only in a and b merged
    expect(ab.ptr).toBe(a.ptr);
    expect(arena.f32At(ab.ptr, 128).every((v) => v === 0)).toBe(true);
    arena.free(c); arena.free(ab);
    expect(arena.usedBytes).toBe(0);
    expect(arena.alloc(64, 'again').ptr).toBe(a.ptr); // the top came back down
  });

  test('growing memory detaches old views; arena.f32 is re-created and stays valid', async () => {
    const { arena } = await loadBackend('baseline');
    const small = arena.alloc(64, 'small');
    const before = arena.f32;
    const old = arena.f32At(small.ptr, 16);
    const big = arena.alloc(8 * PAGE_BYTES, 'big'); // forces memory.grow
    expect(old.length).toBe(0); // detached: the reason views are never kept across alloc
    const after = arena.f32;
    expect(after === before).toBe(false);
    expect(before.length).toBe(0);
    expect(after.length * 4).toBe(arena.capacityBytes);
    after[big.ptr / 4 + 5] = 3;
    expect(arena.f32At(big.ptr, 8)[5]).toBe(3);
    expect(arena.f32).toBe(after); // cached while memory does not grow
  });

  test('an allocation over the limit is OUT_OF_MEMORY before anything changes', async () => {
    const b = await createBackend({ simd: 'baseline', maxMemoryBytes: 4 << 20 },
      (mode) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url)));
    const keep = b.arena.alloc(1024, 'keep');
    const used = b.arena.usedBytes, capacity = b.arena.capacityBytes;
    expect(code(() => b.arena.alloc(8 << 20, 'too big'))).toBe('OUT_OF_MEMORY');
    expect(b.arena.usedBytes).toBe(used);
    expect(b.arena.capacityBytes).toBe(capacity);
    expect(b.arena.alloc(1024, 'next').ptr).toBe(keep.ptr + keep.bytes);
    const full = await loadBackend('baseline');
    expect(code(() => full.arena.alloc(MAX_MEMORY_BYTES, 'whole address space'))).toBe('OUT_OF_MEMORY');
    expect(code(() => full.arena.alloc(5 * 2 ** 30, '5 GiB'))).toBe('OUT_OF_MEMORY');
    try { full.arena.alloc(5 * 2 ** 30, 'weights'); } catch (e) { expect((e as Error).message).toMatch(/weights/); }
  });

  test('withBudget: checkFits and alloc refuse beyond the budget with OUT_OF_MEMORY, nested budgets take the smaller, and it ends with the call', async () => {
    const { arena } = await loadBackend('baseline');
    const used = arena.usedBytes;
    const regions = arena.withBudget(4096, () => {
      const a = arena.alloc(1024, 'a');
      expect(code(() => arena.checkFits(4096, 'over'))).toBe('OUT_OF_MEMORY');
      expect(code(() => arena.alloc(4096, 'over'))).toBe('OUT_OF_MEMORY');
      expect(arena.withBudget(1 << 20, () => code(() => arena.alloc(4096, 'inner')))).toBe('OUT_OF_MEMORY');
      return [a, arena.alloc(3072, 'b')];
    });
    expect(arena.usedBytes).toBe(used + 4096);
    const after = arena.alloc(8192, 'after the budget');
    for (const r of [...regions, after]) arena.free(r);
    expect(arena.usedBytes).toBe(used);
  });

  test('bad sizes and double frees are BAD_ARGUMENT', async () => {
    const { arena } = await loadBackend('baseline');
    expect(code(() => arena.alloc(-1, 'x'))).toBe('BAD_ARGUMENT');
    expect(code(() => arena.alloc(1.5, 'x'))).toBe('BAD_ARGUMENT');
    expect(code(() => arena.alloc(NaN, 'x'))).toBe('BAD_ARGUMENT');
    const r = arena.alloc(10, 'r');
    arena.free(r);
    expect(code(() => arena.free(r))).toBe('BAD_ARGUMENT');
  });
});

describe('layout', () => {
  test('slots are placed in order, each 64-byte aligned, with their lengths', () => {
    const layout = planLayout([
      { name: 'weight_ih', shape: [33, 28], comment: '[in, 4H]' },
      { name: 'bias', shape: [28], comment: '' },
      { name: 'empty', shape: [0], comment: '' },
      { name: 'h0', shape: [2, 3, 7], comment: '' },
    ]);
    const w = layout.slots.get('weight_ih')!, bias = layout.slots.get('bias')!, h0 = layout.slots.get('h0')!;
    expect(w.offset).toBe(0);
    expect(w.length).toBe(33 * 28);
    expect(bias.offset).toBe(Math.ceil((33 * 28 * 4) / 64) * 64);
    expect(slotOffset(layout, 'empty')).toBe(bias.offset + 128);
    expect(h0.offset).toBe(bias.offset + 128);
    expect(layout.bytes).toBe(h0.offset + 64 * Math.ceil((42 * 4) / 64));
    for (const s of layout.slots.values()) expect(s.offset % 64).toBe(0);
  });

  test('a packed slot follows the previous one without alignment; strides step along the first axis', () => {
    const layout = planLayout([
      { name: 'w', shape: [3], comment: '' },
      { name: 'gamma', shape: [1], comment: '', packed: true },
      { name: 'h', shape: [5, 2, 3], comment: '' },
    ]);
    expect(layout.slots.get('gamma')!.offset).toBe(12);
    expect(layout.slots.get('h')!.offset).toBe(64);
    expect(layout.slots.get('h')!.stride).toBe(2 * 3 * 4);
    expect(layout.slots.get('w')!.stride).toBe(3 * 4);
    expect(layout.bytes).toBe(64 + 128);
    expect(planLayout([{ name: 'x', shape: [7, 5], comment: '' }, { name: 'y', shape: [7, 3], comment: '', packed: true }]).bytes).toBe(Math.ceil((7 * 8 * 4) / 64) * 64);
  });

  test('duplicate names, bad dimensions and unknown slots are errors', () => {
    expect(code(() => planLayout([{ name: 'a', shape: [1], comment: '' }, { name: 'a', shape: [2], comment: '' }]))).toBe('BAD_ARGUMENT');
    expect(code(() => planLayout([{ name: 'a', shape: [-1], comment: '' }]))).toBe('BAD_ARGUMENT');
    expect(code(() => planLayout([{ name: 'a', shape: [2.5], comment: '' }]))).toBe('BAD_ARGUMENT');
    expect(code(() => slotOffset(planLayout([]), 'nope'))).toBe('BAD_ARGUMENT');
  });
});
