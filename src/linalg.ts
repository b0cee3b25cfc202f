/**
 * Small float64 linear algebra in plain TypeScript, for the echo state network (esn.ts):
 *
 *   eigenvalues(a, n)        all eigenvalues of a dense real n x n matrix: Householder
 *                            reduction to Hessenberg form, then Francis double-shift QR
 *                            (eigenvalues only, no Schur vectors). O(10 n^3); exact to rounding
 *                            for well-conditioned eigenvalues. Meant for n up to a few hundred.
 *   spectralRadius(m)        max |eigenvalue| of a sparse real matrix by subspace iteration
 *                            with Rayleigh-Ritz (see the accuracy note on the function).
 *   syrkUpperAcc / gemmTnAcc G += A^T A (upper triangle) and C += A^T Y: the normal equations
 *                            of ridge regression, accumulated in float64.
 *   choleskySolve(a, n, b)   solves A X = B for symmetric positive definite A (upper triangle
 *                            read), X overwriting B.
 *
 * Every matrix is row-major in a Float64Array; a[i * n + j] is row i, column j.
 * see: G. H. Golub, C. F. Van Loan, Matrix Computations (4th ed.), sections 7.4 (Hessenberg
 * QR, the Francis double shift) and 7.3 (subspace iteration); 4.2 (Cholesky).
 */
import { RnnError } from './errors.js';
import { Random } from './random.js';

const EPS = 2 ** -52;

/** A square sparse matrix in compressed sparse row form: row i holds
 *  values[rowPtr[i] .. rowPtr[i + 1]) at columns colIdx[same range]. */
export interface SparseMatrix {
  n: number;
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float64Array;
}

/** The nonzeros of a dense row-major n x n matrix as a SparseMatrix. */
export function sparseFromDense(a: ArrayLike<number>, n: number): SparseMatrix {
  const rowPtr = new Int32Array(n + 1), cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j];
      if (v !== 0) { cols.push(j); vals.push(v); }
    }
    rowPtr[i + 1] = cols.length;
  }
  return { n, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
}

function sparseToDense(m: SparseMatrix): Float64Array {
  const a = new Float64Array(m.n * m.n);
  for (let i = 0; i < m.n; i++) {
    for (let k = m.rowPtr[i]; k < m.rowPtr[i + 1]; k++) a[i * m.n + m.colIdx[k]] = m.values[k];
  }
  return a;
}

// Householder reflector P = I - beta v v^T with P w = (-sign(w0) ||w||) e1; v written over w.
// Returns beta (0 when w is already zero: P = I).
function reflector(w: Float64Array, m: number): number {
  let norm = 0;
  for (let i = 0; i < m; i++) norm = Math.hypot(norm, w[i]);
  if (norm === 0) return 0;
  const alpha = w[0] >= 0 ? -norm : norm;
  w[0] -= alpha;
  let vv = 0;
  for (let i = 0; i < m; i++) vv += w[i] * w[i];
  return vv === 0 ? 0 : 2 / vv;
}

// Rows r..r+m-1 of h (columns c0..c1) := P times them.
function applyLeft(h: Float64Array, n: number, v: Float64Array, m: number, beta: number, r: number, c0: number, c1: number): void {
  for (let j = c0; j <= c1; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += v[i] * h[(r + i) * n + j];
    s *= beta;
    for (let i = 0; i < m; i++) h[(r + i) * n + j] -= s * v[i];
  }
}

// Columns r..r+m-1 of h (rows r0..r1) := them times P.
function applyRight(h: Float64Array, n: number, v: Float64Array, m: number, beta: number, r: number, r0: number, r1: number): void {
  for (let i = r0; i <= r1; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += h[i * n + r + j] * v[j];
    s *= beta;
    for (let j = 0; j < m; j++) h[i * n + r + j] -= s * v[j];
  }
}

/**
 * All eigenvalues of the dense real n x n matrix `a` (row-major; not modified), as real and
 * imaginary parts; complex ones come in conjugate pairs. Throws BAD_ARGUMENT for non-finite
 * entries, and in the (never observed) case that QR does not converge in 40 n sweeps.
 */
export function eigenvalues(a: ArrayLike<number>, n: number): { re: Float64Array; im: Float64Array } {
  const h = Float64Array.from({ length: n * n }, (_, i) => a[i]);
  let scale = 0;
  for (let i = 0; i < h.length; i++) {
    if (!Number.isFinite(h[i])) throw new RnnError('BAD_ARGUMENT', `eigenvalues: the matrix must be finite, got ${h[i]} at index ${i}`);
    scale = Math.max(scale, Math.abs(h[i]));
  }
  const re = new Float64Array(n), im = new Float64Array(n), v = new Float64Array(Math.max(n, 3));
  // Hessenberg: zero column k below the subdiagonal with a reflector on rows/columns k+1..n-1.
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    for (let i = 0; i < m; i++) v[i] = h[(k + 1 + i) * n + k];
    const beta = reflector(v, m);
    if (beta === 0) continue;
    applyLeft(h, n, v, m, beta, k + 1, k, n - 1);
    applyRight(h, n, v, m, beta, k + 1, 0, n - 1);
    for (let i = k + 2; i < n; i++) h[i * n + k] = 0;
  }
  // Francis double-shift QR on the active window [lo, hi]; only the window is transformed,
  // which is enough for eigenvalues (the blocks outside it keep theirs).
  let hi = n - 1, iter = 0, total = 0;
  const H = (i: number, j: number) => h[i * n + j];
  while (hi >= 0) {
    let lo = hi;
    for (; lo > 0; lo--) {
      const s = Math.abs(H(lo - 1, lo - 1)) + Math.abs(H(lo, lo)) || scale;
      if (Math.abs(H(lo, lo - 1)) <= EPS * s) { h[lo * n + lo - 1] = 0; break; }
    }
    if (lo === hi) { re[hi] = H(hi, hi); im[hi] = 0; hi -= 1; iter = 0; continue; }
    if (lo === hi - 1) {
      const p = H(hi - 1, hi - 1), q = H(hi - 1, hi), r = H(hi, hi - 1), s = H(hi, hi);
      const mean = (p + s) / 2, half = (p - s) / 2, disc = half * half + q * r;
      if (disc >= 0) {
        // the root of larger modulus first, the other from the determinant (no cancellation)
        const big = mean + (mean >= 0 ? 1 : -1) * Math.sqrt(disc), det = p * s - q * r;
        re[hi - 1] = big; re[hi] = big !== 0 ? det / big : 0; im[hi - 1] = im[hi] = 0;
      } else {
        const w = Math.sqrt(-disc);
        re[hi - 1] = re[hi] = mean; im[hi - 1] = w; im[hi] = -w;
      }
      hi -= 2; iter = 0; continue;
    }
    if (++total > 40 * n) throw new RnnError('BAD_ARGUMENT', `eigenvalues: the QR iteration did not converge (n = ${n})`);
    iter++;
    // Shifts: the eigenvalues of the trailing 2 x 2 block (their sum and product), or an
    // ad hoc pair every 10 sweeps without deflation, to break cycles.
    let sum: number, prod: number;
    if (iter % 10 === 0) {
      const w = Math.abs(H(hi, hi - 1)) + Math.abs(H(hi - 1, hi - 2));
      sum = 1.5 * w; prod = w * w;
    } else {
      sum = H(hi - 1, hi - 1) + H(hi, hi);
      prod = H(hi - 1, hi - 1) * H(hi, hi) - H(hi - 1, hi) * H(hi, hi - 1);
    }
    // First column of (H - s1 I)(H - s2 I), then chase the bulge down the window.
    let x = H(lo, lo) * H(lo, lo) + H(lo, lo + 1) * H(lo + 1, lo) - sum * H(lo, lo) + prod;
    let y = H(lo + 1, lo) * (H(lo, lo) + H(lo + 1, lo + 1) - sum);
    let z = H(lo + 1, lo) * H(lo + 2, lo + 1);
    for (let k = lo; k <= hi - 2; k++) {
      v[0] = x; v[1] = y; v[2] = z;
      const beta = reflector(v, 3);
      if (beta !== 0) {
        const c0 = Math.max(lo, k - 1);
        applyLeft(h, n, v, 3, beta, k, c0, hi);
        applyRight(h, n, v, 3, beta, k, lo, Math.min(k + 3, hi));
        if (k > lo) { h[(k + 1) * n + k - 1] = 0; h[(k + 2) * n + k - 1] = 0; }
      }
      x = H(k + 1, k); y = H(k + 2, k);
      if (k < hi - 2) z = H(k + 3, k);
    }
    v[0] = x; v[1] = y;
    const beta = reflector(v, 2);
    if (beta !== 0) {
      applyLeft(h, n, v, 2, beta, hi - 1, hi - 2, hi);
      applyRight(h, n, v, 2, beta, hi - 1, lo, hi);
      h[hi * n + hi - 2] = 0;
    }
  }
  return { re, im };
}

function maxModulus(e: { re: Float64Array; im: Float64Array }): number {
  let r = 0;
  for (let i = 0; i < e.re.length; i++) r = Math.max(r, Math.hypot(e.re[i], e.im[i]));
  return r;
}

/** Width of the block in subspace iteration: enough that a dominant complex pair, and a few
 *  eigenvalues of nearly equal modulus (common in random reservoirs), fit inside it. */
const BLOCK = 8;

/**
 * Spectral radius (largest |eigenvalue|) of a square sparse matrix. n <= exactUpTo (default
 * 128, where QR is cheap): exactly, by eigenvalues(). Otherwise subspace iteration: Q (n x 8, orthonormal) <- orth(A Q), and every
 * 10 iterations the Ritz values, the eigenvalues of the 8 x 8 matrix Q^T A Q. The block holds
 * a complex dominant pair (which defeats single-vector power iteration: W^k v rotates and its
 * Rayleigh quotient never settles) and converges at the rate |lambda_9| / |lambda_1| per
 * iteration, much faster than power iteration's |lambda_2| / |lambda_1| when the leading
 * moduli crowd together, as they do in random matrices (circular law).
 *
 * Accuracy: stops when the estimate moves by less than `tol` (relative, default 1e-10) over
 * 10 iterations, or after `maxIter` (default 5000) iterations. On random sparse reservoirs of
 * 50 to 1000 units it agrees with the exact eigenvalues to about 1e-9 relative (worst seen
 * 3e-9; test/esn.test.ts checks 1e-7 against QR, and exact answers for rotations, diagonals
 * and a near tie). Cost: 8 sparse products and an 8-column Gram-Schmidt per iteration; a few
 * hundred iterations for random reservoirs (about 0.1 s at n = 300, density 0.1; seconds at
 * n = 1000). A matrix whose 9 leading moduli are within a hair of each other may stop at
 * maxIter with a relative error of about (|lambda_9| / |lambda_1|)^maxIter.
 */
export function spectralRadius(m: SparseMatrix, opts: { tol?: number; maxIter?: number; exactUpTo?: number } = {}): number {
  const n = m.n, tol = opts.tol ?? 1e-10, maxIter = opts.maxIter ?? 5000;
  if (n <= Math.max(BLOCK, opts.exactUpTo ?? 128)) return maxModulus(eigenvalues(sparseToDense(m), n));
  const p = BLOCK, random = new Random(0x5eed);
  let q = new Float64Array(n * p), z = new Float64Array(n * p);
  for (let i = 0; i < q.length; i++) q[i] = 2 * random.nextUnit() - 1;
  orthonormalize(q, n, p, random);
  const ritz = new Float64Array(p * p);
  let last = NaN;
  for (let it = 1; it <= maxIter; it++) {
    multiplyBlock(z, m, q);
    if (it % 10 === 0 || it === maxIter) {
      // Q^T A Q, with A Q already in z
      for (let a = 0; a < p; a++) {
        for (let b = 0; b < p; b++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += q[i * p + a] * z[i * p + b];
          ritz[a * p + b] = s;
        }
      }
      const rho = maxModulus(eigenvalues(ritz, p));
      if (Math.abs(rho - last) <= tol * rho || rho === 0) return rho;
      last = rho;
    }
    [q, z] = [z, q];
    orthonormalize(q, n, p, random);
  }
  return last;
}

// z (n x p) = A q.
function multiplyBlock(z: Float64Array, m: SparseMatrix, q: Float64Array): void {
  const { n, rowPtr, colIdx, values } = m;
  for (let i = 0; i < n; i++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
      const v = values[k], c = colIdx[k] * 8;
      s0 += v * q[c]; s1 += v * q[c + 1]; s2 += v * q[c + 2]; s3 += v * q[c + 3];
      s4 += v * q[c + 4]; s5 += v * q[c + 5]; s6 += v * q[c + 6]; s7 += v * q[c + 7];
    }
    const o = i * 8;
    z[o] = s0; z[o + 1] = s1; z[o + 2] = s2; z[o + 3] = s3;
    z[o + 4] = s4; z[o + 5] = s5; z[o + 6] = s6; z[o + 7] = s7;
  }
}

// Modified Gram-Schmidt on the p columns of q (n x p), each pass done twice ("twice is
// enough"); a column that vanishes (A annihilated it) is replaced by a fresh random one.
function orthonormalize(q: Float64Array, n: number, p: number, random: Random): void {
  for (let c = 0; c < p; c++) {
    for (let attempt = 0; ; attempt++) {
      let before = 0;
      for (let i = 0; i < n; i++) before += q[i * p + c] * q[i * p + c];
      for (let pass = 0; pass < 2; pass++) {
        for (let d = 0; d < c; d++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += q[i * p + d] * q[i * p + c];
          for (let i = 0; i < n; i++) q[i * p + c] -= s * q[i * p + d];
        }
      }
      let after = 0;
      for (let i = 0; i < n; i++) after += q[i * p + c] * q[i * p + c];
      if (after > 1e-20 * before && after > 0) {
        const inv = 1 / Math.sqrt(after);
        for (let i = 0; i < n; i++) q[i * p + c] *= inv;
        break;
      }
      if (attempt > 20) throw new RnnError('BAD_ARGUMENT', 'spectralRadius: could not build an orthonormal block');
      for (let i = 0; i < n; i++) q[i * p + c] = 2 * random.nextUnit() - 1;
    }
  }
}

/**
 * g (f x f, upper triangle j >= i) += a^T a for a (rows x f): four rows of a per pass over g,
 * two rows of g at a time, so each load of a feeds two sums (faster in V8 than one row;
 * every entry still adds its four products in row order, so results do not depend on it).
 */
export function syrkUpperAcc(g: Float64Array, a: Float64Array, rows: number, f: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o0 = r * f, o1 = o0 + f, o2 = o1 + f, o3 = o2 + f;
    let i = 0;
    for (; i + 2 <= f; i += 2) {
      const a0 = a[o0 + i], a1 = a[o1 + i], a2 = a[o2 + i], a3 = a[o3 + i], gi = i * f;
      const b0 = a[o0 + i + 1], b1 = a[o1 + i + 1], b2 = a[o2 + i + 1], b3 = a[o3 + i + 1], gk = gi + f;
      g[gi + i] += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
      for (let j = i + 1; j < f; j++) {
        const x0 = a[o0 + j], x1 = a[o1 + j], x2 = a[o2 + j], x3 = a[o3 + j];
        g[gi + j] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
        g[gk + j] += b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
      }
    }
    for (; i < f; i++) {
      const a0 = a[o0 + i], a1 = a[o1 + i], a2 = a[o2 + i], a3 = a[o3 + i], gi = i * f;
      for (let j = i; j < f; j++) g[gi + j] += a0 * a[o0 + j] + a1 * a[o1 + j] + a2 * a[o2 + j] + a3 * a[o3 + j];
    }
  }
  for (; r < rows; r++) {
    const o = r * f;
    for (let i = 0; i < f; i++) {
      const ai = a[o + i], gi = i * f;
      for (let j = i; j < f; j++) g[gi + j] += ai * a[o + j];
    }
  }
}

/** c (f x m) += a^T y for a (rows x f), y (rows x m). */
export function gemmTnAcc(c: Float64Array, a: Float64Array, y: Float64Array, rows: number, f: number, m: number): void {
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < f; i++) {
      const ai = a[r * f + i];
      if (ai === 0) continue;
      for (let o = 0; o < m; o++) c[i * m + o] += ai * y[r * m + o];
    }
  }
}

/**
 * Solves A X = B for symmetric positive definite A (n x n; only the upper triangle j >= i is
 * read, and it is overwritten by the Cholesky factor U, A = U^T U) and B (n x m, overwritten
 * by X). Returns false, with B unchanged, when A is not numerically positive definite: a
 * pivot at or below n eps max_i A_ii, the size rounding gives a pivot of an exactly singular
 * positive semi-definite matrix.
 */
export function choleskySolve(a: Float64Array, n: number, b: Float64Array, m: number): boolean {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a[i * n + i]);
  const floor = n * EPS * maxDiag;
  // Right-looking factorisation: row i of U, then the trailing upper triangle updated by it.
  for (let i = 0; i < n; i++) {
    const d = a[i * n + i];
    if (!(d > floor) || !Number.isFinite(d)) return false;
    const uii = Math.sqrt(d);
    a[i * n + i] = uii;
    for (let j = i + 1; j < n; j++) a[i * n + j] /= uii;
    for (let k = i + 1; k < n; k++) {
      const uik = a[i * n + k];
      if (uik === 0) continue;
      for (let j = k; j < n; j++) a[k * n + j] -= uik * a[i * n + j];
    }
  }
  // U^T Z = B (forward), then U X = Z (backward).
  for (let i = 0; i < n; i++) {
    const inv = 1 / a[i * n + i];
    for (let o = 0; o < m; o++) b[i * m + o] *= inv;
    for (let j = i + 1; j < n; j++) {
      const uij = a[i * n + j];
      if (uij !== 0) for (let o = 0; o < m; o++) b[j * m + o] -= uij * b[i * m + o];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = i + 1; j < n; j++) {
      const uij = a[i * n + j];
      if (uij !== 0) for (let o = 0; o < m; o++) b[i * m + o] -= uij * b[j * m + o];
    }
    const inv = 1 / a[i * n + i];
    for (let o = 0; o < m; o++) b[i * m + o] *= inv;
  }
  return true;
}
