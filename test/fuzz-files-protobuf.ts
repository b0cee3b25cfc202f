// The protobuf wire format taken apart and put back with lies in it, for the ONNX fuzz suite.
// A file is parsed into a tree of fields without its schema (a length-delimited field counts as
// a message when its bytes parse as one, else as bytes); the tree is written back with the
// lengths recomputed, except where a mutation makes one lie. See
// https://protobuf.dev/programming-guides/encoding/ for the format.
import fc from 'fast-check';
import { concat } from './fuzz-files.js';

/** One field: its number, wire type, value, and where its bytes started and ended in the file. */
export interface WireField {
  num: number;
  wire: number;
  /** varint / fixed64 / fixed32 as a bigint; length-delimited as bytes or parsed fields. */
  value: bigint | Uint8Array | WireField[];
  start: number;
  /** After the tag, and (length-delimited) after the length. */
  tagEnd: number;
  payloadStart: number;
  end: number;
}

function readVarint(b: Uint8Array, at: number, end: number): [bigint, number] | null {
  let v = 0n, shift = 0n;
  for (let i = at; i < end && i < at + 10; i++) {
    v |= BigInt(b[i] & 0x7f) << shift;
    if (!(b[i] & 0x80)) return [v & (2n ** 64n - 1n), i + 1];
    shift += 7n;
  }
  return null;
}

/** The fields of b[start, end), or null when those bytes are not a message. */
export function parseWire(b: Uint8Array, start = 0, end = b.length, depth = 0): WireField[] | null {
  const out: WireField[] = [];
  let at = start;
  while (at < end) {
    const tag = readVarint(b, at, end);
    if (!tag || tag[0] >> 3n === 0n || tag[0] >> 3n > 2n ** 29n - 1n) return null;
    const num = Number(tag[0] >> 3n), wire = Number(tag[0] & 7n), tagEnd = tag[1];
    let value: WireField['value'], payloadStart = tagEnd, next: number;
    if (wire === 0) {
      const v = readVarint(b, tagEnd, end);
      if (!v) return null;
      [value, next] = v;
    } else if (wire === 1 || wire === 5) {
      next = tagEnd + (wire === 1 ? 8 : 4);
      if (next > end) return null;
      value = wire === 1 ? new DataView(b.buffer, b.byteOffset).getBigUint64(tagEnd, true) : BigInt(new DataView(b.buffer, b.byteOffset).getUint32(tagEnd, true));
    } else if (wire === 2) {
      const len = readVarint(b, tagEnd, end);
      if (!len || len[1] + Number(len[0]) > end) return null;
      payloadStart = len[1];
      next = payloadStart + Number(len[0]);
      value = (depth < 40 && next > payloadStart && parseWire(b, payloadStart, next, depth + 1)) || b.slice(payloadStart, next);
    } else return null;
    out.push({ num, wire, value, start: at, tagEnd, payloadStart, end: next });
    at = next;
  }
  return out;
}

/** v as a varint; `pad` redundant continuation bytes make it overlong (10+ bytes in all is invalid). */
export function varint(v: bigint, pad = 0): Uint8Array {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
  out.push(Number(x));
  if (pad > 0) {
    out[out.length - 1] |= 0x80;
    for (let i = 1; i < pad; i++) out.push(0x80);
    out.push(0);
  }
  return Uint8Array.from(out);
}

/** Lies a writer can tell about one field. */
export interface FieldLie {
  /** The declared length of a length-delimited field (its bytes stay as they are). */
  length?: bigint;
  /** Another wire type in its tag. */
  wire?: number;
  /** Another field number in its tag. */
  num?: number;
  /** Redundant continuation bytes in its tag (an overlong varint; 10+ bytes is invalid). */
  padTag?: number;
}

/** The bytes of `fields`, lengths recomputed except where `lies` say otherwise. */
export function writeWire(fields: readonly WireField[], lies: Map<WireField, FieldLie> = new Map()): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    const lie = lies.get(f) ?? {};
    parts.push(varint((BigInt(lie.num ?? f.num) << 3n) | BigInt(lie.wire ?? f.wire), lie.padTag ?? 0));
    if (f.wire === 0) parts.push(varint(f.value as bigint));
    else if (f.wire === 1 || f.wire === 5) {
      const b = new Uint8Array(f.wire === 1 ? 8 : 4), v = new DataView(b.buffer);
      if (f.wire === 1) v.setBigUint64(0, BigInt.asUintN(64, f.value as bigint), true); else v.setUint32(0, Number(BigInt.asUintN(32, f.value as bigint)), true);
      parts.push(b);
    } else {
      const payload = Array.isArray(f.value) ? writeWire(f.value, lies) : (f.value as Uint8Array);
      parts.push(varint(lie.length ?? BigInt(payload.length)), payload);
    }
  }
  return concat(...parts);
}

/** Every field of the tree, depth first, with its parent list. */
export function allFields(fields: WireField[], out: { field: WireField; parent: WireField[] }[] = []): { field: WireField; parent: WireField[] }[] {
  for (const f of fields) {
    out.push({ field: f, parent: fields });
    if (Array.isArray(f.value)) allFields(f.value, out);
  }
  return out;
}

/** The offsets where a field starts, its tag ends, its payload starts, and it ends. */
export function fieldBoundaries(fields: WireField[]): number[] {
  const cuts = new Set<number>();
  for (const { field } of allFields(fields)) for (const k of [field.start, field.tagEnd, field.payloadStart, field.end - 1]) cuts.add(k);
  return [...cuts].sort((a, b) => a - b);
}

export const VARINT_LIES = [0n, 1n, 2n, 3n, 0x7fn, 0x80n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

/** One wire-level mutation; `pick` chooses a field (modulo their number). */
export type WireOp =
  | { op: 'varint'; pick: number; value: bigint }
  | { op: 'varintNudge'; pick: number; delta: number }
  | { op: 'length'; pick: number; value: bigint | null; delta: number }
  | { op: 'wire'; pick: number; wire: number }
  | { op: 'num'; pick: number; num: number }
  | { op: 'padTag'; pick: number; pad: number }
  | { op: 'drop'; pick: number }
  | { op: 'repeat'; pick: number }
  | { op: 'swap'; pick: number };

const pick = fc.nat({ max: 1 << 20 });
export const wireOp: fc.Arbitrary<WireOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('varint' as const), pick, value: fc.constantFrom(...VARINT_LIES) }) },
  fc.record({ op: fc.constant('varintNudge' as const), pick, delta: fc.constantFrom(-2, -1, 1, 2, 100) }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('length' as const), pick, value: fc.option(fc.constantFrom(0n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 64n - 1n), { nil: null }), delta: fc.constantFrom(-8, -2, -1, 1, 2, 8) }) },
  fc.record({ op: fc.constant('wire' as const), pick, wire: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('num' as const), pick, num: fc.constantFrom(1, 2, 3, 5, 7, 8, 9, 13, 20, 100, 2 ** 29 - 1) }),
  fc.record({ op: fc.constant('padTag' as const), pick, pad: fc.constantFrom(1, 4, 9, 10) }),
  fc.record({ op: fc.constant('drop' as const), pick }),
  fc.record({ op: fc.constant('repeat' as const), pick }),
  fc.record({ op: fc.constant('swap' as const), pick }),
);

/** The file after `ops` on its parsed tree (each op picks among varint or length-delimited fields as it needs). */
export function applyWireOps(tree: WireField[], ops: readonly WireOp[]): Uint8Array {
  const clone = (fs: WireField[]): WireField[] => fs.map((f) => ({ ...f, value: Array.isArray(f.value) ? clone(f.value) : f.value }));
  const root = clone(tree), lies = new Map<WireField, FieldLie>();
  for (const o of ops) {
    const every = allFields(root);
    const of = (ok: (f: WireField) => boolean) => { const c = every.filter((e) => ok(e.field)); return c.length ? c[o.pick % c.length] : undefined; };
    const lie = (f: WireField) => { const l = lies.get(f) ?? {}; lies.set(f, l); return l; };
    switch (o.op) {
      case 'varint': { const e = of((f) => f.wire === 0); if (e) e.field.value = o.value; break; }
      case 'varintNudge': { const e = of((f) => f.wire === 0); if (e) e.field.value = BigInt.asUintN(64, (e.field.value as bigint) + BigInt(o.delta)); break; }
      case 'length': {
        const e = of((f) => f.wire === 2);
        if (e) {
          const actual = Array.isArray(e.field.value) ? writeWire(e.field.value).length : (e.field.value as Uint8Array).length;
          lie(e.field).length = o.value ?? BigInt(Math.max(0, actual + o.delta));
        }
        break;
      }
      case 'wire': { const e = of(() => true); if (e) lie(e.field).wire = o.wire; break; }
      case 'num': { const e = of(() => true); if (e) lie(e.field).num = o.num; break; }
      case 'padTag': { const e = of(() => true); if (e) lie(e.field).padTag = o.pad; break; }
      case 'drop': { const e = of(() => true); if (e) e.parent.splice(e.parent.indexOf(e.field), 1); break; }
      case 'repeat': { const e = of(() => true); if (e) e.parent.splice(e.parent.indexOf(e.field), 0, { ...e.field }); break; }
      case 'swap': {
        const e = of(() => true);
        if (e) { const i = e.parent.indexOf(e.field), j = (i + 1) % e.parent.length; [e.parent[i], e.parent[j]] = [e.parent[j], e.parent[i]]; }
        break;
      }
    }
  }
  return writeWire(root, lies);
}
