// readOnnx against small ONNX files written by onnx's Python package
// (test/fixtures/onnx-read/make_models.py, which also writes expected.json: every field decoded
// by onnx's own reader), then against broken input: random bytes, every truncation, bit flips,
// huge declared lengths and sizes, deep nesting. A broken file must give RnnError BAD_FILE (or
// UNSUPPORTED, when a flip turns it into a valid file with an unsupported feature, or a valid
// parse), never another exception, and quickly.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { build } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { RnnError } from '../src/errors.js';
import { readOnnx } from '../src/io/onnx/read.js';
import type { OnnxModel, OnnxTensor } from '../src/io/onnx/model.js';
import { ModelProtoSchema, type GraphProto } from '../src/io/onnx/proto/onnx_pb.js';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, 'test', 'fixtures', 'onnx-read');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { model?: Expected; error?: string; message?: string }>;
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const good = Object.keys(expected).filter((n) => expected[n].model);

interface ExpectedTensor { dtype: string; shape: number[]; data: number[] }
type Expected = Record<string, unknown>;

/** The model as JSON-like data, tensors as { dtype, shape, data: number[] }. */
function plain(value: unknown): unknown {
  if (value instanceof Float32Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** expected.json with every tensor's values rounded to float32, as readOnnx stores them. */
function rounded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.dtype === 'string' && Array.isArray(o.shape) && Array.isArray(o.data)) {
      return { data: (o.data as number[]).map(Math.fround), shape: o.shape, dtype: o.dtype };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) Object.defineProperty(out, k, { value: rounded(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

describe('readOnnx decodes what onnx wrote', () => {
  test.each(good)('%s', (name) => {
    const model = readOnnx(file(name));
    expect(plain(model)).toStrictEqual(rounded(expected[name].model));
    // Structure the importer relies on.
    expect(model.initializers).toBe(model.graphs[''].initializers);
    for (const node of model.nodes) expect(Object.hasOwn(model.graphs, node.graph)).toBe(true);
    for (const [path, g] of Object.entries(model.graphs)) {
      expect(g.path).toBe(path);
      if (path !== '') expect(Object.hasOwn(model.graphs, g.parent!)).toBe(true);
    }
  });

  test('a Node Buffer (a view into a shared pool) reads like a Uint8Array', () => {
    for (const name of good) {
      const pooled = Buffer.concat([Buffer.from([1, 2, 3]), readFileSync(join(dir, name))]).subarray(3);
      expect(pooled.byteOffset % 4, name).not.toBe(0);
      expect(plain(readOnnx(pooled)), name).toStrictEqual(plain(readOnnx(file(name))));
      expect(plain(readOnnx(readFileSync(join(dir, name)))), name).toStrictEqual(plain(readOnnx(file(name))));
    }
  });

  test('an LSTM node with its weights', () => {
    const m = readOnnx(file('lstm.onnx'));
    expect(m.opset).toBe(14);
    expect(m.opsets).toEqual({ '': 14, 'ai.onnx.ml': 3 });
    expect(m.producer).toBe('make_models.py');
    expect(m.inputs).toEqual(['x', 'h0']);
    expect(m.outputs).toEqual(['Y', 'Y_h']);
    const [lstm] = m.nodes;
    expect(lstm).toMatchObject({ name: '/rnn/LSTM', opType: 'LSTM', domain: '', graph: '', inputs: ['x', 'W', 'R', 'B', '', 'h0'], outputs: ['Y', 'Y_h', ''] });
    expect(lstm.attributes).toEqual({ hidden_size: 3, direction: 'forward', activations: ['Sigmoid', 'Tanh', 'Tanh'], clip: 2.5, layout: 0 });
    expect(m.initializers.W.shape).toEqual([1, 12, 2]);
    expect(m.initializers.W.data).toBeInstanceOf(Float32Array);
    expect(m.initializers.W.dtype).toBe('float32');
  });

  test('initializers listed as inputs (old files) are not inputs; ai.onnx is the default domain', () => {
    const m = readOnnx(file('old_style.onnx'));
    expect(m.inputs).toEqual(['x']);
    expect(m.graphs[''].inputs).toEqual(['x']);
    expect(m.opset).toBe(9);
    expect(m.irVersion).toBe(3);
  });

  test('subgraph paths, parents and initializers', () => {
    const m = readOnnx(file('if_nested.onnx'));
    // Attributes in file order (onnx's helper writes them sorted by name: else before then).
    expect(Object.keys(m.graphs)).toEqual([
      '',
      '/decoder/If_1.else_branch',
      '/decoder/If_1.else_branch/If_0.else_branch',
      '/decoder/If_1.else_branch/If_0.then_branch',
      '/decoder/If_1.then_branch',
      '/decoder/If_1.then_branch/decoder/Loop.body',
      '/decoder/If_1.then_branch/decoder/Loop.body/inner/Scan.body',
      '/dup.else_branch',
      '/dup.then_branch',
      '/dup.else_branch#2',
      '/dup.then_branch#2',
    ]);
    const scan = m.graphs['/decoder/If_1.then_branch/decoder/Loop.body/inner/Scan.body'];
    expect(scan.parent).toBe('/decoder/If_1.then_branch/decoder/Loop.body');
    expect(Object.keys(scan.initializers)).toEqual(['scan_k']);
    expect(scan.inputs).toEqual(['s_in', 'x_t']);
    expect(Object.keys(m.graphs['/decoder/If_1.then_branch'].initializers)).toEqual(['then_c']);
    expect(Object.keys(m.initializers)).toEqual(['trip']);
    expect(m.initializers.trip).toEqual({ data: new Float32Array([3]), shape: [], dtype: 'int64' });
    // Depth first: a node's subgraph nodes right after it.
    expect(m.nodes.slice(0, 4).map((n) => [n.opType, n.graph])).toEqual([
      ['If', ''], ['If', '/decoder/If_1.else_branch'], ['Add', '/decoder/If_1.else_branch/If_0.else_branch'],
      ['Add', '/decoder/If_1.else_branch/If_0.then_branch'],
    ]);
  });

  test('every attribute type', () => {
    const m = readOnnx(file('attributes.onnx'));
    const [node] = m.nodes;
    expect(node.domain).toBe('test.domain');
    const a = node.attributes;
    expect(a.f).toBe(Math.fround(0.1));
    expect(a.i).toBe(-42);
    expect(a.big).toBe(Number.MAX_SAFE_INTEGER);
    expect(a.small).toBe(-Number.MAX_SAFE_INTEGER);
    expect(a.s).toBe('héllo');
    expect(a.t).toEqual({ data: new Float32Array([1.5, -2, 3.25, 0]), shape: [2, 2], dtype: 'float32' });
    expect(a.floats).toEqual([0.5, -1.25, Math.fround(3e-8)]);
    expect(a.ints).toEqual([1, -2, Number.MAX_SAFE_INTEGER]);
    expect(a.strings).toEqual(['a', '', 'ünï']);
    expect((a.tensors as OnnxTensor[]).map((t) => t.dtype)).toEqual(['float32', 'int64']);
    expect(a.empty_ints).toEqual([]);
    expect('g' in a || 'graphs' in a).toBe(false);
    expect(node.skippedAttributes).toEqual(['sparse', 'type_proto']);
    expect(m.nodes.map((n) => n.graph)).toEqual(['', '/every.g', '/every.graphs[0]', '/every.graphs[1]']);
  });

  test('element types from raw_data and from the typed fields', () => {
    const m = readOnnx(file('dtypes.onnx'));
    const t = m.initializers;
    for (const dtype of ['float32', 'float16', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'bfloat16']) {
      expect(t[`${dtype}_raw`].dtype).toBe(dtype);
      expect(t[`${dtype}_typed`].dtype).toBe(dtype);
      expect([...t[`${dtype}_raw`].data]).toEqual([...t[`${dtype}_typed`].data]);
    }
    expect([...t.int64_raw.data]).toEqual([-(2 ** 53), -(2 ** 53), 2 ** 53, 2 ** 53, 5].map(Math.fround));
    expect([...t.float16_raw.data]).toEqual([1, -2.5, 65504, 5.960464477539063e-8]);
    expect([...t.bfloat16_raw.data]).toEqual([1.5, -2.5, Math.fround(3.3895313892515355e38), Math.fround(9.183549615799121e-41)]);
    expect(t.bfloat16_typed.shape).toEqual([2, 2]);
    expect(t.scalar).toEqual({ data: new Float32Array([2.5]), shape: [], dtype: 'float32' });
    expect(t.empty).toEqual({ data: new Float32Array(0), shape: [0, 3], dtype: 'float32' });
    expect(Object.hasOwn(t, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
  });
});

test('proto/onnx_pb.ts is what proto/generate.mjs makes of proto/onnx.proto', async () => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const tmp = mkdtempSync(join(root, '.tmp', 'onnx-proto-'));
  try {
    await promisify(execFile)(process.execPath, [join(root, 'src', 'io', 'onnx', 'proto', 'generate.mjs'), tmp], { cwd: root });
    const generated = readFileSync(join(tmp, 'onnx_pb.ts'), 'utf8');
    expect(generated === readFileSync(join(root, 'src', 'io', 'onnx', 'proto', 'onnx_pb.ts'), 'utf8'), 'run node src/io/onnx/proto/generate.mjs and commit onnx_pb.ts').toBe(true);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);

test('every float16 and a sweep of bfloat16 bit patterns convert exactly', () => {
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const raw = new Uint8Array(bits.buffer.slice(0));
  const read = (dataType: number) => readOnnx(toBinary(ModelProtoSchema, create(ModelProtoSchema, {
    opsetImport: [{ version: 17n }], graph: { initializer: [{ name: 'h', dataType, dims: [65536n], rawData: raw }] },
  }))).initializers.h.data;
  const half = (h: number) => {
    const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    if (exp === 0) return sign * frac * 2 ** -24;
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * (1 + frac / 1024) * 2 ** (exp - 15);
  };
  const f16 = read(10), bf16 = read(16), f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  for (let h = 0; h < 65536; h++) {
    if (!Object.is(f16[h], half(h)) && !(Number.isNaN(f16[h]) && Number.isNaN(half(h)))) expect.fail(`float16 0x${h.toString(16)}: ${f16[h]}, want ${half(h)}`);
    u32[0] = h << 16;
    if (!Object.is(bf16[h], f32[0]) && !(Number.isNaN(bf16[h]) && Number.isNaN(f32[0]))) expect.fail(`bfloat16 0x${h.toString(16)}: ${bf16[h]}, want ${f32[0]}`);
  }
});

describe('readOnnx refuses', () => {
  test.each(Object.keys(expected).filter((n) => expected[n].error))('%s', (name) => {
    const { error, message } = expected[name];
    expect(() => readOnnx(file(name))).toThrow(expect.objectContaining({ code: error, message: expect.stringContaining(message!) }));
  });

  test('external data, naming the tensor and its file', () => {
    expect(() => readOnnx(file('external.onnx'))).toThrow(/"W_external".*"weights\.bin".*EXTERNAL/);
  });

  test('a non-Uint8Array argument is BAD_ARGUMENT', () => {
    for (const v of [undefined, null, 'model.onnx', [1, 2], new ArrayBuffer(4), new Uint16Array(4), {}]) {
      expect(() => readOnnx(v as Uint8Array)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    }
  });

  test('an empty file, and a protobuf message that holds no graph', () => {
    expect(() => readOnnx(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringContaining('empty') }));
    expect(() => readOnnx(new Uint8Array([0x08, 0x07]))).toThrow(expect.objectContaining({ code: 'BAD_FILE', message: expect.stringContaining('no graph') }));
  });
});

/** Calls readOnnx; returns 'ok' or the RnnError code; any other exception fails the test. */
function outcome(bytes: Uint8Array, what: string): string {
  try {
    readOnnx(bytes);
    return 'ok';
  } catch (e) {
    if (!(e instanceof RnnError) || !['BAD_FILE', 'UNSUPPORTED'].includes(e.code)) {
      throw new Error(`${what}: readOnnx threw ${e instanceof RnnError ? e.code : (e as Error)?.name} (${(e as Error)?.message}), not BAD_FILE`);
    }
    return e.code;
  }
}

/** A seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('broken files are BAD_FILE, never another exception', () => {
  test('random bytes', () => {
    const next = rng(1);
    const codes = new Map<string, number>();
    for (let k = 0; k < 2000; k++) {
      const bytes = new Uint8Array(1 + Math.floor(next() * 512));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      const c = outcome(bytes, `random bytes #${k}`);
      codes.set(c, (codes.get(c) ?? 0) + 1);
    }
    expect(codes.get('BAD_FILE')).toBeGreaterThan(1900);
  });

  test.each(good)('every truncation of %s', (name) => {
    const bytes = file(name);
    for (let n = 0; n < bytes.length; n++) {
      // A protobuf cut at a field boundary is a shorter valid message; anything else is broken.
      outcome(bytes.subarray(0, n), `${name} cut to ${n} bytes`);
    }
    expect(outcome(bytes.subarray(0, bytes.length - 1), `${name} without its last byte`)).toBe('BAD_FILE');
  });

  test.each(good)('bit flips in %s', (name) => {
    const bytes = file(name), next = rng(name.length * 7919);
    for (let k = 0; k < 1500; k++) {
      const copy = bytes.slice(), flips = 1 + Math.floor(next() * 3);
      for (let j = 0; j < flips; j++) copy[Math.floor(next() * copy.length)] ^= 1 << Math.floor(next() * 8);
      outcome(copy, `${name} with flip set #${k}`);
    }
  });

  test.each(good)('bytes overwritten with 0xff runs in %s (huge varints and lengths)', (name) => {
    const bytes = file(name), next = rng(name.length * 31);
    for (let k = 0; k < 500; k++) {
      const copy = bytes.slice(), at = Math.floor(next() * copy.length);
      copy.fill(0xff, at, at + 1 + Math.floor(next() * 10));
      outcome(copy, `${name} with 0xff at ${at}`);
    }
  });

  test('a length far past the end of the file', () => {
    // field 7 (graph), wire type 2, length 2^35, then a few bytes.
    const bytes = new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 2, 3]);
    expect(outcome(bytes, 'huge graph length')).toBe('BAD_FILE');
  });

  /** A model of one graph holding one float initializer `t` with the given dims and values. */
  function oneTensor(tensor: Record<string, unknown>): Uint8Array {
    return toBinary(ModelProtoSchema, create(ModelProtoSchema, {
      irVersion: 8n, opsetImport: [{ domain: '', version: 17n }],
      graph: { name: 'g', initializer: [{ name: 't', dataType: 1, ...tensor }] },
    }));
  }

  test('huge shapes with little data are refused before anything is allocated', () => {
    const t0 = performance.now();
    for (const dims of [[2n ** 40n, 2n ** 40n], [2n ** 31n], [9007199254740991n], [3n, 2n ** 50n, 0n, 5n]]) {
      expect(outcome(oneTensor({ dims, rawData: new Uint8Array(8) }), `dims ${dims}`)).toBe('BAD_FILE');
      expect(outcome(oneTensor({ dims, floatData: [1, 2] }), `dims ${dims}`)).toBe('BAD_FILE');
    }
    expect(outcome(oneTensor({ dims: [-1n], floatData: [] }), 'negative dimension')).toBe('BAD_FILE');
    expect(outcome(oneTensor({ dims: [2n ** 60n], floatData: [] }), 'dimension beyond 2^53')).toBe('BAD_FILE');
    expect(performance.now() - t0).toBeLessThan(500);
  });

  test('graphs nested past the decoder\'s depth limit', () => {
    let g: Partial<GraphProto> = { name: 'leaf' };
    for (let i = 0; i < 200; i++) g = { name: `g${i}`, node: [{ opType: 'If', attribute: [{ name: 'then_branch', type: 5, g: g as GraphProto }] }] };
    const bytes = toBinary(ModelProtoSchema, create(ModelProtoSchema, { opsetImport: [{ version: 17n }], graph: g as GraphProto }));
    expect(outcome(bytes, 'deep nesting')).toBe('BAD_FILE');
    // Moderate nesting reads.
    let h: Partial<GraphProto> = { name: 'leaf' };
    for (let i = 0; i < 20; i++) h = { name: `g${i}`, node: [{ name: 'n', opType: 'If', attribute: [{ name: 'b', type: 5, g: h as GraphProto }] }] };
    const m: OnnxModel = readOnnx(toBinary(ModelProtoSchema, create(ModelProtoSchema, { opsetImport: [{ version: 17n }], graph: h as GraphProto })));
    expect(m.nodes.length).toBe(20);
    expect(m.nodes[19].graph).toBe('/n.b'.repeat(19));
  });

  test('duplicate names and missing parts', () => {
    const model = (graph: Partial<GraphProto>, opsets = [{ domain: '', version: 17n }]) =>
      toBinary(ModelProtoSchema, create(ModelProtoSchema, { opsetImport: opsets, graph: graph as GraphProto }));
    const t = { name: 'w', dataType: 1, dims: [1n], floatData: [1] };
    expect(() => readOnnx(model({ initializer: [t, t] }))).toThrow(/two initializers named "w"/);
    expect(() => readOnnx(model({ initializer: [{ ...t, name: '' }] }))).toThrow(/no name/);
    expect(() => readOnnx(model({}, [{ domain: 'x', version: 1n }]))).toThrow(/default operator set/);
    expect(() => readOnnx(model({ node: [{ opType: 'A', attribute: [{ name: 'a', type: 2, i: 1n }, { name: 'a', type: 2, i: 2n }] }] }))).toThrow(/two attributes named "a"/);
    expect(() => readOnnx(model({ node: [{ opType: 'If', attribute: [{ name: 'g', type: 5 }] }] }))).toThrow(/without a graph/);
    expect(() => readOnnx(model({ initializer: [{ ...t, dataType: 99 }] }))).toThrow(expect.objectContaining({ code: 'BAD_FILE' }));
    expect(() => readOnnx(model({ initializer: [{ ...t, dataType: 17 }] }))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('FLOAT8E4M3FN') }));
    expect(() => readOnnx(model({ initializer: [{ ...t, rawData: new Uint8Array(4) }] }))).toThrow(/both in raw_data/);
  });

  test('attributes without a type (old files) are typed by the field that is set', () => {
    const bytes = toBinary(ModelProtoSchema, create(ModelProtoSchema, {
      opsetImport: [{ version: 7n }],
      graph: { node: [{ opType: 'A', attribute: [{ name: 'ints', ints: [1n, 2n] }, { name: 's', s: new TextEncoder().encode('x') }, { name: 'none' }] }] },
    }));
    const [node] = readOnnx(bytes).nodes;
    expect(node.attributes).toEqual({ ints: [1, 2], s: 'x' });
    expect(node.skippedAttributes).toEqual(['none']);
  });
});

describe('the simd-rnn/onnx entry', () => {
  /** Every file an entry reaches (esbuild follows every import; node: built-ins aside). */
  async function reach(entry: string): Promise<string[]> {
    const r = await build({
      entryPoints: [join(root, entry)], bundle: true, write: false, logLevel: 'silent', metafile: true,
      platform: 'neutral', format: 'esm', external: ['node:*', '*.wasm'],
    });
    return Object.keys(r.metafile.inputs);
  }

  test('the core entries reach neither the ONNX reader nor any package', async () => {
    for (const entry of ['dist/index.js', 'dist/node.js', 'dist/deno.js', 'dist/workerd.js']) {
      const files = await reach(entry);
      expect(files.length, entry).toBeGreaterThan(10);
      expect(files.filter((f) => f.includes('node_modules') || f.includes('dist/io/onnx')), entry).toEqual([]);
    }
    const onnx = await reach('dist/onnx.js');
    expect(onnx.filter((f) => f.includes('node_modules')).every((f) => f.startsWith('node_modules/@bufbuild/protobuf/'))).toBe(true);
  });

  test('a bundle of LSTM alone holds no ONNX code; one of readOnnx holds the decoder', async () => {
    const bundle = async (contents: string) => {
      const r = await build({
        stdin: { contents, resolveDir: root, loader: 'js' }, bundle: true, minify: true, format: 'esm',
        platform: 'browser', write: false, logLevel: 'silent', metafile: true,
      });
      return { bytes: r.outputFiles[0].contents.length, code: r.outputFiles[0].text, inputs: Object.keys(r.metafile.inputs) };
    };
    const lstm = await bundle("import { LSTM } from 'simd-rnn'; console.log(LSTM);");
    expect(lstm.inputs.filter((f) => /bufbuild|onnx/.test(f))).toEqual([]);
    // the simd-rnn/onnx entry also holds the importer, so the bundler reads the layer modules,
    // but readOnnx alone keeps only the decoder (no message of the layers is in it)
    const onnx = await bundle("import { readOnnx } from 'simd-rnn/onnx'; console.log(readOnnx);");
    expect(onnx.inputs.filter((f) => /bufbuild/.test(f)).length).toBeGreaterThan(0);
    expect(onnx.code).not.toContain('needs the whole sequence');
    expect(lstm.code).toContain('needs the whole sequence');
  });

  test('resolves through the package exports and reads a model', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `
      import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
      import { readOnnx } from 'simd-rnn/onnx';
      console.log(readOnnx(new Uint8Array(readFileSync(${JSON.stringify(join(dir, 'lstm.onnx'))}))).nodes[0].opType);`], { cwd: root, encoding: 'utf8' });
    expect(stdout.trim()).toBe('LSTM');
  });

  test('runs in Deno and Bun, and bundled in workerd (which forbids eval and new Function)', async () => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const tmp = mkdtempSync(join(root, '.tmp', 'onnx-read-'));
    const bin = (name: string) => join(root, 'node_modules', '.bin', name);
    const run = (cmd: string, args: string[], cwd = root) => promisify(execFile)(cmd, args, { cwd, encoding: 'utf8' }).then((r) => r.stdout + r.stderr);
    try {
      const script = join(tmp, 'read.mjs');
      writeFileSync(script, `import { readOnnx } from 'simd-rnn/onnx';
        const bytes = new Uint8Array(await (await import('node:fs/promises')).readFile(${JSON.stringify(join(dir, 'if_nested.onnx'))}));
        const m = readOnnx(bytes);
        console.log('read', Object.keys(m.graphs).length, m.nodes.length);`);
      const want = `read ${Object.keys(readOnnx(file('if_nested.onnx')).graphs).length} ${readOnnx(file('if_nested.onnx')).nodes.length}`;
      expect(await run(bin('deno'), ['run', '--allow-read', script])).toContain(want);
      expect(await run(bin('bun'), [script])).toContain(want);
      // workerd: the worker bundled as a deployment tool would bundle it, the model as a data module.
      writeFileSync(join(tmp, 'entry.js'), `import { readOnnx } from 'simd-rnn/onnx';
        import model from './model.bin';
        export default { async test() { const m = readOnnx(new Uint8Array(model)); console.log('read', Object.keys(m.graphs).length, m.nodes.length); } };`);
      copyFileSync(join(dir, 'if_nested.onnx'), join(tmp, 'model.bin'));
      await build({ entryPoints: [join(tmp, 'entry.js')], bundle: true, format: 'esm', outfile: join(tmp, 'worker.js'), external: ['./model.bin'], logLevel: 'silent', absWorkingDir: root });
      writeFileSync(join(tmp, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = ( services = [ (name = "main", worker = .w) ] );
const w :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js"), (name = "./model.bin", data = embed "model.bin") ],
  compatibilityDate = "2025-01-01",
);`);
      const out = await run(bin('workerd'), ['test', 'config.capnp'], tmp);
      expect(out).toContain(want);
      expect(out).toContain('[ PASS ]');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
