/**
 * Weight initialisers: each fills a PyTorch-layout matrix W (Float32Array, row-major
 * [rows, cols], rows = out features, cols = in features) from the seeded generator of
 * random.ts, and returns it. Same distributions as torch.nn.init, not the same numbers: our
 * generator is not PyTorch's.
 *
 *   uniformInit     W ~ U[-bound, bound)          PyTorch's RNN/LSTM/GRU default: bound = 1/sqrt(H)
 *   xavierUniform   W ~ U[-a, a),  a = gain sqrt(6 / (fan_in + fan_out))    xavier_uniform_
 *   xavierNormal    W ~ N(0, s^2), s = gain sqrt(2 / (fan_in + fan_out))    xavier_normal_
 *   orthogonal      W = gain Q,  G = Q R (G Gaussian), Q's columns times sign(diag R);
 *                   rows < cols: the same on G^T, then transposed           orthogonal_
 *   orthogonalBlocks each gate's [H, cols] block of a [gates H, cols] matrix orthogonal alone
 *   identityInit    W = scale I (ones on the main diagonal when not square)  eye_, IRNN
 *
 * fan_in = cols, fan_out = rows (torch's _calculate_fan_in_and_fan_out for 2-D weights).
 * Gated layers stack their gates' rows: gate g of a [gates H, cols] matrix is the contiguous
 * `values.subarray(g H cols, (g + 1) H cols)`, so any initialiser applies per gate through
 * such a subarray (identityInit per gate block for an IRNN-style LSTM, for example).
 *
 * orthogonal: QR by Householder reflections, 2 (4/3) n^3 flops for n x n (factor, then form
 * Q), the reflections applied in blocks with f32 matrix products (compact WY:
 * H_1 ... H_b = I - V T V^T, Schreiber & Van Loan 1989; T as LAPACK's dlarft): narrow panels
 * are factored in float64 JS, their reflectors rounded to f32 with tau recomputed from the
 * rounded vector (so each H_i is orthogonal for the V the products use), and the rest of
 * the matrix and, from the last block back, Q are updated by three products per block (see
 * orthonormalBlocked); max |Q^T Q - I| about 5e-7 at 512 x 512. After init() the products
 * are the wasm kernels; before init() their JS twins (gemm-twin.ts), bit for bit those of the
 * build init() picks by default, so a seed gives the same matrix before and after a default
 * init() (the twins are some 40 times slower). The baseline build gives the same numbers on every
 * runtime; the relaxed build may fuse multiply-adds, and so differ from it, by machine.
 */
import { getBackend, type Backend } from '../backend.js';
import { RnnError, describe } from '../errors.js';
import { addresses, entry, f32Bytes, f32Index, planLayout, type Layout } from '../layout.js';
import { Random } from '../random.js';
import { defaultBuildFuses, gemmTwins, type QrKernels } from './gemm-twin.js';
import type { ParamInfo, Spec } from './spec.js';

// ---- checks --------------------------------------------------------------------------

function checkMatrix(what: string, values: unknown, rows: number, cols: number): asserts values is Float32Array {
  for (const [name, n] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new RnnError('BAD_ARGUMENT', `${what}: ${name} must be a positive integer, got ${describe(n)}`);
    }
  }
  if (!(values instanceof Float32Array)) {
    throw new RnnError('BAD_ARGUMENT', `${what}: values must be a Float32Array, got ${describe(values)}`);
  }
  if (values.length !== rows * cols) {
    throw new RnnError('BAD_ARGUMENT', `${what}: values must hold rows * cols = ${rows} * ${cols} = ${rows * cols} floats, got ${values.length}`);
  }
}

function checkScale(what: string, name: string, x: unknown, allowNegative = false): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || (!allowNegative && x < 0)) {
    throw new RnnError('BAD_ARGUMENT', `${what}: ${name} must be a finite number${allowNegative ? '' : ' >= 0'}, got ${describe(x)}`);
  }
}

function checkRandom(what: string, random: unknown): void {
  if (!(random instanceof Random)) throw new RnnError('BAD_ARGUMENT', `${what}: random must be a Random (new Random(seed)), got ${describe(random)}`);
}

// ---- uniform, Xavier, identity -------------------------------------------------------

/** values ~ U[-bound, bound). PyTorch's RNN/LSTM/GRU default is bound = 1/sqrt(hiddenSize). */
export function uniformInit(values: Float32Array, bound: number, random: Random): Float32Array {
  if (!(values instanceof Float32Array)) {
    throw new RnnError('BAD_ARGUMENT', `uniformInit: values must be a Float32Array, got ${describe(values)}`);
  }
  checkScale('uniformInit', 'bound', bound);
  checkRandom('uniformInit', random);
  random.fillUniform(values, bound);
  return values;
}

/** torch.nn.init.xavier_uniform_: U[-a, a), a = gain sqrt(6 / (rows + cols)). */
export function xavierUniform(values: Float32Array, rows: number, cols: number, random: Random, gain = 1): Float32Array {
  checkMatrix('xavierUniform', values, rows, cols);
  checkScale('xavierUniform', 'gain', gain);
  checkRandom('xavierUniform', random);
  random.fillUniform(values, gain * Math.sqrt(6 / (rows + cols)));
  return values;
}

/** torch.nn.init.xavier_normal_: N(0, s^2), s = gain sqrt(2 / (rows + cols)). */
export function xavierNormal(values: Float32Array, rows: number, cols: number, random: Random, gain = 1): Float32Array {
  checkMatrix('xavierNormal', values, rows, cols);
  checkScale('xavierNormal', 'gain', gain);
  checkRandom('xavierNormal', random);
  const std = gain * Math.sqrt(2 / (rows + cols));
  random.fillNormal(values, std);
  return values;
}

/** scale * I; when not square, ones on the main diagonal and zeros elsewhere (torch's eye_). */
export function identityInit(values: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  checkMatrix('identityInit', values, rows, cols);
  checkScale('identityInit', 'scale', scale, true);
  values.fill(0);
  for (let i = 0, n = Math.min(rows, cols); i < n; i++) values[i * cols + i] = scale;
  return values;
}

// ---- orthogonal ----------------------------------------------------------------------

/**
 * torch.nn.init.orthogonal_ on a [rows, cols] matrix: rows >= cols gives orthonormal
 * columns (W^T W = gain^2 I), rows < cols orthonormal rows (W W^T = gain^2 I). The Gaussian
 * is drawn row by row in the layout of `values`, as torch fills it. On an LSTM's [4H, H]
 * recurrent weights this makes the 4H x H matrix as a whole have orthonormal columns (so
 * does Keras' recurrent_initializer='orthogonal' on its [H, 4H] kernel), and each gate's
 * block alone is not orthogonal; orthogonalBlocks makes each block orthogonal.
 */
export function orthogonal(values: Float32Array, rows: number, cols: number, random: Random, gain = 1): Float32Array {
  checkMatrix('orthogonal', values, rows, cols);
  checkScale('orthogonal', 'gain', gain);
  checkRandom('orthogonal', random);
  const tall = rows >= cols, m = tall ? rows : cols, n = tall ? cols : rows;
  // a: [m, n] row-major, the Gaussian (transposed when wide)
  const g = new Float32Array(m * n);
  random.fillNormal(g);
  let a = g;
  if (!tall) {
    a = new Float32Array(m * n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * n + i] = g[i * cols + j];
  }
  const q = orthonormalColumns(a, m, n, currentBackend());
  if (tall) {
    for (let i = 0; i < q.length; i++) values[i] = gain * q[i];
  } else {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) values[i * cols + j] = gain * q[j * n + i];
  }
  return values;
}

/**
 * A [gates * H, cols] matrix whose every gate block (rows g H .. (g + 1) H - 1) is
 * orthogonal(block, H, cols) on its own, blocks drawn in order g = 0, 1, ...: each gate's
 * recurrent map W_g (H x H when cols = H) preserves norms. Not what PyTorch's orthogonal_
 * or Keras' 'orthogonal' give for stacked gates (see orthogonal).
 */
export function orthogonalBlocks(values: Float32Array, gates: number, H: number, cols: number, random: Random, gain = 1): Float32Array {
  if (!Number.isSafeInteger(gates) || gates < 1) {
    throw new RnnError('BAD_ARGUMENT', `orthogonalBlocks: gates must be a positive integer, got ${describe(gates)}`);
  }
  if (!Number.isSafeInteger(H) || H < 1) {
    throw new RnnError('BAD_ARGUMENT', `orthogonalBlocks: H must be a positive integer, got ${describe(H)}`);
  }
  checkMatrix('orthogonalBlocks', values, gates * H, cols);
  checkScale('orthogonalBlocks', 'gain', gain);
  checkRandom('orthogonalBlocks', random);
  for (let g = 0; g < gates; g++) orthogonal(values.subarray(g * H * cols, (g + 1) * H * cols), H, cols, random, gain);
  return values;
}

function currentBackend(): Backend | null {
  try {
    return getBackend('orthogonal');
  } catch {
    return null; // before init(): the JS twins of the products
  }
}

/**
 * @internal The Q of a = Q R (a: [m, n] row-major, m >= n) with Q's columns multiplied by
 * sign(diag R) (+1 where R_jj = 0), as [m, n] row-major: blocked on the backend's kernels,
 * or with null on their JS twins as the build init() picks by default would round.
 */
export function orthonormalColumns(a: Float32Array, m: number, n: number, backend: Backend | null): Float32Array {
  if (!backend) return orthonormalTwin(a, m, n, defaultBuildFuses());
  const layout = qrLayout(m, n), region = backend.arena.alloc(layout.bytes, 'orthogonal scratch');
  try {
    // arena.f32 stays valid throughout: nothing in the QR grows memory
    return orthonormalBlocked(a, m, n, layout, backend.kernels, backend.arena.f32, region.ptr);
  } finally {
    backend.arena.free(region);
  }
}

/** @internal orthonormalColumns on the JS twins: `fused` as the relaxed build on a machine with FMA. */
export function orthonormalTwin(a: Float32Array, m: number, n: number, fused: boolean): Float32Array {
  const layout = qrLayout(m, n), heap = new Float32Array(f32Index(layout.bytes));
  return orthonormalBlocked(a, m, n, layout, gemmTwins(heap, fused), heap, 0);
}

// Panel widths. The trailing and Q updates (K = NB) run on the wasm GEMMs, which need
// NB >= 16 to reach their speed; a panel of NB is factored as panels of NB_INNER in JS
// (float64, m n NB_INNER flops in all) with wasm updates in between. At 512 x 512 the pairs
// 16/16 to 48/8 time alike and 64/8 and wider are slower (npm run bench:orthogonal).
const NB = 32, NB_INNER = 8;

/**
 * dgeqr2 on a panel p: [h, b] column-major (column j at j h), float64. On return column j
 * holds v_j (v_j[j] = 1, zeros above), tau[j] and sign[j] = sign(R_jj). With `round`, v_j
 * is rounded to f32 and tau_j = 2 / |v_j|^2 recomputed, so H_j = I - tau_j v_j v_j^T is
 * orthogonal for the f32 v_j the wasm products see. Below-diagonal part zero: H_j = I,
 * tau_j = 0 (LAPACK's dlarfg).
 */
function panelQR(p: Float64Array, h: number, b: number, tau: Float64Array, sign: Float64Array, round: boolean): void {
  for (let j = 0; j < b; j++) {
    const cj = j * h, end = cj + h;
    let s = 0;
    for (let i = cj + j + 1; i < end; i++) s += p[i] * p[i];
    const alpha = p[cj + j];
    for (let i = cj; i < cj + j; i++) p[i] = 0; // R's part above the diagonal: not kept
    p[cj + j] = 1;
    if (s === 0) {
      tau[j] = 0;
      sign[j] = alpha < 0 ? -1 : 1;
      continue;
    }
    const beta = alpha >= 0 ? -Math.sqrt(alpha * alpha + s) : Math.sqrt(alpha * alpha + s);
    sign[j] = beta < 0 ? -1 : 1;
    const scale = 1 / (alpha - beta);
    let vv = 1;
    for (let i = cj + j + 1; i < end; i++) {
      const v = round ? Math.fround(p[i] * scale) : p[i] * scale;
      p[i] = v;
      vv += v * v;
    }
    const t = (tau[j] = round ? 2 / vv : (beta - alpha) / beta);
    // the panel's later columns: p_l -= t (v . p_l) v, over rows j..h-1
    for (let l = j + 1; l < b; l++) {
      const d = (l - j) * h;
      let dot = 0;
      for (let i = cj + j; i < end; i++) dot += p[i] * p[i + d];
      dot *= t;
      for (let i = cj + j; i < end; i++) p[i + d] -= dot * p[i];
    }
  }
}

/**
 * @internal The float64 reference of orthonormalColumns (tests, benchmark): unblocked QR,
 * then Q = H_1 ... H_n [I; 0] from the last reflector back.
 */
export function orthonormalReference(a: Float32Array, m: number, n: number): Float64Array {
  const p = new Float64Array(m * n), tau = new Float64Array(n), sign = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) p[j * m + i] = a[i * n + j];
  panelQR(p, m, n, tau, sign, false);
  const q = new Float64Array(m * n); // column-major [m, n], starting as [D; 0] (see orthonormalBlocked)
  for (let j = 0; j < n; j++) q[j * m + j] = sign[j];
  for (let k = n - 1; k >= 0; k--) {
    const ck = k * m, t = tau[k];
    if (t === 0) continue;
    for (let j = k; j < n; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += p[ck + i] * q[cj + i];
      dot *= t;
      for (let i = k; i < m; i++) q[cj + i] -= dot * p[ck + i];
    }
  }
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = q[j * m + i];
  return out;
}

/**
 * T (b x b upper, row-major) with H_0 ... H_{b-1} = I - V T V^T, from tau and S = V^T V:
 * T_ii = tau_i, T[0:i, i] = -tau_i T[0:i, 0:i] S[0:i, i] (LAPACK's dlarft, forward,
 * columnwise).
 */
function blockT(t: Float64Array, s: Float32Array, sOff: number, tau: Float64Array, b: number): void {
  t.fill(0);
  const z = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    t[i * b + i] = tau[i];
    for (let r = 0; r < i; r++) z[r] = -tau[i] * s[sOff + r * b + i];
    for (let r = 0; r < i; r++) {
      let acc = 0;
      for (let c = r; c < i; c++) acc += t[r * b + c] * z[c];
      t[r * b + i] = acc;
    }
  }
}

// The QR's scratch (row-major f32), placed in an arena region or in a JS heap for the twins.
function qrLayout(m: number, n: number): Layout {
  return planLayout([
    { name: 'A', shape: [m, n], comment: 'the matrix; after the factorisation, Q' },
    { name: 'V', shape: [m, n], comment: 'reflectors, those of the block at k0 in V[k0:, k0:k0+b] (unit diagonal, zeros above)' },
    { name: 'M', shape: [NB, NB], comment: '-T^T (factorising: H^T = I - V T^T V^T) or -T (forming Q) of one block' },
    { name: 'S', shape: [NB, NB], comment: 'V^T V of one block' },
    { name: 'W', shape: [NB, n], comment: 'V^T X' },
    { name: 'W2', shape: [NB, n], comment: 'M (V^T X)' },
  ]);
}

/**
 * Blocked QR on the products `k`, with `heap` the memory they work on and the scratch
 * (qrLayout) at byte address `base`. A block of NB columns is factored as panels of NB_INNER
 * (JS), each panel's H^T applied to the block's columns right of it; then the block's H^T is
 * applied to all columns right of the block: X += V (M (V^T X)). Q = H_1 ... H_n [I; 0] is
 * formed by the same update on X = Q[k0:, k0:], last block first.
 */
function orthonormalBlocked(a: Float32Array, m: number, n: number, layout: Layout, k: QrKernels,
                            f: Float32Array, base: number): Float32Array {
  const slot = addresses(layout, base), A = slot('A'), V = slot('V'), M = slot('M'), S = slot('S');
  const W = slot('W'), W2 = slot('W2'), row = layout.slots.get('A')!.stride; // A and V: [m, n]
  const at = (matrix: number, i: number, j: number) => entry(matrix, row, i) + f32Bytes(j);
  f.set(a, f32Index(A));
  const panels: { k0: number; b: number; T: Float64Array }[] = [];
  const sign = new Float64Array(n), tau = new Float64Array(n);
  const p = new Float64Array(m * NB_INNER);
  // S = V^T V and T of the b reflectors from column k0 (tau from k0 on)
  const panelT = (k0: number, b: number, h: number): Float64Array => {
    f.fill(0, f32Index(S), f32Index(S) + b * b);
    k.f32_gemm_tn_acc(S, b, at(V, k0, k0), n, at(V, k0, k0), n, b, b, h);
    const T = new Float64Array(b * b);
    blockT(T, f, f32Index(S), tau.subarray(k0), b);
    return T;
  };
  const minusTt = (T: Float64Array, b: number) => {
    for (let r = 0, m0 = f32Index(M); r < b; r++) for (let c = 0; c < b; c++) f[m0 + r * b + c] = -T[c * b + r];
  };
  for (let K0 = 0; K0 < n; K0 += NB) {
    const B = Math.min(NB, n - K0), H0 = m - K0;
    for (let k0 = K0; k0 < K0 + B; k0 += NB_INNER) {
      const b = Math.min(NB_INNER, K0 + B - k0), h = m - k0;
      for (let i = 0, o = f32Index(at(A, k0, k0)); i < h; i++, o += n) {
        for (let j = 0; j < b; j++) p[j * h + i] = f[o + j];
      }
      panelQR(p, h, b, tau.subarray(k0), sign.subarray(k0), true);
      for (let i = 0, o = f32Index(at(V, k0, k0)); i < h; i++, o += n) {
        for (let j = 0; j < b; j++) f[o + j] = p[j * h + i];
      }
      const N2 = K0 + B - k0 - b;
      if (N2 > 0) {
        minusTt(panelT(k0, b, h), b);
        applyPanel(k, at(A, k0, k0 + b), at(V, k0, k0), M, W, W2, n, h, N2, b);
      }
    }
    const T = panelT(K0, B, H0);
    panels.push({ k0: K0, b: B, T });
    const N2 = n - K0 - B;
    if (N2 > 0) {
      minusTt(T, B);
      applyPanel(k, at(A, K0, K0 + B), at(V, K0, K0), M, W, W2, n, H0, N2, B);
    }
  }
  // Q = H_1 ... H_n [D; 0], D = diag(sign R_jj) (the sign correction for free): the block
  // at k0 touches rows and columns k0.. only, as Q's columns left of k0 are still +-e_j.
  f.fill(0, f32Index(A), f32Index(A) + m * n);
  for (let j = 0; j < n; j++) f[f32Index(at(A, j, j))] = sign[j];
  for (let i = panels.length - 1; i >= 0; i--) {
    const { k0, b, T } = panels[i];
    for (let r = 0, m0 = f32Index(M); r < b * b; r++) f[m0 + r] = -T[r];
    applyPanel(k, at(A, k0, k0), at(V, k0, k0), M, W, W2, n, m - k0, n - k0, b);
  }
  return f.slice(f32Index(A), f32Index(A) + m * n);
}

/** X[h, N] += V[h, b] (M[b, b] (V^T X)); X and V with leading dimension ld, M with b. */
function applyPanel(k: QrKernels, x: number, v: number, mat: number, w: number, w2: number,
                    ld: number, h: number, N: number, b: number): void {
  k.f32_fill(w, 0, b * N);
  k.f32_gemm_tn_acc(w, N, v, ld, x, ld, b, N, h); // W = V^T X        [b, N]
  k.f32_gemm_nn(w2, N, mat, b, w, N, 0, b, N, b, 0); // W2 = M W       [b, N]
  k.f32_gemm_nn(x, ld, v, ld, w2, N, 0, h, N, b, 1); // X += V W2      [h, N]
}

/**
 * The initial values of one parameter, drawn in state_dict order from one seeded generator.
 * PyTorch's default: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)]. The other schemes
 * (spec.ts, `init`) change the recurrent matrices, and 'xavier' / 'identity' the biases too:
 * 'xavier' every matrix Glorot-uniform over its whole [out, in] shape (torch's
 * xavier_uniform_) and zero biases; 'orthogonal' each gate block of every W_hh orthogonal
 * (gain initScale); 'identity' each gate block of the delay-1 W_hh = initScale * I and zero
 * biases (IRNN, Le et al. 2015); 'chrono' the biases of the gates the cell names (chronoBiases).
 * Trained time constants start at `tau`; `forgetBias` sets the
 * forget gate's block of bias_ih (bias_hh's stays 0).
 */
export function initialValue(s: Spec, p: ParamInfo, random: Random): Float32Array {
  const [rows, cols = 1] = p.torchShape, H = s.hiddenSize, base = p.base;
  const fixed = s.cell.fixedInit?.(base);
  if (fixed) return fixed;
  const values = new Float32Array(rows * cols);
  random.fillUniform(values, 1 / Math.sqrt(H));
  const recurrent = s.cell.recurrentWeights.includes(base);
  if (s.init === 'xavier' && p.transposed) xavierUniform(values, rows, cols, random, s.initScale);
  if (s.init === 'xavier' && base.startsWith('bias')) values.fill(0);
  if (s.init === 'orthogonal' && recurrent) orthogonalBlocks(values, s.G, H, cols, random, s.initScale);
  if (s.init === 'identity' && base === 'weight_hh') {
    for (let g = 0; g < s.G; g++) identityInit(values.subarray(g * H * cols, (g + 1) * H * cols), H, cols, s.initScale);
  }
  if (s.init === 'identity' && base.startsWith('bias')) values.fill(0);
  if (s.init === 'chrono' && base.startsWith('bias')) chronoBiases(s, base === 'bias_ih', values, random);
  s.cell.adjustInit?.(base, values);
  return values;
}

/**
 * Chrono initialisation (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?"):
 * per unit u ~ U(1, T_max - 1), and each gate the cell names gets sign * log(u) in bias_ih
 * and 0 in bias_hh (PyTorch adds the two), so at the start a unit forgets over about u steps
 * and the time scales spread over 1 .. T_max. One u per unit, shared by the unit's gates
 * (an LSTM's b_i = -b_f exactly).
 */
function chronoBiases(s: Spec, inputSide: boolean, values: Float32Array, random: Random): void {
  const H = s.hiddenSize, gates = Object.entries(s.cell.chronoGates!);
  const block = (gate: string) => s.gates.indexOf(gate) * H;
  if (!inputSide) {
    for (const [gate] of gates) values.fill(0, block(gate), block(gate) + H);
    return;
  }
  for (let j = 0; j < H; j++) {
    const logU = Math.log(1 + (s.chronoTMax - 2) * random.nextUnit());
    for (const [gate, sign] of gates) values[block(gate) + j] = sign * logU;
  }
}
