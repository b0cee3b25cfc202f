/**
 * Moving arrays between the caller's layout and the tape's: time-major, batch rows sorted by
 * length, longest first, so that the rows still running at any step are a prefix.
 */

/**
 * Row order of the tape: batch rows sorted by length, longest first (stable), and how many
 * rows are still running at each step. Without lengths: identity and all B rows.
 */
export function rowOrder(lengths: ArrayLike<number> | undefined, T: number, B: number): { perm: Int32Array; active: Int32Array } {
  const perm = Int32Array.from({ length: B }, (_, i) => i);
  const active = new Int32Array(T).fill(B);
  if (lengths === undefined) return { perm, active };
  const len = Array.from(perm, (i) => lengths[i]);
  perm.sort((a, b) => len[b] - len[a] || a - b);
  for (let t = 0; t < T; t++) {
    let n = 0;
    while (n < B && len[perm[n]] > t) n++;
    active[t] = n;
  }
  return { perm, active };
}

/** Whether the layouts agree (time-major, rows in order): then a move is one block copy. */
function sameLayout(batchFirst: boolean, perm: Int32Array): boolean {
  if (batchFirst) return false;
  for (let k = 0; k < perm.length; k++) if (perm[k] !== k) return false;
  return true;
}

/**
 * Copies [T, B, width] (or [B, T, width] when batchFirst) from `src` into the heap at float
 * index `at`, time-major, batch row perm[k] going to position k.
 */
export function gather(heap: Float32Array, at: number, src: Float32Array, T: number, B: number,
  width: number, batchFirst: boolean, perm: Int32Array): void {
  if (sameLayout(batchFirst, perm)) { heap.set(src.subarray(0, T * B * width), at); return; }
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < B; k++) {
      const from = (batchFirst ? perm[k] * T + t : t * B + perm[k]) * width;
      heap.set(src.subarray(from, from + width), at + (t * B + k) * width);
    }
  }
}

/** The inverse of gather: a new array in the caller's layout and row order. */
export function scatter(heap: Float32Array, at: number, T: number, B: number, width: number,
  batchFirst: boolean, perm: Int32Array): Float32Array {
  if (sameLayout(batchFirst, perm)) return heap.slice(at, at + T * B * width);
  const out = new Float32Array(T * B * width);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < B; k++) {
      const to = (batchFirst ? perm[k] * T + t : t * B + perm[k]) * width;
      const from = at + (t * B + k) * width;
      out.set(heap.subarray(from, from + width), to);
    }
  }
  return out;
}
