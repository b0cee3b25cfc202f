/**
 * How a kernel call is cut into chunks for the pool's threads, and the kernel table that does
 * it (`threadedKernels`): the same `Kernels` the layers call, whose splittable kernels run
 * fork-join on the pool (pool.ts) when a call is worth it, and whole on the calling thread
 * otherwise. The layers, the time loop and the cells do not know threads exist.
 *
 * Bit-identical to one thread, whatever the thread count: a cut never divides a reduction.
 * Every output element is computed by the same instructions in the same order as in the
 * whole call; the chunks only choose which thread computes it.
 * - GEMMs are cut along output rows or output columns, never along k. Each C[i, j] of
 *   f32_gemm_nn / f32_gemm_tn_acc is its initial value plus a[i, k] b[k, j] for k in order,
 *   in SIMD lanes for the columns below N & ~3 and in scalar form above (assembly/gemm.ts;
 *   rnn/gemm-twin.ts relies on the same fact). Column chunks start at multiples of 8, so a
 *   column stays in a lane or in the tail; row chunks may start anywhere. f32_gemm_nt_acc
 *   sums each C[i, j] the same way in every block and tail; f32_colsum_acc adds rows in
 *   order per column.
 * - Elementwise kernels run four lanes up to n & ~3 and a scalar tail: chunks start at
 *   multiples of 16 elements, so every element keeps its form.
 * - The fused cell kernels work row by row: chunks are batch rows, pointers move by whole
 *   rows. A kernel that sums over rows (the peephole gradient `dpeep`, the leak's `dalpha`)
 *   is not cut when that sum is asked for.
 * Reductions that return a number (f32_sumsq, f32_count_nonfinite) and the row copies are
 * never cut.
 *
 * A call is cut into at most two chunks per thread (pool.ts runs them), fewer when a chunk
 * would carry less than `pool.minWork` multiply-adds (or the equivalent), so that the
 * hand-over of a microsecond or so stays small against the work.
 */
import { KERNEL_NAMES, type KernelName, type Kernels } from '../kernels.js';
import type { Pool } from './pool.js';
import { MAX_CHUNKS } from './protocol.js';

type Args = number[];

/** One way to cut a call: `extent` units along an axis, chunks starting at multiples of `grain`. */
interface Cut {
  readonly extent: number;
  readonly grain: number;
  /** Work per unit, in multiply-adds (or the like), for deciding how many chunks pay. */
  readonly cost: number;
  /** The arguments of the chunk over units [lo, hi). */
  piece(lo: number, hi: number): Args;
}

/** How to cut a call with these arguments on `threads` threads, or null to run it whole. */
type Cutter = (a: Args, threads: number) => Cut | null;

/** What split.ts knows of a kernel. */
interface Rule {
  /**
   * The whole call's work (multiply-adds or the like), read from the arguments without
   * allocating: a call worth less than two chunks runs whole before anything is built.
   */
  work(a: ArrayLike<number>): number;
  cut: Cutter;
}

/** From this many rows per thread a GEMM is cut along its rows (A split, not W)... */
const ROWS_PER_THREAD = 16;
/**
 * ... and from 4 (8 for f32_gemm_nn's blocks of four) when W is at most this many bytes:
 * every thread then keeps all of W in its own cache, and a batch row's gates, cell and h
 * stay on the thread that owns the row from one step to the next (the fused cells are cut
 * into the same rows), where a column cut would move each step's activations between cores
 * twice. A larger W is cut by columns, each thread streaming its part.
 */
const ROWS_W_BYTES = 1 << 20;
/** Bytes per f32: pointers move by this per element. */
const F = 4;

/** A pointer moved by `n` floats, unless it is 0 (an absent argument stays absent). */
const move = (p: number, n: number) => (p === 0 ? 0 : p + F * n);

// C[M,N] = (acc ? C : 0) + bias + A[M,K] B[K,N]
const gemmNn: Cutter = ([c, ldc, a, lda, b, ldb, bias, M, N, K, acc], threads) =>
  M >= ROWS_PER_THREAD * threads || (M >= 8 * threads && F * K * N <= ROWS_W_BYTES)
    ? { extent: M, grain: 4, cost: N * K, piece: (lo, hi) => [move(c, lo * ldc), ldc, move(a, lo * lda), lda, b, ldb, bias, hi - lo, N, K, acc] }
    : { extent: N, grain: 8, cost: M * K, piece: (lo, hi) => [move(c, lo), ldc, a, lda, move(b, lo), ldb, move(bias, lo), M, hi - lo, K, acc] };

// The batch-1 product with B in column panels (assembly/panels.ts): cut along columns at
// whole panels of 28, so each chunk's panels are laid out as a call over its columns alone
// lays them out (panel q starts q * 28 * K floats in); the last chunk ends at N.
const PANEL = 28;
// C[M,N] = (acc ? C : 0) + bias + A[M,K] P, P the panels of B[K,N]
const gemmNnPanels: Cutter = ([c, ldc, a, lda, p, bias, M, N, K, acc]) =>
  ({ extent: N, grain: PANEL, cost: M * K, piece: (lo, hi) => [move(c, lo), ldc, a, lda, move(p, lo * K), move(bias, lo), M, hi - lo, K, acc] });
// P = the panels of B[K,N]
const packPanels: Cutter = ([p, b, ldb, K, N]) =>
  ({ extent: N, grain: PANEL, cost: K, piece: (lo, hi) => [move(p, lo * K), move(b, lo), ldb, K, hi - lo] });

// C[M,N] += A[K,M]^T B[K,N]: weight gradients, k runs over every step
const gemmTn: Cutter = ([c, ldc, a, lda, b, ldb, M, N, K], threads) =>
  N >= 8 * ROWS_PER_THREAD * threads || M < 4 * threads
    ? { extent: N, grain: 8, cost: M * K, piece: (lo, hi) => [move(c, lo), ldc, a, lda, move(b, lo), ldb, M, hi - lo, K] }
    : { extent: M, grain: 4, cost: N * K, piece: (lo, hi) => [move(c, lo * ldc), ldc, move(a, lo), lda, b, ldb, hi - lo, N, K] };

// C[M,N] += A[M,K] B[N,K]^T
const gemmNt: Cutter = ([c, ldc, a, lda, b, ldb, M, N, K], threads) =>
  M >= ROWS_PER_THREAD * threads || (M >= 4 * threads && F * K * N <= ROWS_W_BYTES)
    ? { extent: M, grain: 2, cost: N * K, piece: (lo, hi) => [move(c, lo * ldc), ldc, move(a, lo * lda), lda, b, ldb, hi - lo, N, K] }
    : { extent: N, grain: 8, cost: M * K, piece: (lo, hi) => [move(c, lo), ldc, a, lda, move(b, lo * ldb), ldb, M, hi - lo, K] };

// y[N] += column sums of A[M,N]
const colsum: Cutter = ([y, a, lda, M, N]) =>
  ({ extent: N, grain: 16, cost: M, piece: (lo, hi) => [move(y, lo), move(a, lo), lda, M, hi - lo] });

/** Elementwise over n floats: the pointer arguments `ptrs`, the count at `nAt`. */
function elementwise(ptrs: readonly number[], nAt: number, cost: number): Rule {
  return {
    work: (a) => a[nAt] * cost,
    cut: (a) => ({
      extent: a[nAt], grain: 16, cost,
      piece(lo, hi) {
        const p = a.slice();
        for (const i of ptrs) p[i] = move(a[i], lo);
        p[nAt] = hi - lo;
        return p;
      },
    }),
  };
}

/**
 * A fused cell kernel over B rows of H units: `rows(a)` lists each row-major pointer argument
 * with its floats per row; the row count is at `bAt`, H at `bAt + 1`. `sumAt`: an argument
 * that, when not 0, asks for a sum over rows (then the call is not cut).
 */
function rowwise(bAt: number, rows: (a: Args) => readonly (readonly [number, number])[], cost: number, sumAt = -1): Rule {
  return {
    work: (a) => (sumAt >= 0 && a[sumAt] !== 0 ? 0 : a[bAt] * a[bAt + 1] * cost),
    cut(a) {
      if (sumAt >= 0 && a[sumAt] !== 0) return null;
      const H = a[bAt + 1];
      return {
        extent: a[bAt], grain: 1, cost: cost * H,
        piece(lo, hi) {
          const p = a.slice();
          for (const [i, width] of rows(a)) p[i] = move(a[i], lo * width);
          p[bAt] = hi - lo;
          return p;
        },
      };
    },
  };
}

/** Row widths: the gate blocks G * H of an LSTM (mode 0: four gates, else three). */
const lstmG = (mode: number) => (mode === 0 ? 4 : 3);

// Cost per unit of the fused kernels, in the time of a GEMM's multiply-add: a few
// activations each (lstm_cell_fwd at B = 16, H = 128 takes about as long as 160K of them).
const CELL = 80;

const RULES: Partial<Record<KernelName, Rule>> = {
  f32_gemm_nn: { work: (a) => a[7] * a[8] * a[9], cut: gemmNn },
  f32_gemm_nn_panels: { work: (a) => a[6] * a[7] * a[8], cut: gemmNnPanels },
  f32_pack_panels: { work: (a) => a[3] * a[4], cut: packPanels },
  f32_gemm_tn_acc: { work: (a) => a[6] * a[7] * a[8], cut: gemmTn },
  f32_gemm_nt_acc: { work: (a) => a[6] * a[7] * a[8], cut: gemmNt },
  f32_colsum_acc: { work: (a) => a[3] * a[4], cut: colsum },

  f32_sigmoid_fwd: elementwise([0, 1], 2, 10),
  f32_tanh_fwd: elementwise([0, 1], 2, 10),
  f32_relu_fwd: elementwise([0, 1], 2, 1),
  f32_sigmoid_bwd: elementwise([0, 1, 2], 3, 2),
  f32_tanh_bwd: elementwise([0, 1, 2], 3, 2),
  f32_relu_bwd: elementwise([0, 1, 2], 3, 1),
  f32_hardsigmoid_fwd: elementwise([0, 1], 2, 2),
  f32_hardsigmoid_bwd: elementwise([0, 1, 2], 3, 2),

  f32_fill: elementwise([0], 2, 1),
  f32_add: elementwise([0, 1, 2], 3, 1),
  f32_mul: elementwise([0, 1, 2], 3, 1),
  f32_mul_acc: elementwise([0, 1, 2], 3, 1),
  f32_axpy: elementwise([0, 2], 3, 1),
  f32_scale: elementwise([0, 1], 3, 1),
  f32_clamp: elementwise([0, 1], 4, 1),

  // (gates, c_prev, c, tanh_c, h, B, H)
  lstm_cell_fwd: rowwise(5, ([, , , , , , H]) => [[0, 4 * H], [1, H], [2, H], [3, H], [4, H]], CELL),
  // (dgates, dc, dh, gates, c_prev, tanh_c, B, H)
  lstm_cell_bwd: rowwise(6, ([, , , , , , , H]) => [[0, 4 * H], [1, H], [2, H], [3, 4 * H], [4, H], [5, H]], CELL),
  // (gates, c_prev, c, tanh_c, h, peep, B, H, mode, clip): peep is per unit
  lstmx_cell_fwd: rowwise(6, (a) => [[0, lstmG(a[8]) * a[7]], [1, a[7]], [2, a[7]], [3, a[7]], [4, a[7]]], CELL),
  // (dgates, dc, dh, gates, c_prev, c, tanh_c, peep, dpeep, B, H, mode, clip)
  lstmx_cell_bwd: rowwise(9, (a) => [[0, lstmG(a[11]) * a[10]], [1, a[10]], [2, a[10]], [3, lstmG(a[11]) * a[10]], [4, a[10]], [5, a[10]], [6, a[10]]], CELL, 8),
  lstma_cell_fwd: rowwise(6, (a) => [[0, lstmG(a[8]) * a[7]], [1, a[7]], [2, a[7]], [3, a[7]], [4, a[7]]], CELL),
  lstma_cell_bwd: rowwise(9, (a) => [[0, lstmG(a[11]) * a[10]], [1, a[10]], [2, a[10]], [3, lstmG(a[11]) * a[10]], [4, a[10]], [5, a[10]], [6, a[10]]], CELL, 8),

  // (gates, gh, ghn, h_prev, h, B, H)
  gru_cell_fwd: rowwise(5, ([, , , , , , H]) => [[0, 3 * H], [1, 3 * H], [2, H], [3, H], [4, H]], CELL),
  // (dgx, dgh, dh, gates, ghn, h_prev, B, H)
  gru_cell_bwd: rowwise(6, ([, , , , , , , H]) => [[0, 3 * H], [1, 3 * H], [2, H], [3, 3 * H], [4, H], [5, H]], CELL),
  // (gates, gh, rh, h_prev, B, H, G)
  gru_rb_gate_fwd: rowwise(4, ([, , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H]], CELL),
  // (gates, gh, h_prev, h, B, H, G)
  gru_rb_out_fwd: rowwise(4, ([, , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H]], CELL),
  // (dgx, dgh, dh, gates, h_prev, B, H, G)
  gru_rb_out_bwd: rowwise(5, ([, , , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, G * H], [4, H]], CELL),
  // (dgx, dgh, dh, drh, gates, h_prev, B, H, G)
  gru_rb_gate_bwd: rowwise(6, ([, , , , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H], [4, G * H], [5, H]], CELL),
  // (gates, gh, rh, h_prev, B, H, G, act, alpha, beta)
  gruact_gate_fwd: rowwise(4, ([, , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H]], CELL),
  // (gates, gh, ghn, h_prev, h, B, H, G, after, act, alpha, beta)
  gruact_out_fwd: rowwise(5, ([, , , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H], [4, H]], CELL),
  // (dgx, dgh, dh, gates, ghn, h_prev, B, H, G, ...)
  gruact_out_bwd: rowwise(6, ([, , , , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, G * H], [4, H], [5, H]], CELL),
  // (dgx, dgh, dh, drh, gates, h_prev, B, H, G, act, alpha)
  gruact_gate_bwd: rowwise(6, ([, , , , , , , H, G]) => [[0, G * H], [1, G * H], [2, H], [3, H], [4, G * H], [5, H]], CELL),

  // (h, h_prev, a, alpha, B, H): alpha is per unit
  leaky_fwd: rowwise(4, ([, , , , , H]) => [[0, H], [1, H], [2, H]], 4),
  // (da, dprev, dh, dalpha, a, h_prev, alpha, B, H)
  leaky_bwd: rowwise(7, ([, , , , , , , , H]) => [[0, H], [1, H], [2, H], [4, H], [5, H]], 4, 3),

  // optimizers: every state buffer moves with the parameters
  sgd_step: elementwise([0, 1, 2], 3, 4),
  adam_step: elementwise([0, 1, 2, 3], 4, 12),
  rmsprop_step: elementwise([0, 1, 2, 3], 4, 10),
};

/** The kernels a task may name, by index: the order the workers' start message gives. */
export const TASK_NAMES: readonly string[] = KERNEL_NAMES;

/**
 * Chunks per thread: each thread owns two, so a thread that finishes early (or another that
 * is late) rebalances by taking whole chunks.
 */
const CHUNKS_PER_THREAD = 2;

/**
 * `raw` with every kernel that has a rule replaced by one that cuts its call into chunks for
 * the pool's threads. Reads `pool.threads` and `pool.minWork` at each call, so both may change.
 */
export function threadedKernels(raw: Kernels, pool: Pool): Kernels {
  const table: Record<string, unknown> = { ...raw };
  for (const [name, rule] of Object.entries(RULES) as [KernelName, Rule][]) {
    const whole = raw[name] as (...a: Args) => void, id = TASK_NAMES.indexOf(name);
    table[name] = function threaded(): void {
      // most calls run whole: the arguments object goes straight on, no array is made
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as Args, threads = pool.threads;
      if (threads < 2 || rule.work(args) < 2 * pool.minWork || pool.usable < 2) {
        whole.apply(undefined, args);
        return;
      }
      const a = Array.from(args), cut = rule.cut(a, threads);
      const K = cut ? chunksOf(cut, threads, pool.minWork) : 1;
      if (K < 2) {
        whole(...a);
        return;
      }
      const { extent, grain } = cut!, grains = Math.ceil(extent / grain);
      const edge = (c: number) => Math.min(extent, Math.floor((c * grains) / K) * grain);
      const chunks: Args[] = [];
      for (let c = 0; c < K; c++) chunks.push(cut!.piece(edge(c), edge(c + 1)));
      pool.run(id, whole, chunks);
    };
  }
  return table as Kernels;
}

/**
 * How many chunks a cut is worth: two per thread, at most one per grain and at least half of
 * minWork each. Calls of one step cut into the same number of chunks share their edges (a
 * GEMM's rows in blocks of four, the cell's rows one by one), so each thread keeps its rows.
 */
function chunksOf(cut: Cut, threads: number, minWork: number): number {
  const grains = Math.ceil(cut.extent / cut.grain);
  const byWork = minWork > 0 ? Math.floor((2 * cut.extent * cut.cost) / minWork) : grains;
  return Math.max(1, Math.min(CHUNKS_PER_THREAD * threads, MAX_CHUNKS, grains, byWork));
}
