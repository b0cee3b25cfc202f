// The driver of the fused-kernel tests (lstm, gru, rnn, optim): each test file gives, for
// every kernel that the table (src/kernels.ts) lists for its assembly file, a list of cases
// (inputs by argument name, float64 expectations by argument name); this runs every kernel and
// its scalar twin on every case in both builds, compares with the expectations, and checks
// that kernel and twin agree bit for bit where the kernel's file says they do.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Backend, SimdMode } from '../src/backend.js';
import { KERNELS, kernelsIn, withTwin, type KernelFile, type KernelName, type Kernels } from '../src/kernels.js';
import { BUILDS, Heap, loadBackend, sameBits, worstRatio } from './helpers.js';

export interface Case {
  label: string;
  /** Every argument by its name in the table: arrays are copied in, numbers passed as they are. */
  inputs: Record<string, ArrayLike<number> | number>;
  /** Float64 expectations for the arrays the kernel writes (others must come back unchanged). */
  want: Record<string, ArrayLike<number>>;
  /** Allowed |got - want| is tol * (1 + |want|); default 4e-6. */
  tol?: number;
}

/** What a case list may need: the backend and the export under test (e.g. to run its forward). */
export interface Context { b: Backend; heap: Heap; fn: keyof Kernels }

/** Runs one export on a case; returns every array argument as it is after the call. */
export function call(ctx: Context, c: Case): Record<string, Float32Array> {
  const base = String(ctx.fn).replace(/__scalar$/, '') as KernelName;
  const arrays: [string, number, number][] = [];
  const args = KERNELS[base].args.map((name) => {
    const v = c.inputs[name];
    if (v === undefined) throw new Error(`${c.label}: no input ${name} for ${String(ctx.fn)}`);
    if (typeof v === 'number') return v;
    const ptr = ctx.heap.put(v);
    arrays.push([name, ptr, v.length]);
    return ptr;
  });
  (ctx.b.kernels[ctx.fn] as unknown as (...a: number[]) => unknown)(...args);
  return Object.fromEntries(arrays.map(([name, ptr, n]) => [name, ctx.heap.get(ptr, n)]));
}

/** Where got differs from want beyond tol * (1 + |want|): the first mismatch and the max error. */
export function mismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): string | null {
  const bound = Array.from(want, (w) => tol * (1 + Math.abs(w)));
  const r = worstRatio(got, want, bound);
  return r.worst <= 1 ? null : `at ${r.at}: got ${got[r.at]}, want ${want[r.at]} (max abs error ${r.maxAbs.toExponential(2)})`;
}

/**
 * One describe per build. `cases` must cover exactly the kernels of `file` in the table.
 * `exact`: the builds in which a kernel and its twin are bit-identical.
 */
export function kernelSuite(file: KernelFile, cases: Partial<Record<KernelName, (ctx: Context) => Case[]>>,
                            exact: SimdMode[] = ['baseline']): void {
  test(`the tests cover exactly the kernels of assembly/${file}.ts`, () => {
    expect(Object.keys(cases).sort()).toEqual(kernelsIn(file).sort());
  });

  for (const build of BUILDS) {
    describe(`${file} kernels (${build})`, () => {
      let b: Backend, heap: Heap;
      beforeAll(async () => { b = await loadBackend(build); heap = new Heap(b); });
      afterAll(() => heap.reset());

      for (const name of kernelsIn(file)) {
        const make = cases[name];
        if (!make) continue;
        for (const fn of withTwin(name)) {
          test(`${String(fn)} against float64`, () => {
            const ctx = { b, heap, fn };
            const failures: string[] = [];
            let n = 0;
            for (const c of make(ctx)) {
              const out = call(ctx, c);
              for (const [arg, input] of Object.entries(c.inputs)) {
                if (typeof input === 'number') continue;
                const want = c.want[arg] ?? input; // not written: unchanged
                const bad = mismatch(out[arg], want, c.want[arg] ? c.tol ?? 4e-6 : 1e-300);
                if (bad) failures.push(`${c.label} ${arg}: ${bad}`);
              }
              heap.reset();
              n++;
            }
            expect(n).toBeGreaterThan(0);
            expect(failures.slice(0, 5)).toEqual([]);
          });
        }
        if (KERNELS[name].scalar && exact.includes(build)) {
          test(`${name} and ${name}__scalar are bit-identical`, () => {
            const failures: string[] = [];
            for (const c of make({ b, heap, fn: name })) {
              const simd = call({ b, heap, fn: name }, c);
              const scalar = call({ b, heap, fn: `${name}__scalar` as keyof Kernels }, c);
              for (const arg of Object.keys(simd)) {
                if (!sameBits(simd[arg], scalar[arg])) failures.push(`${c.label} ${arg}`);
              }
              heap.reset();
            }
            expect(failures.slice(0, 5)).toEqual([]);
          });
        }
      }
    });
  }
}

export const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
