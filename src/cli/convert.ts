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
import { basename, dirname, join } from 'node:path';
import { RecurrentLayer, RnnError, Sequential, loadSafetensors, saveCheckpoint, type Tensor } from '../node.js';
import { CliFailure, UsageError, type CommandSpec, type OptionValues } from './args.js';
import { FORCE_OPTION, SIMD_OPTION, buildModel, count, readBytes, readText, refuseOverwrite, size, start, writeFile } from './common.js';
import { escapeLine } from './escape.js';
import { moduleTypes } from '../registry.js';

export const CONVERT: CommandSpec = {
  name: 'convert',
  summary: 'Converts a PyTorch state_dict (saved as safetensors) and a layer configuration, or a recurrent node of an ONNX model, into a simd-rnn checkpoint.',
  options: [
    { name: 'onnx', type: 'string', value: 'FILE', help: 'an ONNX model: its RNN / LSTM / GRU node becomes the checkpoint (instead of --state-dict and --config)' },
    { name: 'node', type: 'string', value: 'NAME', help: 'with --onnx: which recurrent node, when the model has several' },
    { name: 'keras', type: 'string', value: 'FILE', help: "a TensorFlow.js / Keras model.json whose layers map one to one onto a Sequential (its weight files from the manifest's paths, or --weights)" },
    { name: 'weights', type: 'list', value: 'FILE', help: "with --keras: the weight files in the manifest's order; repeatable" },
    { name: 'state-dict', type: 'string', value: 'FILE', help: 'the state_dict as a .safetensors file (F32, F16, BF16 or F64)' },
    { name: 'config', type: 'string', value: 'JSON|FILE', help: 'the model for --state-dict: {"type":"LSTM","inputSize":5,"hiddenSize":7,"numLayers":2} or {"type":"Sequential","layers":[...]}, inline or in a file' },
    { name: 'out', type: 'string', value: 'FILE', help: 'the checkpoint to write (required; an existing file only with --force)' },
    { name: 'prefix', type: 'list', value: 'P|P=Q', help: 'strip the module prefix P from the names (or replace it by Q); repeatable' },
    FORCE_OPTION,
    SIMD_OPTION,
  ],
  notes: [
    'Example: a PyTorch module whose LSTM is the attribute `rnn`:',
    '  simd-rnn convert --state-dict lstm.safetensors --prefix rnn. \\',
    '    --config \'{"type":"LSTM","inputSize":5,"hiddenSize":7,"numLayers":2}\' --out lstm.ckpt.safetensors',
    `Types: ${moduleTypes().map((t) => t.type).join(', ')}; the options are the constructors', as \`simd-rnn inspect\` shows them.`,
    'An ONNX model (what maps and what is refused: the README, "A model in ONNX"):',
    '  simd-rnn convert --onnx vad.onnx --node /rnn/LSTM --out vad.ckpt.safetensors',
    'A Keras / TensorFlow.js model (Embedding, recurrent layers returning sequences, linear Dense layers):',
    '  simd-rnn convert --keras model/model.json --out model.ckpt.safetensors',
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

/** Prints lines that quote a file (node, layer and tensor names), escaped (escape.ts). */
const say = (...lines: string[]) => { for (const line of lines) console.log(escapeLine(line)); };

export async function convert(o: OptionValues): Promise<void> {
  if (o.onnx !== undefined) return convertOnnx(o);
  if (o.keras !== undefined) return convertKeras(o);
  if (o.node !== undefined) throw new UsageError('simd-rnn convert: --node goes with --onnx');
  if ((o.weights as string[]).length) throw new UsageError('simd-rnn convert: --weights goes with --keras');
  for (const need of ['state-dict', 'config', 'out']) if (o[need] === undefined) throw new UsageError(`simd-rnn convert: --${need} is required, or --onnx FILE (see simd-rnn convert --help)`);
  refuseOverwrite([o.out as string], o.force);
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
  writeFile(out, ckpt, o.force);
  const params = Object.values(expected).reduce((a, s) => a + size(s), 0);
  say(`converted ${Object.keys(expected).length} tensors (${count(params)} parameters) of ${file} into ${out}`, `model: ${JSON.stringify(model.config())}`);
}

/** --onnx: the model's one recurrent node (or --node NAME) as a checkpoint. */
async function convertOnnx(o: OptionValues): Promise<void> {
  for (const other of ['state-dict', 'config', 'prefix']) {
    const given = o[other];
    if (given !== undefined && !(Array.isArray(given) && given.length === 0)) throw new UsageError(`simd-rnn convert: --${other} does not go with --onnx`);
  }
  for (const other of ['keras', 'weights']) {
    const given = o[other];
    if (given !== undefined && !(Array.isArray(given) && given.length === 0)) throw new UsageError(`simd-rnn convert: --${other} does not go with --onnx`);
  }
  if (o.out === undefined) throw new UsageError('simd-rnn convert: --out is required (see simd-rnn convert --help)');
  refuseOverwrite([o.out as string], o.force);
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
  writeFile(out, saveCheckpoint(layer, undefined, { source: basename(file), node: chosen.node.name, converter: 'simd-rnn convert' }), o.force);
  const params = Object.values(layer.stateDict()).reduce((a, t) => a + size(t.shape), 0);
  say(`converted the ${label(chosen)} node of ${file} (${count(params)} parameters) into ${out}`, `model: ${JSON.stringify(layer.config())}`);
  for (const { layer: l } of imported) l.dispose();
}

/** Keras layers that compute nothing at inference. */
const KERAS_IDENTITIES = ['InputLayer', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'];

/**
 * --keras: a tfjs-layers model whose layers map one to one onto a Sequential (an Embedding
 * without mask_zero first, recurrent layers that return their whole sequence forwards,
 * Bidirectional with merge_mode concat, Dense / TimeDistributed(Dense) without an activation)
 * as a checkpoint; anything else is named and refused (loadKerasModel runs it all in code).
 */
async function convertKeras(o: OptionValues): Promise<void> {
  for (const other of ['state-dict', 'config', 'prefix', 'node']) {
    const given = o[other];
    if (given !== undefined && !(Array.isArray(given) && given.length === 0)) throw new UsageError(`simd-rnn convert: --${other} does not go with --keras`);
  }
  if (o.out === undefined) throw new UsageError('simd-rnn convert: --out is required (see simd-rnn convert --help)');
  refuseOverwrite([o.out as string], o.force);
  const file = o.keras as string, text = readText(file, 'model.json');
  let json: { weightsManifest?: { paths?: unknown }[] };
  try { json = JSON.parse(text); } catch (e) { throw new CliFailure(`${file} is not valid JSON (${(e as Error).message})`); }
  const listed = o.weights as string[];
  const paths = listed.length ? listed : (Array.isArray(json?.weightsManifest) ? json.weightsManifest : []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []))
    .map((p) => join(dirname(file), String(p)));
  const weights = paths.map((p) => readBytes(p, 'weight file'));
  await start(o.simd);
  const { loadKerasModel } = await import('../keras.js'); // the Keras reader only for this command
  let model;
  try {
    model = loadKerasModel(json as object, weights);
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file}: ${e.message}`);
    throw e;
  }
  try {
    const modules = [];
    for (const layer of model.layers) {
      const c = layer.config, inner = (layer.className === 'Bidirectional' || layer.className === 'TimeDistributed') ? ((c.layer as { config?: Record<string, unknown> })?.config ?? {}) : c;
      const refuse = (why: string): never => { throw new CliFailure(`${file}: layer ${layer.name} (${layer.className}) ${why}; a checkpoint holds a Sequential, which cannot express that (load the model with loadKerasModel from simd-rnn/keras instead)`); };
      if (KERAS_IDENTITIES.includes(layer.className)) continue;
      if (!layer.module) refuse('applies an activation of its own');
      if (layer.className === 'Embedding' && c.mask_zero === true) refuse('masks the id 0 (mask_zero)');
      if (layer.module instanceof RecurrentLayer) {
        if (inner.return_sequences !== true) refuse('returns its last output only (return_sequences false)');
        if (inner.go_backwards === true) refuse('returns its sequence last step first (go_backwards)');
        if (layer.className === 'Bidirectional' && (c.merge_mode ?? 'concat') !== 'concat') refuse(`merges its directions by ${String(c.merge_mode)}`);
      }
      if ((layer.className === 'Dense' || layer.className === 'TimeDistributed') && (inner.activation ?? 'linear') !== 'linear') refuse(`applies the activation ${JSON.stringify(inner.activation)}`);
      modules.push(layer.module!);
    }
    if (modules.length === 0) throw new CliFailure(`${file} has no layer with weights to convert`);
    const seq = new Sequential(modules as never);
    const out = o.out as string;
    writeFile(out, saveCheckpoint(seq, undefined, { source: basename(file), converter: 'simd-rnn convert' }), o.force);
    const params = Object.values(seq.stateDict()).reduce((a, t) => a + size(t.shape), 0);
    say(`converted ${modules.length} layers of ${file} (${count(params)} parameters) into ${out}`, `model: ${JSON.stringify(seq.config())}`);
  } finally {
    model.dispose();
  }
}
