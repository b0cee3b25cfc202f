/**
 * `simd-rnn train`: trains a model with the library's `fit` and saves a checkpoint and a loss
 * chart.
 *
 * Character tasks (names, text): Embedding(V, embed) -> the --cell layer(embed, hidden, layers)
 * -> Linear(hidden, V), cross-entropy on the next character at every step. Every epoch is one
 * round of fit data, the epoch's stream cut into --batch rows (chars.ts), so the state is
 * carried across the whole epoch with truncated BPTT (k1 = --seq, k2 = --k2). Synthetic tasks
 * (adding, parity): the recurrent layer -> Linear on rounds of fresh sequences of --seq steps,
 * full BPTT.
 *
 * A round is trained one update per fitFrom call (the same updates as one fit call), and the
 * loop yields to the event loop between updates: so Ctrl-C or SIGTERM stops it after the
 * update that is running, and the run saves what --resume needs to continue it bit for bit
 * (resume.ts), also every --checkpoint-every updates.
 *
 * fit's onProgress (after every update) drives everything periodic: the progress bar, the
 * validation loss every --eval-every updates, samples every --sample-every updates; the
 * loop stops when --steps or --minutes is used up. The validation loss is measured here (chars.ts
 * streamLoss, on held-out text) rather than by fit, so it comes at any step and in chunks.
 * With --keep best (the default) the weights and optimizer state of the best validation loss
 * are copied aside and saved at the end: a long run that starts to overfit loses nothing.
 * Files already in --out are refused before anything is trained unless --force is given
 * (`npm start` gives it: the demo replaces its previous run's files).
 */
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Adam, Embedding, Linear, RMSprop, Random, RnnError, SGD, Sequential, crossEntropy, lineChart, saveCheckpoint,
  type FitData, type Layer, type RecurrentLayer,
} from '../node.js';
import { CliFailure, UsageError, type CommandSpec, type OptionValues } from './args.js';
import { type Corpus, namesCorpus, printable, rows, sampleNames, sampleText, streamLoss, textCorpus, unigramLoss } from './chars.js';
import { moduleTypes } from '../registry.js';
import { FORCE_OPTION, SIMD_OPTION, clock, count, loss as fmt, readText, refuseOverwrite, start, writeFile } from './common.js';
import { escapeLine, escapeText } from './escape.js';
import { Progress } from './progress.js';
import { RESUME_FILE, RUN_FLAGS, loadResume, neededBoundaries, readResume, resumedFlags, saveResume, shellPath, type Boundaries, type SavedRun, type TrainState } from './resume.js';
import { fitFrom } from '../train/fit.js';
import { TASKS, type SyntheticTask } from './synthetic.js';
import { SCHEDULE_HELP, parseSchedule } from './schedule.js';
import { ReduceLROnPlateau, scheduleKinds, type Schedule } from '../train/schedule.js';

/** The recurrent layer types of the registry, for --cell (lower case: lstm, gru, rnn, ...). */
const RECURRENT = moduleTypes((t) => t.role === 'recurrent');
const CELLS = RECURRENT.map((t) => t.type.toLowerCase());

/** The names shipped with the package (data/README.md). */
export const NAMES_FILE = new URL('../../data/first-names.txt', import.meta.url);

const DEFAULT_LR = { adam: 0.003, rmsprop: 0.002, sgd: 0.5 };

export const TRAIN: CommandSpec = {
  name: 'train',
  summary: 'Trains a recurrent model and saves a checkpoint and a loss chart. The default task learns to invent first names.',
  options: [
    { name: 'task', type: 'string', choices: ['names', 'text', 'adding', 'parity'], help: 'names (the bundled list of 8,422 first names), text (needs --text), or the synthetic adding / parity problems', default: 'names' },
    { name: 'text', type: 'string', value: 'FILE', help: 'train a character model on any UTF-8 text file (the last 10% is held out)' },
    { name: 'cell', type: 'string', choices: CELLS, default: 'lstm', help: 'recurrent cell (every registered recurrent layer type)' },
    { name: 'hidden', type: 'int', min: 1, value: 'N', default: 128, help: 'hidden units per layer' },
    { name: 'layers', type: 'int', min: 1, value: 'N', default: 1, help: 'stacked recurrent layers' },
    { name: 'embed', type: 'int', min: 1, value: 'N', default: 32, help: 'character embedding size' },
    { name: 'seq', type: 'int', min: 1, value: 'N', default: 32, help: 'steps per update: truncated-BPTT k1 (character tasks), sequence length (synthetic)' },
    { name: 'k2', type: 'int', min: 1, value: 'N', help: 'truncated BPTT: backpropagate through the last k2 >= seq steps (default: seq)' },
    { name: 'batch', type: 'int', min: 1, value: 'N', default: 32, help: 'sequences per update' },
    { name: 'steps', type: 'int', min: 1, value: 'N', help: 'stop after N updates' },
    { name: 'minutes', type: 'number', min: 0, exclusiveMin: true, value: 'M', help: 'stop after M minutes (default 2 when --steps is not given)' },
    { name: 'optimizer', type: 'string', choices: ['adam', 'sgd', 'rmsprop'], default: 'adam', help: 'adam, sgd (momentum 0.9) or rmsprop' },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, value: 'X', help: `learning rate (default: adam ${DEFAULT_LR.adam}, rmsprop ${DEFAULT_LR.rmsprop}, sgd ${DEFAULT_LR.sgd})` },
    { name: 'schedule', type: 'string', value: 'SPEC', help: SCHEDULE_HELP },
    { name: 'clip', type: 'number', min: 0, value: 'X', default: 1, help: 'clip the gradient norm to X (0: no clipping)' },
    { name: 'seed', type: 'int', min: 0, value: 'N', help: 'seed of the weights, the data order and the samples (default: random, printed)' },
    { name: 'eval-every', type: 'int', min: 1, value: 'N', default: 100, help: 'measure the validation loss every N updates' },
    { name: 'keep', type: 'string', choices: ['best', 'last'], default: 'best', help: 'save the weights (and optimizer state) of the best validation loss, or the last ones' },
    { name: 'sample-every', type: 'int', min: 0, value: 'N', default: 0, help: 'print samples every N updates (0: only at the end)' },
    { name: 'temperature', type: 'number', min: 0, value: 'X', default: 0.8, help: 'sampling temperature of the printed samples' },
    { name: 'out', type: 'string', value: 'DIR', default: 'simd-rnn-out', help: 'where model.safetensors, loss.svg and (character tasks) gradient-flow.svg go; files there already are refused before training unless --force' },
    { name: 'checkpoint-every', type: 'int', min: 1, value: 'N', help: 'write DIR/resume.safetensors every N updates (and at the end), from which --resume continues' },
    { name: 'resume', type: 'string', value: 'FILE', help: 'continue the run saved in FILE (written on Ctrl-C or by --checkpoint-every) until it has made --steps updates in all; the flags that shape the run (task, model, optimizer, seed, ...) come from the file' },
    { name: 'quiet', type: 'flag', help: 'no progress bar, header or samples while training' },
    FORCE_OPTION,
    SIMD_OPTION,
  ],
  notes: [
    'Examples:',
    '  simd-rnn train                                  # names, LSTM 128, two minutes',
    '  simd-rnn train --text poems.txt --minutes 10 --hidden 256 --sample-every 500',
    '  simd-rnn train --task adding --seq 50 --hidden 32 --lr 0.01 --steps 1200',
    '  simd-rnn train --steps 3000 --schedule onecycle:0.01      # or linear:200, cosine, step:1000,0.5, plateau:3',
    '',
    'Ctrl-C (or SIGTERM) finishes the update that is running, saves DIR/resume.safetensors and',
    'the charts, prints the command that continues (--resume), and exits with code 130. The',
    'continued run makes the same updates, bit for bit, as one that was never stopped.',
    '--minutes counts the time of this process.',
  ],
};

/** What differs between the tasks; train() drives any of them the same way. */
interface Run {
  task: string;
  model: Sequential;
  /** The validation loss of the model now. */
  evaluate: () => number;
  /** n samples (names, texts of `length` characters, or worked examples of a synthetic task). */
  sample: (n: number, seed: number, length: number) => string[];
  baseline: number;
  baselineName: string;
  unit: string;
  /** The fit data of one round: an epoch of text, or fresh synthetic sequences. */
  round: (random: Random) => FitData;
  fitOptions: { loss?: 'mse' | 'crossEntropy'; target?: 'every' | 'last'; bptt?: { k1: number; k2: number } };
  describe: string;
  /** Strings for the checkpoint (the vocabulary). */
  metadata: Record<string, string>;
  /** names: the whole list, to mark generated names that are new. */
  names?: Set<string>;
  /** Character tasks: ||dL/dh(t)|| per layer for a loss on the last step of a validation window. */
  gradientFlow?: () => { norms: Float64Array[]; T: number };
}

function recurrent(o: OptionValues, inputSize: number, seed: number): Layer {
  const type = RECURRENT.find((t) => t.type.toLowerCase() === o.cell)!;
  return type.build({ inputSize, hiddenSize: o.hidden as number, numLayers: o.layers as number, seed }) as Layer;
}

function charRun(o: OptionValues, corpus: Corpus, seed: number): Run {
  const V = corpus.vocab.length, H = o.hidden as number, E = o.embed as number;
  const model = new Sequential([new Embedding({ numEmbeddings: V, embeddingDim: E, seed }), recurrent(o, E, seed + 1), new Linear({ inFeatures: H, outFeatures: V, seed: seed + 2 })]);
  const names = corpus.task === 'names', temperature = o.temperature as number;
  return {
    task: corpus.task, names: corpus.names, model, baseline: unigramLoss(corpus.counts, corpus.validation), baselineName: 'unigram baseline', unit: 'nats per character',
    evaluate: () => streamLoss(model, corpus.validation),
    sample: (n, s, length) => (names ? sampleNames(model, corpus.vocab, n, { temperature, seed: s }) : sampleText(model, corpus.vocab, n, length, { temperature, seed: s })),
    round: (random) => rows(corpus.epoch(random), o.batch as number, o.seq as number),
    fitOptions: { loss: 'crossEntropy', target: 'every', bptt: { k1: o.seq as number, k2: (o.k2 ?? o.seq) as number } },
    describe: corpus.describe,
    metadata: { vocabulary: JSON.stringify(corpus.vocab) },
    gradientFlow: () => gradientFlow(model, corpus.validation),
  };
}

/**
 * How far back the trained model's gradient reaches: 8 validation windows of up to 100
 * characters, the loss on the next character after the last step only, one backward; the
 * recurrent layer's per-step norms ||dL/dh(t)|| (one series per layer).
 */
function gradientFlow(model: Sequential, ids: Int32Array): { norms: Float64Array[]; T: number } {
  const B = 8, T = Math.min(100, Math.floor(ids.length / B) - 1), x = new Int32Array(T * B), targets = new Int32Array(T * B).fill(-100);
  const stride = Math.floor(ids.length / B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[t * B + b] = ids[b * stride + t];
    targets[(T - 1) * B + b] = ids[b * stride + T];
  }
  const logits = model.forward({ data: x, shape: [T, B] }, { train: true });
  model.backward(crossEntropy(logits, targets).grad);
  const norms = (model.layers[1] as RecurrentLayer).gradientNorms().map((trace) => trace.h);
  model.zeroGrad();
  return { norms, T };
}

function syntheticRun(o: OptionValues, task: SyntheticTask, seed: number): Run {
  const H = o.hidden as number, T = o.seq as number, B = o.batch as number;
  const model = new Sequential([recurrent(o, task.inputSize, seed + 1), new Linear({ inFeatures: H, outFeatures: task.outputSize, seed: seed + 2 })]);
  // the same validation sequences for every seed, so runs compare
  const validation = task.data(new Random(0x5eed5eed), T, 512);
  let summary = '';
  return {
    task: task.name, model, baseline: task.baseline, baselineName: task.baselineName, unit: task.loss === 'mse' ? 'MSE' : 'nats per step',
    evaluate: () => { const r = task.evaluate(model, validation); summary = r.summary; return r.loss; },
    sample: (n, s) => [...(summary ? [summary] : []), ...task.examples(model, new Random(s), T, n)],
    round: (random) => task.data(random, T, B * 16),
    fitOptions: { loss: task.loss, target: task.target },
    describe: `fresh sequences of ${T} steps, validation on 512 fixed ones`,
    metadata: {},
  };
}

export async function train(o: OptionValues, given: Set<string>): Promise<number> {
  // --resume: the run's flags come from the file (one given with another value is refused)
  const resumeFile = o.resume as string | undefined;
  const resumed = resumeFile === undefined ? undefined : readResume(resumeFile);
  if (resumed) resumedFlags(o, given, resumed.flags, resumeFile!);
  const task = (o.text !== undefined && !given.has('task') ? 'text' : o.task) as string;
  if (task === 'text' && o.text === undefined) throw new UsageError('simd-rnn train: --task text needs --text FILE');
  if (task !== 'text' && o.text !== undefined) throw new UsageError(`simd-rnn train: --text goes with --task text, not --task ${task}`);
  const k2 = (o.k2 ?? o.seq) as number;
  if (k2 < (o.seq as number)) throw new UsageError(`simd-rnn train: --k2 must be >= --seq (${o.seq}), got ${k2}`);
  const synthetic = task === 'adding' || task === 'parity';
  for (const only of ['embed', 'k2']) if (synthetic && given.has(only)) throw new UsageError(`simd-rnn train: --${only} applies to the character tasks (names, text), not --task ${task}`);
  const maxSteps = (o.steps as number | undefined) ?? Infinity;
  const seconds = o.minutes !== undefined ? (o.minutes as number) * 60 : o.steps === undefined ? 120 : Infinity;
  // --steps equal to the updates made trains no more but writes the final files (a run killed
  // after its last resume file and before them is finished so)
  if (resumed && resumed.steps > maxSteps) throw new UsageError(`simd-rnn train: the run in ${resumeFile} has made ${resumed.steps} updates already; --steps is the total, give at least ${resumed.steps}`);
  const seed = (o.seed as number | undefined) ?? Random.randomSeed() % 1_000_000;
  // every file the run will write, refused now rather than after minutes of training; a run
  // resumed in its own directory replaces its own files
  const out = o.out as string, checkpoint = join(out, 'model.safetensors'), chart = join(out, 'loss.svg'), flowChart = join(out, 'gradient-flow.svg');
  const resumeOut = join(out, RESUME_FILE), inPlace = resumeFile !== undefined && resolve(resumeFile) === resolve(resumeOut);
  const every = o['checkpoint-every'] as number | undefined, force = o.force || inPlace;
  refuseOverwrite([checkpoint, chart, ...(synthetic ? [] : [flowChart]), resumeOut], force);

  const backend = await start(o.simd);
  const run = synthetic ? syntheticRun(o, TASKS[task], seed)
    : charRun(o, task === 'text' ? textCorpus(readText(o.text as string, 'text file')) : namesCorpus(readText(fileURLToPath(NAMES_FILE), 'names file')), seed);
  const { model } = run;
  const kind = o.optimizer as 'adam' | 'sgd' | 'rmsprop', lr = (o.lr as number | undefined) ?? DEFAULT_LR[kind];
  const optimizer = kind === 'sgd' ? new SGD(model, { lr, momentum: 0.9 }) : kind === 'rmsprop' ? new RMSprop(model, { lr }) : new Adam(model, { lr });
  const schedule = o.schedule === undefined ? undefined : buildSchedule(o.schedule as string, o.steps as number | undefined, lr, optimizer, maxSteps);
  // ReduceLROnPlateau takes each validation loss (validate); the others step after every update
  const plateau = schedule instanceof ReduceLROnPlateau ? schedule : undefined;
  const perUpdate = plateau ? undefined : (schedule as { step(): void } | undefined);
  const params = model.parameters().reduce((a, p) => a + p.data.length, 0);
  const quiet = Boolean(o.quiet), say = (line: string) => { if (!quiet) console.log(line); };
  // what a resume file needs to rebuild this run: its flags as resolved here
  const flags = Object.fromEntries(RUN_FLAGS.map((f) => [f, f === 'seed' ? seed : f === 'lr' ? lr : o[f]]));
  if (resumed && resumed.metadata.vocabulary !== run.metadata.vocabulary) throw new CliFailure(`the text's characters differ from those of the run in ${resumeFile}: not the same data`);
  if (resumed && resumed.simd !== backend.simd) process.stderr.write(`note: the run was trained with the ${resumed.simd} build and continues with the ${backend.simd} one, so it will not be bit-identical to an uninterrupted run\n`);

  const cell = `${(o.cell as string).toUpperCase()}${o.layers === 1 ? '' : ` ${o.layers} layers of`} ${o.hidden}`;
  say(`simd-rnn train: ${task}, ${run.describe}`);
  say(`model: ${synthetic ? '' : `embedding ${o.embed} -> `}${cell} -> linear, ${count(params)} parameters; ${optimizer.kind} lr ${lr}${schedule ? ` (${schedule.kind} ${JSON.stringify(schedule.options)})` : ''}, batch ${o.batch}, ${synthetic ? `sequences of ${o.seq}` : `BPTT ${o.seq}/${k2}`}, clip ${o.clip || 'off'}; seed ${seed}; ${backend.simd} SIMD`);
  say(`budget: ${[maxSteps < Infinity ? `${maxSteps} steps` : '', seconds < Infinity ? clock(seconds) + ' (m:ss)' : ''].filter(Boolean).join(' or ')}; ${run.baselineName}: ${run.baseline.toFixed(3)} ${run.unit}`);

  // everything the run carries from update to update (resume.ts saves and restores it)
  let state: TrainState, boundaries: Boundaries = new Map();
  const keepBest = o.keep === 'best';
  const validate = () => {
    const valLoss = run.evaluate();
    if (plateau && state.steps > 0) plateau.step(valLoss);
    state.log.push({ step: state.steps, loss: state.sinceCount ? +(state.since / state.sinceCount).toFixed(4) : NaN, valLoss: +valLoss.toFixed(4) });
    state.since = state.sinceCount = 0;
    if (state.best && valLoss < state.best.loss) state.best = { loss: valLoss, step: state.steps, weights: model.stateDict(), optimizer: optimizer.stateDict(), schedule: schedule?.stateDict() };
    state.valLoss = valLoss;
  };
  if (resumed) {
    ({ state, boundaries } = loadResume(resumeFile!, resumed, model, optimizer, schedule));
    say(`resumed from ${resumeFile} at step ${state.steps}`);
    run.evaluate(); // the synthetic tasks' summary line of these weights
  } else {
    // --keep best: a copy of the weights and optimizer state at the best validation loss so far
    state = { steps: 0, losses: [], log: [], since: 0, sinceCount: 0, valLoss: NaN, round: { random: new Random(seed).state(), update: 0 } };
    if (keepBest) state.best = { loss: Infinity, step: 0, weights: model.stateDict(), optimizer: optimizer.stateDict(), schedule: schedule?.stateDict() };
    validate();
  }

  const progress = new Progress(maxSteps, seconds, quiet, state.steps);
  const saveMetadata = { ...run.metadata, task };
  let saved: SavedRun | undefined = inPlace && state.best ? { file: resumeOut, bestFile: join(out, `resume-best-${state.best.step}.safetensors`) } : undefined;
  let perBatch = 1;
  const saveRun = () => {
    const { update } = state.round;
    saved = saveResume(out, model, optimizer, schedule, saveMetadata, flags, backend.simd, state, neededBoundaries(boundaries, update, perBatch, o.seq as number, k2), saved);
  };

  // Ctrl-C (SIGINT) or SIGTERM: the handler only notes it; the loop stops after the update
  // that is running, saves and exits 130. Training yields to the event loop after every
  // update so the handler can run. A further signal while it saves, or after, changes nothing
  // (the save is short, and every file is written atomically, so even a kill -9 then leaves
  // the previous files whole).
  let interrupted: string | undefined;
  const onSignal = (signal: string) => { interrupted ??= signal; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let stop = state.steps >= maxSteps;
    while (!stop && !interrupted) {
      // one round: an epoch of text, or fresh synthetic sequences, drawn from the generator's
      // state at its start (saved, so a resumed run draws the same round again); fitFrom makes
      // one update per call from the position in the round
      const draw = Random.fromState(state.round.random), data = run.round(draw), following = draw.state();
      const [T, N] = data.x.shape, B = Math.min(o.batch as number, N);
      perBatch = synthetic ? 1 : Math.ceil(T / (o.seq as number));
      const updates = perBatch * Math.ceil(N / B);
      let checkedRound = false; // the round's data is checked in full by its first update only
      for (;;) {
        try {
          fitFrom(model, data, {
            optimizer, ...run.fitOptions, epochs: 1, batchSize: B, shuffle: false,
            clipNorm: (o.clip as number) > 0 ? (o.clip as number) : undefined,
            onProgress: (p) => { afterUpdate(p.loss); return false; },
          }, { update: state.round.update, boundaries, dataChecked: checkedRound });
          checkedRound = true;
        } catch (e) {
          progress.done(); // end the live line before the error message
          if (e instanceof RnnError && e.code === 'NOT_FINITE') {
            throw new CliFailure(`training diverged at step ${state.steps + 1} (${e.message}); try a lower --lr${o.clip ? '' : ' or --clip 1'}`);
          }
          throw e;
        }
        // the position of the next update: in this round, or at the start of the next one
        const roundDone = ++state.round.update === updates;
        if (roundDone) { state.round = { random: following, update: 0 }; boundaries = new Map(); }
        stop = state.steps >= maxSteps || progress.elapsed() >= seconds;
        if (every !== undefined && state.steps % every === 0 && !stop) {
          saveRun();
          if (!quiet) progress.print(`resumable checkpoint at step ${state.steps}: ${saved!.file}`);
        }
        await new Promise((next) => setImmediate(next));
        if (roundDone || stop || interrupted) break;
      }
    }
    if (interrupted && !stop) {
      progress.done();
      saveRun();
      writeCharts(` (interrupted at step ${state.steps})`, true);
      const again = ['simd-rnn train --resume', shellPath(saved!.file), ...(o.steps !== undefined ? ['--steps', String(o.steps)] : []), ...(o.minutes !== undefined ? ['--minutes', String(o.minutes)] : []), '--out', shellPath(out)];
      console.log(`interrupted (${interrupted}) at step ${state.steps}; saved ${saved!.file} and the charts in ${out}`);
      console.log(`to continue: ${again.join(' ')}`);
      return 130;
    }
  } finally {
    // after an interruption they stay until the exit, so that a further signal changes nothing
    if (!interrupted) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  /** The loss chart and (character tasks) the gradient flow of the model now; the flow's norms. */
  function writeCharts(titleEnd: string, overwrite: unknown): number[] | undefined {
    writeFile(chart, lossChart(run, state.losses, state.log, `simd-rnn train --task ${task}: ${cell}${titleEnd}`), overwrite);
    const flow = run.gradientFlow?.();
    if (!flow) return undefined;
    writeFile(flowChart, lineChart({
      title: `Gradient flow of the ${titleEnd ? '' : 'trained '}${cell}${titleEnd}: loss on the last of ${flow.T} characters`, xLabel: 'time step t', yLabel: '||dL/dh(t)||', logY: true,
      series: flow.norms.map((y, l) => ({ name: flow.norms.length > 1 ? `layer ${l}` : cell, y })),
    }), overwrite);
    const top = flow.norms[flow.norms.length - 1];
    return [top[0] / top[flow.T - 1], flow.T];
  }

  function afterUpdate(loss: number): void {
    state.steps++; state.losses.push(loss); state.since += loss; state.sinceCount++;
    perUpdate?.step();
    if (state.steps % (o['eval-every'] as number) === 0) validate();
    progress.update({ step: state.steps, loss, valLoss: state.valLoss });
    const samplesEvery = o['sample-every'] as number;
    if (!quiet && samplesEvery > 0 && state.steps % samplesEvery === 0) {
      const shown = run.sample(task === 'names' ? 8 : 1, seed + state.steps, 100).map((s) => (synthetic ? s : printable(s)));
      progress.print(`step ${state.steps} (val ${fmt(state.valLoss)}): ${shown.join(', ')}`);
    }
  }

  // a run that wrote resume files (or was resumed in place) leaves them at its last step, so
  // --resume with a larger --steps trains on (saved before the final validation, which a
  // longer run would not make here)
  if (every !== undefined || inPlace) saveRun();
  const steps = state.steps, log = state.log;
  if (log.at(-1)!.step !== steps) validate();
  progress.update({ step: steps, loss: state.losses.at(-1) ?? NaN, valLoss: state.valLoss });
  progress.done();
  const time = progress.elapsed(), lastLoss = state.valLoss;
  let valLoss = state.valLoss;
  const best = state.best;
  if (best && best.step !== steps) {
    model.loadStateDict(best.weights);
    optimizer.loadStateDict(best.optimizer);
    if (schedule) schedule.loadStateDict(best.schedule!);
    valLoss = run.evaluate(); // best.loss again, and the synthetic tasks' summary of these weights
  }
  const kept = best ? best.step : steps;

  const samples = run.sample(synthetic ? 3 : task === 'names' ? 12 : 2, seed, 240);
  // no times: a resumed run's file is byte for byte that of the same run made in one go
  const training = {
    task, source: task === 'text' ? basename(o.text as string) : task === 'names' ? 'first-names.txt' : undefined,
    options: Object.fromEntries(TRAIN.options.map((s) => [s.name, s.name === 'seed' ? seed : s.name === 'lr' ? lr : o[s.name]]).filter(([k, v]) => v !== undefined && !NOT_RECORDED.includes(k as string))),
    simd: backend.simd, steps, parameters: params, baseline: { name: run.baselineName, loss: +run.baseline.toFixed(4) },
    kept: { step: kept, valLoss: +valLoss.toFixed(4) }, log,
  };
  writeFile(checkpoint, saveCheckpoint(model, optimizer, { ...run.metadata, task, training: JSON.stringify(training) }, { schedule }), force);
  const flow = writeCharts('', force);

  const drop = run.baseline - valLoss, ran = steps - progress.firstStep;
  const trained = ran === 0 ? `no more steps (${steps} in all)` : `${ran === steps ? steps : `${ran} more (${steps} in all)`} steps in ${clock(time)} (${(ran / time).toFixed(1)} steps/s)`;
  console.log(`trained ${trained}; validation loss ${fmt(lastLoss)} ${run.unit} at the end${kept !== steps ? `, best ${fmt(valLoss)} at step ${kept} (kept)` : ''}`);
  if (schedule) console.log(`schedule: ${schedule.kind} ${JSON.stringify(schedule.options)}; learning rate ${optimizer.lr.toPrecision(6)} at the ${kept !== steps ? `kept step ${kept}` : 'end'}`);
  console.log(`${run.baselineName}: ${fmt(run.baseline)} ${run.unit}; the model is ${fmt(Math.abs(drop))} ${drop >= 0 ? 'below (better)' : 'above (worse)'}`);
  if (run.names) {
    const known = run.names;
    console.log(`samples (temperature ${o.temperature}; * = not in the list): ${samples.map((n) => escapeLine(known.has(n) ? n : n + '*')).join(', ')}`);
  }
  else if (synthetic) for (const s of samples) console.log(`  ${s}`);
  else for (const s of samples) console.log(`sample (temperature ${o.temperature}):\n${escapeText(s)}\n`);
  console.log(`checkpoint: ${checkpoint}`);
  console.log(`loss chart: ${chart}`);
  if (flow) console.log(`gradient flow: ${flowChart} (||dL/dh(0)|| / ||dL/dh(${flow[1] - 1})|| = ${flow[0].toExponential(2)})`);
  if (saved) console.log(`resumable: ${saved.file}`);
  console.log(`next: simd-rnn ${synthetic ? 'inspect' : 'sample --checkpoint'} ${checkpoint}`);
  return 0;
}

/** Options that say how a run is driven, not what it is: left out of the checkpoint's record. */
const NOT_RECORDED = ['quiet', 'out', 'force', 'resume', 'checkpoint-every'];

/** Train loss per step (means of windows when there are many steps) and validation loss. */
function lossChart(run: Run, losses: number[], log: { step: number; valLoss: number }[], title: string): string {
  const w = Math.max(1, Math.ceil(losses.length / 1000)), x: number[] = [], y: number[] = [];
  for (let i = 0; i < losses.length; i += w) {
    const part = losses.slice(i, i + w);
    x.push(i + part.length); y.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  const last = Math.max(1, losses.length);
  return lineChart({
    title, xLabel: 'step', yLabel: run.unit,
    series: [
      { name: w > 1 ? `train (mean of ${w} steps)` : 'train', x, y },
      { name: 'validation', x: log.map((e) => e.step), y: log.map((e) => e.valLoss) },
      { name: run.baselineName, x: [0, last], y: [run.baseline, run.baseline] },
    ],
  });
}

/** The --schedule over the optimizer; a spec or options the schedule refuses is a usage error. */
function buildSchedule(text: string, steps: number | undefined, lr: number, optimizer: SGD | Adam | RMSprop, maxSteps: number): Schedule {
  const { kind, options } = parseSchedule(text, steps, lr);
  let schedule: Schedule;
  try {
    schedule = new scheduleKinds[kind](optimizer, options as never);
  } catch (e) {
    if (e instanceof RnnError && e.code === 'BAD_ARGUMENT') throw new UsageError(`simd-rnn train: --schedule ${text}: ${e.message}`);
    throw e;
  }
  // a OneCycleLR cannot step past its totalSteps (PyTorch raises there too)
  if (schedule.stepsLeft() < maxSteps) throw new UsageError(`simd-rnn train: --schedule ${text}: ${kind} has ${schedule.stepsLeft()} steps, fewer than ${maxSteps === Infinity ? 'a run without --steps may take' : `--steps ${maxSteps}`}`);
  return schedule;
}
