// Safetensors files taken apart and put back with lies in them, for the safetensors and
// checkpoint fuzz suites. The header is kept as an ordered list of [name, value] entries and
// written by hand, so that duplicate names and "__proto__" keys survive into the JSON text.
import fc from 'fast-check';
import { concat } from './fuzz-files.js';

export type Entries = [string, unknown][];

/** A safetensors file as its header entries and its data bytes. */
export interface SplitFile {
  entries: Entries;
  data: Uint8Array;
}

export function splitSafetensors(bytes: Uint8Array): SplitFile {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { entries: Object.entries(header), data: bytes.slice(8 + n) };
}

/** The JSON text of `value`, where objects built by JSON.parse keep an own "__proto__" key. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value);
}

export function headerText(entries: Entries): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
}

/** A file of `header` (bytes or text) and `data`; `size` overrides the header size field. */
export function joinSafetensors(header: string | Uint8Array, data: Uint8Array, size?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, size ?? BigInt(h.length), true);
  return concat(head, h, data);
}

/** Names that are special to JavaScript objects, or odd as keys. */
export const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', '__metadata__', 'optimizer.0', 'optimizer.01', 'optimizer.99999999999999999999', '\u0000', '\ud800', 'x'.repeat(300)];
/** An object whose own key is "__proto__" (as JSON.parse makes it). */
const protoObject = (value: unknown): unknown => JSON.parse(`{"__proto__":${JSON.stringify(value)}}`);

const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'f32', '', null, 32, ['F32'], {}];
const DIMS = [-1, 0, 1, 2, 3, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, '3', null, true, [2]];
const NOT_OBJECTS = [[], 'x', 1, 0, null, true, [{}]];
const METADATA = [...NOT_OBJECTS, {}, { a: 1 }, { a: {} }, { a: null }, { '': '' }, protoObject('x'), protoObject({ a: 'b' }), { constructor: 'x', toString: 'y' }];

/** How a tensor's data_offsets lie. */
export type OffsetLie = 'reverse' | 'shift' | 'grow' | 'overlap' | 'beyond' | 'huge' | 'negative' | 'fractional' | 'short' | 'long' | 'strings' | 'notArray' | 'swap';

/** One edit of a safetensors header. `pick` chooses a tensor entry (modulo their number). */
export type HeaderEdit =
  | { edit: 'dtype'; pick: number; value: unknown }
  | { edit: 'shape'; pick: number; value: unknown }
  | { edit: 'permuteShape'; pick: number }
  | { edit: 'offsets'; pick: number; lie: OffsetLie; delta: number; other: number }
  | { edit: 'duplicate'; pick: number }
  | { edit: 'remove'; pick: number }
  | { edit: 'extra'; name: string; floats: number }
  | { edit: 'rename'; pick: number; name: string }
  | { edit: 'fieldless'; pick: number; field: 'dtype' | 'shape' | 'data_offsets' }
  | { edit: 'entry'; pick: number; value: unknown }
  | { edit: 'metadata'; value: unknown }
  | { edit: 'whole'; value: unknown }
  | { edit: 'text'; how: 'spaces' | 'nul' | 'bom' | 'badUtf8' | 'cut' | 'deep' | 'trailing'; at: number };

const pick = fc.nat({ max: 1000 });
export const headerEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  fc.record({ edit: fc.constant('dtype' as const), pick, value: fc.constantFrom(...DTYPES) }),
  fc.record({ edit: fc.constant('shape' as const), pick, value: fc.oneof(fc.array(fc.constantFrom(...DIMS), { maxLength: 4 }), fc.constantFrom('3', 3, null, {}, [[]])) }),
  fc.record({ edit: fc.constant('permuteShape' as const), pick }),
  fc.record({
    edit: fc.constant('offsets' as const), pick, other: pick, delta: fc.integer({ min: -9, max: 9 }),
    lie: fc.constantFrom<OffsetLie>('reverse', 'shift', 'grow', 'overlap', 'beyond', 'huge', 'negative', 'fractional', 'short', 'long', 'strings', 'notArray', 'swap'),
  }),
  fc.record({ edit: fc.constant('duplicate' as const), pick }),
  fc.record({ edit: fc.constant('remove' as const), pick }),
  fc.record({ edit: fc.constant('extra' as const), name: fc.oneof(fc.constantFrom(...ODD_NAMES), fc.string({ maxLength: 6 })), floats: fc.nat({ max: 5 }) }),
  fc.record({ edit: fc.constant('rename' as const), pick, name: fc.oneof(fc.constantFrom(...ODD_NAMES), fc.string({ maxLength: 6 })) }),
  fc.record({ edit: fc.constant('fieldless' as const), pick, field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const) }),
  fc.record({ edit: fc.constant('entry' as const), pick, value: fc.constantFrom(...NOT_OBJECTS, protoObject({})) }),
  fc.record({ edit: fc.constant('metadata' as const), value: fc.constantFrom(...METADATA) }),
  fc.record({ edit: fc.constant('whole' as const), value: fc.constantFrom(...NOT_OBJECTS) }),
  fc.record({ edit: fc.constant('text' as const), how: fc.constantFrom('spaces' as const, 'nul' as const, 'bom' as const, 'badUtf8' as const, 'cut' as const, 'deep' as const, 'trailing' as const), at: pick }),
);

const tensorIndices = (entries: Entries) => entries.flatMap(([k], i) => (k === '__metadata__' ? [] : [i]));

function offsetLie(offsets: unknown, e: Extract<HeaderEdit, { edit: 'offsets' }>, dataBytes: number, others: unknown[]): unknown {
  const [b, end] = Array.isArray(offsets) && offsets.length === 2 ? (offsets as number[]) : [0, 0];
  const other = others.length ? others[e.other % others.length] : offsets;
  switch (e.lie) {
    case 'reverse': return [end, b];
    case 'shift': return [b + e.delta, end + e.delta];
    case 'grow': return [b, end + e.delta];
    case 'overlap': return Array.isArray(other) ? [other[0], (other[0] as number) + end - b] : other;
    case 'beyond': return [dataBytes + Math.abs(e.delta), dataBytes + Math.abs(e.delta) + end - b];
    case 'huge': return [b, e.delta < 0 ? 2 ** 64 : 2 ** 53 + b];
    case 'negative': return [-(end - b), 0];
    case 'fractional': return [b + 0.5, end + 0.5];
    case 'short': return [b];
    case 'long': return [b, end, end];
    case 'strings': return [String(b), String(end)];
    case 'notArray': return e.delta < 0 ? null : `${b}:${end}`;
    case 'swap': return other;
  }
}

/** The file after `edits`: the header as JSON text (or raw bytes for text-level edits) and its data. */
export function applyHeaderEdits(file: SplitFile, edits: readonly HeaderEdit[]): { header: string | Uint8Array; data: Uint8Array } {
  let entries: Entries = file.entries.map(([k, v]) => [k, structuredClone(v)]);
  let data = file.data;
  let whole: unknown;
  const text: Extract<HeaderEdit, { edit: 'text' }>[] = [];
  for (const e of edits) {
    const tensors = tensorIndices(entries);
    const i = tensors.length && 'pick' in e ? tensors[e.pick % tensors.length] : -1;
    const entry = i >= 0 ? entries[i][1] : undefined;
    const obj = typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null;
    switch (e.edit) {
      case 'dtype': if (obj) obj.dtype = e.value; break;
      case 'shape': if (obj) obj.shape = e.value; break;
      case 'permuteShape': if (obj && Array.isArray(obj.shape)) obj.shape = [...obj.shape].reverse(); break;
      case 'offsets': if (obj) obj.data_offsets = offsetLie(obj.data_offsets, e, data.length, tensors.filter((k) => k !== i).map((k) => (entries[k][1] as { data_offsets?: unknown })?.data_offsets)); break;
      case 'duplicate': if (i >= 0) entries.splice(i + 1, 0, [entries[i][0], structuredClone(entries[i][1])]); break;
      case 'remove': if (i >= 0) entries.splice(i, 1); break;
      case 'extra': {
        const values = new Uint8Array(4 * e.floats);
        new Float32Array(values.buffer).fill(0.5);
        entries.push([e.name, { dtype: 'F32', shape: [e.floats], data_offsets: [data.length, data.length + values.length] }]);
        data = concat(data, values);
        break;
      }
      case 'rename': if (i >= 0) entries[i][0] = e.name; break;
      case 'fieldless': if (obj) delete obj[e.field]; break;
      case 'entry': if (i >= 0) entries[i][1] = e.value; break;
      case 'metadata': {
        const m = entries.findIndex(([k]) => k === '__metadata__');
        if (m >= 0) entries[m][1] = e.value; else entries.unshift(['__metadata__', e.value]);
        break;
      }
      case 'whole': whole = e.value; break;
      case 'text': text.push(e); break;
    }
  }
  const json = whole !== undefined ? jsonText(whole) : headerText(entries);
  if (!text.length) return { header: json, data };
  let bytes: Uint8Array = new TextEncoder().encode(json);
  for (const t of text) {
    const k = t.at % (bytes.length + 1);
    if (t.how === 'spaces') bytes = concat(bytes, new Uint8Array(1 + (t.at % 9)).fill(0x20));
    else if (t.how === 'nul') bytes = concat(bytes, new Uint8Array(1 + (t.at % 9)));
    else if (t.how === 'bom') bytes = concat(Uint8Array.of(0xef, 0xbb, 0xbf), bytes);
    else if (t.how === 'badUtf8') bytes = concat(bytes.subarray(0, k), Uint8Array.of(0xc3 + (t.at % 3) * 0x1e), bytes.subarray(k));
    else if (t.how === 'cut') bytes = bytes.slice(0, k);
    else if (t.how === 'trailing') bytes = concat(bytes, new TextEncoder().encode(t.at % 2 ? '{}' : ',1'));
    else bytes = new TextEncoder().encode('['.repeat(1000 + t.at) + ']'.repeat(1000 + t.at));
  }
  return { header: bytes, data };
}
