// Start-up through the Node entry: errors before init, idempotence, what runs, every kind of
// wasm source, and every way a source can be wrong.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { LSTM, RNN_ERROR_CODES, RnnError, init, runtimeSupport, tensor } from '../src/node.js';
import { createBackend } from '../src/backend.js';

const wasmUrl = (b: string) => new URL(`../wasm/simd-rnn.${b}.wasm`, import.meta.url);
const noDefault = () => { throw new Error('the default source must not be used'); };

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) {
    expect(e).toBeInstanceOf(RnnError);
    expect(e).toBeInstanceOf(Error);
    return (e as RnnError).code;
  }
  return 'no error';
}

describe('before init', () => {
  test('a call that needs the wasm throws NOT_INITIALIZED', async () => {
    expect(await codeOf(() => new LSTM({ inputSize: 2, hiddenSize: 3 }))).toBe('NOT_INITIALIZED');
  });
});

describe('init', () => {
  test('picks relaxed SIMD where the runtime validates it, and is idempotent', async () => {
    expect(runtimeSupport()).toEqual({ simd: true, relaxed: true }); // the flag is on in vitest
    const [a, b] = await Promise.all([init(), init()]);
    expect(a).toBe(b);
    expect(a.simd).toBe('relaxed');
    expect(await init({ simd: 'relaxed' })).toBe(a);
    expect(await codeOf(init({ simd: 'baseline' }))).toBe('BAD_ARGUMENT');
    expect(tensor([1, 2, 3, 4, 5, 6], [2, 3]).shape).toEqual([2, 3]);
  });

  test('accepts a Module, bytes, a Uint8Array view, a file: URL and a Response', async () => {
    const bytes = await readFile(wasmUrl('baseline'));
    const sources = [
      new WebAssembly.Module(bytes),
      bytes,
      new Uint8Array(bytes).buffer,
      new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
      Promise.resolve(new Response(bytes)),
    ];
    for (const wasm of sources) {
      const b = await createBackend({ wasm }, noDefault);
      expect(b.simd).toBe('baseline');
      expect(b.kernels.simd_relaxed()).toBe(0);
    }
    const relaxed = await createBackend({ wasm: await readFile(wasmUrl('relaxed')) }, noDefault);
    expect(relaxed.simd).toBe('relaxed');
  });

  test('the Node entry reads a file: URL given as options.wasm', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `
      import { init } from './dist/node.js';
      const b = await init({ wasm: new URL('./wasm/simd-rnn.baseline.wasm', 'file://' + process.cwd() + '/') });
      console.log(b.simd);`], { encoding: 'utf8' });
    expect(stdout.trim()).toBe('baseline');
  });

  test('bytes that are not our module are BAD_FILE, naming what is wrong', async () => {
    const notWasm = new TextEncoder().encode('definitely not wasm');
    const emptyModule = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    // (module (import "env" "f" (func)))
    const withImport = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0,
      2, 9, 1, 3, 0x65, 0x6e, 0x76, 1, 0x66, 0, 0]);
    const truncated = (await readFile(wasmUrl('baseline'))).subarray(0, 500);
    for (const [wasm, pattern] of [[notWasm, /not a valid WebAssembly/], [emptyModule, /lacks the exports memory/],
      [withImport, /imports env\.f/], [truncated, /not a valid WebAssembly/]] as const) {
      const p = createBackend({ wasm }, noDefault);
      await expect(p).rejects.toThrow(pattern);
      expect(await codeOf(createBackend({ wasm }, noDefault))).toBe('BAD_FILE');
    }
    expect(await codeOf(createBackend({ wasm: new Response('gone', { status: 404 }) }, noDefault))).toBe('BAD_FILE');
  });

  test('bad options are BAD_ARGUMENT', async () => {
    for (const options of [{ simd: 'fast' }, { wasm: 42 }, { wasm: 'simd-rnn.wasm' }, { maxMemoryBytes: -1 }, 7]) {
      expect(await codeOf(createBackend(options as never, noDefault)), JSON.stringify(options)).toBe('BAD_ARGUMENT');
    }
    const relaxedBytes = await readFile(wasmUrl('relaxed'));
    await expect(createBackend({ simd: 'baseline', wasm: relaxedBytes }, noDefault)).rejects.toThrow(/relaxed build/);
  });

  test("forcing relaxed where the runtime lacks it is UNSUPPORTED, saying so", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `
      import { init } from './dist/node.js';
      try { await init({ simd: 'relaxed' }); console.log('no error'); }
      catch (e) { console.log(e.code + ': ' + e.message); }`], { encoding: 'utf8' });
    expect(stdout).toMatch(/^UNSUPPORTED: .*relaxed SIMD/);
  });

  test('every error code is exported', () => {
    expect([...RNN_ERROR_CODES].sort()).toEqual(['BAD_ARGUMENT', 'BAD_FILE', 'DISPOSED', 'NOT_FINITE',
      'NOT_INITIALIZED', 'NO_TAPE', 'OUT_OF_MEMORY', 'SHAPE_MISMATCH', 'UNSUPPORTED']);
  });
});

describe('tensor', () => {
  test('checks data against the shape, and the kind of data', async () => {
    await init();
    const data = new Float32Array(6);
    expect(tensor(data, [3, 2]).data).toBe(data);
    expect(tensor([], [0, 4]).data.length).toBe(0);
    expect(await codeOf(() => tensor(data, [4, 2]))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(() => tensor(new Float64Array(6) as never, [6]))).toBe('BAD_ARGUMENT');
    expect(await codeOf(() => tensor(data, [2, -3]))).toBe('BAD_ARGUMENT');
    expect(await codeOf(() => tensor(data, [2.5]))).toBe('BAD_ARGUMENT');
    expect(await codeOf(() => tensor(data, 6 as never))).toBe('BAD_ARGUMENT');
  });
});

describe('package exports', () => {
  test('each runtime condition resolves to its entry, and every entry exists', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const root = pkg.exports['.'];
    expect(root.workerd).toBe('./dist/workerd.js');
    expect(root.node).toBe('./dist/node.js');
    expect(root.bun).toBe('./dist/node.js');
    expect(root.deno).toBe('./dist/deno.js');
    expect(root.browser).toBe('./dist/index.js');
    expect(root.default).toBe('./dist/index.js');
    for (const file of new Set(Object.values(root) as string[])) await readFile(new URL(`../${file}`, import.meta.url));
    // The one runtime dependency serves the simd-rnn/onnx entry only; test/onnx-read.test.ts
    // checks that the core entries never reach it.
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['@bufbuild/protobuf']);
    const resolved = await promisify(execFile)(process.execPath, ['--input-type=module', '-e',
      "console.log(import.meta.resolve('simd-rnn'))"], { encoding: 'utf8' });
    expect(resolved.stdout.trim()).toMatch(/\/dist\/node\.js$/);
  });
});
