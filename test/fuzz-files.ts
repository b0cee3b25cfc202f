// Shared machinery of the file-fuzzing suites (test/fuzz-files-*.test.ts): byte-level mutations
// as fast-check arbitraries, and `judge`, which runs one loader on one mutated file and checks
// the contract every loader keeps:
//   - it returns, or throws an RnnError with one of the codes its documentation lists; never
//     another error (a TypeError, a RangeError from a typed-array length, a wasm trap);
//   - while it runs, it allocates no more than memoryBound(file bytes) = 4 x the file's bytes +
//     1 MiB of wasm memory (the arena's peak bytes in use, seen at every alloc, and the growth of
//     its capacity) and of ArrayBuffers (process.memoryUsage().arrayBuffers after the call,
//     before any GC, against before);
//   - a refusal leaves the arena as it was (nothing half-built stays allocated).
// The suites add what is particular to a format: a well-formed result, an existing model left
// bit-identical on refusal. Case counts and the seed come from test/property-config.ts.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Backend } from '../src/backend.js';
import { RnnError, type RnnErrorCode } from '../src/errors.js';

/** The bound on new wasm and ArrayBuffer memory while one file loads: 4 times its bytes, plus 1 MiB. */
export const MEMORY_FACTOR = 4;
export const MEMORY_SLACK = 1 << 20;
export const memoryBound = (fileBytes: number): number => MEMORY_FACTOR * fileBytes + MEMORY_SLACK;

/** One change to a file's bytes. Positions are taken modulo the length, so they shrink well. */
export type ByteOp =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; value: number }
  | { op: 'u32'; at: number; value: number }
  | { op: 'u64'; at: number; value: bigint }
  | { op: 'truncate'; at: number }
  | { op: 'append'; bytes: number[] }
  | { op: 'cut'; at: number; length: number }
  | { op: 'repeat'; at: number; length: number };

/** Bytes at the edges of signed and unsigned ranges. */
export const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
/** 32-bit words at the edges of ranges, and sizes a reader may trust. */
export const BOUNDARY_U32 = [0, 1, 7, 8, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 100 * 2 ** 20, 100 * 2 ** 20 + 1];
/** 64-bit words: 2^53 and its neighbours, 2^63, all ones, and sizes just past 32 bits. */
export const BOUNDARY_U64 = [0n, 1n, 2n ** 32n, 2n ** 32n + 8n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(100 * 2 ** 20 + 1)];

const at = fc.nat({ max: 2 ** 30 });

/** One byte-level mutation: bit flips, boundary values, truncation, garbage, cut and repeated ranges. */
export const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('byte' as const), at, value: fc.constantFrom(...BOUNDARY_BYTES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('u32' as const), at, value: fc.constantFrom(...BOUNDARY_U32) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('u64' as const), at, value: fc.constantFrom(...BOUNDARY_U64) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), bytes: fc.array(fc.oneof(fc.constantFrom(...BOUNDARY_BYTES), fc.nat({ max: 255 })), { minLength: 1, maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at, length: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at, length: fc.integer({ min: 1, max: 16 }) }) },
);

/** One to `max` byte mutations in a row. */
export const byteOps = (max = 4): fc.Arbitrary<ByteOp[]> => fc.array(byteOp, { minLength: 1, maxLength: max });

/** The bytes after `ops`, applied in order (the input is not changed). */
export function applyByteOps(bytes: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let b: Uint8Array = bytes.slice();
  for (const o of ops) {
    const n = b.length, i = n === 0 ? 0 : ('at' in o ? o.at % n : 0);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (o.op) {
      case 'flip': if (n) b[i] ^= 1 << o.bit; break;
      case 'byte': if (n) b[i] = o.value; break;
      case 'u32': if (n >= 4) view.setUint32(Math.min(i, n - 4), o.value, true); break;
      case 'u64': if (n >= 8) view.setBigUint64(Math.min(i, n - 8), o.value, true); break;
      case 'truncate': b = b.slice(0, i); break;
      case 'append': b = concat(b, Uint8Array.from(o.bytes)); break;
      case 'cut': b = concat(b.subarray(0, i), b.subarray(i + o.length)); break;
      case 'repeat': b = concat(b.subarray(0, i + o.length), b.subarray(i, i + o.length), b.subarray(i + o.length)); break;
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) { out.set(p, k); k += p.length; }
  return out;
}

/** What one call allocated: ArrayBuffer growth and wasm peak above the start, for a file of `file` bytes. */
export interface Allocated { buffers: number; wasm: number; file: number }

/** What one call came to: its value, or the code it refused with; and what it allocated. */
export type Outcome<T> = ({ ok: true; value: T } | { ok: false; code: RnnErrorCode; message: string }) & { allocated?: Allocated };

/** Counts of outcomes by name, printed at the end of a suite. */
export class Tally {
  private counts = new Map<string, Map<string, number>>();
  /** The most each kind of memory grew, as a multiple of the file, among files over 4 KiB (below, the slack dominates). */
  private worst = { buffers: 0, wasm: 0 };
  add(entry: string, outcome: Outcome<unknown>): void {
    const m = this.counts.get(entry) ?? new Map<string, number>();
    const key = outcome.ok ? 'loaded' : outcome.code;
    m.set(key, (m.get(key) ?? 0) + 1);
    this.counts.set(entry, m);
    const a = outcome.allocated;
    if (a && a.file > 4096) {
      this.worst.buffers = Math.max(this.worst.buffers, a.buffers / a.file);
      this.worst.wasm = Math.max(this.worst.wasm, a.wasm / a.file);
    }
  }
  total(entry: string): number {
    return [...(this.counts.get(entry)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }
  summary(): string {
    return [...this.counts].map(([entry, m]) => `${entry}: ${[...m.values()].reduce((a, b) => a + b, 0)} files (${[...m].map(([k, v]) => `${k} ${v}`).join(', ')})`)
      .concat(`most allocated per byte of a file over 4 KiB: ArrayBuffers ${this.worst.buffers.toFixed(2)}x, wasm ${this.worst.wasm.toFixed(2)}x`).join('\n');
  }
}

/** The arena's peak bytes in use while `run` runs (every alloc is watched). */
function withPeak<T>(backend: Backend, run: () => T): { value?: T; error?: unknown; peak: number } {
  const arena = backend.arena, alloc = arena.alloc;
  let peak = arena.usedBytes;
  arena.alloc = function (bytes: number, name: string) {
    const r = alloc.call(this, bytes, name);
    peak = Math.max(peak, this.usedBytes);
    return r;
  };
  try {
    return { value: run(), peak };
  } catch (error) {
    return { error, peak };
  } finally {
    arena.alloc = alloc;
  }
}

/**
 * Runs `call` on a file of `fileBytes` bytes and checks the contract above; `allowed` are the
 * codes the entry documents for a bad file. `release` frees what a successful call built (it is
 * called before the arena is compared with its state before the call).
 */
export function judge<T>(what: string, backend: Backend | null, fileBytes: number, allowed: readonly RnnErrorCode[], call: () => T, release?: (value: T) => void): Outcome<T> {
  const used = backend?.arena.usedBytes ?? 0, capacity = backend?.arena.capacityBytes ?? 0;
  const buffers = process.memoryUsage().arrayBuffers;
  const r = backend ? withPeak(backend, call) : (() => { try { return { value: call(), peak: 0 }; } catch (error) { return { error, peak: 0 }; } })();
  const grown = process.memoryUsage().arrayBuffers - buffers;
  const bound = memoryBound(fileBytes);
  if (r.error !== undefined) {
    const e = r.error;
    if (!(e instanceof RnnError)) throw new Error(`${what}: threw ${(e as Error)?.constructor?.name ?? typeof e} (${String((e as Error)?.message ?? e)}), not an RnnError`, { cause: e });
    if (!allowed.includes(e.code)) throw new Error(`${what}: threw RnnError ${e.code}, expected one of ${allowed.join(', ')}: ${e.message}`, { cause: e });
  }
  expect(grown, `${what}: ArrayBuffer bytes allocated for a file of ${fileBytes} bytes`).toBeLessThanOrEqual(bound);
  expect(r.peak - used, `${what}: wasm bytes allocated for a file of ${fileBytes} bytes`).toBeLessThanOrEqual(bound);
  if (backend) expect(backend.arena.capacityBytes - capacity, `${what}: wasm memory grown for a file of ${fileBytes} bytes`).toBeLessThanOrEqual(bound);
  if (r.error === undefined && release) release(r.value as T);
  if (backend) expect(backend.arena.usedBytes, `${what}: wasm bytes in use after the call${r.error ? ' refused' : ' and release'}`).toBe(used);
  const allocated = { buffers: grown, wasm: r.peak - used, file: fileBytes };
  return r.error === undefined ? { ok: true, value: r.value as T, allocated } : { ok: false, code: (r.error as RnnError).code, message: (r.error as RnnError).message, allocated };
}
