// orthogonal() gives the same matrix before init() (the JS twins of the products) as after it
// (the wasm products of the build init() picks by default). A test file runs in a module
// context of its own, so nothing is initialised when it starts.
import { expect, test } from 'vitest';
import { init } from '../src/node.js';
import { getBackend } from '../src/backend.js';
import { Random } from '../src/random.js';
import { orthogonal, orthogonalBlocks } from '../src/rnn/initializers.js';

const CASES: [number, number][] = [[1, 1], [7, 7], [33, 5], [5, 33], [64, 64], [100, 33], [96, 24], [130, 130]];

function draw(): Float32Array[] {
  const out = CASES.map(([rows, cols], i) => orthogonal(new Float32Array(rows * cols), rows, cols, new Random(100 + i), 1.5));
  out.push(orthogonalBlocks(new Float32Array(4 * 24 * 24), 4, 24, 24, new Random(5)));
  return out;
}

test('orthogonal with a seed: the same bits before and after init()', async () => {
  expect(() => getBackend('test')).toThrow(/init/);
  const before = draw();
  await init();
  const after = draw();
  after.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(before[i].buffer)), `case ${i}`).toBe(true));
});
