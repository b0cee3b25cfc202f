/**
 * The safetensors format (https://github.com/huggingface/safetensors, format section):
 *   8 bytes     N, the header size, unsigned 64-bit little-endian
 *   N bytes     a JSON object: { name: { dtype, shape, data_offsets: [begin, end] }, ...,
 *               "__metadata__"?: { string: string } }, may be padded with spaces
 *   the rest    the data buffer; offsets count bytes from its start, little-endian values
 * We write F32 (header padded to a multiple of 8 bytes so the data is aligned). We read F32,
 * F16, BF16 and F64, converting to float32. A file is checked whole before anything is
 * returned: every tensor inside the buffer, sizes matching shapes, no overlaps, no gaps, no
 * bytes left over; anything else is BAD_FILE naming what is wrong.
 */
import { RnnError, describe } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkTensor } from '../checks.js';

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const MAX_HEADER = 100 * 1024 * 1024;

/**
 * A safetensors file of `tensors` (F32, in the order given; a bare Float32Array is saved as
 * 1-D) and optional `metadata` strings. The header is padded to a multiple of 8 bytes so the
 * data is aligned. Needs no `init`.
 */
export function saveSafetensors(tensors: Record<string, Tensor | Float32Array>, metadata?: Record<string, string>): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) throw new RnnError('BAD_ARGUMENT', `saveSafetensors: tensors must be an object of tensors, got ${describe(tensors)}`);
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw new RnnError('BAD_ARGUMENT', `saveSafetensors: metadata must be an object of strings, got ${describe(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new RnnError('BAD_ARGUMENT', `saveSafetensors: metadata.${k} must be a string, got ${describe(v)}`);
  }
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new RnnError('BAD_ARGUMENT', 'saveSafetensors: "__metadata__" is reserved and cannot name a tensor');
    const t = value instanceof Float32Array ? { data: value, shape: [value.length] } : checkTensor(value, `saveSafetensors: ${name}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    parts.push(t.data);
    offset += t.data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const data of parts) {
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
  }
  return out;
}

function bad(message: string): never {
  throw new RnnError('BAD_FILE', `loadSafetensors: ${message}`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Reads a safetensors file: F32, F16, BF16 and F64 tensors, converted to float32. The file is
 * checked whole first (every tensor inside the buffer, sizes matching shapes, no overlap, no
 * gap, no bytes left over); anything else is BAD_FILE naming what is wrong. A header size over
 * 100 MB is refused from the size field alone, before any of the header is decoded. Tensor
 * and metadata names are kept as own properties, "__proto__" included. Needs no `init`.
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): {
  /** Every tensor by its name in the file, as float32. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
} {
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes instanceof Uint8Array ? bytes : null;
  if (!u8) throw new RnnError('BAD_ARGUMENT', `loadSafetensors: bytes must be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  if (u8.length < 8) bad(`the file has ${u8.length} bytes, fewer than the 8 of the header size`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  // checked before a byte of the header is decoded: a header is never read beyond 100 MB
  if (n > MAX_HEADER) bad(`the header claims ${n} bytes, over the limit of ${MAX_HEADER} (100 MB); not read`);
  if (8 + n > u8.length) bad(`the header claims ${n} bytes, but the file has ${u8.length - 8} after the size field`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8, 8 + n)));
  } catch (e) {
    bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('the header is not a JSON object');
  const dataStart = 8 + n, dataBytes = u8.length - dataStart;
  // names become keys through Object.fromEntries (own properties, even "__proto__")
  const metadata: [string, string][] = [];
  const spans: [number, number, string][] = [];
  const entries: [string, string, number[], number][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(`__metadata__.${k} is not a string`);
        metadata.push([k, v]);
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) bad(`tensor ${name} is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) bad(`tensor ${name} has dtype ${describe(e.dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`tensor ${name} has a bad shape ${describe(e.shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || o < 0) || offs[0] > offs[1]) bad(`tensor ${name} has bad data_offsets ${describe(offs)}`);
    const [begin, end] = offs as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * DTYPE_BYTES[e.dtype]) bad(`tensor ${name}: shape [${(e.shape as number[]).join(', ')}] of ${e.dtype} needs ${count * DTYPE_BYTES[e.dtype]} bytes, data_offsets give ${end - begin}`);
    if (end > dataBytes) bad(`tensor ${name} ends at byte ${end} of a data buffer of ${dataBytes} (truncated file?)`);
    spans.push([begin, end, name]);
    entries.push([name, e.dtype, e.shape as number[], begin]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) bad(begin < covered ? `tensor ${name} overlaps the tensor before it` : `a gap of ${begin - covered} bytes before tensor ${name}`);
    covered = end;
  }
  if (covered !== dataBytes) bad(`${dataBytes - covered} bytes after the last tensor belong to no tensor`);
  const tensors: [string, Tensor][] = [];
  const bits = new Uint32Array(1), bitsAsFloat = new Float32Array(bits.buffer);
  for (const [name, dtype, shape, begin] of entries) {
    const count = shape.reduce((a, b) => a * b, 1), data = new Float32Array(count), at = dataStart + begin;
    for (let i = 0; i < count; i++) {
      if (dtype === 'F32') data[i] = view.getFloat32(at + 4 * i, true);
      else if (dtype === 'F64') data[i] = view.getFloat64(at + 8 * i, true);
      else if (dtype === 'F16') data[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      else { bits[0] = view.getUint16(at + 2 * i, true) << 16; data[i] = bitsAsFloat[0]; } // BF16: the top half of an F32
    }
    tensors.push([name, { data, shape: [...shape] }]);
  }
  return { tensors: Object.fromEntries(tensors), metadata: Object.fromEntries(metadata) };
}
