/**
 * Text from a character model, one character at a time so the page can show it as it comes.
 * The draw is the library's `generate` step by step (softmax(logits / temperature) from a
 * seeded Random, one uniform per character; temperature 0 takes the likeliest id), written out
 * here because `generate` returns only when every id is drawn. Prompts as `simd-rnn sample`
 * takes them: a names model starts after a newline (and folds a prompt to the list's lower
 * case when only that fits the vocabulary); a text model starts after a newline, a space or
 * the first character when no prompt is given.
 */
import { Random, type RecurrentState, type Sequential } from 'simd-rnn';

/** One id drawn from the last C logits, as `generate` draws it (topK: all). */
function draw(logits: Float32Array, temperature: number, random: Random): number {
  const C = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < C; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let m = -Infinity;
  for (let i = 0; i < C; i++) m = Math.max(m, logits[i]);
  const w = new Float64Array(C);
  let sum = 0;
  for (let i = 0; i < C; i++) { w[i] = Math.exp((logits[i] - m) / temperature); sum += w[i]; }
  let u = random.nextUnit() * sum;
  for (let i = 0; i < C; i++) { u -= w[i]; if (u < 0) return i; }
  return C - 1;
}

/** A prompt that the vocabulary cannot spell, with the characters it lacks. */
export class PromptError extends Error {}

/** The prompt as the model reads it: the ids fed first, and the text shown before the output. */
export function startOf(task: string, vocab: string[], prompt: string): { ids: number[]; shown: string } {
  const known = (t: string) => Array.from(t).every((c) => vocab.includes(c));
  if (task === 'names' && !known(prompt) && known(prompt.toLowerCase())) prompt = prompt.toLowerCase();
  const missing = [...new Set(Array.from(prompt).filter((c) => !vocab.includes(c)))];
  if (missing.length) throw new PromptError(`the model does not know the character${missing.length > 1 ? 's' : ''} ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
  const lead = task === 'names' || prompt === '' ? (vocab.includes('\n') ? '\n' : vocab.includes(' ') ? ' ' : vocab[0]) : '';
  return { ids: Array.from(lead + prompt, (c) => vocab.indexOf(c)), shown: prompt };
}

/**
 * Calls `emit` with each new character (after the prompt), `length` of them, until
 * `emit` returns false. Seeded: the same seed gives the same text for the same weights.
 */
export function sampleStream(model: Sequential, ids: number[], o: { length: number; temperature: number; seed: number }, emit: (c: number) => boolean | void): void {
  const random = new Random(o.seed);
  let logits = model.forward({ data: Int32Array.from(ids), shape: [ids.length, 1] });
  let states: (RecurrentState | undefined)[] = model.finalStates();
  for (let i = 0; i < o.length; i++) {
    const C = logits.shape[logits.shape.length - 1];
    const id = draw(logits.data.subarray(logits.data.length - C), o.temperature, random);
    if (emit(id) === false || i + 1 === o.length) break;
    logits = model.forward({ data: Int32Array.of(id), shape: [1, 1] }, { initialStates: states });
    states = model.finalStates();
  }
}
