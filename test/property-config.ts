/**
 * The one place the property and fuzz suites take their size and seed from.
 *
 * `npm test` runs a fixed number of cases from a fixed seed, so a run is reproducible and its
 * cost known. `SIMD_RNN_RUNS=<n>` multiplies every suite's case count (for a long local or
 * nightly run); `SIMD_RNN_SEED=<int>` starts from another seed. fast-check prints the seed and
 * the shrunk counterexample of a failing property; the suites print their seed at start too.
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20261202;

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** The seed every suite starts from. */
export const SEED = envInt('SIMD_RNN_SEED', DEFAULT_SEED);

/** Case-count multiplier (1 in `npm test`). */
export const RUNS_FACTOR = envInt('SIMD_RNN_RUNS', 1);

/** fast-check parameters for a property run `runs` times in `npm test` (times the factor). */
export function fcParams(runs: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: runs * RUNS_FACTOR, verbose: 1 };
}
