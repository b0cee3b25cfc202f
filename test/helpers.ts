// Shared by the kernel tests: both builds loaded side by side, a scratch heap for copying
// arrays in and out, seeded data, and the tile-edge sizes every kernel is tried at.
import { readFile } from 'node:fs/promises';
import { createBackend, type Backend, type SimdMode } from '../src/backend.js';
import type { Region } from '../src/arena.js';
// @ts-expect-error: plain JavaScript shared with the other runtimes
import { rng } from './smoke/smoke.js';

export const TILE_SIZES = [1, 3, 4, 5, 7, 8, 9, 16, 33, 100];

export function loadBackend(simd: SimdMode): Promise<Backend> {
  return createBackend({ simd }, (mode) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url)));
}

export const BUILDS: SimdMode[] = ['baseline', 'relaxed'];

/** Seeded floats in [-scale, scale), already rounded to f32, as float64 for references. */
export function randomArray(seed: number, n: number, scale = 1): Float64Array {
  const next: () => number = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(next() * scale));
}

/** Copies arrays into the backend's memory and back; frees all on reset. */
export class Heap {
  private regions: Region[] = [];
  constructor(readonly backend: Backend) {}
  put(values: ArrayLike<number>): number {
    const r = this.backend.arena.alloc(values.length * 4, 'test');
    this.regions.push(r);
    this.backend.arena.f32At(r.ptr, values.length).set(values);
    return r.ptr;
  }
  zeros(n: number): number {
    return this.put(new Float32Array(n));
  }
  get(ptr: number, n: number): Float32Array {
    return this.backend.arena.f32At(ptr, n).slice();
  }
  reset(): void {
    for (const r of this.regions) this.backend.arena.free(r);
    this.regions = [];
  }
}

/** Largest |got - want| / (bound), and where; bound[i] is the allowed error at i. */
export function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>) {
  let worst = 0, at = -1, maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    maxAbs = Math.max(maxAbs, e);
    const r = e / bound[i];
    if (!(r <= worst)) { worst = r; at = i; }
  }
  return { worst, at, maxAbs };
}

/** Exact equality of two float arrays, bit for bit (NaN payloads and -0 included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export const F32_EPS = 2 ** -24;
