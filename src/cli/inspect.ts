/**
 * `simd-rnn inspect FILE`: what a checkpoint holds, read with checkpointInfo (nothing is built,
 * so it needs no wasm): the model's configuration, every parameter's name and shape, the
 * parameter count, the optimizer and its step, and the metadata keys.
 *
 * Everything shown comes from the file, so every line is escaped (escape.ts): names and
 * metadata cannot drive the terminal, nor a newline in them fake a line. --json prints valid
 * JSON with the same characters \u-escaped.
 */
import { RnnError, checkpointInfo, type CheckpointInfo } from '../node.js';
import { CliFailure, type CommandSpec, type OptionValues } from './args.js';
import { bytes, count, readBytes, size } from './common.js';
import { escapeJson, escapeLine } from './escape.js';

export const INSPECT: CommandSpec = {
  name: 'inspect',
  summary: "Shows a checkpoint's model configuration, parameters, optimizer and metadata.",
  positionals: [['FILE', 'a checkpoint (.safetensors) written by simd-rnn train or convert, or by saveCheckpoint', true]],
  options: [{ name: 'json', type: 'flag', help: 'print the description as JSON' }],
};

/** { type: 'LSTM', inputSize: 5, ... } -> "LSTM  inputSize 5, hiddenSize 7, ..." */
function layerLine(config: Record<string, unknown>): string {
  const { type, ...rest } = config;
  const opts = Object.entries(rest).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `${String(type).padEnd(10)}${opts.join(', ')}`;
}

export function inspect(o: OptionValues, positionals: string[]): void {
  const file = positionals[0], data = readBytes(file, 'checkpoint');
  let info: CheckpointInfo;
  try {
    info = checkpointInfo(data);
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file} is not a readable simd-rnn checkpoint: ${e.message}`);
    throw e;
  }
  const params = Object.entries(info.tensors).filter(([name]) => !/^optimizer\.\d+$/.test(name));
  const total = params.reduce((a, [, shape]) => a + size(shape), 0);
  let vocabulary: number | undefined;
  try { const v = JSON.parse(info.metadata.vocabulary ?? 'null'); if (Array.isArray(v)) vocabulary = v.length; } catch { /* not ours */ }
  if (o.json) {
    console.log(escapeJson({ file, bytes: data.length, model: info.model, parameters: Object.fromEntries(params), parameterCount: total, optimizer: info.optimizer, ...(info.schedule ? { schedule: info.schedule } : {}), metadataKeys: Object.keys(info.metadata), vocabularySize: vocabulary }, 2));
    return;
  }
  const lines = [`checkpoint  ${file} (${bytes(data.length)})`];
  const layers = info.model.type === 'Sequential' && Array.isArray(info.model.layers) ? info.model.layers as Record<string, unknown>[] : null;
  if (layers) {
    lines.push(`model       Sequential of ${layers.length} layers`);
    layers.forEach((l, i) => lines.push(`  ${i}  ${layerLine(l)}`));
  } else lines.push(`model       ${layerLine(info.model)}`);
  lines.push(`parameters  ${count(total)} in ${params.length} tensors`);
  const names = params.map(([n]) => escapeLine(n)), width = Math.max(...names.map((n) => n.length)) + 2;
  params.forEach(([, shape], i) => lines.push(`  ${names[i].padEnd(width)}[${shape.join(', ')}]`));
  if (info.optimizer) {
    const given = info.optimizer.options, opts = Object.entries(typeof given === 'object' && given !== null ? given : {}).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    lines.push(`optimizer   ${info.optimizer.kind}, step ${info.optimizer.step}${opts ? ` (${opts})` : ''}`);
  } else lines.push('optimizer   none saved');
  if (info.schedule) {
    // the file's own values, not checked here (loadCheckpoint checks them): printed as JSON
    const { kind, options, state } = info.schedule, opts = Object.entries(options).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ');
    lines.push(`schedule    ${kind}${opts ? ` (${opts})` : ''}, step ${JSON.stringify(state.lastEpoch)}, lr ${JSON.stringify(state.lastLr)}`);
  }
  const keys = Object.keys(info.metadata);
  lines.push(`metadata    ${keys.length ? keys.join(', ') : 'none'}${vocabulary !== undefined ? `; vocabulary of ${vocabulary} characters` : ''}${info.metadata.task ? `; task ${info.metadata.task}` : ''}`);
  const training = (() => { try { return JSON.parse(info.metadata.training ?? 'null'); } catch { return null; } })();
  const kept = training?.kept;
  if (kept && typeof kept.valLoss === 'number') lines.push(`training    ${training.steps} steps${training.seconds === undefined ? '' : ` in ${training.seconds} s`}; weights of step ${kept.step}, validation loss ${kept.valLoss} (${training.baseline?.name}: ${training.baseline?.loss})`);
  console.log(lines.map(escapeLine).join('\n'));
}
