// Two classic set-ups end to end: a character-level LSTM trained with fit and truncated BPTT
// on a public-domain text, whose validation loss falls below a stated bound; and an
// encoder-decoder with teacher forcing (the decoder starts from the encoder's final state,
// and the gradient of that state flows back into the encoder) that learns to reverse
// sequences.
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, Embedding, LSTM, Linear, Sequential, clipGradNorm, crossEntropy, fit, generate, init } from '../src/node.js';

beforeAll(async () => { await init(); });

// Lewis Carroll, "Alice's Adventures in Wonderland" (1865), chapter 1: public domain.
const TEXT = `alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, and what is the use of a book, thought alice without pictures or conversations? so she was considering in her own mind (as well as she could, for the hot day made her feel very sleepy and stupid), whether the pleasure of making a daisy-chain would be worth the trouble of getting up and picking the daisies, when suddenly a white rabbit with pink eyes ran close by her. there was nothing so very remarkable in that; nor did alice think it so very much out of the way to hear the rabbit say to itself, oh dear! oh dear! i shall be late!`;

describe('classic set-ups', () => {
  test('character-level LSTM with truncated BPTT: validation loss at least 0.3 nats below a unigram model\'s', () => {
    const chars = [...new Set(TEXT)].sort(), V = chars.length;
    const ids = Int32Array.from(TEXT, (ch) => chars.indexOf(ch));
    const split = Math.floor(ids.length * 0.85);
    // N parallel streams of T steps, time-major, target = the next character
    const streams = (from: number, to: number, N: number) => {
      const T = Math.floor((to - from - 1) / N);
      const x = new Int32Array(T * N), y = new Int32Array(T * N);
      for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) { x[t * N + n] = ids[from + n * T + t]; y[t * N + n] = ids[from + n * T + t + 1]; }
      return { x: { data: x, shape: [T, N] }, y };
    };
    const model = new Sequential([
      new Embedding({ numEmbeddings: V, embeddingDim: 16, seed: 1 }),
      new LSTM({ inputSize: 16, hiddenSize: 64, seed: 1 }),
      new Linear({ inFeatures: 64, outFeatures: V, seed: 1 }),
    ]);
    const started = Date.now();
    const r = fit(model, streams(0, split, 8), {
      optimizer: new Adam(model, { lr: 1e-2 }), epochs: 40, bptt: { k1: 16, k2: 24 }, clipNorm: 1, seed: 3,
      validation: streams(split, ids.length, 1),
    });
    const val = r.history.map((h) => h.valLoss!);
    const best = Math.min(...val);
    // the baseline: character frequencies of the training text (add-one smoothed), scored on
    // the validation text, i.e. a model that knows which characters are common but no context
    const counts = new Float64Array(V).fill(1);
    for (let i = 0; i < split; i++) counts[ids[i]]++;
    const total = counts.reduce((a, b) => a + b, 0);
    let unigram = 0;
    for (let i = split + 1; i < ids.length; i++) unigram -= Math.log(counts[ids[i]] / total);
    unigram /= ids.length - split - 1;
    console.log(`char-LSTM: V = ${V} (uniform ${Math.log(V).toFixed(2)} nats, unigram ${unigram.toFixed(2)}), ${r.steps} updates in ${((Date.now() - started) / 1000).toFixed(1)} s, train ${r.history.at(-1)!.loss.toFixed(3)}, validation first ${val[0].toFixed(3)}, best ${best.toFixed(3)}`);
    console.log(`sample: "${Array.from(generate(model, Array.from('alice ', (c) => chars.indexOf(c)), { length: 60, temperature: 0.5, seed: 1 }), (i) => chars[i]).join('')}"`);
    expect(best).toBeLessThan(unigram - 0.3);
  });

  test('encoder-decoder with teacher forcing learns to reverse sequences', () => {
    const V = 6, L = 5, B = 32, GO = V; // ids 0..V-1, GO starts the decoder
    const enc = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: 8, seed: 2 }), new LSTM({ inputSize: 8, hiddenSize: 48, seed: 2 })]);
    const dec = new Sequential([new Embedding({ numEmbeddings: V + 1, embeddingDim: 8, seed: 3 }), new LSTM({ inputSize: 8, hiddenSize: 48, seed: 3 }), new Linear({ inFeatures: 48, outFeatures: V, seed: 3 })]);
    const both = { paramBuffers: () => [...enc.paramBuffers(), ...dec.paramBuffers()] };
    const opt = new Adam(both, { lr: 1e-2 });
    let seed = 12345;
    const next = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 16; };
    const batch = (n: number) => {
      const src = Int32Array.from({ length: L * n }, () => next() % V);
      const tgt = Int32Array.from({ length: L * n }, (_, i) => src[(L - 1 - Math.floor(i / n)) * n + (i % n)]);
      const decIn = Int32Array.from({ length: L * n }, (_, i) => (i < n ? GO : tgt[i - n])); // teacher forcing
      return { src, tgt, decIn, n };
    };
    const run = (b: ReturnType<typeof batch>, train: boolean) => {
      enc.forward({ data: b.src, shape: [L, b.n] }, { train });
      const [, state] = enc.finalStates();
      const logits = dec.forward({ data: b.decIn, shape: [L, b.n] }, { train, initialStates: [undefined, state] });
      return logits;
    };
    for (let step = 0; step < 600; step++) {
      const b = batch(B);
      enc.zeroGrad(); dec.zeroGrad();
      const { grad } = crossEntropy(run(b, true), b.tgt);
      // the decoder's gradient of its initial state is the encoder's final-state gradient
      const lstmDec = dec.layers[1] as LSTM, lstmEnc = enc.layers[1] as LSTM;
      const dLin = (dec.layers[2] as Linear).backward(grad).dx!;
      const { dx, dh0, dc0 } = lstmDec.backward(dLin);
      (dec.layers[0] as Embedding).backward(dx);
      const dEmb = lstmEnc.backward(null, { h: dh0, c: dc0 }).dx;
      (enc.layers[0] as Embedding).backward(dEmb);
      clipGradNorm(both, 1);
      opt.step();
    }
    // greedy decoding, feeding back the model's own predictions
    const test = batch(200);
    enc.forward({ data: test.src, shape: [L, test.n] });
    let state = enc.finalStates()[1];
    let input = new Int32Array(test.n).fill(GO);
    let right = 0;
    for (let t = 0; t < L; t++) {
      const logits = dec.forward({ data: input, shape: [1, test.n] }, { initialStates: [undefined, state] });
      state = dec.finalStates()[1];
      input = Int32Array.from({ length: test.n }, (_, n) => {
        const row = Array.from(logits.data.subarray(n * V, (n + 1) * V));
        return row.indexOf(Math.max(...row));
      });
      input.forEach((p, n) => { if (p === test.tgt[t * test.n + n]) right++; });
    }
    const accuracy = right / (L * test.n);
    console.log(`encoder-decoder reversal: ${(100 * accuracy).toFixed(1)}% of tokens right (chance ${(100 / V).toFixed(1)}%)`);
    expect(accuracy).toBeGreaterThan(0.95);
  });
});

describe('one-to-many', () => {
  test('one input at the first step, a whole sequence out', () => {
    // class c at t = 0 (one-hot), zeros after; the target at step t is (c + t) mod C
    const C = 4, T = 8, N = 16;
    const x = new Float32Array(T * N * C), y = new Int32Array(T * N);
    for (let n = 0; n < N; n++) {
      const c = n % C;
      x[n * C + c] = 1;
      for (let t = 0; t < T; t++) y[t * N + n] = (c + t) % C;
    }
    const model = new Sequential([new LSTM({ inputSize: C, hiddenSize: 24, seed: 4 }), new Linear({ inFeatures: 24, outFeatures: C, seed: 4 })]);
    fit(model, { x: { data: x, shape: [T, N, C] }, y }, { optimizer: new Adam(model, { lr: 2e-2 }), epochs: 150, clipNorm: 1, seed: 1 });
    const logits = model.forward({ data: x, shape: [T, N, C] });
    let right = 0;
    for (let i = 0; i < T * N; i++) {
      const row = Array.from(logits.data.subarray(i * C, (i + 1) * C));
      if (row.indexOf(Math.max(...row)) === y[i]) right++;
    }
    console.log(`one-to-many: ${right} of ${T * N} steps right`);
    expect(right).toBe(T * N);
  });
});
