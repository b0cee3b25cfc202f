// The `simd-rnn` command as a user runs it: `node dist/cli/main.js ...` in a child process
// (the suite runs after `npm run build`), checking exit codes, what it prints and the files it
// writes. Trainings are tiny (a few steps of a small model) to keep the file to seconds.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Embedding, LSTM, Linear, Sequential, init, loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '../src/node.js';
import { exportOnnx, importOnnx, readOnnx } from '../src/onnx.js';
import { escapeJson, escapeLine, escapeText } from '../src/cli/escape.js';
import { printable } from '../src/cli/chars.js';

const root = resolve(import.meta.dirname, '..');
const main = join(root, 'dist', 'cli', 'main.js');
const fixtures = join(root, 'test', 'fixtures');
let dir = '';

interface Result { code: number; stdout: string; stderr: string }

function cli(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const TINY = ['--hidden', '24', '--embed', '8', '--batch', '8', '--seq', '16', '--eval-every', '2', '--seed', '3'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simd-rnn-cli-'));
  writeFileSync(join(dir, 'corrupt.safetensors'), 'this is not a checkpoint at all');
  await init();
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('help and version', () => {
  test.concurrent.each(['train', 'sample', 'bench', 'inspect', 'convert', 'export'])('simd-rnn %s --help', async (command) => {
    const r = await cli(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: simd-rnn ${command}`));
    expect(r.stdout).toContain('--help');
    // the commands that write files say how to overwrite them
    if (['train', 'convert', 'export'].includes(command)) expect(r.stdout).toMatch(/--force +overwrite output files that exist/);
  });

  test.concurrent('--help, --version, no command', async () => {
    const [help, version, none] = await Promise.all([cli('--help'), cli('--version'), cli()]);
    expect(help.code).toBe(0);
    for (const c of ['train', 'sample', 'bench', 'inspect', 'convert', 'export']) expect(help.stdout).toContain(`  ${c} `);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: simd-rnn <command>');
  });
});

describe('train, sample, inspect', () => {
  test('names: trains, saves a checkpoint and a chart, samples names, inspects', async () => {
    // given twice, the last value counts (as `npm start -- --steps 6` relies on)
    const t = await cli('train', '--steps', '50', ...TINY, '--steps', '6', '--sample-every', '3', '--out', 'names');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('unigram baseline');
    expect(t.stdout).toMatch(/^step 3 \(val \d\.\d{3}\): [a-z-]+, /m);                // a sample line while training
    expect(t.stdout).toMatch(/trained 6 steps .* validation loss \d\.\d{3} nats per character/);
    expect(t.stderr).toMatch(/step 6\/6/);                                     // the progress line (not a terminal)
    expect(t.stdout).toContain(`checkpoint: ${join('names', 'model.safetensors')}`);
    expect(readFileSync(join(dir, 'names', 'loss.svg'), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*validation[\s\S]*<\/svg>\s*$/);
    // the trained model's gradient flow: one series over the time steps, on a log axis
    expect(readFileSync(join(dir, 'names', 'gradient-flow.svg'), 'utf8')).toMatch(/^<svg[\s\S]*dL\/dh\(t\)[\s\S]*<\/svg>\s*$/);

    const ckpt = join('names', 'model.safetensors');
    const [s1, s2, info, json] = await Promise.all([
      cli('sample', '--checkpoint', ckpt, '--count', '4', '--prompt', 'ma', '--seed', '5'),
      cli('sample', '--checkpoint', ckpt, '--count', '4', '--prompt', 'Ma', '--seed', '5'),   // folded to the list's case
      cli('inspect', ckpt),
      cli('inspect', ckpt, '--json'),
    ]);
    expect(s1.code, s1.stderr).toBe(0);
    const names = s1.stdout.trimEnd().split('\n');
    expect(names).toHaveLength(4);
    for (const n of names) expect(n).toMatch(/^ma[a-z-]*…?$/);
    expect(s2.stdout).toBe(s1.stdout);                                         // seeded

    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/Sequential of 3 layers/);
    expect(info.stdout).toMatch(/1 {2}LSTM +inputSize 8, hiddenSize 24/);
    expect(info.stdout).toMatch(/0\.weight +\[28, 8\]/);
    expect(info.stdout).toMatch(/optimizer +Adam, step 6/);
    expect(info.stdout).toContain('vocabulary of 28 characters');
    const d = JSON.parse(json.stdout);
    expect(d.parameterCount).toBe(28 * 8 + 4 * 24 * (8 + 24 + 2) + 24 * 28 + 28);
    expect(d.metadataKeys.sort()).toEqual(['task', 'training', 'vocabulary']);
    expect(JSON.parse(loadCheckpoint(readFileSync(join(dir, ckpt))).metadata.training).steps).toBe(6);
  });

  test('text: trains on a UTF-8 file (GRU, truncated BPTT k2 > k1) and continues a prompt', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. Über café. '.repeat(40);
    writeFileSync(join(dir, 'fox.txt'), text);
    const t = await cli('train', '--text', 'fox.txt', ...TINY, '--cell', 'gru', '--k2', '24', '--steps', '4', '--quiet', '--out', 'fox');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toBe('');                                                 // --quiet: no progress
    expect(t.stdout).toMatch(/trained 4 steps/);
    const s = await cli('sample', '--checkpoint', join('fox', 'model.safetensors'), '--prompt', 'Über', '--length', '30', '--count', '2', '--seed', '1');
    expect(s.code, s.stderr).toBe(0);
    const samples = s.stdout.trimEnd().split('\n\n');
    expect(samples).toHaveLength(2);
    for (const x of samples) { expect(x.startsWith('Über')).toBe(true); expect(Array.from(x)).toHaveLength(34); }
    const bad = await cli('sample', '--checkpoint', join('fox', 'model.safetensors'), '--prompt', 'zebra€');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--prompt: the character "€" is not in the model's vocabulary/);
  });

  test.concurrent.each(['adding', 'parity'])('synthetic task %s', async (task) => {
    const out = `syn-${task}`;
    const t = await cli('train', '--task', task, '--hidden', '16', '--seq', '10', '--batch', '8', '--steps', '3', '--seed', '2', '--out', out);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(task === 'adding' ? /always answering 1: 0\.167 MSE/ : /guessing: 0\.693 nats per step/);
    expect(existsSync(join(dir, out, 'loss.svg'))).toBe(true);
    const s = await cli('sample', '--checkpoint', join(out, 'model.safetensors'));
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`not a character model (it was trained on the ${task} task)`);
  });
});

describe('--cell offers every registered recurrent layer', () => {
  test('a CEC on the names task: trains, saves, and its checkpoint names the type', async () => {
    const t = await cli('train', ...TINY, '--cell', 'cec', '--steps', '2', '--quiet', '--out', 'cec');
    expect(t.code, t.stderr).toBe(0);
    const i = await cli('inspect', join('cec', 'model.safetensors'), '--json');
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(i.stdout))).toContain('"type":"CEC"');
  });
});

describe('export a checkpoint as ONNX', () => {
  test("a trained character model's ONNX file holds its weights; what ONNX cannot express is refused", async () => {
    const t = await cli('train', ...TINY, '--cell', 'gru', '--steps', '2', '--quiet', '--out', 'to-onnx');
    expect(t.code, t.stderr).toBe(0);
    const ckpt = join('to-onnx', 'model.safetensors');
    const r = await cli('export', '--checkpoint', ckpt, '--onnx', 'names.onnx', '--opset', '17');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote names\.onnx \(.*, opset 17\)/);
    const model = readOnnx(new Uint8Array(readFileSync(join(dir, 'names.onnx'))));
    expect([model.opset, model.inputs, model.nodes.map((n) => n.opType).filter((op) => op === 'GRU' || op === 'Gather')]).toEqual([17, ['x'], ['Gather', 'GRU']]);
    const [{ layer }] = importOnnx(new Uint8Array(readFileSync(join(dir, 'names.onnx'))));
    const { model: seq } = loadCheckpoint(readFileSync(join(dir, ckpt)));
    const theirs = (seq as Sequential).layers[1].stateDict();
    for (const [k, v] of Object.entries(layer.stateDict())) expect(Array.from(v.data)).toEqual(Array.from(theirs[k].data));
    layer.dispose(); (seq as Sequential).dispose();

    const c = await cli('train', ...TINY, '--cell', 'cec', '--steps', '1', '--quiet', '--out', 'cec-onnx');
    expect(c.code, c.stderr).toBe(0);
    const [refused, missing] = await Promise.all([
      cli('export', '--checkpoint', join('cec-onnx', 'model.safetensors'), '--onnx', 'cec.onnx'),
      cli('export', '--checkpoint', ckpt),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/CEC/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--onnx FILE is required/);
  });
});

describe('convert an ONNX model', () => {
  const onnx = (name: string) => join(fixtures, 'onnx', `${name}.onnx`);
  const cases = JSON.parse(readFileSync(join(fixtures, 'onnx', 'cases.json'), 'utf8')).cases;

  test("a node's checkpoint computes what onnxruntime computed", async () => {
    const r = await cli('convert', '--onnx', onnx('lstm_all_variants'), '--out', 'onnx-lstm.safetensors');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/converted the .* \(LSTM\) node of .*lstm_all_variants\.onnx/);
    const { model } = loadCheckpoint(readFileSync(join(dir, 'onnx-lstm.safetensors')));
    expect(model).toBeInstanceOf(LSTM);
    const run = cases.find((c: { name: string }) => c.name === 'lstm_all_variants').nodes[0].run;
    const t = (j: { data: number[]; shape: number[] }) => ({ data: Float32Array.from(j.data), shape: j.shape });
    const { output } = (model as LSTM).forward(t(run.x), { h: t(run.h0), c: t(run.c0) }, { lengths: run.lengths.data });
    expect(Math.max(...output.data.map((v, i) => Math.abs(v - run.output.data[i])))).toBeLessThan(1e-5);
    (model as LSTM).dispose();
  });

  test.concurrent('several nodes: --node picks one; bad combinations and files are named', async () => {
    const [several, picked, unknown, mixed, notOnnx, noOut] = await Promise.all([
      cli('convert', '--onnx', onnx('stacked_lstm_gru'), '--out', 'x.safetensors'),
      cli('convert', '--onnx', onnx('stacked_lstm_gru'), '--node', 'GRU_1', '--out', 'gru.safetensors'),
      cli('convert', '--onnx', onnx('stacked_lstm_gru'), '--node', 'nope', '--out', 'x.safetensors'),
      cli('convert', '--onnx', onnx('stacked_lstm_gru'), '--config', '{}', '--out', 'x.safetensors'),
      cli('convert', '--onnx', join(fixtures, 'torch_lstm.safetensors'), '--out', 'x.safetensors'),
      cli('convert', '--onnx', onnx('stacked_lstm_gru')),
    ]);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/has 2 recurrent nodes: choose one with --node \(LSTM_0 \(LSTM\), GRU_1 \(GRU\)\)/);
    expect(picked.code, picked.stderr).toBe(0);
    expect((await cli('inspect', 'gru.safetensors', '--json')).stdout).toContain('"type": "GRU"');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no recurrent node named "nope"/);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--config does not go with --onnx/);
    expect(notOnnx.code).toBe(1);
    expect(notOnnx.stderr).toMatch(/torch_lstm\.safetensors: /);
    expect(noOut.code).toBe(2);
    for (const r of [several, unknown, mixed, notOnnx, noOut]) expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('convert a Keras / TensorFlow.js model', () => {
  const keras = (name: string) => join(fixtures, 'keras', `${name}.json`);
  const cases = JSON.parse(readFileSync(join(fixtures, 'keras', 'cases.json'), 'utf8')).cases;

  test("a model that maps onto a Sequential: the checkpoint predicts what tfjs predicted", async () => {
    const r = await cli('convert', '--keras', keras('bidi_lstm_concat_seq'), '--out', 'keras.safetensors');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/converted 1 layers of .*bidi_lstm_concat_seq\.json/);
    const { model } = loadCheckpoint(readFileSync(join(dir, 'keras.safetensors')));
    const c = cases.find((x: { name: string }) => x.name === 'bidi_lstm_concat_seq');
    const y = (model as Sequential).forward({ data: Float32Array.from(c.input.data), shape: c.input.shape });
    expect(y.shape).toEqual(c.output.shape);
    expect(Math.max(...y.data.map((v, i) => Math.abs(v - c.output.data[i])))).toBeLessThan(1e-5);
    (model as Sequential).dispose();
  });

  test.concurrent('what a Sequential cannot express is named', async () => {
    const [last, masked, relu, mixed] = await Promise.all([
      cli('convert', '--keras', keras('lstm_dense_softmax'), '--out', 'x.safetensors'),
      cli('convert', '--keras', keras('mask_lstm_seq_gru_td'), '--out', 'x.safetensors'),
      cli('convert', '--keras', keras('gru_timedistributed_relu'), '--out', 'x.safetensors'),
      cli('convert', '--keras', keras('lstm_seq'), '--onnx', 'x.onnx', '--out', 'x.safetensors'),
    ]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/return_sequences false/);
    expect(masked.stderr).toMatch(/mask_zero/);
    expect(relu.stderr).toMatch(/activation "relu"/);
    expect(mixed.code).toBe(2);
    for (const r of [last, masked, relu]) { expect(r.code).toBe(1); expect(r.stderr.trimEnd().split('\n')).toHaveLength(1); }
  });
});

describe('convert a PyTorch state_dict', () => {
  const expected = JSON.parse(readFileSync(join(fixtures, 'torch_lstm.expected.json'), 'utf8'));
  const stateDict = join(fixtures, 'torch_lstm.safetensors');
  const config = JSON.stringify(expected.config);

  test("the converted checkpoint's forward equals torch's", async () => {
    const r = await cli('convert', '--state-dict', stateDict, '--config', config, '--prefix', 'rnn.', '--out', 'lstm.safetensors');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/converted 8 tensors \(840 parameters\)/);
    const { model } = loadCheckpoint(readFileSync(join(dir, 'lstm.safetensors')));
    expect(model).toBeInstanceOf(LSTM);
    const { output, h, c } = (model as LSTM).forward({ data: Float32Array.from(expected.x.values), shape: expected.x.shape });
    for (const [ours, torch] of [[output, expected.output], [h, expected.h], [c!, expected.c]] as const) {
      expect(ours.shape).toEqual(torch.shape);
      const err = Math.max(...torch.values.map((v: number, i: number) => Math.abs(ours.data[i] - v) / (1 + Math.abs(v))));
      expect(err).toBeLessThan(2e-6);
    }
    (model as LSTM).dispose();
  });

  test.concurrent('config from a file, a Sequential with the prefix renamed', async () => {
    writeFileSync(join(dir, 'seq.json'), JSON.stringify({ type: 'Sequential', layers: [expected.config] }));
    const r = await cli('convert', '--state-dict', stateDict, '--config', 'seq.json', '--prefix', 'rnn.=0.', '--out', 'seq.safetensors');
    expect(r.code, r.stderr).toBe(0);
    const info = await cli('inspect', 'seq.safetensors');
    expect(info.stdout).toMatch(/0\.weight_hh_l1 +\[28, 7\]/);
    expect(info.stdout).toContain('optimizer   none saved');
  });

  test.concurrent('names and shapes are checked, and the problem named', async () => {
    const [noPrefix, shape, badJson, badOption, missing] = await Promise.all([
      cli('convert', '--state-dict', stateDict, '--config', config, '--out', 'x.safetensors'),
      cli('convert', '--state-dict', stateDict, '--config', '{"type":"LSTM","inputSize":4,"hiddenSize":7}', '--prefix', 'rnn.', '--out', 'x.safetensors'),
      cli('convert', '--state-dict', stateDict, '--config', '{"type":"LSTM",', '--out', 'x.safetensors'),
      cli('convert', '--state-dict', stateDict, '--config', '{"type":"LSTM","inputSize":5,"hiddenSiz":7}', '--out', 'x.safetensors'),
      cli('convert', '--state-dict', stateDict, '--config', config),
    ]);
    expect(noPrefix.code).toBe(1);
    expect(noPrefix.stderr).toMatch(/carry the module prefix 'rnn\.' .*add --prefix rnn\./);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toMatch(/extra weight_ih_l1 \[28, 7\].*wrong shape weight_ih_l0 is \[28, 5\], expected \[28, 4\]/);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--config is not valid JSON/);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/--config: new LSTM: unknown option "hiddenSiz"/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--out is required/);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });
});

describe('errors: one line, the right exit code, no stack trace', () => {
  test.concurrent.each([
    [['frobnicate'], 2, /^simd-rnn: unknown command 'frobnicate'/],
    [['--frobnicate'], 2, /^simd-rnn: unknown option --frobnicate/],
    [['train', '--hiden', '8'], 2, /^simd-rnn train: unknown option --hiden \(see simd-rnn train --help\)/],
    [['train', '--hidden', 'many'], 2, /^simd-rnn train: --hidden must be an integer, got 'many'/],
    [['train', '--hidden', '0'], 2, /--hidden must be an integer >= 1, got '0'/],
    [['train', '--cell', 'transformer'], 2, /--cell must be one of rnn, lstm, gru, cec, got 'transformer'/],
    [['train', '--seq', '32', '--k2', '16'], 2, /--k2 must be >= --seq \(32\), got 16/],
    [['train', '--task', 'adding', '--embed', '8'], 2, /--embed applies to the character tasks/],
    [['train', '--task', 'text'], 2, /--task text needs --text FILE/],
    [['train', '--text', 'no-such.txt', '--steps', '1'], 1, /cannot read text file no-such\.txt: no such file or directory/],
    [['train', '--minutes'], 2, /--minutes needs a value/],
    [['train', '--optimizer', 'sgd', '--lr', '1e30', '--clip', '0', '--hidden', '8', '--steps', '20', '--quiet'], 1, /training diverged at step \d+ .*; try a lower --lr or --clip 1/],
    [['sample'], 2, /--checkpoint FILE is required/],
    [['sample', '--checkpoint', 'missing.safetensors'], 1, /cannot read checkpoint missing\.safetensors: no such file or directory/],
    [['sample', '--checkpoint', 'corrupt.safetensors'], 1, /corrupt\.safetensors is not a readable simd-rnn checkpoint/],
    [['inspect'], 2, /missing FILE/],
    [['inspect', 'corrupt.safetensors'], 1, /corrupt\.safetensors is not a readable simd-rnn checkpoint/],
    [['inspect', join(fixtures, 'torch_lstm.safetensors')], 1, /not a simd-rnn checkpoint/],
    [['inspect', 'a', 'b'], 2, /unexpected argument 'b'/],
    [['bench', '--quick=yes'], 2, /--quick takes no value/],
  ] as [string[], number, RegExp][])('%j', async (args, code, message) => {
    const r = await cli(...args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// Characters a file can use to drive or fool a terminal: ESC sequences (colour, clear screen,
// window title, clipboard), C1 CSI, BEL, CR, a right-to-left override, an isolate, a zero-width
// space, a line separator.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** Output with no character that drives or fools a terminal but the newlines between lines. */
const clean = (out: string) => !HIDDEN.test(out.replaceAll('\n', ''));

describe('what a file holds is printed escaped', () => {
  test('escapeLine, escapeText, escapeJson, printable', () => {
    const evil = 'a\x1b[31mb\x9b2J\x07\r\n\t\x7f\u202ec\u2066\u200b\u2028\u{e0041}\ud800é€😀';
    const line = escapeLine(evil);
    expect(line).toBe('a\\x1b[31mb\\x9b2J\\x07\\x0d\\x0a\\x09\\x7f\\u{202e}c\\u{2066}\\u{200b}\\u{2028}\\u{e0041}\\u{d800}é€😀');
    expect(escapeLine(line)).toBe(line);                                      // idempotent
    expect(escapeText(evil)).toBe(line.replace('\\x0a', '\n').replace('\\x09', '\t'));
    expect(printable('ab\ncd\x1b')).toBe('ab⏎cd\\x1b');
    const value = { [evil]: [evil, 1] };
    const json = escapeJson(value, 2);
    expect(JSON.parse(json)).toEqual(value);                                  // valid JSON, same strings
    expect(clean(json)).toBe(true);
    expect(json).toContain('\\u001b[31mb\\u009b2J');
  });

  test('inspect: metadata keys and values, config strings, tensor names', async () => {
    const meta = {
      format: 1,
      model: { type: 'LSTM', inputSize: 3, hiddenSize: 4, 'mode\x1b[2J': 'v\x9b31m\u202eexe.txt' },
      optimizer: { kind: 'Adam', options: { 'lr\x1b]0;title\x07': '\u2066x\r' }, step: 1, buffers: 0 },
    };
    writeFileSync(join(dir, 'evil.safetensors'), saveSafetensors({ 'weight\x1b[31m\u202e': { data: new Float32Array(2), shape: [2] } }, {
      'simd-rnn': JSON.stringify(meta),
      'key\x1b]52;c;ZXZpbA==\x07': 'x',
      task: 'names\r\x1b[2K\nfake line',
      vocabulary: JSON.stringify(['a', '\x1b']),
      training: JSON.stringify({ steps: '\x9b2J', seconds: 1, kept: { step: '\u202e1', valLoss: 1 }, baseline: { name: '\x1b[1m', loss: 1 } }),
    }));
    const [text, json] = await Promise.all([cli('inspect', 'evil.safetensors'), cli('inspect', 'evil.safetensors', '--json')]);
    expect(text.code, text.stderr).toBe(0);
    expect(clean(text.stdout)).toBe(true);
    expect(text.stdout).toContain('mode\\x1b[2J v\\x9b31m\\u{202e}exe.txt');
    expect(text.stdout).toMatch(/^ {2}weight\\x1b\[31m\\u\{202e\} +\[2\]$/m);
    expect(text.stdout).toContain('(lr\\x1b]0;title\\x07 "\\u{2066}x\\r")');  // the JSON of the value, escaped
    expect(text.stdout).toMatch(/^metadata .*key\\x1b\]52;c;ZXZpbA==\\x07.*; task names\\x0d\\x1b\[2K\\x0afake line$/m);
    expect(text.stdout).toMatch(/^training {4}\\x9b2J steps .* step \\u\{202e\}1, .*\(\\x1b\[1m: 1\)$/m);
    expect(text.stdout).not.toMatch(/^fake line/m);                            // a newline in a value makes no line
    expect(json.code, json.stderr).toBe(0);
    expect(clean(json.stdout)).toBe(true);
    const d = JSON.parse(json.stdout);
    expect(d.model['mode\x1b[2J']).toBe('v\x9b31m\u202eexe.txt');
    expect(Object.keys(d.parameters)).toEqual(['weight\x1b[31m\u202e']);
    expect(d.metadataKeys).toContain('key\x1b]52;c;ZXZpbA==\x07');
    expect(d.optimizer.options).toEqual({ 'lr\x1b]0;title\x07': '\u2066x\r' });
  });

  test('sample: what a model writes, by default; --raw as generated', async () => {
    const vocab = ['\n', 'a', '\x1b', '\u202e', '\x9b'];
    // no weights to the logits: ESC, RLO and CSI equally likely, the others never
    const head = new Linear({ inFeatures: 3, outFeatures: 5, seed: 3 });
    head.loadStateDict({ weight: new Float32Array(15), bias: Float32Array.from([-30, -30, 5, 5, 5]) });
    const model = new Sequential([new Embedding({ numEmbeddings: 5, embeddingDim: 2, seed: 1 }), new LSTM({ inputSize: 2, hiddenSize: 3, seed: 2 }), head]);
    writeFileSync(join(dir, 'evil-vocab.safetensors'), saveCheckpoint(model, undefined, { task: 'text', vocabulary: JSON.stringify(vocab) }));
    model.dispose();
    const args = ['sample', '--checkpoint', 'evil-vocab.safetensors', '--length', '40', '--count', '2', '--seed', '4', '--prompt', 'a\n'];
    const [shown, raw] = await Promise.all([cli(...args), cli(...args, '--raw')]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(clean(shown.stdout)).toBe(true);
    for (const e of ['\\x1b', '\\u{202e}', '\\x9b']) expect(shown.stdout).toContain(e);
    expect(shown.stdout.startsWith('a\n')).toBe(true);                         // a text's newline stays one
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout).toMatch(/\x1b/);
    expect(escapeText(raw.stdout)).toBe(shown.stdout);
  });

  test('train: samples of a text whose characters include ESC and a bidi override', async () => {
    writeFileSync(join(dir, 'evil.txt'), 'ab\x1b[31mc\u202ed \x9b\n'.repeat(30));
    const t = await cli('train', '--text', 'evil.txt', ...TINY, '--steps', '2', '--sample-every', '1', '--out', 'evil-text');
    expect(t.code, t.stderr).toBe(0);
    expect(clean(t.stdout)).toBe(true);
    expect(t.stdout).toMatch(/^step 1 .*\\x1b/m);                               // printed while training
    expect(t.stdout).toMatch(/sample \(temperature 0\.8\):\n[\s\S]*\\x1b/);    // and at the end
  });

  test('convert: ONNX node names, Keras layer names, state-dict tensor names', async () => {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
    const onnx = Buffer.from(exportOnnx(lstm));
    lstm.dispose();
    // the node's name, renamed in place with as many bytes (the protobuf stays valid)
    const from = Buffer.from('/LSTM/l0/LSTM'), to = Buffer.from('\x1b[2J\u202el0LSTM');
    expect(to.length).toBe(from.length);
    let at = onnx.indexOf(from), renamed = 0;
    for (; at >= 0; at = onnx.indexOf(from, at + 1), renamed++) to.copy(onnx, at);
    expect(renamed).toBeGreaterThan(0);
    writeFileSync(join(dir, 'evil.onnx'), onnx);
    writeFileSync(join(dir, 'evil-keras.json'), readFileSync(join(fixtures, 'keras', 'lstm_dense_softmax.json'), 'utf8').replaceAll('lstm_LSTM8', 'lstm\\u001b[2J\\u202eLSTM8'));
    const expected = JSON.parse(readFileSync(join(fixtures, 'torch_lstm.expected.json'), 'utf8'));
    const { tensors } = loadSafetensors(readFileSync(join(fixtures, 'torch_lstm.safetensors')));
    writeFileSync(join(dir, 'evil-sd.safetensors'), saveSafetensors({ ...tensors, 'rnn.extra\x1b[2J\n': { data: new Float32Array(1), shape: [1] } }));
    const [o, k, sd] = await Promise.all([
      cli('convert', '--onnx', 'evil.onnx', '--out', 'evil-onnx.safetensors'),
      cli('convert', '--keras', 'evil-keras.json', '--weights', join(fixtures, 'keras', 'lstm_dense_softmax.bin'), '--out', 'evil-keras.safetensors'),
      cli('convert', '--state-dict', 'evil-sd.safetensors', '--config', JSON.stringify(expected.config), '--prefix', 'rnn.', '--out', 'evil-sd.ckpt.safetensors'),
    ]);
    expect(o.code, o.stderr).toBe(0);
    expect(clean(o.stdout)).toBe(true);
    expect(o.stdout).toContain('converted the \\x1b[2J\\u{202e}l0LSTM (LSTM) node');
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/layer lstm\\x1b\[2J\\u\{202e\}LSTM8 \(LSTM\) returns its last output only/);
    expect(sd.code).toBe(1);
    expect(sd.stderr).toContain('extra extra\\x1b[2J\\x0a [1]');
    for (const r of [k, sd]) { expect(clean(r.stderr)).toBe(true); expect(r.stderr.trimEnd().split('\n')).toHaveLength(1); }
  });
});

describe('an existing output path is refused unless --force', () => {
  const refused = (r: Result, path: string, command: string) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`simd-rnn ${command}: ${path} exists; add --force to overwrite it\n`);
  };

  test('train: every file of --out, checked before training', async () => {
    const args = ['train', ...TINY, '--steps', '1', '--quiet', '--out', 'forced'];
    expect((await cli(...args)).code).toBe(0);
    const ckpt = join(dir, 'forced', 'model.safetensors'), before = readFileSync(ckpt);
    writeFileSync(join(dir, 'forced', 'loss.svg'), 'mine');
    refused(await cli(...args), join('forced', 'model.safetensors'), 'train');
    expect(readFileSync(ckpt).equals(before)).toBe(true);
    expect(readFileSync(join(dir, 'forced', 'loss.svg'), 'utf8')).toBe('mine');
    // any one of the three files is enough, and nothing else is written
    mkdirSync(join(dir, 'forced-2'));
    writeFileSync(join(dir, 'forced-2', 'gradient-flow.svg'), 'mine');
    refused(await cli('train', ...TINY, '--steps', '1', '--quiet', '--out', 'forced-2'), join('forced-2', 'gradient-flow.svg'), 'train');
    expect(existsSync(join(dir, 'forced-2', 'model.safetensors')) || existsSync(join(dir, 'forced-2', 'loss.svg'))).toBe(false);
    const again = await cli(...args, '--force');
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'forced', 'loss.svg'), 'utf8')).toMatch(/^<svg/);
    // `npm start` trains into the default --out on every run, so it passes --force
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start).toMatch(/ train .*--force/);
  });

  test.concurrent('convert and export', async () => {
    for (const f of ['taken.safetensors', 'taken.onnx']) writeFileSync(join(dir, f), 'mine');
    symlinkSync('nowhere.onnx', join(dir, 'dangling.onnx'));
    const stateDict = ['--state-dict', join(fixtures, 'torch_lstm.safetensors'), '--prefix', 'rnn.', '--config', '{"type":"LSTM","inputSize":5,"hiddenSize":7,"numLayers":2}'];
    const onnx = ['--onnx', join(fixtures, 'onnx', 'lstm_all_variants.onnx')];
    const [sd, ox, ex, dangling] = await Promise.all([
      cli('convert', ...stateDict, '--out', 'taken.safetensors'),
      cli('convert', ...onnx, '--out', 'taken.safetensors'),
      // refused before the checkpoint is even read
      cli('export', '--checkpoint', 'missing.safetensors', '--onnx', 'taken.onnx'),
      cli('export', '--checkpoint', 'missing.safetensors', '--onnx', 'dangling.onnx'),
    ]);
    refused(sd, 'taken.safetensors', 'convert');
    refused(ox, 'taken.safetensors', 'convert');
    refused(ex, 'taken.onnx', 'export');
    refused(dangling, 'dangling.onnx', 'export');
    expect(existsSync(join(dir, 'nowhere.onnx'))).toBe(false);
    for (const f of ['taken.safetensors', 'taken.onnx']) expect(readFileSync(join(dir, f), 'utf8')).toBe('mine');

    const c = await cli('convert', ...stateDict, '--out', 'taken.safetensors', '--force');
    expect(c.code, c.stderr).toBe(0);
    const e = await cli('export', '--checkpoint', 'taken.safetensors', '--onnx', 'taken.onnx', '--force');
    expect(e.code, e.stderr).toBe(0);
    expect(readOnnx(new Uint8Array(readFileSync(join(dir, 'taken.onnx')))).nodes.some((n) => n.opType === 'LSTM')).toBe(true);
  });
});

describe('train --schedule', () => {
  const info = (out: string) => loadCheckpoint(readFileSync(join(dir, out, 'model.safetensors')));

  test('step:N,GAMMA: the rate decays, and the checkpoint holds the schedule at the rate the formula gives', async () => {
    const t = await cli('train', ...TINY, '--steps', '6', '--lr', '0.01', '--schedule', 'step:2,0.5', '--keep', 'last', '--out', 'sched-step');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/Adam lr 0\.01 \(StepLR \{"stepSize":2,"gamma":0\.5\}\)/);
    expect(t.stdout).toContain('schedule: StepLR {"stepSize":2,"gamma":0.5}; learning rate 0.00125000 at the end');
    const { optimizer, schedule } = info('sched-step');
    expect(schedule?.stateDict()).toEqual({ kind: 'StepLR', lastEpoch: 6, baseLr: 0.01, lastLr: 0.01 * 0.5 * 0.5 * 0.5 });
    expect(optimizer?.lr).toBe(0.01 * 0.5 * 0.5 * 0.5);
    const i = await cli('inspect', join('sched-step', 'model.safetensors'));
    expect(i.stdout).toContain('schedule    StepLR (stepSize 2, gamma 0.5), step 6, lr 0.00125');
    const j = await cli('inspect', join('sched-step', 'model.safetensors'), '--json');
    expect(JSON.parse(j.stdout).schedule).toEqual({ kind: 'StepLR', options: { stepSize: 2, gamma: 0.5 }, state: schedule!.stateDict() });
  });

  test('JSON OneCycleLR: the final rate and beta1 are the cosine formula at step --steps', async () => {
    const spec = { type: 'OneCycleLR', maxLr: 0.01, totalSteps: 6 };
    const t = await cli('train', ...TINY, '--steps', '4', '--schedule', JSON.stringify(spec), '--keep', 'last', '--quiet', '--out', 'sched-cycle');
    expect(t.code, t.stderr).toBe(0);
    const { schedule, optimizer } = info('sched-cycle');
    // PyTorch's phases: up to step 0.3 * 6 - 1 = 0.8, down to step 5; step 4 is in the second
    const start = 0.01 / 25, end = start / 1e4, pct = (4 - 0.8) / (5 - 0.8), cos = Math.cos(Math.PI * pct) + 1;
    const state = schedule!.stateDict();
    expect(state.lastEpoch).toBe(4);
    expect(state.lastLr).toBeCloseTo(end + (0.01 - end) / 2 * cos, 15);
    expect(state.lastMomentum).toBeCloseTo(0.95 + (0.85 - 0.95) / 2 * cos, 15);
    expect((optimizer as unknown as { betas: number[] }).betas[0]).toBe(state.lastMomentum);
  });

  test('plateau: one step per validation loss', async () => {
    const t = await cli('train', ...TINY, '--eval-every', '1', '--steps', '5', '--lr', '0.01', '--schedule', 'plateau:0,0.5', '--keep', 'last', '--quiet', '--out', 'sched-plateau');
    expect(t.code, t.stderr).toBe(0);
    const state = info('sched-plateau').schedule!.stateDict();
    expect(state.lastEpoch).toBe(5);
    const valLosses = (JSON.parse(info('sched-plateau').metadata.training).log as { valLoss: number }[]).slice(1).map((e) => e.valLoss);
    expect(state.best).toBeCloseTo(Math.min(...valLosses), 3);
    expect(Math.log2(0.01 / state.lastLr) % 1).toBeCloseTo(0, 12);
  });

  test('--keep best keeps the schedule of the kept step with its weights', async () => {
    // a rate tripled at every update diverges, so the best weights come before the end
    const t = await cli('train', ...TINY, '--eval-every', '1', '--steps', '8', '--lr', '0.02', '--schedule', 'exp:3', '--quiet', '--out', 'sched-best');
    expect(t.code, t.stderr).toBe(0);
    const { optimizer, schedule, metadata } = info('sched-best'), kept = JSON.parse(metadata.training).kept.step as number;
    expect(kept).toBeLessThan(8);
    let lr = 0.02;
    for (let i = 0; i < kept; i++) lr *= 3;
    expect(schedule!.stateDict()).toEqual({ kind: 'ExponentialLR', lastEpoch: kept, baseLr: 0.02, lastLr: lr });
    expect(optimizer!.stateDict().step).toBe(kept);
    expect(optimizer!.lr).toBe(lr);
  });

  test('the help names it', async () => {
    expect((await cli('train', '--help')).stdout).toMatch(/--schedule SPEC +learning-rate schedule: step:N\[,GAMMA\]/);
  });

  test.concurrent.each([
    [['--schedule', 'bogus'], /--schedule must start with one of step, exp, cosine, linear, onecycle, plateau \(or be JSON\), got 'bogus'/],
    [['--schedule', 'step:x'], /--schedule takes numbers after the colon/],
    [['--schedule', 'step:0'], /--schedule step:0: new StepLR: stepSize must be an integer >= 1, got 0/],
    [['--schedule', 'exp:0.9,1'], /exp takes at most 1 numbers/],
    [['--schedule', '{"type":"CyclicLR"}'], /JSON needs "type": one of StepLR/],
    [['--schedule', '{"type":"StepLR","stepSize":2,"gama":1}'], /new StepLR: unknown option "gama"/],
    [['--schedule', '{"type":"OneCycleLR","maxLr":0.1,"totalSteps":2}'], /OneCycleLR has 2 steps, fewer than --steps 3/],
  ] as [string[], RegExp][])('%j is a usage error', async (args, message) => {
    const r = await cli('train', '--hidden', '8', '--steps', '3', '--quiet', '--out', 'sched-bad', ...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
  test('onecycle without --steps is a usage error', async () => {
    const r = await cli('train', '--hidden', '8', '--minutes', '0.1', '--quiet', '--out', 'sched-bad2', '--schedule', 'onecycle');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--schedule onecycle needs --steps \(its totalSteps\)/);
  });
});
