// Echo state network: the spectral radius method against known and exactly computed spectra,
// the reservoir against a float64 re-implementation, the ridge readout against the normal
// equations solved independently, stream = predict, NARMA-10 against trivial predictors,
// the datasets, and every kind of bad input (each a clear RnnError that changes nothing).
import { beforeAll, describe, expect, test } from 'vitest';
import { RnnError, init } from '../src/node.js';
import { EchoStateNetwork, nrmse, type EchoStateOptions } from '../src/esn.js';
import { mackeyGlass, narma10 } from '../src/datasets.js';
import { choleskySolve, eigenvalues, sparseFromDense, spectralRadius, syrkUpperAcc } from '../src/linalg.js';
import type { Tensor } from '../src/tensor.js';
import { randomArray } from './helpers.js';

beforeAll(async () => { await init(); });

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
function codeOf(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; }
  return 'no error';
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const rows = (t: Tensor, from: number, to: number): Tensor => {
  const w = t.data.length / t.shape[0];
  return { data: t.data.slice(from * w, to * w), shape: [to - from, ...t.shape.slice(1)] };
};
const radiusOf = (a: ArrayLike<number>, n: number) => {
  const e = eigenvalues(a, n);
  return Math.max(...Array.from(e.re, (re, i) => Math.hypot(re, e.im[i])));
};

// ---------------------------------------------------------------------------------------
// An independent reference for eigenvalues: the characteristic polynomial by
// Faddeev-LeVerrier, its roots by Durand-Kerner (complex). Slow and only good for small n.
function rootsOfCharPoly(a: ArrayLike<number>, n: number): { re: number; im: number }[] {
  const c = new Float64Array(n + 1); // p(z) = sum c[k] z^k, c[n] = 1
  c[n] = 1;
  let m = new Float64Array(n * n);
  for (let k = 1; k <= n; k++) {
    const next = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += a[i * n + l] * m[l * n + j];
      next[i * n + j] = s + (i === j ? c[n - k + 1] : 0);
    }
    m = next;
    let tr = 0;
    for (let i = 0; i < n; i++) for (let l = 0; l < n; l++) tr += a[i * n + l] * m[l * n + i];
    c[n - k] = -tr / k;
  }
  const zr = Array.from({ length: n }, (_, i) => Math.cos(0.4 + 2.3 * i) * (1 + i / n));
  const zi = Array.from({ length: n }, (_, i) => Math.sin(0.4 + 2.3 * i) * (1 + i / n));
  for (let it = 0; it < 2000; it++) {
    for (let i = 0; i < n; i++) {
      let pr = 1, pi = 0; // p(z_i) by Horner
      for (let k = n - 1; k >= 0; k--) [pr, pi] = [pr * zr[i] - pi * zi[i] + c[k], pr * zi[i] + pi * zr[i]];
      let qr = 1, qi = 0; // prod (z_i - z_j)
      for (let j = 0; j < n; j++) if (j !== i) {
        const dr = zr[i] - zr[j], di = zi[i] - zi[j];
        [qr, qi] = [qr * dr - qi * di, qr * di + qi * dr];
      }
      const d = qr * qr + qi * qi;
      zr[i] -= (pr * qr + pi * qi) / d;
      zi[i] -= (pi * qr - pr * qi) / d;
    }
  }
  return zr.map((re, i) => ({ re, im: zi[i] }));
}

/** Dense Gaussian elimination with partial pivoting: A X = B, A n x n, B n x m. */
function gaussSolve(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const A = a.slice(), X = b.slice();
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]) > Math.abs(A[p * n + k])) p = i;
    for (let j = 0; j < n; j++) [A[k * n + j], A[p * n + j]] = [A[p * n + j], A[k * n + j]];
    for (let j = 0; j < m; j++) [X[k * m + j], X[p * m + j]] = [X[p * m + j], X[k * m + j]];
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / A[k * n + k];
      for (let j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      for (let j = 0; j < m; j++) X[i * m + j] -= f * X[k * m + j];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    for (let j = 0; j < m; j++) {
      let s = X[k * m + j];
      for (let i = k + 1; i < n; i++) s -= A[k * n + i] * X[i * m + j];
      X[k * m + j] = s / A[k * n + k];
    }
  }
  return X;
}

/**
 * A matrix with a known spectrum that hides it: 2 x 2 blocks r (cos t, -sin t; sin t, cos t)
 * (eigenvalues r e^{+-it}) and 1 x 1 blocks d on the diagonal, random entries above the
 * blocks (non-normal; the spectrum is still the blocks'), then a random symmetric
 * permutation of rows and columns.
 */
function hiddenSpectrum(blocks: ({ r: number; t: number } | { d: number })[], seed: number): { a: Float64Array; n: number } {
  const n = blocks.reduce((s, b) => s + ('d' in b ? 1 : 2), 0), a = new Float64Array(n * n);
  const noise = randomArray(seed, n * n, 0.3);
  let at = 0;
  for (const b of blocks) {
    if ('d' in b) a[at * n + at] = b.d;
    else {
      const c = b.r * Math.cos(b.t), s = b.r * Math.sin(b.t);
      a[at * n + at] = c; a[at * n + at + 1] = -s; a[(at + 1) * n + at] = s; a[(at + 1) * n + at + 1] = c;
    }
    const end = at + ('d' in b ? 1 : 2);
    for (let i = at; i < end; i++) for (let j = end; j < n; j++) a[i * n + j] = noise[i * n + j];
    at = end;
  }
  const perm = Array.from({ length: n }, (_, i) => i);
  const r = randomArray(seed + 1, n);
  perm.sort((x, y) => r[x] - r[y]);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = a[perm[i] * n + perm[j]];
  return { a: p, n };
}

describe('linear algebra', () => {
  test('eigenvalues: known spectra, and a random matrix against the characteristic polynomial', () => {
    const { a, n } = hiddenSpectrum([{ r: 1.3, t: 0.7 }, { d: -2 }, { r: 0.5, t: 2.9 }, { d: 0.25 }, { d: 1 }], 3);
    const e = eigenvalues(a, n);
    const got = Array.from(e.re, (re, i) => [re, e.im[i]]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const want = [[-2, 0], [0.5 * Math.cos(2.9), -0.5 * Math.sin(2.9)], [0.5 * Math.cos(2.9), 0.5 * Math.sin(2.9)],
      [0.25, 0], [1.3 * Math.cos(0.7), -1.3 * Math.sin(0.7)], [1.3 * Math.cos(0.7), 1.3 * Math.sin(0.7)], [1, 0]];
    for (let i = 0; i < n; i++) for (let k = 0; k < 2; k++) expect(Math.abs(got[i][k] - want[i][k])).toBeLessThan(1e-12);

    const r = randomArray(7, 100);
    const dk = rootsOfCharPoly(r, 10).map((z) => Math.hypot(z.re, z.im)).sort((x, y) => x - y);
    const qr = eigenvalues(r, 10);
    const mods = Array.from(qr.re, (re, i) => Math.hypot(re, qr.im[i])).sort((x, y) => x - y);
    expect(maxAbsDiff(mods, dk)).toBeLessThan(1e-9);
  });

  test('spectralRadius: rotations, diagonals, a near tie, and random sparse matrices against exact eigenvalues', () => {
    // a scaled rotation dominating: single-vector power iteration would never settle on it
    // (exactUpTo: 0 forces the subspace iteration, which larger reservoirs use, on small cases)
    const subspace = { exactUpTo: 0 };
    const rot = hiddenSpectrum([{ d: 0.9 }, { r: 1.7, t: 1.1 }, ...Array.from({ length: 20 }, (_, i) => ({ d: 0.05 * i - 0.6 }))], 11);
    expect(Math.abs(spectralRadius(sparseFromDense(rot.a, rot.n), subspace) / 1.7 - 1)).toBeLessThan(1e-9);
    // a diagonal with a negative dominant entry
    const diag = new Float64Array(30 * 30);
    for (let i = 0; i < 30; i++) diag[i * 31] = i === 17 ? -0.95 : 0.9 * Math.sin(i);
    expect(Math.abs(spectralRadius(sparseFromDense(diag, 30), subspace) / 0.95 - 1)).toBeLessThan(1e-9);
    // a complex pair and a real eigenvalue 1% apart, non-normal
    const tie = hiddenSpectrum([{ r: 1, t: 0.3 }, { d: -0.99 }, ...Array.from({ length: 12 }, (_, i) => ({ r: 0.9 - 0.02 * i, t: 0.2 * i + 0.1 }))], 5);
    expect(Math.abs(spectralRadius(sparseFromDense(tie.a, tie.n), subspace) - 1)).toBeLessThan(1e-7);
    // the default path for small n: eigenvalues() itself
    expect(spectralRadius(sparseFromDense(tie.a, tie.n))).toBeCloseTo(1, 12);
    expect(spectralRadius(sparseFromDense([0, -2, 2, 0], 2))).toBeCloseTo(2, 14);
    // random sparse matrices like reservoirs, against all eigenvalues by QR
    for (const [n, density, seed] of [[40, 0.2, 1], [100, 0.1, 2], [160, 0.03, 3]]) {
      const v = randomArray(seed, n * n), keep = randomArray(seed + 100, n * n);
      const a = v.map((x, i) => (Math.abs(keep[i]) < density ? x : 0));
      const exact = radiusOf(a, n), got = spectralRadius(sparseFromDense(a, n), subspace);
      expect(Math.abs(got / exact - 1), `n = ${n}`).toBeLessThan(1e-7);
    }
  });

  test('choleskySolve matches Gaussian elimination and reports a matrix that is not positive definite; syrkUpperAcc', () => {
    const n = 6, m = 2, g = randomArray(4, n * n), a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) a[i * n + j] += g[k * n + i] * g[k * n + j];
      if (i === j) a[i * n + j] += 0.1;
    }
    const b = Float64Array.from(randomArray(5, n * m)), want = gaussSolve(a, n, b, m);
    expect(choleskySolve(a.slice(), n, b, m)).toBe(true);
    expect(maxAbsDiff(b, want)).toBeLessThan(1e-10);
    // the Gram accumulation behind fit(): odd sizes, rows not a multiple of its 4-row blocks
    for (const [r, f] of [[1, 1], [7, 5], [10, 8]]) {
      const x = Float64Array.from(randomArray(6 + r, r * f)), g = new Float64Array(f * f).fill(0.5);
      syrkUpperAcc(g, x, r, f);
      for (let i = 0; i < f; i++) for (let j = i; j < f; j++) {
        let want = 0.5;
        for (let k = 0; k < r; k++) want += x[k * f + i] * x[k * f + j];
        expect(Math.abs(g[i * f + j] - want)).toBeLessThan(1e-14);
      }
    }
    const singular = Float64Array.from([1, 2, 2, 4]), rhs = Float64Array.from([1, 1]);
    expect(choleskySolve(singular, 2, rhs, 1)).toBe(false);
    expect(Array.from(rhs)).toEqual([1, 1]);
  });
});

// ---------------------------------------------------------------------------------------
/** x(t) and y(t) in float64 from the network's own (float32) weights. */
function reference(esn: EchoStateNetwork, u: Float32Array, T: number, B: number, x0: Float32Array | null) {
  const d = esn.stateDict(), N = esn.reservoirSize, I = esn.inputSize, O = esn.outputSize, a = esn.leakRate;
  const R = esn.features, xs = new Float64Array(T * B * N), ys = new Float64Array(T * B * O);
  for (let b = 0; b < B; b++) {
    let x = Float64Array.from({ length: N }, (_, i) => (x0 ? x0[b * N + i] : 0));
    for (let t = 0; t < T; t++) {
      const ut = u.subarray((t * B + b) * I, (t * B + b + 1) * I), next = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let s = d.bias.data[i];
        for (let k = 0; k < I; k++) s += d.weight_in.data[i * I + k] * ut[k];
        for (let j = 0; j < N; j++) s += d.weight_res.data[i * N + j] * x[j];
        next[i] = (1 - a) * x[i] + a * Math.tanh(s);
      }
      x = next;
      xs.set(x, (t * B + b) * N);
      for (let o = 0; o < O; o++) {
        let y = d.bias_out.data[o];
        for (let j = 0; j < R; j++) y += d.weight_out.data[o * R + j] * (j < N ? x[j] : ut[j - N]);
        ys[(t * B + b) * O + o] = y;
      }
    }
  }
  return { xs, ys };
}

const small: EchoStateOptions = { inputSize: 3, reservoirSize: 20, outputSize: 2, density: 0.3, bias: 0.5, seed: 9 };

describe('EchoStateNetwork', () => {
  test('W is scaled to the requested spectral radius; W_in and b have the requested scales', () => {
    const esn = new EchoStateNetwork({ inputSize: 2, reservoirSize: 60, outputSize: 1, spectralRadius: 1.25, inputScale: 0.3, bias: 0.2, seed: 4 });
    const d = esn.stateDict();
    expect(Math.abs(radiusOf(d.weight_res.data, 60) / 1.25 - 1)).toBeLessThan(1e-6);
    const nz = d.weight_res.data.filter((v) => v !== 0).length;
    expect(nz / 3600).toBeGreaterThan(0.07);
    expect(nz / 3600).toBeLessThan(0.13);
    expect(Math.max(...d.weight_in.data.map(Math.abs))).toBeLessThanOrEqual(0.3);
    expect(Math.max(...d.bias.data.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...d.bias.data.map(Math.abs))).toBeGreaterThan(0.1);
    // seeded: the same weights again
    const again = new EchoStateNetwork({ inputSize: 2, reservoirSize: 60, outputSize: 1, spectralRadius: 1.25, inputScale: 0.3, bias: 0.2, seed: 4 });
    expect(again.stateDict().weight_res.data).toEqual(d.weight_res.data);
    // one unit, density tiny: still a nonzero self-connection, scaled to the radius
    const one = new EchoStateNetwork({ inputSize: 1, reservoirSize: 1, outputSize: 1, density: 0.01, seed: 1 });
    expect(Math.abs(one.stateDict().weight_res.data[0])).toBeCloseTo(0.9, 6);
    for (const e of [esn, again, one]) e.dispose();
  });

  test.each([[0.3, 'leaky'], [1, 'no leak']])('reservoir states and outputs equal a float64 re-implementation (leakRate %s, %s)', (leakRate) => {
    const esn = new EchoStateNetwork({ ...small, leakRate, readoutInput: true });
    const T = 15, B = 2, N = 20;
    const u = f32(randomArray(21, T * B * 3)), x0 = f32(randomArray(22, B * N, 0.5));
    esn.loadReadout({ weight: f32(randomArray(23, 2 * 23)), bias: f32([0.1, -0.2]) });
    const ref = reference(esn, u, T, B, x0);
    const xs = esn.states({ data: u, shape: [T, B, 3] }, { state: { data: x0, shape: [B, N] } });
    expect(xs.shape).toEqual([T, B, N]);
    expect(maxAbsDiff(xs.data, ref.xs)).toBeLessThan(1e-5);
    const y = esn.predict({ data: u, shape: [T, B, 3] }, { state: { data: x0, shape: [B, N] } });
    expect(maxAbsDiff(y.data, ref.ys)).toBeLessThan(1e-5);
    // unbatched input: [T, I] -> [T, O], the same numbers as batch row 0 from zeros
    const u0 = f32(Array.from({ length: T * 3 }, (_, i) => u[Math.floor(i / 3) * B * 3 + (i % 3)]));
    const ref0 = reference(esn, u0, T, 1, null);
    const y0 = esn.predict({ data: u0, shape: [T, 3] });
    expect(y0.shape).toEqual([T, 2]);
    expect(maxAbsDiff(y0.data, ref0.ys)).toBeLessThan(1e-5);
    esn.dispose();
  });

  test('long sequences run in chunks and equal one pass', () => {
    // 2^20 / (B * (2N + I + O)) steps per chunk: with N = 300, B = 8 that is 217 steps
    const esn = new EchoStateNetwork({ inputSize: 1, reservoirSize: 300, outputSize: 1, seed: 2 });
    const T = 500, B = 8, u = f32(randomArray(5, T * B));
    const all = esn.states({ data: u, shape: [T, B, 1] });
    const head = esn.states({ data: u.slice(0, 100 * B), shape: [100, B, 1] });
    const tail = esn.states({ data: u.slice(100 * B), shape: [T - 100, B, 1] }, { state: { data: head.data.slice(99 * B * 300), shape: [B, 300] } });
    expect(maxAbsDiff(all.data.subarray(0, 100 * B * 300), head.data)).toBe(0);
    expect(maxAbsDiff(all.data.subarray(100 * B * 300), tail.data)).toBe(0);
    esn.dispose();
  });

  test('fit: the readout equals the ridge solution of the normal equations, computed independently', () => {
    const ridge = 1e-3, washout = 5, T = 60, B = 2, I = 2, N = 12, O = 2;
    const esn = new EchoStateNetwork({ inputSize: I, reservoirSize: N, outputSize: O, density: 0.5, bias: 0.3, ridge, washout, readoutInput: true, seed: 3 });
    const u = f32(randomArray(31, T * B * I));
    const target = f32(Array.from({ length: T * B * O }, (_, i) => Math.sin(0.3 * i) + 0.1 * (i % 7)));
    const { trainError } = esn.fit({ data: u, shape: [T, B, I] }, { data: target, shape: [T, B, O] });
    // features [x; u; 1] from the network's own states, normal equations in float64
    const xs = esn.states({ data: u, shape: [T, B, I] }).data, F = N + I + 1;
    const xtx = new Float64Array(F * F), xty = new Float64Array(F * O);
    for (let t = washout; t < T; t++) for (let b = 0; b < B; b++) {
      const r = t * B + b, phi = [...xs.subarray(r * N, (r + 1) * N), ...u.subarray(r * I, (r + 1) * I), 1];
      for (let i = 0; i < F; i++) {
        for (let j = 0; j < F; j++) xtx[i * F + j] += phi[i] * phi[j];
        for (let o = 0; o < O; o++) xty[i * O + o] += phi[i] * target[r * O + o];
      }
    }
    for (let i = 0; i < F; i++) xtx[i * F + i] += ridge;
    const w = gaussSolve(xtx, F, xty, O), got = esn.readout();
    expect(got.weight.shape).toEqual([O, N + I]);
    expect(got.bias.shape).toEqual([O]);
    const scale = Math.max(...w.map(Math.abs));
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < N + I; i++) expect(Math.abs(got.weight.data[o * (N + I) + i] - w[i * O + o])).toBeLessThan(1e-6 * scale);
      expect(Math.abs(got.bias.data[o] - w[(F - 1) * O + o])).toBeLessThan(1e-6 * scale);
    }
    // trainError is the NRMSE of predict() after the washout
    const p = esn.predict({ data: u, shape: [T, B, I] });
    const want = nrmse(rows(p, washout, T), rows({ data: target, shape: [T, B, O] }, washout, T));
    expect(trainError).toBeGreaterThan(0);
    expect(Math.abs(trainError - want)).toBeLessThan(1e-9);
    esn.dispose();
  });

  test('stream(batch) equals predict step by step; state, setState and reset', () => {
    const esn = new EchoStateNetwork({ ...small, leakRate: 0.5 });
    const T = 12, B = 3, I = 3, O = 2, N = 20, u = f32(randomArray(41, T * B * I));
    esn.loadReadout({ weight: f32(randomArray(42, O * N)), bias: f32([0.3, -0.1]) });
    const full = esn.predict({ data: u, shape: [T, B, I] });
    const s = esn.stream(B);
    for (let t = 0; t < T; t++) {
      const ut = u.subarray(t * B * I, (t + 1) * B * I);
      const y = t % 2 ? s.step(ut) : s.step({ data: ut, shape: [B, I] });
      expect(y.shape).toEqual([B, O]);
      expect(maxAbsDiff(y.data, full.data.subarray(t * B * O, (t + 1) * B * O))).toBeLessThanOrEqual(1e-6);
    }
    // continuing from the stream's state equals predict from that state
    const st = s.state(), more = f32(randomArray(43, 4 * B * I));
    expect(st.shape).toEqual([B, N]);
    const cont = esn.predict({ data: more, shape: [4, B, I] }, { state: st });
    for (let t = 0; t < 4; t++) {
      expect(maxAbsDiff(s.step(more.subarray(t * B * I, (t + 1) * B * I)).data, cont.data.subarray(t * B * O, (t + 1) * B * O))).toBeLessThanOrEqual(1e-6);
    }
    s.setState(st);
    expect(maxAbsDiff(s.step(more.subarray(0, B * I)).data, cont.data.subarray(0, B * O))).toBeLessThanOrEqual(1e-6);
    s.reset();
    expect(maxAbsDiff(s.step(u.subarray(0, B * I)).data, full.data.subarray(0, B * O))).toBeLessThanOrEqual(1e-6);
    expect(esn.memoryBytes()).toBeGreaterThan(s.memoryBytes());
    s.dispose();
    expect(codeOf(() => s.step(u.subarray(0, B * I)))).toBe('DISPOSED');
    esn.dispose();
  });

  test('stateDict / loadStateDict round trip; readout / loadReadout; config rebuilds', () => {
    const a = new EchoStateNetwork({ ...small, readoutInput: true, seed: 1 });
    a.loadReadout({ weight: f32(randomArray(51, 2 * 23)), bias: f32([0, 1]) });
    // config() as buildModule hands it to the constructor: without its "type"
    const { type: _type, ...config } = a.config();
    const b = new EchoStateNetwork({ ...(config as unknown as EchoStateOptions), seed: 2 });
    const u = { data: f32(randomArray(52, 10 * 3)), shape: [10, 3] };
    expect(codeOf(() => b.predict(u))).toBe('BAD_ARGUMENT'); // no readout yet
    const d = a.stateDict();
    expect(Object.keys(d).sort()).toEqual(['bias', 'bias_out', 'weight_in', 'weight_out', 'weight_res']);
    expect(d.weight_out.shape).toEqual([2, 23]);
    b.loadStateDict(d);
    expect(b.predict(u).data).toEqual(a.predict(u).data);
    expect(b.stateDict()).toEqual(d);
    b.loadReadout({ weight: d.weight_out.data, bias: d.bias_out });
    expect(b.readout()).toEqual(a.readout());
    a.dispose(); b.dispose();
  });

  test('NARMA-10: test NRMSE well below the trivial predictors', () => {
    // 3200 steps: fit on the first 2200 (washout 200, so 2000 training rows), test on the
    // last 1000, predicted in one run from the start so the state carries over.
    const { inputs, targets } = narma10(3200, 1);
    const esn = new EchoStateNetwork({ inputSize: 1, reservoirSize: 200, outputSize: 1, spectralRadius: 0.9, inputScale: 0.5, bias: 0.2, density: 0.1, washout: 200, ridge: 1e-6, seed: 1 });
    const { trainError } = esn.fit(rows(inputs, 0, 2200), rows(targets, 0, 2200));
    const testError = nrmse(rows(esn.predict(inputs), 2200, 3200), rows(targets, 2200, 3200));
    // trivial 1: the training mean, constant
    let mean = 0;
    for (let t = 200; t < 2200; t++) mean += targets.data[t] / 2000;
    const constant = nrmse({ data: new Float32Array(1000).fill(mean), shape: [1000, 1] }, rows(targets, 2200, 3200));
    // trivial 2: linear regression on the last 10 inputs and a bias (NARMA-10's own window)
    const F = 11, xtx = new Float64Array(F * F), xty = new Float64Array(F);
    const window = (t: number) => [...Array.from({ length: 10 }, (_, i) => inputs.data[t - i]), 1];
    for (let t = 200; t < 2200; t++) {
      const phi = window(t);
      for (let i = 0; i < F; i++) { xty[i] += phi[i] * targets.data[t]; for (let j = 0; j < F; j++) xtx[i * F + j] += phi[i] * phi[j]; }
    }
    const w = gaussSolve(xtx, F, xty, 1);
    const lin = new Float32Array(1000).map((_, k) => window(2200 + k).reduce((s, v, i) => s + v * w[i], 0));
    const linear = nrmse({ data: lin, shape: [1000, 1] }, rows(targets, 2200, 3200));
    console.log(`NARMA-10, ESN N=200: train NRMSE ${trainError.toFixed(3)}, test NRMSE ${testError.toFixed(3)}; ` +
      `constant predictor ${constant.toFixed(3)}, linear on u(t-9..t) ${linear.toFixed(3)}`);
    expect(constant).toBeGreaterThan(0.95);
    expect(linear).toBeGreaterThan(0.5);
    expect(testError).toBeLessThan(0.25);
    expect(testError).toBeLessThan(0.5 * linear);
    esn.dispose();
  });

  test('Mackey-Glass one step ahead is easy for a small reservoir', () => {
    const { inputs, targets } = mackeyGlass(1500, { seed: 3 });
    const esn = new EchoStateNetwork({ inputSize: 1, reservoirSize: 100, outputSize: 1, spectralRadius: 0.9, inputScale: 0.5, bias: 0.5, washout: 100, ridge: 1e-8, seed: 2 });
    esn.fit(rows(inputs, 0, 1000), rows(targets, 0, 1000));
    const err = nrmse(rows(esn.predict(inputs), 1000, 1500), rows(targets, 1000, 1500));
    expect(err).toBeLessThan(0.01);
    esn.dispose();
  });

  test('every bad argument throws its code, names the argument, and changes nothing', () => {
    const esn = new EchoStateNetwork({ ...small, washout: 3 });
    const T = 8, u = { data: f32(randomArray(61, T * 3)), shape: [T, 3] };
    const y = { data: f32(randomArray(62, T * 2)), shape: [T, 2] };
    esn.fit(u, y);
    const before = esn.predict(u).data, dict = esn.stateDict();
    const nan = (t: Tensor, i: number, v = NaN) => { const d = t.data.slice(); d[i] = v; return { data: d, shape: t.shape }; };
    const cases: [string, () => unknown, string, RegExp][] = [
      ['spectralRadius 0', () => new EchoStateNetwork({ ...small, spectralRadius: 0 }), 'BAD_ARGUMENT', /spectralRadius/],
      ['spectralRadius NaN', () => new EchoStateNetwork({ ...small, spectralRadius: NaN }), 'BAD_ARGUMENT', /spectralRadius/],
      ['spectralRadius Infinity', () => new EchoStateNetwork({ ...small, spectralRadius: Infinity }), 'BAD_ARGUMENT', /spectralRadius/],
      ['leakRate 0', () => new EchoStateNetwork({ ...small, leakRate: 0 }), 'BAD_ARGUMENT', /leakRate/],
      ['leakRate 1.5', () => new EchoStateNetwork({ ...small, leakRate: 1.5 }), 'BAD_ARGUMENT', /leakRate/],
      ['density 0', () => new EchoStateNetwork({ ...small, density: 0 }), 'BAD_ARGUMENT', /density/],
      ['density 2', () => new EchoStateNetwork({ ...small, density: 2 }), 'BAD_ARGUMENT', /density/],
      ['reservoirSize 0', () => new EchoStateNetwork({ ...small, reservoirSize: 0 }), 'BAD_ARGUMENT', /reservoirSize/],
      ['reservoirSize 2.5', () => new EchoStateNetwork({ ...small, reservoirSize: 2.5 }), 'BAD_ARGUMENT', /reservoirSize/],
      ['ridge -1', () => new EchoStateNetwork({ ...small, ridge: -1 }), 'BAD_ARGUMENT', /ridge/],
      ['washout -1', () => new EchoStateNetwork({ ...small, washout: -1 }), 'BAD_ARGUMENT', /washout/],
      ['inputScale -1', () => new EchoStateNetwork({ ...small, inputScale: -1 }), 'BAD_ARGUMENT', /inputScale/],
      ['bias NaN', () => new EchoStateNetwork({ ...small, bias: NaN }), 'BAD_ARGUMENT', /bias/],
      ['seed 0.5', () => new EchoStateNetwork({ ...small, seed: 0.5 }), 'BAD_ARGUMENT', /seed/],
      ['no options', () => new EchoStateNetwork(undefined as unknown as EchoStateOptions), 'BAD_ARGUMENT', /options/],
      ['fit: washout >= T', () => esn.fit(rows(u, 0, 3), rows(y, 0, 3)), 'BAD_ARGUMENT', /washout/],
      ['fit: inputs width', () => esn.fit({ data: new Float32Array(T * 2), shape: [T, 2] }, y), 'SHAPE_MISMATCH', /inputs/],
      ['fit: inputs rank', () => esn.fit({ data: u.data, shape: [T * 3] }, y), 'SHAPE_MISMATCH', /inputs/],
      ['fit: data vs shape', () => esn.fit({ data: u.data, shape: [T, 4] }, y), 'SHAPE_MISMATCH', /inputs/],
      ['fit: targets steps', () => esn.fit(u, rows(y, 0, T - 1)), 'SHAPE_MISMATCH', /targets/],
      ['fit: targets rank', () => esn.fit(u, { data: y.data, shape: [T, 1, 2] }), 'SHAPE_MISMATCH', /targets/],
      ['fit: NaN input', () => esn.fit(nan(u, 5), y), 'NOT_FINITE', /inputs/],
      ['fit: Infinity target', () => esn.fit(u, nan(y, 3, Infinity)), 'NOT_FINITE', /targets/],
      ['fit: state shape', () => esn.fit(u, y, { state: { data: new Float32Array(20), shape: [1, 20] } }), 'SHAPE_MISMATCH', /state/],
      ['fit: Float64Array', () => esn.fit({ data: new Float64Array(T * 3) as unknown as Float32Array, shape: [T, 3] }, y), 'BAD_ARGUMENT', /Float32Array/],
      ['predict: NaN input', () => esn.predict(nan(u, 0)), 'NOT_FINITE', /inputs/],
      ['predict: NaN state', () => esn.predict(u, { state: nan({ data: new Float32Array(20), shape: [20] }, 4) }), 'NOT_FINITE', /state/],
      ['predict: empty', () => esn.predict({ data: new Float32Array(0), shape: [0, 3] }), 'BAD_ARGUMENT', /inputs/],
      ['states: width', () => esn.states({ data: new Float32Array(T * 4), shape: [T, 4] }), 'SHAPE_MISMATCH', /inputs/],
      ['loadReadout: shape', () => esn.loadReadout({ weight: new Float32Array(40), bias: new Float32Array(3) }), 'SHAPE_MISMATCH', /bias/],
      ['loadReadout: NaN', () => esn.loadReadout({ weight: nan(dict.weight_out, 1), bias: dict.bias_out }), 'NOT_FINITE', /weight/],
      ['loadStateDict: unknown key', () => esn.loadStateDict({ ...dict, extra: dict.bias }), 'BAD_ARGUMENT', /extra/],
      ['loadStateDict: missing key', () => { const { bias: _, ...rest } = dict; esn.loadStateDict(rest); }, 'BAD_ARGUMENT', /bias/],
      ['loadStateDict: shape', () => esn.loadStateDict({ ...dict, weight_res: { data: dict.weight_res.data, shape: [40, 10] } }), 'SHAPE_MISMATCH', /weight_res/],
      ['stream: batch 0', () => esn.stream(0), 'BAD_ARGUMENT', /batch/],
      ['stream.step: size', () => esn.stream(2).step(new Float32Array(3)), 'SHAPE_MISMATCH', /u/],
      ['stream.step: NaN', () => esn.stream(1).step(new Float32Array([0, NaN, 0])), 'NOT_FINITE', /u/],
      ['stream.setState: shape', () => esn.stream(1).setState({ data: new Float32Array(20), shape: [20] }), 'SHAPE_MISMATCH', /state/],
    ];
    for (const [name, fn, code, message] of cases) {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err, name).toBeInstanceOf(RnnError);
      expect((err as RnnError).code, name).toBe(code);
      expect((err as RnnError).message, name).toMatch(message);
    }
    expect(esn.predict(u).data).toEqual(before);
    expect(esn.stateDict()).toEqual(dict);
    // ridge 0 with more features than rows: singular, rejected, the readout kept
    const exact = new EchoStateNetwork({ ...small, ridge: 0 });
    exact.loadReadout(esn.readout());
    const kept = exact.predict(u).data;
    expect(codeOf(() => exact.fit(u, y))).toBe('BAD_ARGUMENT');
    expect(exact.predict(u).data).toEqual(kept);
    exact.dispose();
    esn.dispose();
  });

  test('after dispose every call throws DISPOSED, streams included', () => {
    const esn = new EchoStateNetwork(small);
    const s = esn.stream(1), u = { data: new Float32Array(6), shape: [2, 3] };
    esn.dispose();
    esn.dispose(); // twice is fine
    const calls: (() => unknown)[] = [
      () => esn.fit(u, { data: new Float32Array(4), shape: [2, 2] }), () => esn.predict(u), () => esn.states(u),
      () => esn.stream(), () => esn.readout(), () => esn.loadReadout({ weight: new Float32Array(40), bias: new Float32Array(2) }),
      () => esn.stateDict(), () => esn.loadStateDict({}), () => esn.memoryBytes(), () => esn.config(),
      () => s.step(new Float32Array(3)), () => s.state(), () => s.setState(), () => s.reset(),
    ];
    for (const call of calls) expect(codeOf(call)).toBe('DISPOSED');
  });

  test('datasets: seeded, shaped, bounded; bad arguments rejected', () => {
    const a = narma10(500, 7), b = narma10(500, 7), c = narma10(500, 8);
    expect(a.inputs.shape).toEqual([500, 1]);
    expect(a.targets.data).toEqual(b.targets.data);
    expect(a.targets.data).not.toEqual(c.targets.data);
    expect(Math.min(...a.inputs.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.inputs.data)).toBeLessThan(0.5);
    expect(Math.min(...a.targets.data)).toBeGreaterThan(0);
    expect(Math.max(...a.targets.data)).toBeLessThan(2);
    // the recursion holds on the returned window: y(t+1) from y(t-9..t), u(t-9), u(t)
    const u = a.inputs.data, y = (t: number) => a.targets.data[t - 1];
    for (let t = 20; t < 499; t++) {
      let s = 0;
      for (let i = 0; i < 10; i++) s += y(t - i);
      expect(Math.abs(y(t + 1) - (0.3 * y(t) + 0.05 * y(t) * s + 1.5 * u[t - 9] * u[t] + 0.1))).toBeLessThan(1e-6);
    }
    const mg = mackeyGlass(300, { horizon: 2 });
    expect(mg.targets.data.subarray(0, 298)).toEqual(mg.inputs.data.subarray(2));
    expect(Math.min(...mg.inputs.data)).toBeGreaterThan(0.2);
    expect(Math.max(...mg.inputs.data)).toBeLessThan(1.5);
    expect(codeOf(() => narma10(0))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => narma10(10, 1.5))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => mackeyGlass(10, { dt: 0.3 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => mackeyGlass(10, { tau: -1 }))).toBe('BAD_ARGUMENT');
  });
});
