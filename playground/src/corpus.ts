/**
 * The character tasks of `simd-rnn train`, for the page: the same corpus split, vocabulary,
 * batching, validation loss and unigram baseline as the CLI's src/cli/chars.ts (which imports
 * the Node entry and so cannot run here), so a checkpoint made on either side means the same
 * thing to the other, and the baseline the page shows is the one the CLI prints.
 *
 * names: one name per line; every 10th name is held out; the stream is "\n" + names joined by
 *   "\n" + "\n", reshuffled every epoch. text: the last 10% is held out; each epoch rotates the
 *   training stream by a random offset. Vocabulary: the distinct characters sorted by code
 *   point (an id is an index). rows(ids, B): B rows of L = (n - 1) / B steps, time-major,
 *   y = the next character.
 */
import { crossEntropy, type Random, type RecurrentState, type Sequential } from 'simd-rnn';

/** Validation is measured on at most this many characters (as the CLI). */
const MAX_VALIDATION_CHARS = 50_000;

/** A corpus ready to train on; see the file comment for the split. */
export interface Corpus {
  task: 'names' | 'text';
  /** The characters, sorted by code point; an id is an index. */
  vocab: string[];
  /** The training stream of one epoch. */
  epoch(random: Random): Int32Array;
  /** The held-out stream. */
  validation: Int32Array;
  /** Character counts of the training part, for the unigram baseline. */
  counts: Float64Array;
  /** One line describing the sizes. */
  describe: string;
}

/** A corpus the page refuses, with a message for the visitor. */
export class CorpusError extends Error {}

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

/** One name per line (blank lines ignored); every 10th is held out. */
export function namesCorpus(text: string): Corpus {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const train = names.filter((_, i) => i % 10 !== 9), held = names.filter((_, i) => i % 10 === 9);
  if (train.length < 2 || held.length < 1) throw new CorpusError(`the names list needs at least 10 names, it has ${names.length}`);
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
    describe: `${names.length.toLocaleString('en-US')} names (${train.length.toLocaleString('en-US')} to train on, ${held.length} held out), ${vocab.length} characters`,
  };
}

/** Any text; the last 10% is held out. */
export function textCorpus(text: string): Corpus {
  const chars = Array.from(text.startsWith('\ufeff') ? text.slice(1) : text);
  if (chars.length < 200) throw new CorpusError(`the text needs at least 200 characters, it has ${chars.length}`);
  const { vocab, index } = vocabulary(chars.join(''));
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
    describe: `${chars.length.toLocaleString('en-US')} characters (${trainIds.length.toLocaleString('en-US')} to train on, the last ${(chars.length - cut).toLocaleString('en-US')} held out), ${vocab.length} distinct`,
  };
}

/** A stream of ids as B time-major rows of L steps, L cut to a multiple of `multiple` when one fits. */
export function rows(ids: Int32Array, B: number, multiple = 1): { x: { data: Int32Array; shape: [number, number] }; y: Int32Array } {
  let L = Math.floor((ids.length - 1) / B);
  if (L < 1) throw new CorpusError(`${ids.length} characters are too few for ${B} rows`);
  if (L >= multiple) L -= L % multiple;
  const x = new Int32Array(L * B), y = new Int32Array(L * B);
  for (let t = 0; t < L; t++) for (let r = 0; r < B; r++) { x[t * B + r] = ids[r * L + t]; y[t * B + r] = ids[r * L + t + 1]; }
  return { x: { data: x, shape: [L, B] }, y };
}

/** Mean cross-entropy (nats per character) of the next character over a stream, in chunks with the state carried. */
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

/** The unigram baseline: the held-out next characters under the training frequencies (add-one smoothed). */
export function unigramLoss(counts: Float64Array, ids: Int32Array, B = 16): number {
  B = Math.max(1, Math.min(B, Math.floor((ids.length - 1) / 8)));
  const total = counts.reduce((a, b) => a + b, 0) + counts.length;
  const { y } = rows(ids, B);
  let sum = 0;
  for (const id of y) sum -= Math.log((counts[id] + 1) / total);
  return sum / y.length;
}
