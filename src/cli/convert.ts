/**
 * `simd-rnn convert`: a recurrent node of an ONNX model (--onnx), or a PyTorch state_dict saved
 * as safetensors (for example with
 * `safetensors.torch.save_file(model.state_dict(), "lstm.safetensors")`) plus the layer
 * configuration -> a simd-rnn checkpoint. The names are PyTorch's (weight_ih_l0, ... for a
 * layer; 0.weight, 1.weight_ih_l0, ... for a Sequential), so only a module prefix may need
 * changing: --prefix rnn. strips "rnn." from every name that starts with it, and
 * --prefix encoder.=1. renames it; --prefix may be repeated (the first matching rule applies).
 * Every expected name must be present with its shape and no name may be left over; the message
 * lists all that differ, and suggests a prefix when one would fix it.
 */
import { basename } from 'node:path';
import { RnnError, loadSafetensors, saveCheckpoint, type Tensor } from '../node.js';
import { CliFailure, UsageError, type CommandSpec, type OptionValues } from './args.js';
import { SIMD_OPTION, buildModel, count, readBytes, readText, size, start, writeFile } from './common.js';
import { moduleTypes } from '../registry.js';

export const CONVERT: CommandSpec = {
  name: 'convert',
  summary: 'Converts a PyTorch state_dict (saved as safetensors) and a layer configuration, or a recurrent node of an ONNX model, into a simd-rnn checkpoint.',
  options: [
    { name: 'onnx', type: 'string', value: 'FILE', help: 'an ONNX model: its RNN / LSTM / GRU node becomes the checkpoint (instead of --state-dict and --config)' },
    { name: 'node', type: 'string', value: 'NAME', help: 'with --onnx: which recurrent node, when the model has several' },
    { name: 'state-dict', type: 'string', value: 'FILE', help: 'the state_dict as a .safetensors file (F32, F16, BF16 or F64)' },
    { name: 'config', type: 'string', value: 'JSON|FILE', help: 'the model for --state-dict: {"type":"LSTM","inputSize":5,"hiddenSize":7,"numLayers":2} or {"type":"Sequential","layers":[...]}, inline or in a file' },
    { name: 'out', type: 'string', value: 'FILE', help: 'the checkpoint to write (required)' },
    { name: 'prefix', type: 'list', value: 'P|P=Q', help: 'strip the module prefix P from the names (or replace it by Q); repeatable' },
    SIMD_OPTION,
  ],
  notes: [
    'Example: a PyTorch module whose LSTM is the attribute `rnn`:',
    '  simd-rnn convert --state-dict lstm.safetensors --prefix rnn. \\',
    '    --config \'{"type":"LSTM","inputSize":5,"hiddenSize":7,"numLayers":2}\' --out lstm.ckpt.safetensors',
    `Types: ${moduleTypes().map((t) => t.type).join(', ')}; the options are the constructors', as \`simd-rnn inspect\` shows them.`,
    'An ONNX model (what maps and what is refused: the README, "A model in ONNX"):',
    '  simd-rnn convert --onnx vad.onnx --node /rnn/LSTM --out vad.ckpt.safetensors',
  ],
};

function readConfig(value: string): unknown {
  const inline = value.trim().startsWith('{');
  const text = inline ? value : readText(value, 'config file');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`simd-rnn convert: --config ${inline ? '' : value + ' '}is not valid JSON (${(e as Error).message})`);
  }
}

function rename(name: string, rules: string[]): string {
  for (const rule of rules) {
    const eq = rule.indexOf('='), from = eq < 0 ? rule : rule.slice(0, eq), to = eq < 0 ? '' : rule.slice(eq + 1);
    if (from !== '' && name.startsWith(from)) return to + name.slice(from.length);
  }
  return name;
}

const shapeText = (shape: number[]) => `[${shape.join(', ')}]`;

export async function convert(o: OptionValues): Promise<void> {
  if (o.onnx !== undefined) return convertOnnx(o);
  if (o.node !== undefined) throw new UsageError('simd-rnn convert: --node goes with --onnx');
  for (const need of ['state-dict', 'config', 'out']) if (o[need] === undefined) throw new UsageError(`simd-rnn convert: --${need} is required, or --onnx FILE (see simd-rnn convert --help)`);
  const config = readConfig(o.config as string);
  const file = o['state-dict'] as string, bytesIn = readBytes(file, 'state dict');
  await start(o.simd);
  const model = buildModel(config, 'simd-rnn convert: --config');

  let tensors: Record<string, Tensor>;
  try {
    tensors = loadSafetensors(bytesIn).tensors;
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file} is not a readable safetensors file: ${e.message}`);
    throw e;
  }
  const rules = o.prefix as string[], given: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const to = rename(name, rules);
    if (to in given) throw new CliFailure(`${file}: two tensors are both named ${to} after --prefix`);
    given[to] = t;
  }
  const expected = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.shape]));
  const missing = Object.keys(expected).filter((k) => !(k in given));
  const extra = Object.keys(given).filter((k) => !(k in expected));
  const wrong = Object.keys(expected).filter((k) => k in given && (given[k].shape.length !== expected[k].length || given[k].shape.some((d, i) => d !== expected[k][i])));
  if (missing.length || extra.length || wrong.length) {
    // a module prefix whose removal would turn the extra names into the missing ones
    const dot = extra[0]?.indexOf('.') ?? -1, p = dot > 0 ? extra[0].slice(0, dot + 1) : '';
    if (p && missing.length && extra.every((k) => k.startsWith(p) && missing.includes(k.slice(p.length)))) {
      throw new CliFailure(`the names in ${file} carry the module prefix '${p}' (${extra[0]}, ...): add --prefix ${p}`);
    }
    const parts = [
      missing.length ? `missing ${missing.map((k) => `${k} ${shapeText(expected[k])}`).join(', ')}` : '',
      extra.length ? `extra ${extra.map((k) => `${k} ${shapeText(given[k].shape)}`).join(', ')}` : '',
      wrong.length ? `wrong shape ${wrong.map((k) => `${k} is ${shapeText(given[k].shape)}, expected ${shapeText(expected[k])}`).join('; ')}` : '',
    ].filter(Boolean);
    throw new CliFailure(`the state dict does not fit the config: ${parts.join('; ')}`);
  }
  try {
    model.loadStateDict(given);
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`the state dict does not fit the config: ${e.message}`);
    throw e;
  }
  const out = o.out as string, ckpt = saveCheckpoint(model, undefined, { source: basename(file), converter: 'simd-rnn convert' });
  writeFile(out, ckpt);
  const params = Object.values(expected).reduce((a, s) => a + size(s), 0);
  console.log(`converted ${Object.keys(expected).length} tensors (${count(params)} parameters) of ${file} into ${out}`);
  console.log(`model: ${JSON.stringify(model.config())}`);
}

/** --onnx: the model's one recurrent node (or --node NAME) as a checkpoint. */
async function convertOnnx(o: OptionValues): Promise<void> {
  for (const other of ['state-dict', 'config', 'prefix']) {
    const given = o[other];
    if (given !== undefined && !(Array.isArray(given) && given.length === 0)) throw new UsageError(`simd-rnn convert: --${other} does not go with --onnx`);
  }
  if (o.out === undefined) throw new UsageError('simd-rnn convert: --out is required (see simd-rnn convert --help)');
  const file = o.onnx as string, bytes = readBytes(file, 'ONNX model');
  await start(o.simd);
  const { importOnnx } = await import('../onnx.js'); // the protobuf decoder only for this command
  let imported;
  try {
    imported = importOnnx(bytes);
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file}: ${e.message}`);
    throw e;
  }
  const label = (i: (typeof imported)[number]) => `${i.node.name || '(unnamed)'} (${i.node.opType}${i.node.graph ? ` in ${i.node.graph}` : ''})`;
  const chosen = o.node === undefined ? (imported.length === 1 ? imported[0] : undefined) : imported.find((i) => i.node.name === o.node);
  if (!chosen) {
    for (const { layer } of imported) layer.dispose();
    if (imported.length === 0) throw new CliFailure(`${file} has no RNN, LSTM or GRU node`);
    throw new CliFailure(o.node === undefined
      ? `${file} has ${imported.length} recurrent nodes: choose one with --node (${imported.map(label).join(', ')})`
      : `${file} has no recurrent node named ${JSON.stringify(o.node)} (it has ${imported.map(label).join(', ')})`);
  }
  const out = o.out as string, layer = chosen.layer;
  writeFile(out, saveCheckpoint(layer, undefined, { source: basename(file), node: chosen.node.name, converter: 'simd-rnn convert' }));
  const params = Object.values(layer.stateDict()).reduce((a, t) => a + size(t.shape), 0);
  console.log(`converted the ${label(chosen)} node of ${file} (${count(params)} parameters) into ${out}`);
  console.log(`model: ${JSON.stringify(layer.config())}`);
  for (const { layer: l } of imported) l.dispose();
}
