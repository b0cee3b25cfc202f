/**
 * Resumable runs of `simd-rnn train`: everything that makes a run's future depend on its past,
 * saved so that `--resume` continues bit for bit as if the run had never stopped.
 *
 * DIR/resume.safetensors is a checkpoint (saveCheckpoint) of the model and optimizer now, whose
 * metadata string "resume" is the JSON of `ResumeFile`: the flags that decide the run's numbers,
 * the updates made, where the data stands (the data-order generator's state at the start of the
 * current round, the updates made in that round, and, for truncated BPTT in mid-row, the
 * recurrent states at the chunk boundaries the next updates read), the losses and validation
 * log the charts draw and the validation schedule continues from, and the best-so-far record
 * of --keep best. The weights and optimizer state of that best step are too large for metadata:
 * they go to DIR/resume-best-<step>.safetensors, written before the resume file that names it
 * (each file atomically); other best files are removed only after, so a kill at any moment
 * leaves a resume file whose best file exists.
 *
 * A learning-rate schedule (--schedule) is saved in the checkpoint with its optimizer
 * (saveCheckpoint's `schedule`), and the best step's schedule state with the best record.
 * Anything new a run carries is one more field of `TrainState`, saved and restored with the
 * rest by `saveResume` / `loadResume`.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  RnnError, checkpointInfo, loadCheckpointInto, loadSafetensors, saveCheckpoint, saveSafetensors,
  type RecurrentState, type Sequential, type Tensor,
} from '../node.js';
import type { Optimizer, OptimizerState } from '../registry.js';
import type { Schedule, ScheduleState } from '../train/schedule.js';
import { CliFailure, UsageError, type OptionValues } from './args.js';
import { readBytes, writeFile } from './common.js';

export const RESUME_FILE = 'resume.safetensors';
const BEST_FILE = /^resume-best-\d+\.safetensors$/;

/** The flags whose values decide the run's numbers: a resumed run takes them from the file. */
export const RUN_FLAGS = ['task', 'text', 'cell', 'hidden', 'layers', 'embed', 'seq', 'k2', 'batch', 'optimizer', 'lr', 'schedule', 'clip', 'seed', 'eval-every', 'keep', 'simd'] as const;

/** One validation: the step and the mean training loss since the previous one. */
export interface LogEntry { step: number; loss: number; valLoss: number }

/** States at truncated-BPTT chunk boundaries, by step (fitFrom's `boundaries`). */
export type Boundaries = Map<number, (RecurrentState | undefined)[]>;

/** What the training loop carries from update to update, besides the model and optimizer. */
export interface TrainState {
  /** Updates made. */
  steps: number;
  /** The training loss of every update (the loss chart). */
  losses: number[];
  log: LogEntry[];
  /** Sum and count of the training losses since the last validation. */
  since: number;
  sinceCount: number;
  /** The last validation loss. */
  valLoss: number;
  /** The data-order generator's state at the start of the current round, and the updates made in the round. */
  round: { random: number; update: number };
  /** --keep best: the best validation loss so far, its step, weights, optimizer and schedule state. */
  best?: { loss: number; step: number; weights: Record<string, Tensor>; optimizer: OptimizerState; schedule?: ScheduleState };
}

/** The "resume" metadata: a TrainState without its tensors, the run's flags and the build. */
interface ResumeFile {
  format: 1;
  flags: Record<string, unknown>;
  simd: string;
  state: Omit<TrainState, 'best'> & { best?: { loss: number; step: number; file: string; schedule?: ScheduleState } };
  /** The boundaries the next updates of the round read (base64 float32). */
  boundaries: [number, ({ h?: EncodedTensor; c?: EncodedTensor } | null)[]][];
}

interface EncodedTensor { shape: number[]; data: string }

const encode = (t: Tensor): EncodedTensor => ({ shape: t.shape, data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') });

function decode(e: EncodedTensor): Tensor {
  const bytes = Buffer.from(e.data, 'base64'), data = new Float32Array(bytes.length / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { data, shape: e.shape };
}

/**
 * The boundaries that the updates from `update` on (within a row batch of `perBatch` chunks
 * of k1 steps, backpropagated through k2) read: from the first one's window start, rounded
 * down to a chunk, up to its own start. None at the start of a batch.
 */
export function neededBoundaries(all: Boundaries, update: number, perBatch: number, k1: number, k2: number): Boundaries {
  const s0 = (update % perBatch) * k1;
  if (s0 === 0) return new Map();
  const from = Math.floor(Math.max(0, s0 + k1 - k2) / k1) * k1;
  return new Map([...all].filter(([step]) => step >= from && step <= s0));
}

export interface SavedRun {
  /** The path of the resume file written. */
  file: string;
  /** The best file it names (kept until a later save names another). */
  bestFile?: string;
}

/**
 * Writes DIR/resume.safetensors (and the best file when the best step changed since `previous`);
 * removes the previous best file after the resume file that no longer names it is in place.
 */
export function saveResume(dir: string, model: Sequential, optimizer: Optimizer, schedule: Schedule | undefined, metadata: Record<string, string>, flags: Record<string, unknown>,
  simd: string, state: TrainState, boundaries: Boundaries, previous: SavedRun | undefined): SavedRun {
  const file = join(dir, RESUME_FILE);
  let bestFile: string | undefined;
  if (state.best) {
    bestFile = join(dir, `resume-best-${state.best.step}.safetensors`);
    if (bestFile !== previous?.bestFile) {
      const tensors: Record<string, Tensor | Float32Array> = {};
      for (const [name, t] of Object.entries(state.best.weights)) tensors[`weight.${name}`] = t;
      state.best.optimizer.buffers.forEach((b, i) => { tensors[`optimizer.${i}`] = b; });
      writeFile(bestFile, saveSafetensors(tensors, { kind: state.best.optimizer.kind, step: String(state.best.optimizer.step) }), true);
    }
  }
  const { best, ...rest } = state;
  const resume: ResumeFile = {
    format: 1, flags, simd,
    state: { ...rest, ...(best ? { best: { loss: best.loss, step: best.step, file: basename(bestFile!), ...(best.schedule ? { schedule: best.schedule } : {}) } } : {}) },
    boundaries: [...boundaries].map(([step, states]) => [step, states.map((s) => (s ? { ...(s.h ? { h: encode(s.h) } : {}), ...(s.c ? { c: encode(s.c) } : {}) } : null))]),
  };
  writeFile(file, saveCheckpoint(model, optimizer, { ...metadata, resume: JSON.stringify(resume) }, { schedule }), true);
  // best files the resume file no longer names: the previous one, and any a kill left
  // between writing a best file and the resume file naming it
  for (const name of readdirSync(dir)) if (BEST_FILE.test(name) && join(dir, name) !== bestFile) rmSync(join(dir, name), { force: true });
  return { file, bestFile };
}

/** What `readResume` finds in a resume file before any model exists. */
export interface ResumeHeader { flags: Record<string, unknown>; simd: string; metadata: Record<string, string>; steps: number }

/** The flags and metadata of a resume file; a file that is not one is a CliFailure. */
export function readResume(file: string): ResumeHeader & { bytes: Uint8Array; resume: ResumeFile } {
  const bytes = readBytes(file, 'resume checkpoint');
  let metadata: Record<string, string>;
  try {
    metadata = checkpointInfo(bytes).metadata;
  } catch (e) {
    if (e instanceof RnnError && e.code === 'BAD_FILE') throw new CliFailure(`${file} is not a readable simd-rnn checkpoint: ${e.message}`);
    throw e;
  }
  if (metadata.resume === undefined) throw new CliFailure(`${file} is a checkpoint but not a resumable one (simd-rnn train writes ${RESUME_FILE} on Ctrl-C and with --checkpoint-every)`);
  let resume: ResumeFile;
  try { resume = JSON.parse(metadata.resume); } catch { throw new CliFailure(`${file}: its "resume" metadata is not JSON`); }
  if (resume?.format !== 1 || typeof resume.flags !== 'object' || typeof resume.state?.steps !== 'number') throw new CliFailure(`${file}: its "resume" metadata is not a format-1 resume description`);
  return { bytes, resume, flags: resume.flags, simd: resume.simd, metadata, steps: resume.state.steps };
}

/**
 * The flags of a resumed run: each one not given takes the file's value; one given with another
 * value is a UsageError (the run would not be the one that was interrupted).
 */
export function resumedFlags(o: OptionValues, given: Set<string>, saved: Record<string, unknown>, file: string): void {
  for (const name of RUN_FLAGS) {
    const value = saved[name] ?? undefined;
    if (given.has(name) && o[name] !== value) {
      throw new UsageError(`simd-rnn train: --${name} ${String(o[name])} differs from the run being resumed (${value === undefined ? `no --${name}` : `--${name} ${String(value)}`} in ${file}); a resumed run keeps its flags, leave --${name} out`);
    }
    o[name] = value as OptionValues[string];
  }
}

/** The model, optimizer and TrainState of a resume file (read by readResume), loaded in place. */
export function loadResume(file: string, read: ReturnType<typeof readResume>, model: Sequential, optimizer: Optimizer,
  schedule: Schedule | undefined): { state: TrainState; boundaries: Boundaries } {
  try {
    loadCheckpointInto(read.bytes, model, optimizer, schedule);
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file} does not fit the run it describes: ${e.message}`);
    throw e;
  }
  try {
    return restoreState(file, read.resume, model, optimizer, schedule);
  } catch (e) {
    if (e instanceof CliFailure) throw e;
    // a file we did not write (edited, or from a newer version): named, not a stack trace
    throw new CliFailure(`${file}: its "resume" metadata does not describe a run this version can continue (${e instanceof Error ? e.message : String(e)})`);
  }
}

function restoreState(file: string, resume: ResumeFile, model: Sequential, optimizer: Optimizer, schedule: Schedule | undefined): { state: TrainState; boundaries: Boundaries } {
  const { best, ...rest } = resume.state;
  const state: TrainState = { ...rest, log: rest.log.map((e) => ({ ...e, loss: e.loss ?? NaN })) };
  if (best) {
    const bestFile = join(dirname(file), best.file);
    if (!existsSync(bestFile)) throw new CliFailure(`${file} needs ${bestFile} (the weights of its best step, --keep best), which is missing`);
    let tensors: Record<string, Tensor>, meta: Record<string, string>;
    try { ({ tensors, metadata: meta } = loadSafetensors(readBytes(bestFile, 'best-step file'))); } catch (e) {
      if (e instanceof RnnError) throw new CliFailure(`${bestFile} is not readable: ${e.message}`);
      throw e;
    }
    const weights: Record<string, Tensor> = {}, buffers: Float32Array[] = [];
    for (const [name, t] of Object.entries(tensors)) {
      if (name.startsWith('weight.')) weights[name.slice(7)] = t;
      else buffers[Number(name.slice(10))] = t.data;
    }
    state.best = { loss: best.loss, step: best.step, weights, optimizer: { kind: meta.kind, step: Number(meta.step), buffers } };
    if (schedule) {
      // the schedule's state at the best step: checked now, put back at the end of the run
      if (best.schedule === undefined) throw new CliFailure(`${file} has no schedule state for its best step, and the run has --schedule`);
      schedule.checkState(best.schedule);
      state.best.schedule = best.schedule;
    }
    // checked now rather than at the end of the run: loaded into the model and optimizer,
    // which then get their own state back (copies, bit for bit)
    const now = model.stateDict(), nowOptimizer = optimizer.stateDict();
    try {
      model.loadStateDict(weights);
      optimizer.loadStateDict(state.best.optimizer);
    } catch (e) {
      if (e instanceof RnnError) throw new CliFailure(`${bestFile} does not fit the run: ${e.message}`);
      throw e;
    } finally {
      model.loadStateDict(now);
      optimizer.loadStateDict(nowOptimizer);
    }
  }
  const boundaries: Boundaries = new Map(resume.boundaries.map(([step, states]) => [step, states.map((s) => (s ? { ...(s.h ? { h: decode(s.h) } : {}), ...(s.c ? { c: decode(s.c) } : {}) } : undefined))]));
  return { state, boundaries };
}

/** A path as typed in a shell: quoted when it holds anything but letters, digits and ./_-. */
export const shellPath = (path: string): string => (/^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`);
