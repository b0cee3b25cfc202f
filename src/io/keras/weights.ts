/**
 * The weights of a tfjs-layers `model.json`: its `weightsManifest` is a list of groups
 * `{ paths, weights: [{ name, shape, dtype, quantization? }] }`; the bytes of the weight files,
 * concatenated in the manifest's order, hold every weight in turn, little-endian, without
 * padding. float32 weights are read as they are; quantized ones (tensorflowjs_converter's
 * `--quantize_uint8`, `--quantize_uint16`, `--quantize_float16`) are dequantized to float32 as
 * tfjs does: q * scale + min for uint8 / uint16, the half-precision value for float16. Any
 * other dtype is UNSUPPORTED; a manifest that does not describe the bytes exactly, or a weight
 * holding NaN or Infinity, is BAD_FILE. Each weight's size is checked against the bytes left
 * before its array is allocated, so a shape that lies allocates nothing.
 */
import { RnnError, describe } from '../../errors.js';
import type { Tensor } from '../../tensor.js';

function bad(message: string): never {
  throw new RnnError('BAD_FILE', `loadKerasModel: ${message}`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The weight files as one byte array (a single file is used as it is). */
export function concatWeights(weights: unknown): Uint8Array {
  const one = (w: unknown, what: string): Uint8Array => {
    if (w instanceof Uint8Array) return w;
    if (w instanceof ArrayBuffer) return new Uint8Array(w);
    throw new RnnError('BAD_ARGUMENT', `loadKerasModel: ${what} must be a Uint8Array or an ArrayBuffer, got ${describe(w)}`);
  };
  if (!Array.isArray(weights)) return one(weights, 'weights');
  const parts = weights.map((w, i) => one(w, `weights[${i}]`));
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const isDims = (s: unknown): s is number[] => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);

/** Every weight of the manifest by its name, as float32. */
export function readWeights(manifest: unknown, bytes: Uint8Array): Map<string, Tensor> {
  if (!Array.isArray(manifest)) bad(`weightsManifest must be an array of groups { paths, weights }, got ${describe(manifest)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Tensor>();
  let at = 0;
  manifest.forEach((group: unknown, g) => {
    const weights = (group as { weights?: unknown } | null)?.weights;
    if (!Array.isArray(weights)) bad(`weightsManifest[${g}].weights must be an array, got ${describe(weights)}`);
    weights.forEach((w: unknown, i) => {
      const where = `weightsManifest[${g}].weights[${i}]`;
      if (typeof w !== 'object' || w === null) bad(`${where} must be an object { name, shape, dtype }, got ${describe(w)}`);
      const { name, shape, dtype, quantization } = w as Record<string, unknown>;
      if (typeof name !== 'string') bad(`${where}.name must be a string, got ${describe(name)}`);
      if (!isDims(shape)) bad(`${where}.shape (${name}) must be an array of non-negative integers, got ${describe(shape)}`);
      if (out.has(name)) bad(`the weight ${JSON.stringify(name)} appears twice in weightsManifest`);
      // n is a float product: compared with the bytes there are before anything is allocated
      const n = shape.reduce((a, b) => a * b, 1);
      const short = (size: number): void => { if (at + n * size > bytes.length) bad(`the weight files hold ${bytes.length} bytes, but ${name} needs bytes ${at} to ${at + n * size}: the files are shorter than the manifest`); };
      let data: Float32Array;
      if (quantization !== undefined && quantization !== null) {
        const q = quantization as Record<string, unknown>;
        const original = q.original_dtype ?? dtype;
        if (original !== 'float32') throw new RnnError('UNSUPPORTED', `loadKerasModel: ${where} (${name}): quantized weights of dtype ${describe(original)} are not supported (float32 only)`);
        const size = q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' || q.dtype === 'float16' ? 2 : 0;
        if (!size) throw new RnnError('UNSUPPORTED', `loadKerasModel: ${where} (${name}): quantization dtype ${describe(q.dtype)} is not supported (uint8, uint16, float16)`);
        short(size);
        data = new Float32Array(n);
        if (q.dtype === 'float16') {
          for (let k = 0; k < n; k++) data[k] = halfToFloat(view.getUint16(at + 2 * k, true));
        } else {
          const { scale, min } = q;
          if (typeof scale !== 'number' || typeof min !== 'number' || !Number.isFinite(scale) || !Number.isFinite(min)) {
            bad(`${where}.quantization (${name}) needs finite numbers scale and min, got ${describe(scale)} and ${describe(min)}`);
          }
          for (let k = 0; k < n; k++) data[k] = (size === 1 ? bytes[at + k] : view.getUint16(at + 2 * k, true)) * scale + min;
        }
        at += n * size;
      } else {
        if (dtype !== 'float32') throw new RnnError('UNSUPPORTED', `loadKerasModel: ${where} (${name}): dtype ${describe(dtype)} is not supported (float32, or quantized uint8 / uint16 / float16)`);
        short(4);
        data = new Float32Array(n);
        for (let k = 0; k < n; k++) data[k] = view.getFloat32(at + 4 * k, true);
        at += n * 4;
      }
      // NaN or Infinity in a file's weights is a broken file (as for checkpoints and ONNX)
      const nonFinite = data.findIndex((v) => !Number.isFinite(v));
      if (nonFinite >= 0) bad(`${where} (${name}) holds ${data[nonFinite]} at index ${nonFinite}`);
      out.set(name, { data, shape: [...shape] });
    });
  });
  if (at !== bytes.length) bad(`the weight files hold ${bytes.length} bytes, the manifest describes ${at}: ${bytes.length - at} bytes left over`);
  return out;
}
