// Activations (assembly/activation.ts) against float64: forward max abs error <= 1e-6 over a
// dense grid and special values; backward from the saved output; tile edges, in place, both
// builds, scalar twins, and bit-identity of baseline SIMD with the scalar twins. The
// activations come from the kernel table (src/kernels.ts): every kernel of assembly/activation.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend } from '../src/backend.js';
import { kernelsIn, withTwin } from '../src/kernels.js';
import { BUILDS, F32_EPS, Heap, TILE_SIZES, loadBackend, randomArray, sameBits } from './helpers.js';

const grid: number[] = [];
for (let x = -20; x <= 20; x += 1 / 1024) grid.push(x);
grid.push(0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 1e-4, 87.3, -87.3, 88.7, -88.7, 100, -100, 1e30, -1e30,
  3.4e38, -3.4e38, Infinity, -Infinity);
const X = Float64Array.from(grid, Math.fround);

// The hard sigmoid's alpha and beta (ONNX's defaults), passed after n; the other kernels ignore them.
const ALPHA = 0.2, BETA = 0.5;
const forward = {
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  relu: (x: number) => Math.max(x, 0),
  hardsigmoid: (x: number) => Math.max(0, Math.min(1, Math.fround(ALPHA) * x + Math.fround(BETA))),
};
const backward = {
  sigmoid: (y: number, dy: number) => dy * y * (1 - y),
  tanh: (y: number, dy: number) => dy * (1 - y * y),
  relu: (y: number, dy: number) => (y > 0 ? dy : 0),
  hardsigmoid: (y: number, dy: number) => (y > 0 && y < 1 ? dy * Math.fround(ALPHA) : 0),
};
type Act = keyof typeof forward;
const ACTS = [...new Set(kernelsIn('activation').map((name) => name.replace(/^f32_|_(fwd|bwd)$/g, '')))] as Act[];

test('every kernel of assembly/activation.ts is a forward and backward pair with references here', () => {
  expect(kernelsIn('activation').sort()).toEqual(ACTS.flatMap((act) => [`f32_${act}_fwd`, `f32_${act}_bwd`]).sort());
  for (const act of ACTS) expect(typeof forward[act] === 'function' && typeof backward[act] === 'function', act).toBe(true);
});

for (const build of BUILDS) {
  describe(`activations (${build})`, () => {
    let b: Backend, heap: Heap;
    beforeAll(async () => { b = await loadBackend(build); heap = new Heap(b); });
    afterAll(() => heap.reset());

    for (const act of ACTS) {
      for (const name of withTwin(`f32_${act}_fwd`) as (`f32_${Act}_fwd` | `f32_${Act}_fwd__scalar`)[]) {
        test(`${name}: max abs error <= 1e-6 on ${X.length} points in [-20, 20] and special values`, () => {
          const px = heap.put(X), py = heap.zeros(X.length);
          b.kernels[name](py, px, X.length, ALPHA, BETA);
          const y = heap.get(py, X.length);
          let worst = 0, at = 0;
          for (let i = 0; i < X.length; i++) {
            const e = Math.abs(y[i] - forward[act](X[i]));
            if (!(e <= worst)) { worst = e; at = i; }
          }
          console.log(`${build} ${name}: max abs error ${worst.toExponential(3)} at x = ${X[at]}`);
          expect(worst, `x = ${X[at]}: got ${y[at]}`).toBeLessThanOrEqual(1e-6);
          // odd symmetry, limits and the sign of zero come out right
          if (act === 'tanh') {
            for (let i = 0; i < X.length; i++) if (Object.is(X[i], -0) || X[i] === 0) expect(Object.is(y[i], X[i])).toBe(true);
          }
          if (act !== 'relu') expect(Math.max(...y) <= 1 && Math.min(...y) >= (act === 'tanh' ? -1 : 0)).toBe(true);
          heap.reset();
        });
      }
    }

    for (const act of ACTS) {
      test(`f32_${act}_fwd and _bwd at tile edges, in place, SIMD and scalar`, () => {
        for (const n of TILE_SIZES) {
          const x = randomArray(n, n, 6), dy = randomArray(n + 1, n);
          for (const scalar of [false, true]) {
            const s = scalar ? '__scalar' : '';
            // forward in place: y overwrites x
            const p = heap.put(x);
            b.kernels[`f32_${act}_fwd${s}`](p, p, n, ALPHA, BETA);
            const y = heap.get(p, n);
            for (let i = 0; i < n; i++) expect(Math.abs(y[i] - forward[act](x[i]))).toBeLessThanOrEqual(1e-6);
            // backward in place: dx overwrites dy; reads the saved output y
            const pd = heap.put(dy);
            b.kernels[`f32_${act}_bwd${s}`](pd, p, pd, n, ALPHA);
            const dx = heap.get(pd, n);
            for (let i = 0; i < n; i++) {
              const want = backward[act](y[i], dy[i]);
              expect(Math.abs(dx[i] - want), `n=${n} i=${i}`).toBeLessThanOrEqual(3 * F32_EPS * Math.abs(dy[i]));
            }
            heap.reset();
          }
        }
      });
    }

    if (build === 'baseline') {
      test('baseline SIMD activations are bit-identical to their scalar twins', () => {
        for (const act of ACTS) {
          const px = heap.put(X), p1 = heap.zeros(X.length), p2 = heap.zeros(X.length);
          b.kernels[`f32_${act}_fwd`](p1, px, X.length, ALPHA, BETA);
          b.kernels[`f32_${act}_fwd__scalar`](p2, px, X.length, ALPHA, BETA);
          expect(sameBits(heap.get(p1, X.length), heap.get(p2, X.length)), act).toBe(true);
          const dy = heap.put(randomArray(9, X.length)), d1 = heap.zeros(X.length), d2 = heap.zeros(X.length);
          b.kernels[`f32_${act}_bwd`](d1, p1, dy, X.length, ALPHA);
          b.kernels[`f32_${act}_bwd__scalar`](d2, p1, dy, X.length, ALPHA);
          expect(sameBits(heap.get(d1, X.length), heap.get(d2, X.length)), act).toBe(true);
          heap.reset();
        }
      });
    }
  });
}
