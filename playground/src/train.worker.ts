/**
 * The training worker: owns the model, trains it in slices of about 100 ms (so pause, sample
 * and save requests are answered between updates and the page never waits), and reports
 * progress. Each update is the one `simd-rnn train` makes with fit's truncated BPTT
 * (k1 = k2 = seq): the epoch's stream cut into `batch` rows, `seq` steps per update, the state
 * carried from update to update, cross-entropy on every step, clipping, one optimizer step.
 * Written out rather than through fit so the loop can stop and resume at any update.
 */
/// <reference lib="webworker" />
import {
  Adam, Embedding, Linear, RMSprop, Random, RnnError, SGD, Sequential, clipGradNorm, crossEntropy, init, loadCheckpoint, saveCheckpoint,
  type Optimizer, type RecurrentLayer, type RecurrentState,
} from 'simd-rnn';
import namesText from '../../data/first-names.txt?raw';
import { buildCell } from './build-cell.js';
import { CorpusError, namesCorpus, rows, streamLoss, textCorpus, unigramLoss, type Corpus } from './corpus.js';
import { PromptError, sampleStream, startOf } from './sampling.js';
import type { FromTrainer, Inside, ModelInfo, ToTrainer, TrainConfig } from './protocol.js';

const post = (m: FromTrainer, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);
const SLICE_MS = 100;

interface Run {
  /** The page's number of this run (see protocol.ts). */
  id: number;
  model: Sequential;
  optimizer?: Optimizer;
  vocab: string[];
  task: 'names' | 'text';
  info: ModelInfo;
  /** Set when the model was trained here (loaded models have no corpus unless it is the names list). */
  corpus?: Corpus;
  config?: TrainConfig;
  steps: number;
  seconds: number;
  random?: Random;
  epoch?: { x: Int32Array; y: Int32Array; L: number };
  pos: number;
  states: (RecurrentState | undefined)[];
  log: { step: number; valLoss: number }[];
  /** The training file's own metadata, kept when a loaded checkpoint is saved again. */
  training?: string;
}

let run: Run | null = null;
let running = false;
let names: Corpus | null = null;
const namesList = () => (names ??= namesCorpus(namesText));

function dispose(): void {
  running = false;
  if (!run) return;
  run.optimizer?.dispose();
  for (const l of run.model.layers) l.dispose();
  run = null;
}

const recurrentOf = (model: Sequential) => model.layers.find((l): l is RecurrentLayer => typeof (l as RecurrentLayer).gradientNorms === 'function');

function start(c: TrainConfig, id: number): void {
  dispose();
  const corpus = c.corpus.kind === 'names' ? namesList() : textCorpus(c.corpus.text);
  const V = corpus.vocab.length;
  const model = new Sequential([
    new Embedding({ numEmbeddings: V, embeddingDim: c.embed, seed: c.seed }),
    buildCell(c.cell, { inputSize: c.embed, hiddenSize: c.hidden, numLayers: c.layers, seed: c.seed + 1 }),
    new Linear({ inFeatures: c.hidden, outFeatures: V, seed: c.seed + 2 }),
  ]);
  const optimizer = c.optimizer === 'sgd' ? new SGD(model, { lr: c.lr, momentum: 0.9 }) : c.optimizer === 'rmsprop' ? new RMSprop(model, { lr: c.lr }) : new Adam(model, { lr: c.lr });
  const parameters = model.parameters().reduce((a, p) => a + p.data.length, 0);
  const baseline = unigramLoss(corpus.counts, corpus.validation);
  const source = c.corpus.kind === 'names' ? 'first-names.txt' : c.corpus.name;
  run = {
    id, model, optimizer, vocab: corpus.vocab, task: corpus.task, corpus, config: c, steps: 0, seconds: 0, random: new Random(c.seed), pos: 0, states: [], log: [],
    info: { task: corpus.task, describe: `${source}: ${corpus.describe}`, parameters, vocabSize: V, baseline, source: 'trained here' },
  };
  post({ type: 'started', info: run.info });
  validate(run, []);
  running = true;
  post({ type: 'state', state: 'running' });
  setTimeout(loop, 0);
}

function validate(r: Run, val: [number, number][]): number {
  const v = streamLoss(r.model, r.corpus!.validation);
  r.log.push({ step: r.steps, valLoss: v });
  val.push([r.steps, v]);
  return v;
}

/** One update (see the file comment); returns its loss. */
function update(r: Run): number {
  const c = r.config!, B = c.batch, T = c.seq;
  if (!r.epoch || r.pos + T > r.epoch.L) {
    const { x, y } = rows(r.corpus!.epoch(r.random!), B, T);
    r.epoch = { x: x.data, y, L: x.shape[0] };
    r.pos = 0;
    r.states = [];
  }
  const steps = Math.min(T, r.epoch.L - r.pos), from = r.pos * B, to = (r.pos + steps) * B;
  r.model.zeroGrad();
  const logits = r.model.forward({ data: r.epoch.x.subarray(from, to), shape: [steps, B] }, { train: true, initialStates: r.states });
  r.states = r.model.finalStates();
  const { loss, grad } = crossEntropy(logits, r.epoch.y.subarray(from, to));
  r.model.backward(grad, { inputGrad: false });
  if (c.clip > 0) clipGradNorm(r.model, c.clip);
  r.optimizer!.step();
  r.pos += steps;
  return loss;
}

function loop(): void {
  const r = run;
  if (!r || !running || !r.corpus) return;
  const c = r.config!, t0 = performance.now(), train: [number, number][] = [], val: [number, number][] = [];
  try {
    while (performance.now() - t0 < SLICE_MS) {
      const loss = update(r);
      r.steps++;
      train.push([r.steps, loss]);
      if (!Number.isFinite(loss)) throw new RnnError('NOT_FINITE', `the loss is ${loss}`);
      if (r.steps % c.evalEvery === 0) {
        const v = validate(r, val);
        if (c.sampleEvery > 0 && r.steps % c.sampleEvery === 0) samples(r, v);
        break; // report the validation point at once
      }
      if (c.sampleEvery > 0 && r.steps % c.sampleEvery === 0) { samples(r, r.log.at(-1)!.valLoss); break; }
    }
  } catch (e) {
    running = false;
    r.seconds += (performance.now() - t0) / 1000;
    post({ type: 'progress', run: r.id, step: r.steps, stepsPerSecond: r.steps / Math.max(r.seconds, 1e-9), train, val });
    const diverged = e instanceof RnnError && e.code === 'NOT_FINITE';
    post({ type: 'error', where: 'train', message: diverged ? `training diverged at step ${r.steps + 1} (${e.message}); try a lower learning rate${c.clip ? '' : ' or clipping'}` : messageOf(e) });
    post({ type: 'state', state: 'paused' });
    return;
  }
  r.seconds += (performance.now() - t0) / 1000;
  post({ type: 'progress', run: r.id, step: r.steps, stepsPerSecond: r.steps / Math.max(r.seconds, 1e-9), train, val });
  setTimeout(loop, 0);
}

function samples(r: Run, valLoss: number): void {
  const texts: string[] = [];
  const count = r.task === 'names' ? 6 : 1;
  for (let i = 0; i < count; i++) texts.push(generateText(r, '', 0.8, r.task === 'names' ? 40 : 160, r.config!.seed + r.steps + i, r.task === 'names'));
  post({ type: 'samples', run: r.id, step: r.steps, valLoss, texts });
}

/** The prompt and `length` characters after it (a names model: up to the end of the name when `oneName`). */
function generateText(r: Run, prompt: string, temperature: number, length: number, seed: number, oneName: boolean, emit?: (text: string) => void): string {
  const { ids, shown } = startOf(r.task, r.vocab, prompt);
  let out = shown, pending = shown, last = performance.now();
  emit?.(shown);
  pending = '';
  sampleStream(r.model, ids, { length, temperature, seed }, (id) => {
    const ch = r.vocab[id];
    if (oneName && ch === '\n') return false;
    out += ch; pending += ch;
    if (emit && performance.now() - last > 30) { emit(pending); pending = ''; last = performance.now(); }
    return true;
  });
  if (emit && pending) emit(pending);
  return out;
}

function sampleRequest(m: Extract<ToTrainer, { type: 'sample' }>): void {
  if (!run) { post({ type: 'sample-done', id: m.id, error: 'train a model or load a checkpoint first' }); return; }
  try {
    generateText(run, m.prompt, m.temperature, m.length, m.seed, false, (text) => post({ type: 'sample-chunk', id: m.id, text }));
    post({ type: 'sample-done', id: m.id });
  } catch (e) {
    post({ type: 'sample-done', id: m.id, error: messageOf(e) });
  }
}

/** The checkpoint as `simd-rnn train` writes it: weights, optimizer, vocabulary, task and a training record. */
function save(): void {
  const r = run;
  if (!r) { post({ type: 'error', where: 'save', message: 'there is no model yet: train one or load a checkpoint' }); return; }
  const c = r.config;
  const training = c ? JSON.stringify({
    task: r.task, source: c.corpus.kind === 'names' ? 'first-names.txt' : c.corpus.name,
    options: { task: r.task, cell: c.cell, hidden: c.hidden, layers: c.layers, embed: c.embed, seq: c.seq, batch: c.batch, optimizer: c.optimizer, lr: c.lr, clip: c.clip, seed: c.seed, 'eval-every': c.evalEvery, keep: 'last' },
    simd: simd, steps: r.steps, seconds: +r.seconds.toFixed(1), parameters: r.info.parameters,
    baseline: { name: 'unigram baseline', loss: +(r.info.baseline ?? NaN).toFixed(4) },
    kept: { step: r.steps, valLoss: +(r.log.at(-1)?.valLoss ?? NaN).toFixed(4) }, log: r.log.map((e) => ({ step: e.step, valLoss: +e.valLoss.toFixed(4) })),
    madeBy: 'simd-rnn playground',
  }) : r.training;
  const bytes = saveCheckpoint(r.model, r.optimizer, { vocabulary: JSON.stringify(r.vocab), task: r.task, ...(training ? { training } : {}) });
  const copy = bytes.slice().buffer;
  post({ type: 'checkpoint', bytes: copy, fileName: 'model.safetensors' }, [copy]);
}

function load(bytes: ArrayBuffer, name: string): void {
  let loaded: ReturnType<typeof loadCheckpoint>;
  try {
    loaded = loadCheckpoint(new Uint8Array(bytes));
  } catch (e) {
    throw new Error(`${name} is not a readable simd-rnn checkpoint: ${e instanceof RnnError ? e.message.replace(/^loadCheckpoint: /, '') : messageOf(e)}`);
  }
  const { model, optimizer, metadata } = loaded;
  let vocab: unknown;
  try { vocab = JSON.parse(metadata.vocabulary ?? 'null'); } catch { vocab = null; }
  const seq = model instanceof Sequential ? model : null;
  if (!seq || !(seq.layers[0] instanceof Embedding) || !recurrentOf(seq) || !Array.isArray(vocab) || !vocab.every((c) => typeof c === 'string') || vocab.length !== seq.layers[0].numEmbeddings) {
    optimizer?.dispose();
    if (seq) for (const l of seq.layers) l.dispose(); else model.dispose();
    const task = metadata.task ? ` (it was trained on the ${metadata.task} task)` : '';
    throw new Error(`${name} is a simd-rnn checkpoint but not a character model${task}: the playground samples checkpoints of \`simd-rnn train --task names\` or \`--text\``);
  }
  dispose();
  const task = metadata.task === 'names' ? 'names' : 'text';
  let training: { steps?: number; source?: string; baseline?: { loss?: number }; kept?: { valLoss?: number }; log?: unknown } | null = null;
  try { training = JSON.parse(metadata.training ?? 'null'); } catch { training = null; }
  const parameters = seq.parameters().reduce((a, p) => a + p.data.length, 0);
  const list = task === 'names' ? namesList() : undefined;
  const sameNames = list && list.vocab.join('') === (vocab as string[]).join('');
  const rec = recurrentOf(seq)!;
  run = {
    id: -1, model: seq, optimizer, vocab: vocab as string[], task, steps: training?.steps ?? 0, seconds: 0, pos: 0, states: [], log: [],
    corpus: undefined, training: metadata.training,
    info: {
      task, parameters, vocabSize: vocab.length, source: name, log: trainingLog(training?.log),
      baseline: training?.baseline?.loss ?? (sameNames ? unigramLoss(list.counts, list.validation) : undefined),
      describe: `${name}: ${rec.spec.kind} ${rec.spec.numLayers > 1 ? `${rec.spec.numLayers} layers of ` : ''}${rec.spec.hiddenSize}, ${task}${training?.source ? ` (${training.source})` : ''}, ${training?.steps ?? '?'} steps${training?.kept?.valLoss !== undefined ? `, validation loss ${training.kept.valLoss}` : ''}`,
    },
  };
  if (sameNames) names = list;
  post({ type: 'loaded', info: run.info });
  post({ type: 'state', state: 'loaded' });
}

/** The entries of a training record's log that have a step and a validation loss. */
function trainingLog(log: unknown): ModelInfo['log'] {
  if (!Array.isArray(log)) return undefined;
  const ok = log.filter((e) => typeof e?.step === 'number' && typeof e?.valLoss === 'number')
    .map((e) => ({ step: e.step as number, valLoss: e.valLoss as number, loss: typeof e.loss === 'number' ? e.loss as number : null }));
  return ok.length ? ok : undefined;
}

/** The model's gradient flow for a loss on the last of up to 100 characters of 8 held-out windows (as `simd-rnn train` charts it), its gates and spectrum. */
function inspect(): void {
  const r = run;
  if (!r) throw new Error('there is no model yet: train one or load a checkpoint');
  let ids = r.corpus?.validation ?? (r.task === 'names' && names && names.vocab.join('') === r.vocab.join('') ? names.validation : undefined);
  if (!ids) {
    // a loaded model without its corpus: its own text at temperature 1 stands in for held-out text
    const text = generateText(r, '', 1, 900, 1, false);
    ids = Int32Array.from(Array.from(text), (c) => r.vocab.indexOf(c));
  }
  const B = 8, T = Math.min(100, Math.floor(ids.length / B) - 1), x = new Int32Array(T * B), targets = new Int32Array(T * B).fill(-100);
  const stride = Math.floor(ids.length / B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[t * B + b] = ids[b * stride + t];
    targets[(T - 1) * B + b] = ids[b * stride + T];
  }
  const logits = r.model.forward({ data: x, shape: [T, B] }, { train: true });
  r.model.backward(crossEntropy(logits, targets).grad);
  const layer = recurrentOf(r.model)!;
  const inside: Inside = {
    T,
    norms: layer.gradientNorms().map((trace) => Array.from(trace.h)),
    gates: layer.gateStats().flatMap((s) => s.gates.map((g) => ({ layer: s.layer, gate: g.gate, mean: g.mean, saturatedLow: g.saturatedLow, saturatedHigh: g.saturatedHigh }))),
    spectrum: layer.recurrentSpectrum().map((s) => ({ ...s })),
  };
  r.model.zeroGrad();
  post({ type: 'inside', inside });
}

function messageOf(e: unknown): string {
  if (e instanceof RnnError) return `${e.code}: ${e.message}`;
  if (e instanceof CorpusError || e instanceof PromptError || e instanceof Error) return e.message;
  return String(e);
}

let simd = '';
const ready = init().then((b) => { simd = b.simd; post({ type: 'ready', simd: b.simd }); }, (e) => { post({ type: 'error', where: 'init', message: messageOf(e) }); throw e; });

self.onmessage = async (event: MessageEvent<ToTrainer>) => {
  await ready;
  const m = event.data;
  const where = m.type === 'load' ? 'load' : m.type === 'save' ? 'save' : m.type === 'inspect' ? 'inspect' : 'train';
  try {
    switch (m.type) {
      case 'start': start(m.config, m.run); break;
      case 'pause': if (running) { running = false; post({ type: 'state', state: 'paused' }); } break;
      case 'resume': if (run?.corpus && !running) { running = true; post({ type: 'state', state: 'running' }); setTimeout(loop, 0); } break;
      case 'reset': dispose(); post({ type: 'state', state: 'idle' }); break;
      case 'sample': sampleRequest(m); break;
      case 'save': save(); break;
      case 'load': load(m.bytes, m.name); break;
      case 'inspect': inspect(); break;
    }
  } catch (e) {
    if (m.type === 'start') { dispose(); post({ type: 'state', state: 'idle' }); }
    post({ type: 'error', where, message: messageOf(e) });
  }
};
