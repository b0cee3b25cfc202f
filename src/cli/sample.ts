/**
 * `simd-rnn sample`: text from a character model saved by `simd-rnn train` (the checkpoint's
 * metadata holds the vocabulary and the task). Names come one per line, each ending where the
 * model ends the line; texts are --length characters after the prompt.
 *
 * A vocabulary comes from the training text, so it may hold ESC or a bidi override like any
 * file: what a model writes is printed escaped (escape.ts), every non-printing character but
 * the newline and the tab of a text sample; --raw prints it exactly as generated (to redirect
 * it into a file).
 */
import { Random, Sequential } from '../node.js';
import { CliFailure, UsageError, type CommandSpec, type OptionValues } from './args.js';
import { sampleNames, sampleText } from './chars.js';
import { SIMD_OPTION, readCheckpoint, start } from './common.js';
import { escapeLine, escapeText } from './escape.js';

export const SAMPLE: CommandSpec = {
  name: 'sample',
  summary: 'Generates text from a character model trained by `simd-rnn train` (names or --text).',
  options: [
    { name: 'checkpoint', type: 'string', value: 'FILE', help: 'a model.safetensors written by simd-rnn train (required)' },
    { name: 'temperature', type: 'number', min: 0, value: 'X', default: 0.8, help: 'lower is safer, higher is wilder; 0 always takes the likeliest character' },
    { name: 'length', type: 'int', min: 1, value: 'N', default: 200, help: 'characters per text sample (names end by themselves)' },
    { name: 'count', type: 'int', min: 1, value: 'N', default: 5, help: 'how many samples' },
    { name: 'prompt', type: 'string', value: 'TEXT', help: 'the text to continue (names: how the names begin)' },
    { name: 'seed', type: 'int', min: 0, value: 'N', help: 'seed of the sampling (default: random)' },
    { name: 'raw', type: 'flag', help: 'print the samples exactly as generated (default: control and other non-printing characters escaped as \\xNN or \\u{NNNN}, but for the newlines and tabs of a text)' },
    SIMD_OPTION,
  ],
  notes: ['Example:', '  simd-rnn sample --checkpoint simd-rnn-out/model.safetensors --count 10 --prompt ma'],
};

export async function sample(o: OptionValues): Promise<void> {
  if (o.checkpoint === undefined) throw new UsageError('simd-rnn sample: --checkpoint FILE is required');
  await start(o.simd);
  const file = o.checkpoint as string;
  const { model, metadata } = readCheckpoint(file);
  let vocab: unknown;
  try { vocab = JSON.parse(metadata.vocabulary ?? 'null'); } catch { vocab = null; }
  if (!(model instanceof Sequential) || !Array.isArray(vocab) || !vocab.every((c) => typeof c === 'string')) {
    const task = metadata.task ? ` (it was trained on the ${metadata.task} task)` : '';
    throw new CliFailure(`${file} is not a character model${task}: sample needs a checkpoint of simd-rnn train --task names or --text`);
  }
  const options = { temperature: o.temperature as number, seed: (o.seed as number | undefined) ?? Random.randomSeed(), prompt: o.prompt as string | undefined };
  const names = metadata.task === 'names';
  const out = names
    ? sampleNames(model, vocab, o.count as number, options)
    : sampleText(model, vocab, o.count as number, o.length as number, options);
  const shown = o.raw ? out : out.map(names ? escapeLine : escapeText);
  console.log(shown.join(names ? '\n' : '\n\n'));
}
