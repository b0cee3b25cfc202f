// examples/adding-1997: the generator of Hochreiter & Schmidhuber's Experiment 4 (lengths,
// markers, values, target), the batch layout, recipe.json built from public options only, and
// the recipe reaching the criterion from seed 1 (run.js reports seeds 1, 2, 3). The example
// imports the built package, so this runs after `npm run build`.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error: plain JavaScript example (on the built package: its own init and Random)
import { BUDGET, MAX_WRONG, Random, T, TEST_SIZE, addingBatch, addingSequence, buildModel, init, trainRecipe } from '../examples/adding-1997/task.js';

interface Sequence { length: number; x: Float32Array; y: number; marks: [number, number] }

beforeAll(async () => { await init(); });

const recipe = JSON.parse(readFileSync(new URL('../examples/adding-1997/recipe.json', import.meta.url), 'utf8'));

describe('the 1997 adding sequences', () => {
  const random = new Random(7);
  const seqs: Sequence[] = Array.from({ length: 5000 }, () => addingSequence(random));

  test('lengths T .. T + T/10, every one of them drawn', () => {
    const lengths = new Set(seqs.map((s) => s.length));
    expect([...lengths].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => T + i));
  });

  test('markers: 1 at the two marks (first among the first 10, second among the first T/2 - 1 unmarked), -1 at the ends, else 0', () => {
    const firsts = new Set<number>(), seconds = new Set<number>();
    for (const s of seqs) {
      const [m1, m2] = s.marks;
      firsts.add(m1); seconds.add(m2);
      expect(m1).toBeLessThan(10);
      expect(m2).not.toBe(m1);
      // the first T/2 - 1 = 49 unmarked steps reach step 49 when the first mark lies among them
      expect(m2).toBeLessThan(T / 2);
      for (let t = 0; t < s.length; t++) {
        const marker = s.x[2 * t + 1];
        const want = t === m1 || t === m2 ? 1 : t === 0 || t === s.length - 1 ? -1 : 0;
        if (marker !== want) throw new Error(`step ${t} of a sequence marked at ${m1}, ${m2}: marker ${marker}, expected ${want}`);
      }
    }
    expect(firsts.size).toBe(10);
    expect(seconds.size).toBe(T / 2);
  });

  test('values in [-1, 1], 0 at a marked first step; target 0.5 + (X1 + X2) / 4', () => {
    let markedFirst = 0, min = 0, max = 0;
    for (const s of seqs) {
      for (let t = 0; t < s.length; t++) { min = Math.min(min, s.x[2 * t]); max = Math.max(max, s.x[2 * t]); }
      if (s.marks.includes(0)) { markedFirst++; expect(s.x[0]).toBe(0); }
      expect(s.y).toBeCloseTo(0.5 + (s.x[2 * s.marks[0]] + s.x[2 * s.marks[1]]) / 4, 12);
    }
    expect(markedFirst).toBeGreaterThan(0);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(min).toBeLessThan(-0.999);
    expect(max).toBeGreaterThan(0.999);
  });

  test('a batch is time-major [Lmax, N, 2], zero-padded past each length, with the targets [N, 1]', () => {
    const b = addingBatch(new Random(3), 9), again = new Random(3), [steps, n] = b.x.shape;
    expect(n).toBe(9);
    for (let i = 0; i < n; i++) {
      const s = addingSequence(again);
      expect(b.lengths[i]).toBe(s.length);
      expect(b.y.data[i]).toBe(Math.fround(s.y));
      for (let t = 0; t < steps; t++) {
        const at = (t * n + i) * 2;
        expect([b.x.data[at], b.x.data[at + 1]]).toEqual(t < s.length ? [s.x[2 * t], s.x[2 * t + 1]] : [0, 0]);
      }
    }
    expect(steps).toBe(Math.max(...b.lengths));
  });
});

describe('recipe.json', () => {
  test('holds public options only: the layer and optimizer build from it', () => {
    expect(Object.keys(recipe).sort()).toEqual(['batch', 'clipGradNorm', 'layer', 'optimizer', 'schedule']);
    expect(recipe.schedule).toBeNull();
    const m = buildModel(recipe, 1);
    expect(m.rnn.config()).toMatchObject({ type: recipe.layer.type, hiddenSize: recipe.layer.hiddenSize });
    m.dispose();
    expect(() => buildModel({ ...recipe, layer: { ...recipe.layer, chronoTmax: 110 } }, 1)).toThrow(/chronoTmax/);
  });

  test('reaches at most 1 of 2,560 wrong within 74,000 sequences from seed 1', () => {
    const r = trainRecipe(recipe, 1);
    console.log(`seed 1: reached after ${r.reachedAt} sequences, ${r.wrong} of ${TEST_SIZE} wrong`);
    expect(r.reachedAt).not.toBeNull();
    expect(r.reachedAt).toBeLessThanOrEqual(BUDGET);
    expect(r.wrong).toBeLessThanOrEqual(MAX_WRONG);
    // the first test, after about 1,000 sequences, is still near the mean guess (~85% wrong)
    expect(r.history[0].wrong).toBeGreaterThan(TEST_SIZE / 2);
  }, 180_000);
});
