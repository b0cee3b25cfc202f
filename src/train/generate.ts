/**
 * Autoregressive generation from a Sequential of Embedding -> recurrent layers -> Linear:
 * the prompt runs as one sequence, then every sampled id is fed back one step at a time with
 * the recurrent states carried. Sampling: softmax(logits / temperature), restricted to the
 * topK most likely ids when given, drawn from a seeded generator (the same ids on every
 * runtime for the same weights); temperature 0 takes the most likely id.
 */
import { checkOptions, checkSeed } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import { Random } from '../random.js';
import { Embedding, checkIds } from './embedding.js';
import { Sequential } from './sequential.js';

/** Options of `generate`. */
export interface GenerateOptions {
  /** How many ids to generate (after the prompt). */
  length: number;
  /** Sampling temperature (default 1): softmax(logits / temperature); 0 takes the most likely id. */
  temperature?: number;
  /** Sample only among the topK most likely ids (default: all). */
  topK?: number;
  /** Seed of the sampler; without one, a random seed. */
  seed?: number;
}

/** One id drawn from logits (length C) as described above. */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, topK: number, random: Random): number {
  const C = logits.length;
  let order = Array.from({ length: C }, (_, i) => i);
  if (temperature === 0 || topK < C) order.sort((a, b) => logits[b] - logits[a] || a - b);
  if (temperature === 0) return order[0];
  order = order.slice(0, Math.min(topK, C));
  const m = Math.max(...order.map((i) => logits[i]));
  const w = order.map((i) => Math.exp((logits[i] - m) / temperature));
  let u = random.nextUnit() * w.reduce((a, b) => a + b, 0);
  for (let k = 0; k < order.length; k++) { u -= w[k]; if (u < 0) return order[k]; }
  return order[order.length - 1];
}

/**
 * Autoregressive generation from a Sequential of Embedding, recurrent layers and Linear: runs
 * the prompt (ids) as one sequence, then feeds every sampled id back one step at a time with
 * the recurrent states carried. Returns the `length` new ids. Seeded, it draws the same ids
 * on every runtime for the same weights.
 */
export function generate(model: Sequential, prompt: ArrayLike<number>, options: GenerateOptions): Int32Array {
  const first = model instanceof Sequential ? model.layers[0] : undefined;
  if (!(first instanceof Embedding)) throw new RnnError('BAD_ARGUMENT', `generate: model must be a Sequential starting with an Embedding, got ${describe(first ?? model)}`);
  if (typeof prompt !== 'object' || prompt === null || prompt.length < 1) throw new RnnError('BAD_ARGUMENT', `generate: prompt must hold at least one id, got ${describe(prompt)}`);
  checkIds(prompt, first.numEmbeddings, 'generate: prompt');
  if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `generate: options must be an object { length, temperature?, topK?, seed? }, got ${describe(options)}`);
  checkOptions(options, ['length', 'temperature', 'topK', 'seed'], 'generate: options');
  const length = options.length, temperature = options.temperature === undefined ? 1 : options.temperature;
  const topK = options.topK === undefined ? Infinity : options.topK;
  if (!Number.isSafeInteger(length) || length < 0) throw new RnnError('BAD_ARGUMENT', `generate: length must be an integer >= 0, got ${describe(length)}`);
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) throw new RnnError('BAD_ARGUMENT', `generate: temperature must be a number >= 0, got ${describe(temperature)}`);
  if (topK !== Infinity && (!Number.isSafeInteger(topK) || topK < 1)) throw new RnnError('BAD_ARGUMENT', `generate: topK must be an integer >= 1, got ${describe(topK)}`);
  const random = new Random(options.seed === undefined ? Random.randomSeed() : checkSeed(options.seed, 'generate: seed'));
  let out: Int32Array;
  try {
    out = new Int32Array(length);
  } catch (cause) {
    throw new RnnError('OUT_OF_MEMORY', `generate: length ${length} is more ids than an Int32Array holds here`, { cause });
  }
  let logits = model.forward({ data: Int32Array.from(prompt), shape: [prompt.length, 1] });
  let states = model.finalStates();
  for (let i = 0; i < length; i++) {
    const C = logits.shape[logits.shape.length - 1];
    const id = sampleLogits(logits.data.subarray(logits.data.length - C), temperature, topK, random);
    out[i] = id;
    if (i + 1 === length) break;
    logits = model.forward({ data: Int32Array.of(id), shape: [1, 1] }, { initialStates: states });
    states = model.finalStates();
  }
  return out;
}
