// loadKerasModel on bad input (malformed files are BAD_FILE, wrong shapes SHAPE_MISMATCH,
// masks other than one run of valid ids per row UNSUPPORTED, nothing left allocated after a throw), the model's other
// methods, and the simd-rnn/keras entry (resolves through the package exports; the core
// entries do not reach it). The numbers against tfjs are keras.suite.ts's.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';
import { LSTM, Linear, RnnError, init, type Backend } from '../src/node.js';
import { loadKerasModel } from '../src/keras.js';
import { KERAS_CASES, kerasFiles } from './keras.suite.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = (name: string) => kerasFiles(KERAS_CASES.find((c) => c.name === name)!);
let backend: Backend;
beforeAll(async () => { backend = await init(); });

function codeOf(f: () => unknown): string {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return `${(e as RnnError).code}: ${(e as RnnError).message}`; }
  return 'no error';
}

describe('loadKerasModel refuses bad files', () => {
  const { json, bin } = files('lstm_dense_softmax');
  const model = () => JSON.parse(json);

  test('not JSON, no topology, no manifest, a graph model', () => {
    expect(codeOf(() => loadKerasModel('{"modelTopology": ', bin))).toMatch(/^BAD_FILE: .*not JSON/);
    expect(codeOf(() => loadKerasModel({ ...model(), modelTopology: undefined }, bin))).toMatch(/^BAD_FILE: .*modelTopology/);
    expect(codeOf(() => loadKerasModel({ ...model(), weightsManifest: undefined }, bin))).toMatch(/^BAD_FILE: .*weightsManifest/);
    expect(codeOf(() => loadKerasModel({ ...model(), format: 'graph-model' }, bin))).toMatch(/^UNSUPPORTED: .*graph/);
    expect(codeOf(() => loadKerasModel(42 as never, bin))).toMatch(/^BAD_ARGUMENT/);
    expect(codeOf(() => loadKerasModel(json, 'bytes' as never))).toMatch(/^BAD_ARGUMENT/);
  });

  test('weight files shorter or longer than the manifest', () => {
    expect(codeOf(() => loadKerasModel(json, bin.subarray(0, bin.length - 4)))).toMatch(/^BAD_FILE: .*shorter than the manifest/);
    expect(codeOf(() => loadKerasModel(json, [bin, new Uint8Array(4)]))).toMatch(/^BAD_FILE: .*4 bytes left over/);
  });

  test('a weight of the wrong shape, a missing weight, an unknown dtype', () => {
    const m = model(), w = m.weightsManifest[0].weights;
    const kernel = w.find((s: { name: string }) => s.name.endsWith('lstm_LSTM1/kernel') || /lstm.*\/kernel$/.test(s.name));
    kernel.shape = [kernel.shape[0] * 2, kernel.shape[1] / 2]; // the same bytes
    expect(codeOf(() => loadKerasModel(m, bin))).toMatch(/^SHAPE_MISMATCH: .*kernel/);
    const renamed = model();
    renamed.weightsManifest[0].weights[0].name = 'elsewhere/kernel';
    expect(codeOf(() => loadKerasModel(renamed, bin))).toMatch(/^BAD_FILE: /);
    const ints = model();
    ints.weightsManifest[0].weights[0].dtype = 'int32';
    expect(codeOf(() => loadKerasModel(ints, bin))).toMatch(/^UNSUPPORTED: .*int32/);
  });

  test('nothing stays allocated after a refusal, and dispose returns every byte', () => {
    const before = backend.arena.usedBytes;
    // the LSTM is built before the Dense's activation is refused
    const r = files('refuse_dense_elu');
    expect(codeOf(() => loadKerasModel(r.json, r.bin))).toMatch(/^UNSUPPORTED: .*elu/);
    const m = model();
    m.weightsManifest[0].weights.find((s: { name: string }) => s.name.endsWith('/bias') && s.shape[0] === 3).shape = [1, 3]; // the Dense bias
    expect(codeOf(() => loadKerasModel(m, bin))).toMatch(/^SHAPE_MISMATCH/);
    expect(backend.arena.usedBytes).toBe(before);
    const ok = loadKerasModel(json, bin);
    expect(backend.arena.usedBytes).toBeGreaterThan(before);
    ok.dispose();
    ok.dispose();
    expect(backend.arena.usedBytes).toBe(before);
    expect(codeOf(() => ok.predict({ data: new Float32Array(20), shape: [1, 5, 4] }))).toMatch(/^DISPOSED/);
  });
});

describe('KerasModel', () => {
  test('its layers, and weights given as one buffer, an ArrayBuffer or several parts', () => {
    const { json, bin } = files('mask_lstm_seq_gru_td');
    const model = loadKerasModel(json, bin);
    expect(model.layers.map((l) => l.className)).toEqual(['Embedding', 'LSTM', 'Dropout', 'GRU', 'TimeDistributed']);
    expect(model.layers[1].module).toBeInstanceOf(LSTM);
    expect(model.layers[2].module).toBeNull();
    expect(model.takesIds).toBe(true);
    expect(model.inputShape).toEqual([null, 6]);
    const ids = { data: Int32Array.from([1, 2, 3, 4, 5, 6, 3, 3, 0, 0, 0, 0]), shape: [2, 6] };
    const y = model.predict(ids);
    expect(y.shape).toEqual([2, 6, 2]);
    const twice = [loadKerasModel(JSON.parse(json), bin.slice().buffer), loadKerasModel(json, [bin.subarray(0, 10), bin.subarray(10)])];
    for (const m of twice) { expect(m.predict(ids).data).toEqual(y.data); m.dispose(); }
    // ids as whole-number floats, as tfjs takes them
    expect(model.predict({ data: Float32Array.from(ids.data), shape: [2, 6] }).data).toEqual(y.data);
    model.dispose();
  });

  test('mask_zero: the id 0 is skipped wherever it stands', () => {
    const { json, bin } = files('mask_lstm_last'); // Embedding, LSTM (last output), Dense
    const model = loadKerasModel(json, bin);
    const run = (ids: number[]) => Array.from(model.predict({ data: Int32Array.from(ids), shape: [ids.length / 6, 6] }).data);
    // a forward layer's last output sees only the valid steps, wherever the zeros are
    const end = run([1, 5, 2, 0, 0, 0]);
    for (const y of [run([0, 0, 0, 1, 5, 2]), run([0, 1, 5, 2, 0, 0]), run([1, 0, 5, 0, 0, 2]), run([0, 1, 0, 5, 2, 0])]) y.forEach((v, i) => expect(v).toBeCloseTo(end[i], 6));
    // a row's mask is its own: a neighbour without zeros does not change it
    const alone = run([1, 0, 5, 0, 0, 2]);
    run([1, 0, 5, 0, 0, 2, 3, 3, 3, 3, 3, 3]).slice(0, alone.length).forEach((v, i) => expect(v).toBeCloseTo(alone[i], 6));
    // a row of zeros only keeps the LSTM's initial zeros: the Dense gives its bias
    const dense = model.layers[2].module as Linear;
    expect(run([0, 0, 0, 0, 0, 0])).toEqual(Array.from(dense.stateDict().bias.data));
    // without mask_zero the id 0 is an ordinary row of the table
    const plain = loadKerasModel(files('embedding_lstm_dense').json, files('embedding_lstm_dense').bin);
    expect(plain.predict({ data: Int32Array.from([1, 0, 2, 0, 0, 0]), shape: [1, 6] }).shape).toEqual([1, 2]);
    plain.dispose();
    model.dispose();
  });

  test('inputs of the wrong shape or kind', () => {
    const { json, bin } = files('lstm_seq');
    const model = loadKerasModel(json, bin);
    expect(codeOf(() => model.predict({ data: new Float32Array(15), shape: [1, 5, 3] }))).toMatch(/^SHAPE_MISMATCH/);
    expect(codeOf(() => model.predict({ data: new Float32Array(20), shape: [5, 4] }))).toMatch(/^SHAPE_MISMATCH/);
    expect(codeOf(() => model.predict({ data: new Float32Array(19), shape: [1, 5, 4] }))).toMatch(/^SHAPE_MISMATCH/);
    expect(codeOf(() => model.predict({ data: new Int32Array(20), shape: [1, 5, 4] }))).toMatch(/^BAD_ARGUMENT/);
    expect(codeOf(() => model.predict(null as never))).toMatch(/^BAD_ARGUMENT/);
    model.dispose();
  });
});

describe('the simd-rnn/keras entry', () => {
  test('the core entries do not reach the Keras loader', async () => {
    for (const entry of ['dist/index.js', 'dist/node.js', 'dist/workerd.js']) {
      const r = await build({
        entryPoints: [join(root, entry)], bundle: true, write: false, logLevel: 'silent', metafile: true,
        platform: 'neutral', format: 'esm', external: ['node:*', '*.wasm'],
      });
      expect(Object.keys(r.metafile.inputs).filter((f) => f.includes('io/keras') || f.endsWith('keras.js')), entry).toEqual([]);
    }
  });

  test('resolves through the package exports and predicts', async () => {
    const c = KERAS_CASES.find((k) => k.name === 'lstm_dense_softmax')!;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `
      import { readFileSync } from 'node:fs';
      import { init } from 'simd-rnn';
      import { loadKerasModel } from 'simd-rnn/keras';
      await init();
      const dir = ${JSON.stringify(join(root, 'test/fixtures/keras/'))};
      const model = loadKerasModel(readFileSync(dir + 'lstm_dense_softmax.json', 'utf8'), readFileSync(dir + 'lstm_dense_softmax.bin'));
      const y = model.predict({ data: Float32Array.from(${JSON.stringify(c.input!.data)}), shape: ${JSON.stringify(c.input!.shape)} });
      console.log(JSON.stringify(y.shape), model.layers.map((l) => l.className).join(','));`], { cwd: root, encoding: 'utf8' });
    expect(stdout.trim()).toBe('[3,3] LSTM,Dense');
  });
});
