/**
 * Character-level data for `simd-rnn train` and `sample`: a vocabulary of the code points of
 * a text, training streams of ids, the validation loss of a model and the unigram baseline.
 *
 * names: one name per line. Every tenth name (in file order) is held out for validation, so the
 *   split is the same for every seed. Each epoch the training names are shuffled and joined into
 *   one stream "\nanna\nbob\n..."; the model learns the next character everywhere, so it learns
 *   to end names ('\n') and to begin new ones after a '\n'.
 * text: any UTF-8 text; the last 10% is held out. Each epoch the training stream starts at a
 *   random offset (wrapping around) so the truncated-BPTT chunks fall at new places.
 *
 * A stream of n ids becomes fit data for B rows: row r reads ids[r*L .. r*L + L] (L = (n-1)/B),
 * x[t, r] = ids[r*L + t], y[t, r] = ids[r*L + t + 1] (the next character), time-major.
 */
import { crossEntropy, generate, type FitData, type Random, type RecurrentState, type Sequential } from '../node.js';
import { CliFailure, UsageError } from './args.js';
import { escapeLine } from './escape.js';

/** Validation is measured on at most this many characters (a large --text stays quick). */
export const MAX_VALIDATION_CHARS = 50_000;

export interface Corpus {
  task: 'names' | 'text';
  /** The characters, sorted by code point; an id is an index. */
  vocab: string[];
  /** The training stream of one epoch (names reshuffled, text rotated). */
  epoch(random: Random): Int32Array;
  /** The held-out stream. */
  validation: Int32Array;
  /** Character frequencies of the training part, for the unigram baseline. */
  counts: Float64Array;
  trainChars: number;
  /** A one-line description of the sizes. */
  describe: string;
  /** names: every name of the file (to tell generated names that are new). */
  names?: Set<string>;
}

function vocabulary(text: string): { vocab: string[]; index: Map<string, number> } {
  const vocab = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return { vocab, index: new Map(vocab.map((c, i) => [c, i])) };
}

const encode = (text: string, index: Map<string, number>): Int32Array => Int32Array.from(Array.from(text), (c) => index.get(c)!);

function countIds(ids: Int32Array, V: number): Float64Array {
  const counts = new Float64Array(V);
  for (const id of ids) counts[id]++;
  return counts;
}

export function namesCorpus(text: string): Corpus {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const train = names.filter((_, i) => i % 10 !== 9), held = names.filter((_, i) => i % 10 === 9);
  if (train.length < 2 || held.length < 1) throw new CliFailure(`the names file needs at least 10 names, it has ${names.length}`);
  const { vocab, index } = vocabulary('\n' + names.join('\n'));
  const join = (list: string[]) => '\n' + list.join('\n') + '\n';
  const trainIds = encode(join(train), index);
  return {
    task: 'names', vocab,
    epoch(random) {
      const order = [...train];
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random.nextUnit() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      return encode(join(order), index);
    },
    validation: encode(join(held).slice(0, MAX_VALIDATION_CHARS), index),
    counts: countIds(trainIds, vocab.length),
    trainChars: trainIds.length,
    describe: `${names.length} names (${train.length} to train on, ${held.length} held out), ${vocab.length} characters`,
    names: new Set(names),
  };
}

export function textCorpus(text: string): Corpus {
  const chars = Array.from(text);
  if (chars.length < 200) throw new CliFailure(`the text needs at least 200 characters, it has ${chars.length}`);
  const { vocab, index } = vocabulary(text);
  const cut = Math.floor(chars.length * 0.9);
  const trainIds = encode(chars.slice(0, cut).join(''), index);
  return {
    task: 'text', vocab,
    epoch(random) {
      const shift = Math.floor(random.nextUnit() * trainIds.length), out = new Int32Array(trainIds.length);
      out.set(trainIds.subarray(shift));
      out.set(trainIds.subarray(0, shift), trainIds.length - shift);
      return out;
    },
    validation: encode(chars.slice(cut, cut + MAX_VALIDATION_CHARS).join(''), index),
    counts: countIds(trainIds, vocab.length),
    trainChars: trainIds.length,
    describe: `${chars.length} characters (${trainIds.length} to train on, the last ${chars.length - cut} held out), ${vocab.length} distinct`,
  };
}

/**
 * A stream of ids as fit data of B rows (see the file comment). With `multiple`, L is cut to
 * a multiple of it (when at least one fits), so no truncated-BPTT update is a short leftover.
 */
export function rows(ids: Int32Array, B: number, multiple = 1): FitData & { x: { data: Int32Array; shape: number[] }; y: Int32Array } {
  let L = Math.floor((ids.length - 1) / B);
  if (L < 1) throw new CliFailure(`${ids.length} characters are too few for ${B} rows`);
  if (L >= multiple) L -= L % multiple;
  const x = new Int32Array(L * B), y = new Int32Array(L * B);
  for (let t = 0; t < L; t++) for (let r = 0; r < B; r++) { x[t * B + r] = ids[r * L + t]; y[t * B + r] = ids[r * L + t + 1]; }
  return { x: { data: x, shape: [L, B] }, y };
}

/**
 * Mean cross-entropy (nats per character) of the next character over a stream, run as B rows
 * in chunks of `chunk` steps with the state carried, so memory stays small for long streams.
 */
export function streamLoss(model: Sequential, ids: Int32Array, B = 16, chunk = 128): number {
  B = Math.max(1, Math.min(B, Math.floor((ids.length - 1) / 8)));
  const { x, y } = rows(ids, B), L = x.shape[0];
  let total = 0, n = 0, states: (RecurrentState | undefined)[] = [];
  for (let t0 = 0; t0 < L; t0 += chunk) {
    const t1 = Math.min(L, t0 + chunk);
    const logits = model.forward({ data: x.data.subarray(t0 * B, t1 * B), shape: [t1 - t0, B] }, { initialStates: states });
    states = model.finalStates();
    total += crossEntropy(logits, y.subarray(t0 * B, t1 * B), { reduction: 'sum' }).loss;
    n += (t1 - t0) * B;
  }
  return total / n;
}

/**
 * The unigram baseline: cross-entropy of the held-out stream's next characters under the
 * training character frequencies (add-one smoothed), i.e. a model that knows which characters
 * are common but nothing of their context. Counted as streamLoss counts (the same targets).
 */
export function unigramLoss(counts: Float64Array, ids: Int32Array, B = 16): number {
  B = Math.max(1, Math.min(B, Math.floor((ids.length - 1) / 8)));
  const total = counts.reduce((a, b) => a + b, 0) + counts.length;
  const { y } = rows(ids, B);
  let sum = 0;
  for (const id of y) sum -= Math.log((counts[id] + 1) / total);
  return sum / y.length;
}

/** Characters shown on one line: newline as '⏎', every other non-printing character escaped (escape.ts). */
export function printable(text: string): string {
  return escapeLine(text.replace(/\n/g, '⏎'));
}

/** Longest name `sampleNames` generates before it gives up waiting for the end of the line. */
const MAX_NAME = 40;

export interface SampleOptions { temperature: number; seed: number; prompt?: string }

function ids(text: string, vocab: string[]): number[] {
  return Array.from(text, (c) => {
    const id = vocab.indexOf(c);
    if (id < 0) throw new UsageError(`--prompt: the character ${JSON.stringify(c)} is not in the model's vocabulary (${printable(vocab.join(''))})`);
    return id;
  });
}

/** `count` names from a model trained on the names task, each starting with the prompt. */
export function sampleNames(model: Sequential, vocab: string[], count: number, o: SampleOptions): string[] {
  let prompt = o.prompt ?? '';
  // a lower-cased list still takes --prompt Ma
  const known = (t: string) => Array.from(t).every((c) => vocab.includes(c));
  if (!known(prompt) && known(prompt.toLowerCase())) prompt = prompt.toLowerCase();
  const start = ids('\n' + prompt, vocab), out: string[] = [];
  for (let i = 0; i < count; i++) {
    const got = generate(model, start, { length: MAX_NAME, temperature: o.temperature, seed: (o.seed + i) >>> 0 });
    const text = Array.from(got, (id) => vocab[id]).join(''), end = text.indexOf('\n');
    out.push(prompt + (end < 0 ? text + '…' : text.slice(0, end)));
  }
  return out;
}

/** `count` texts of `length` characters after the prompt (default: a newline, if the vocabulary has one). */
export function sampleText(model: Sequential, vocab: string[], count: number, length: number, o: SampleOptions): string[] {
  const prompt = o.prompt ?? (vocab.includes('\n') ? '\n' : vocab.includes(' ') ? ' ' : vocab[0]);
  const start = ids(prompt, vocab);
  return Array.from({ length: count }, (_, i) => {
    const got = generate(model, start, { length, temperature: o.temperature, seed: (o.seed + i) >>> 0 });
    return (o.prompt ?? '') + Array.from(got, (id) => vocab[id]).join('');
  });
}
