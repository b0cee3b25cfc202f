// The package as users install it: `npm pack` of the built tree (the suite runs after
// `npm run build`) into a temporary directory, then
//   - what the tarball holds (LICENSE included, no sources or tests),
//   - publint on the tarball: no error and no warning (warnings count as errors),
//   - @arethetypeswrong/cli on the tarball with the esm-only profile,
//   - a consumer project with the unpacked tarball as node_modules/simd-rnn (its dependency
//     @bufbuild/protobuf and @types/node linked from ours: no network) whose TypeScript
//     imports simd-rnn, simd-rnn/onnx and simd-rnn/keras and type-checks with
//     `tsc --strict --noEmit` (libraries' declarations checked too) for moduleResolution
//     bundler and node16; a second file with deliberate type errors must fail with exactly
//     those errors, so the check cannot pass on types that resolve to nothing or to `any`.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unpack, type TarballFile } from '@publint/pack';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
let dir = '', tarball = '', files: TarballFile[] = [], rootDir = '';

interface Run { code: number; stdout: string; stderr: string }

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, encoding: 'utf8', timeout: 110_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A package's folder in our node_modules, or the file of one of its bins. */
function packageFile(name: string, bin?: string): string {
  const folder = realpathSync(join(root, 'node_modules', name));
  if (bin === undefined) return folder;
  const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  return join(folder, typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[bin]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simd-rnn-package-'));
  // --ignore-scripts: a pack never rebuilds; the test checks the tree as built
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(dir, JSON.parse(packed.stdout)[0].filename);
  ({ files, rootDir } = await unpack(readFileSync(tarball)));
}, 50_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const names = () => files.map((f) => f.name.slice(rootDir.length + 1));

describe('the packed tarball', () => {
  test('holds the licence, the readme, the build, the wasm and the data; no sources or tests', () => {
    const all = names();
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/workerd.js',
      'dist/onnx.js', 'dist/onnx.d.ts', 'dist/keras.js', 'dist/keras.d.ts', 'dist/cli/main.js',
      'wasm/simd-rnn.baseline.wasm', 'wasm/simd-rnn.relaxed.wasm', 'data/first-names.txt',
      'wasm/simd-rnn.baseline-threads.wasm', 'wasm/simd-rnn.relaxed-threads.wasm', 'dist/deno.js',
      'dist/threads/node-worker.js', 'dist/threads/web-worker.js']) expect(all, f).toContain(f);
    expect(all.filter((f) => /^(src|test|assembly|bench|examples|docs|node_modules)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const license = new TextDecoder().decode(files.find((f) => f.name === `${rootDir}/LICENSE`)!.data);
    expect(license).toMatch(/^MIT License/);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).license).toBe('MIT');
  });

  test('publint: no errors, no warnings', async () => {
    const pkg = JSON.parse(new TextDecoder().decode(files.find((f) => f.name === `${rootDir}/package.json`)!.data));
    const lint = async (pack: TarballFile[]) => (await publint({ pack: { files: pack }, pkgDir: rootDir, level: 'warning', strict: true })).messages;
    const messages = await lint(files);
    expect(messages.map((m) => formatMessage(m, pkg, { color: false }))).toEqual([]);
    // the same lint on a package.json whose export names a file the tarball lacks fails
    const broken = { ...pkg, exports: { ...pkg.exports, './onnx': { types: './dist/onnx.d.ts', default: './dist/no-such-file.js' } } };
    const withBroken = files.map((f) => (f.name === `${rootDir}/package.json` ? { name: f.name, data: new TextEncoder().encode(JSON.stringify(broken)) } : f));
    expect((await lint(withBroken)).map((m) => m.code)).toContain('FILE_DOES_NOT_EXIST');
  });

  // The esm-only profile: simd-rnn is an ES module package ("type": "module", no "require"
  // condition), so the two resolutions that cannot load it are out of scope and ignored:
  // node10 (TypeScript's legacy `moduleResolution: node`, which knows no subpath exports)
  // and node16 from CommonJS (where it is ESM, reachable by dynamic import only). The wasm
  // subpaths are assets (bytes for custom hosting and bundlers), not modules with types.
  test('@arethetypeswrong/cli, esm-only profile', { timeout: 120_000 }, async () => {
    const r = await run(process.execPath, [packageFile('@arethetypeswrong/cli', 'attw'), tarball, '--profile', 'esm-only', '--format', 'json',
      '--exclude-entrypoints', './wasm/simd-rnn.baseline.wasm', './wasm/simd-rnn.relaxed.wasm',
      './wasm/simd-rnn.baseline-threads.wasm', './wasm/simd-rnn.relaxed-threads.wasm'], dir);
    expect(r.code, r.stdout.slice(0, 2000) + r.stderr).toBe(0);
    const { analysis, problems } = JSON.parse(r.stdout);
    // what it reports at all is in the resolutions the profile ignores
    const kinds = new Set(Object.values(problems as Record<string, { resolutionKind?: string }[]>).flat().map((p) => p.resolutionKind));
    expect([...kinds].filter((k) => k !== 'node10' && k !== 'node16-cjs')).toEqual([]);
    // and every module entry resolved to declarations in both resolutions that matter
    for (const entry of ['.', './onnx', './keras']) {
      for (const kind of ['node16-esm', 'bundler']) {
        expect(analysis.entrypoints[entry]?.resolutions[kind]?.resolution?.fileName, `${entry} ${kind}`).toMatch(/\/dist\/[a-z]+\.d\.ts$/);
      }
    }
  });
});

/** Uses every entry's types: fails to type-check if any resolves wrongly or to nothing. */
const GOOD = `import { init, LSTM, Linear, Sequential, RnnError, saveCheckpoint, loadCheckpoint, type Tensor, type Backend } from 'simd-rnn';
import { exportOnnx, importOnnx, readOnnx, type OnnxModel } from 'simd-rnn/onnx';
import { loadKerasModel, KerasModel } from 'simd-rnn/keras';

const backend: Backend = await init({ simd: 'auto' });
const mode: 'relaxed' | 'baseline' = backend.simd;
const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 });
const x: Tensor = { data: new Float32Array(2 * 1 * 3), shape: [2, 1, 3] };
const { output, h, c } = lstm.forward(x, undefined, { train: true });
const data: Float32Array = output.data;
const cell: Tensor | undefined = c;
const model = new Sequential([lstm, new Linear({ inFeatures: 4, outFeatures: 2, seed: 2 })]);
const bytes: Uint8Array = saveCheckpoint(model);
const restored = loadCheckpoint(bytes).model;
const onnx: Uint8Array = exportOnnx(lstm, { opset: 17 });
const graph: OnnxModel = readOnnx(onnx);
const layers = importOnnx(onnx).map((i) => i.layer);
const keras: KerasModel = loadKerasModel({}, []);
try { lstm.dispose(); } catch (e) { if (e instanceof RnnError) console.log(e.code); }
export { mode, h, data, cell, restored, graph, layers, keras };
`;

/** One deliberate type error per entry: [line, TypeScript error code]. */
const BAD = `import { LSTM } from 'simd-rnn';
import { exportOnnx } from 'simd-rnn/onnx';
import { loadKerasModel } from 'simd-rnn/keras';

export const a = new LSTM({ inputSize: '3', hiddenSize: 4 });
export const b: string = exportOnnx(new LSTM({ inputSize: 3, hiddenSize: 4 }));
export const c = loadKerasModel(42, []);
`;
const BAD_ERRORS = ['bad.ts(5,29): TS2322', 'bad.ts(6,14): TS2322', 'bad.ts(7,33): TS2345'];

describe('a consumer project type-checks against the packed types', () => {
  let consumer = '';
  beforeAll(() => {
    consumer = join(dir, 'consumer');
    for (const f of files) {
      const to = join(consumer, 'node_modules', 'simd-rnn', f.name.slice(rootDir.length + 1));
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, f.data);
    }
    for (const dep of ['@bufbuild/protobuf', '@types/node']) {
      mkdirSync(dirname(join(consumer, 'node_modules', dep)), { recursive: true });
      symlinkSync(packageFile(dep), join(consumer, 'node_modules', dep), 'dir');
    }
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'simd-rnn': '*' } }));
    writeFileSync(join(consumer, 'good.ts'), GOOD);
    writeFileSync(join(consumer, 'bad.ts'), BAD);
    const config = (options: object) => JSON.stringify({ compilerOptions: { target: 'ES2022', ...options }, files: ['good.ts', 'bad.ts'] }, null, 2);
    // a browser or bundler project (DOM lib, no Node types) and a Node project (Node types, no DOM lib)
    writeFileSync(join(consumer, 'tsconfig.bundler.json'), config({ module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] }));
    writeFileSync(join(consumer, 'tsconfig.node16.json'), config({ module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] }));
  });

  test.concurrent.each(['bundler', 'node16'])('moduleResolution %s: tsc --strict --noEmit', async (mode) => {
    const r = await run(process.execPath, [packageFile('typescript', 'tsc'), '-p', `tsconfig.${mode}.json`, '--strict', '--noEmit', '--pretty', 'false'], consumer);
    const errors = r.stdout.split('\n').filter((l) => / error TS\d+:/.test(l));
    // good.ts and the package's declarations are clean; bad.ts fails exactly where it should
    expect(errors.filter((l) => !l.startsWith('bad.ts(')), r.stdout).toEqual([]);
    expect(errors.map((l) => l.replace(/: error (TS\d+):.*/, ': $1'))).toEqual(BAD_ERRORS);
    expect(r.code).toBe(2);
  }, 120_000);  // about 6 s of CPU each; more on a loaded machine
});
