/**
 * The one place that turns a list of named arrays into byte offsets. Every region of wasm
 * memory (parameters, gradients, optimizer state, states, the BPTT tape, scratch) is described
 * as a table of slots `{ name, shape, comment }`; `planLayout` places them one after another,
 * each 64-byte aligned, and every kernel call takes its pointers from here: a slot's base
 * address (`addresses`), an entry along its first axis (`entry`), or a float offset inside a
 * row (`f32Bytes`). Byte arithmetic is written here and nowhere else.
 */
import { ALIGN, alignUp } from './arena.js';
import { RnnError } from './errors.js';

export interface Slot {
  readonly name: string;
  /** Shape in f32 elements; the product is the slot's length. */
  readonly shape: readonly number[];
  /** What the slot holds and why (for example what the tape saves instead of recomputing). */
  readonly comment: string;
  /**
   * Placed right after the previous slot instead of at the next 64-byte boundary: for small
   * vectors kept together (wasm SIMD loads need no alignment, so kernels may still read it).
   */
  readonly packed?: boolean;
}

export interface PlacedSlot extends Slot {
  /** Byte offset from the start of the layout's region; a multiple of 64 unless packed. */
  readonly offset: number;
  /** Number of f32 elements. */
  readonly length: number;
  /** Bytes from one entry along the first axis to the next (the whole slot for a 1-D one). */
  readonly stride: number;
}

/** Bytes per element: every slot holds f32. */
export const F32_BYTES = 4;

/** Bytes of n f32 elements: the distance of element n from the start of a row. */
export function f32Bytes(n: number): number {
  return n * F32_BYTES;
}

/** Number of f32 elements in `bytes` bytes (an address or size divided down to a float index). */
export function f32Index(bytes: number): number {
  return bytes / F32_BYTES;
}

export interface Layout {
  readonly slots: ReadonlyMap<string, PlacedSlot>;
  /** Total bytes, a multiple of 64. */
  readonly bytes: number;
}

export function planLayout(slots: readonly Slot[]): Layout {
  const placed = new Map<string, PlacedSlot>();
  let end = 0; // bytes used so far, unaligned
  for (const slot of slots) {
    if (placed.has(slot.name)) throw new RnnError('BAD_ARGUMENT', `layout: slot ${slot.name} is declared twice`);
    let length = 1;
    for (const d of slot.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RnnError('BAD_ARGUMENT', `layout: slot ${slot.name} has a bad dimension ${d} in shape [${slot.shape.join(', ')}]`);
      }
      length *= d;
    }
    const stride = slot.shape.length > 1 ? length / slot.shape[0] * F32_BYTES : length * F32_BYTES;
    const offset = slot.packed ? end : alignUp(end, ALIGN);
    // the fields written out: V8 copies a spread of these objects about twenty times slower,
    // which made building a layer cost microseconds per slot
    placed.set(slot.name, Object.freeze({ name: slot.name, shape: slot.shape, comment: slot.comment, packed: slot.packed, offset, length, stride }));
    end = offset + length * F32_BYTES;
    if (!Number.isSafeInteger(end)) throw new RnnError('OUT_OF_MEMORY', `layout: slot ${slot.name} makes the layout too large`);
  }
  return { slots: placed, bytes: alignUp(end, ALIGN) };
}

/**
 * The addresses of a layout placed at `base`: slot name -> byte address, 0 for a slot the
 * layout does not have (an absent bias, a variant's slot), which kernels read as "none".
 */
export function addresses(layout: Layout, base: number): (name: string) => number {
  return (name) => {
    const slot = layout.slots.get(name);
    return slot ? base + slot.offset : 0;
  };
}

/**
 * Byte address of entry `index` along the first axis of a slot that starts at `address`
 * (a time step of the tape, a layer of a stacked state): address + index * stride.
 */
export function entry(address: number, stride: number, index: number): number {
  return address + index * stride;
}

/** Byte offset of a slot, or a clear error naming the missing slot. */
export function slotOffset(layout: Layout, name: string): number {
  const slot = layout.slots.get(name);
  if (!slot) throw new RnnError('BAD_ARGUMENT', `layout: no slot named ${name}`);
  return slot.offset;
}

/**
 * Row length in memory of a stored matrix with `cols` columns. Rows a multiple of 1 KiB apart
 * fall into the same few cache sets (and 4 KiB apart alias in the load/store unit), which
 * starves the GEMM tiles walking down a column strip at H = 256 and 512; sixteen floats of
 * padding (one cache line) spread them out and keep rows 64-byte aligned.
 */
export function paddedWidth(cols: number): number {
  return cols % 256 === 0 ? cols + 16 : cols;
}
