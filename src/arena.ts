/**
 * The memory arena over the wasm module's one linear memory.
 *
 * Regions are 64-byte aligned (a cache line; SIMD loads never split one). Memory grows only
 * inside `alloc`: when a module is built, and when a layer's forward first meets a larger
 * (T, B) than its working memory holds (then, before any kernel runs).
 * `memory.grow` detaches every typed-array view over the old buffer (length 0, writes lost),
 * so views are never kept across an `alloc`: `f32` and `f32At` always answer for the current
 * buffer.
 *
 * Free regions are kept sorted by address and merged with their neighbours; a region freed at
 * the top lowers the top. Memory is never shrunk (wasm cannot), only reused.
 */
import { RnnError } from './errors.js';

export const ALIGN = 64;
export const PAGE_BYTES = 65536;
/** The wasm32 limit: 65536 pages of 64 KiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;

/**
 * `WebAssembly.Memory`, named through `globalThis` rather than the global namespace, so that
 * the published declarations type-check even where no lib declares WebAssembly (a Node project
 * with @types/node and without the DOM lib, where this is `never`).
 */
export type WasmMemory = typeof globalThis extends Record<'WebAssembly', Record<'Memory', abstract new (...args: never) => infer M>> ? M : never;

export interface Region {
  /** Byte offset of the first byte; a multiple of 64. */
  readonly ptr: number;
  /** Size in bytes, a multiple of 64. */
  readonly bytes: number;
  readonly name: string;
}

interface FreeBlock { ptr: number; bytes: number }

export function alignUp(n: number, align = ALIGN): number {
  return Math.ceil(n / align) * align;
}

export class Arena {
  readonly memory: WasmMemory;
  readonly maxBytes: number;
  private readonly base: number;
  private top: number;
  private freeBlocks: FreeBlock[] = [];
  private live = new Set<Region>();
  private viewBuffer: ArrayBuffer | null = null;
  private view: Float32Array = new Float32Array(0);
  /** The most bytes in use `withBudget` allows (Infinity outside one). */
  private ceiling = Infinity;

  constructor(memory: WasmMemory, heapBase: number, maxBytes = MAX_MEMORY_BYTES) {
    this.memory = memory;
    this.base = alignUp(heapBase);
    this.top = this.base;
    this.maxBytes = Math.min(maxBytes, MAX_MEMORY_BYTES);
  }

  /** Bytes handed out and not yet freed. */
  get usedBytes(): number {
    let n = 0;
    for (const r of this.live) n += r.bytes;
    return n;
  }

  /** The size of the linear memory now. */
  get capacityBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A region of at least `bytes` bytes, zero-filled. Throws OUT_OF_MEMORY, before changing
   * anything, when the memory cannot hold it.
   */
  alloc(bytes: number, name: string): Region {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RnnError('BAD_ARGUMENT', `alloc(${name}): bytes must be a non-negative integer, got ${bytes}`);
    }
    const size = Math.max(ALIGN, alignUp(bytes));
    if (this.ceiling !== Infinity) this.checkBudget(size, name);
    const fit = this.freeBlocks.findIndex((b) => b.bytes >= size);
    let ptr: number;
    if (fit >= 0) {
      const block = this.freeBlocks[fit];
      ptr = block.ptr;
      if (block.bytes === size) this.freeBlocks.splice(fit, 1);
      else { block.ptr += size; block.bytes -= size; }
    } else {
      ptr = this.top;
      this.ensure(ptr + size, name, size);
      this.top = ptr + size;
    }
    new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    const region: Region = Object.freeze({ ptr, bytes: size, name });
    this.live.add(region);
    return region;
  }

  /**
   * Refuses at once, before anything is built or allocated, `bytes` this arena could never
   * hand out now: OUT_OF_MEMORY when they exceed what is left under the limit (or are no
   * finite size at all). Sizes computed arithmetically from options come here first, so an
   * absurd size fails in microseconds instead of building tables for it.
   */
  checkFits(bytes: number, name: string): void {
    const left = this.maxBytes - this.base - this.usedBytes;
    if (!Number.isSafeInteger(bytes) || bytes > left) {
      throw new RnnError('OUT_OF_MEMORY',
        `cannot allocate ${bytes} bytes for ${name}: over what the memory limit of ${this.maxBytes} bytes leaves (${Math.max(left, 0)} bytes, ${this.usedBytes} in use)`);
    }
    if (this.ceiling !== Infinity) this.checkBudget(bytes, name);
  }

  /**
   * Runs `build` with the bytes in use allowed to rise at most `bytes` above what they are now:
   * beyond, checkFits and alloc throw OUT_OF_MEMORY as they would at the memory limit. Loaders
   * build what a file describes inside a budget from the size of its weights, so a small file
   * whose configuration claims huge layers is refused before anything is allocated for them
   * (or drawn in JavaScript: the constructors call checkFits first).
   */
  withBudget<T>(bytes: number, build: () => T): T {
    const saved = this.ceiling;
    this.ceiling = Math.min(saved, this.usedBytes + bytes);
    try {
      return build();
    } finally {
      this.ceiling = saved;
    }
  }

  private checkBudget(bytes: number, name: string): void {
    const used = this.usedBytes;
    if (bytes > this.ceiling - used) {
      throw new RnnError('OUT_OF_MEMORY',
        `cannot allocate ${bytes} bytes for ${name}: over the budget of ${this.ceiling - used} bytes left for what is being built (a loader's budget, from the size of the file's weights)`);
    }
  }

  /** Returns a region for reuse. Freeing one twice, or one not from this arena, is an error. */
  free(region: Region): void {
    if (!this.live.delete(region)) {
      throw new RnnError('BAD_ARGUMENT', `free(${region?.name}): the region is not live in this arena`);
    }
    let ptr = region.ptr, bytes = region.bytes;
    const blocks = this.freeBlocks;
    let i = blocks.findIndex((b) => b.ptr > ptr);
    if (i < 0) i = blocks.length;
    const next = blocks[i], prev = blocks[i - 1];
    if (next && ptr + bytes === next.ptr) { bytes += next.bytes; blocks.splice(i, 1); }
    if (prev && prev.ptr + prev.bytes === ptr) { ptr = prev.ptr; bytes += prev.bytes; blocks.splice(i - 1, 1); i--; }
    if (ptr + bytes === this.top) this.top = ptr;
    else blocks.splice(i, 0, { ptr, bytes });
  }

  /** A Float32Array over all of memory, re-created whenever memory has grown. */
  get f32(): Float32Array {
    const buffer = this.memory.buffer;
    if (buffer !== this.viewBuffer) {
      this.viewBuffer = buffer;
      this.view = new Float32Array(buffer);
    }
    return this.view;
  }

  /** A fresh view of `length` floats at byte offset `ptr`; valid until memory next grows. */
  f32At(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  private ensure(end: number, name: string, size: number): void {
    if (end > this.maxBytes) {
      throw new RnnError('OUT_OF_MEMORY',
        `cannot allocate ${size} bytes for ${name}: memory would reach ${end} bytes, over the limit of ${this.maxBytes} bytes (${this.usedBytes} bytes in use)`);
    }
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE_BYTES);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new RnnError('OUT_OF_MEMORY',
        `cannot allocate ${size} bytes for ${name}: the runtime refused to grow memory from ${have} to ${have + pages * PAGE_BYTES} bytes`, { cause });
    }
  }
}
