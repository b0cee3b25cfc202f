/**
 * The one place that turns a list of named arrays into byte offsets. Layers describe their
 * parameters, gradients, optimizer state, states and BPTT tape as tables of slots
 * `{ name, shape, comment }`; `planLayout` places them one after another, each 64-byte
 * aligned, and every kernel call takes its pointers from here. Offsets are never written by
 * hand anywhere else.
 */
import { ALIGN, alignUp } from './arena.js';
import { RnnError } from './errors.js';

export interface Slot {
  readonly name: string;
  /** Shape in f32 elements; the product is the slot's length. */
  readonly shape: readonly number[];
  /** What the slot holds and why (for example what the tape saves instead of recomputing). */
  readonly comment: string;
}

export interface PlacedSlot extends Slot {
  /** Byte offset from the start of the layout's region; a multiple of 64. */
  readonly offset: number;
  /** Number of f32 elements. */
  readonly length: number;
}

export interface Layout {
  readonly slots: ReadonlyMap<string, PlacedSlot>;
  /** Total bytes, a multiple of 64. */
  readonly bytes: number;
}

export function planLayout(slots: readonly Slot[]): Layout {
  const placed = new Map<string, PlacedSlot>();
  let offset = 0;
  for (const slot of slots) {
    if (placed.has(slot.name)) throw new RnnError('BAD_ARGUMENT', `layout: slot ${slot.name} is declared twice`);
    let length = 1;
    for (const d of slot.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RnnError('BAD_ARGUMENT', `layout: slot ${slot.name} has a bad dimension ${d} in shape [${slot.shape.join(', ')}]`);
      }
      length *= d;
    }
    placed.set(slot.name, Object.freeze({ ...slot, offset, length }));
    offset += alignUp(length * 4, ALIGN);
    if (!Number.isSafeInteger(offset)) throw new RnnError('OUT_OF_MEMORY', `layout: slot ${slot.name} makes the layout too large`);
  }
  return { slots: placed, bytes: offset };
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
