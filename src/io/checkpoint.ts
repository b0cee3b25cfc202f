/**
 * Checkpoints: a model (and, optionally, its optimizer and learning-rate schedule) in one
 * safetensors file that loads back with no other file. The metadata key "simd-rnn" holds JSON
 *   { format: 1, model: <model.config()>, optimizer?: { kind, options, step, buffers, lr? },
 *     schedule?: { kind, options, state } }
 * the tensors are the model's stateDict() under its own names, and the optimizer's state
 * buffers as "optimizer.<i>". `optimizer.lr` (the rate the next step uses, which a schedule or
 * the caller may have changed from options.lr) and `schedule` (the schedule's options as given
 * and its stateDict()) came later within format 1: files without them load as before, and an
 * older reader ignores them. Loading checks the whole file before any model, optimizer or
 * schedule changes (BAD_FILE for a corrupt file or one made for another configuration).
 */
import { RnnError, describe } from '../errors.js';
import { buildModule, moduleType, moduleTypeOf, moduleTypes, optimizerType, optimizerTypeOf, optimizerTypes, type Module, type Optimizer } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { getBackend } from '../backend.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { checkOptions } from '../checks.js';
import { Schedule, scheduleKinds, type ScheduleState } from '../train/schedule.js';

/**
 * What a checkpoint holds as its model: a module of any registered type (a recurrent layer,
 * Linear, Embedding, Sequential, ScalarMix or EchoStateNetwork); tell which with instanceof.
 */
export type Model = Module;
const KEY = 'simd-rnn';
/** The name of optimizer state buffer i: "optimizer.<i>", i written without leading zeros. */
const STATE_NAME = /^optimizer\.(0|[1-9]\d*)$/;

/** Options of `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /** A learning-rate schedule over the optimizer, saved with it (its options and stateDict()). */
  schedule?: Schedule;
}

/**
 * The model's weights, its configuration and (optionally) its optimizer and schedule in one
 * safetensors file. `metadata`: strings of your own kept in the file (a vocabulary, a
 * training log), returned by loadCheckpoint and checkpointInfo; the key "simd-rnn" is ours.
 * `options.schedule` needs the optimizer it steps.
 */
export function saveCheckpoint(model: Model, optimizer?: Optimizer, metadata?: Record<string, string>, options?: SaveCheckpointOptions): Uint8Array {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: options must be an object { schedule? }, got ${describe(options)}`);
  }
  checkOptions(options, ['schedule'], 'saveCheckpoint: options');
  const schedule = options?.schedule;
  if (schedule !== undefined) {
    if (!(schedule instanceof Schedule)) throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: options.schedule must be a schedule (StepLR, OneCycleLR, ...), got ${describe(schedule)}`);
    if (optimizer === undefined || schedule.optimizer !== optimizer) throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: options.schedule must step the optimizer given, got one over ${optimizer === undefined ? 'an optimizer not given' : `another ${schedule.optimizer.kind}`}`);
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string')) {
      throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: metadata must be an object of strings, got ${describe(metadata)}`);
    }
    if (KEY in metadata) throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: the metadata key "${KEY}" is reserved for the checkpoint's own description`);
  }
  if (!moduleTypeOf(model)) {
    throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: model must be a module (${moduleTypes().map((t) => t.type).join(', ')}), got ${describe(model)}`);
  }
  const tensors: Record<string, Tensor | Float32Array> = { ...model.stateDict() };
  const meta: Record<string, unknown> = { format: 1, model: model.config() };
  if (optimizer !== undefined) {
    if (!optimizerTypeOf(optimizer)) {
      throw new RnnError('BAD_ARGUMENT', `saveCheckpoint: optimizer must be ${optimizerTypes().map((t) => t.kind).join(', ')}, got ${describe(optimizer)}`);
    }
    const state = optimizer.stateDict();
    state.buffers.forEach((b, i) => { tensors[`optimizer.${i}`] = b; });
    meta.optimizer = { kind: state.kind, options: optimizer.options, step: state.step, buffers: state.buffers.length, lr: optimizer.lr };
  }
  if (schedule !== undefined) meta.schedule = { kind: schedule.kind, options: schedule.options, state: schedule.stateDict() };
  return saveSafetensors(tensors, { ...metadata, [KEY]: JSON.stringify(meta) });
}

/** What a checkpoint holds, without building anything: for tools such as `simd-rnn inspect`. */
export interface CheckpointInfo {
  /** The model's configuration (`model.config()` when saved). */
  model: Record<string, unknown>;
  /** The optimizer saved with the model, if any. */
  optimizer?: {
    /** 'SGD', 'Adam', 'AdamW' or 'RMSprop'. */
    kind: string;
    /** Its constructor options as given. */
    options: Record<string, unknown>;
    /** Updates applied so far. */
    step: number;
  };
  /** The learning-rate schedule saved with the optimizer, if any. */
  schedule?: {
    /** 'StepLR', 'ExponentialLR', 'CosineAnnealingLR', 'LinearLR', 'OneCycleLR' or 'ReduceLROnPlateau'. */
    kind: string;
    /** Its constructor options as given. */
    options: Record<string, unknown>;
    /** Its stateDict(). */
    state: ScheduleState;
  };
  /** Every tensor's name and shape, optimizer state included. */
  tensors: Record<string, number[]>;
  /** The caller's own metadata strings. */
  metadata: Record<string, string>;
}

/**
 * Reads what a checkpoint holds (configuration, optimizer, tensor names and shapes, metadata)
 * without building a model or needing `init`; BAD_FILE for a file that is not a checkpoint, or
 * whose configuration names a module type or optimizer this version does not know (as
 * `loadCheckpoint` would refuse it).
 */
export function checkpointInfo(bytes: Uint8Array | ArrayBuffer): CheckpointInfo {
  const { tensors, meta, metadata } = read(bytes);
  // Object.fromEntries: every name an own key, even "__proto__"
  const info: CheckpointInfo = { model: meta.model, tensors: Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape])), metadata };
  if (meta.optimizer) info.optimizer = { kind: meta.optimizer.kind, options: meta.optimizer.options, step: meta.optimizer.step };
  if (meta.schedule) info.schedule = { kind: meta.schedule.kind, options: meta.schedule.options, state: meta.schedule.state };
  return info;
}

function bad(message: string): never {
  throw new RnnError('BAD_FILE', `loadCheckpoint: ${message}`);
}

/**
 * A new model (and optimizer, when the file has one) rebuilt from a checkpoint, and its
 * metadata strings. BAD_FILE for a corrupt file, including one whose configuration claims
 * more parameters than its weights hold (refused before the model is built, so a small file
 * cannot make it allocate more than a small multiple of its size).
 */
export function loadCheckpoint(bytes: Uint8Array | ArrayBuffer): {
  /** The rebuilt model, with the saved weights. */
  model: Model;
  /** A new optimizer over `model` with the saved state, when the file has one. */
  optimizer?: Optimizer;
  /** A new schedule over `optimizer` with the saved state, when the file has one. */
  schedule?: Schedule;
  /** The caller's own metadata strings. */
  metadata: Record<string, string>;
} {
  const { tensors, meta, metadata } = read(bytes);
  // The model holds a parameter and a gradient for each weight in the file, and no more: built
  // inside a budget of 8 bytes per weight (+ 64 KiB for alignment), a configuration that lies
  // about its sizes is refused before it can allocate more than a small multiple of the file.
  const weights = Object.entries(tensors).reduce((n, [name, t]) => n + (STATE_NAME.test(name) ? 0 : t.data.length), 0);
  let model: Model;
  try {
    model = getBackend('loadCheckpoint').arena.withBudget(8 * weights + 65536, () => buildModule(meta.model, 'model'));
  } catch (e) {
    if (e instanceof RnnError && e.code !== 'BAD_FILE') bad(`the model configuration is invalid (${e.message})`);
    throw e;
  }
  try {
    return { ...restore(model, undefined, tensors, meta, true), metadata };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Loads a checkpoint into an existing model (and optimizer, and schedule over it) of the same
 * configuration; all or nothing (BAD_FILE, and none changes). Without `optimizer`, only the
 * weights are loaded; without `schedule`, a schedule in the file is ignored. A schedule must
 * be of the file's kind with the same options.
 */
export function loadCheckpointInto(bytes: Uint8Array | ArrayBuffer, model: Model, optimizer?: Optimizer, schedule?: Schedule): void {
  if (!moduleTypeOf(model)) {
    throw new RnnError('BAD_ARGUMENT', `loadCheckpointInto: model must be a module (${moduleTypes().map((t) => t.type).join(', ')}), got ${describe(model)}`);
  }
  if (optimizer !== undefined && !optimizerTypeOf(optimizer)) {
    throw new RnnError('BAD_ARGUMENT', `loadCheckpointInto: optimizer must be ${optimizerTypes().map((t) => t.kind).join(', ')} (or absent), got ${describe(optimizer)}`);
  }
  if (schedule !== undefined && (!(schedule instanceof Schedule) || optimizer === undefined || schedule.optimizer !== optimizer)) {
    throw new RnnError('BAD_ARGUMENT', `loadCheckpointInto: schedule must be a schedule over the optimizer given (or absent), got ${describe(schedule)}`);
  }
  const { tensors, meta } = read(bytes);
  const want = JSON.stringify(model.config()), got = JSON.stringify(meta.model);
  if (want !== got) bad(`the file is for another model: ${got}, this model is ${want}`);
  if (schedule !== undefined) {
    if (!meta.schedule) bad('the file holds no schedule');
    if (meta.schedule.kind !== schedule.kind || canonical(meta.schedule.options) !== canonical(schedule.options)) {
      bad(`the file holds a ${meta.schedule.kind} ${canonical(meta.schedule.options)}, the schedule is a ${schedule.kind} ${canonical(schedule.options)}`);
    }
  }
  restore(model, optimizer, tensors, meta, false, schedule);
}

// Options as JSON with the keys sorted: the same options given in another order are the same
function canonical(options: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

interface Meta {
  model: Record<string, unknown>;
  optimizer?: { kind: string; options: Record<string, unknown>; step: number; buffers: number; lr?: number };
  schedule?: { kind: string; options: Record<string, unknown>; state: ScheduleState };
}

function read(bytes: Uint8Array | ArrayBuffer): { tensors: Record<string, Tensor>; meta: Meta; metadata: Record<string, string> } {
  const { tensors, metadata: all } = loadSafetensors(bytes);
  const { [KEY]: _ours, ...metadata } = all;
  void _ours;
  if (!(KEY in all)) bad(`the file has no "${KEY}" metadata: a safetensors file, but not a simd-rnn checkpoint`);
  let meta: Meta;
  try { meta = JSON.parse(all[KEY]); } catch { bad(`the "${KEY}" metadata is not JSON`); }
  if (typeof meta !== 'object' || meta === null || (meta as { format?: unknown }).format !== 1 || typeof meta.model !== 'object' || meta.model === null) {
    bad(`the "${KEY}" metadata is not a format-1 checkpoint description`);
  }
  checkTypes(meta.model, 'model');
  if (meta.optimizer !== undefined) {
    const { kind, options, step } = (meta.optimizer ?? {}) as { kind?: unknown; options?: unknown; step?: unknown };
    if (typeof kind !== 'string' || !optimizerType(kind)) bad(`unknown optimizer ${describe(kind)}`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) bad(`the optimizer's options must be an object, got ${describe(options)}`);
    if (!Number.isSafeInteger(step) || (step as number) < 0) bad(`the optimizer's step must be an integer >= 0, got ${describe(step)}`);
    const { lr } = meta.optimizer as { lr?: unknown };
    if (lr !== undefined && !(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) bad(`the optimizer's lr must be a finite number >= 0, got ${describe(lr)}`);
  }
  if (meta.schedule !== undefined) {
    const { kind, options, state } = (meta.schedule ?? {}) as { kind?: unknown; options?: unknown; state?: unknown };
    if (typeof kind !== 'string' || !Object.hasOwn(scheduleKinds, kind)) bad(`unknown schedule ${describe(kind)} (known: ${Object.keys(scheduleKinds).join(', ')})`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) bad(`the schedule's options must be an object, got ${describe(options)}`);
    if (typeof state !== 'object' || state === null || Array.isArray(state)) bad(`the schedule's state must be an object, got ${describe(state)}`);
    if (meta.optimizer === undefined) bad('the file holds a schedule but no optimizer for it');
  }
  return { tensors, meta, metadata };
}

// Every module type the configuration names is registered (a Sequential's layers too), so
// checkpointInfo refuses what loadCheckpoint would, without building anything.
function checkTypes(config: unknown, what: string): void {
  const type = (config as { type?: unknown } | null)?.type;
  if (typeof config !== 'object' || config === null || typeof type !== 'string' || !moduleType(type)) {
    bad(`${what}: unknown module type ${describe(type)} (known: ${moduleTypes().map((t) => t.type).join(', ')})`);
  }
  if (type === 'Sequential') {
    const layers = (config as { layers?: unknown }).layers;
    if (!Array.isArray(layers)) bad(`${what}: a Sequential needs an array "layers", got ${describe(layers)}`);
    layers.forEach((l, i) => checkTypes(l, `${what}.layers[${i}]`));
  }
}

// `build`: make an optimizer for the file's state when none is given (loadCheckpoint);
// loadCheckpointInto without an optimizer loads the weights only, since it could hand no new
// optimizer back and one built anyway would keep its state memory for ever.
function restore(model: Model, given: Optimizer | undefined, tensors: Record<string, Tensor>, meta: Meta, build: boolean, givenSchedule?: Schedule): { model: Model; optimizer?: Optimizer; schedule?: Schedule } {
  const weightEntries: [string, Tensor][] = [], state: Float32Array[] = [];
  let stateCount = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const m = STATE_NAME.exec(name);
    if (m) { state[Number(m[1])] = t.data; stateCount++; }
    else weightEntries.push([name, t]);
  }
  // exactly optimizer.0 to optimizer.<n - 1> (an index past 2^32 - 2 is no array index at all)
  if (stateCount !== state.length || state.includes(undefined as never)) bad('the optimizer state tensors are not numbered optimizer.0 to optimizer.<n - 1>');
  // own keys, even "__proto__", so that loadStateDict sees (and refuses) every name in the file
  const weights: Record<string, Tensor> = Object.fromEntries(weightEntries);
  if (given && !meta.optimizer) bad('the file holds no optimizer state');
  let optimizer = given;
  if (meta.optimizer && !given && build) {
    const { kind, options } = meta.optimizer;
    const type = typeof kind === 'string' ? optimizerType(kind) : undefined;
    if (!type) bad(`unknown optimizer ${describe(kind)}`);
    try {
      optimizer = type.build(model, options);
    } catch (e) {
      if (e instanceof RnnError) bad(`the optimizer's options are invalid (${e.message})`);
      throw e;
    }
  }
  if (optimizer && meta.optimizer && optimizer.kind !== meta.optimizer.kind) bad(`the file holds ${meta.optimizer.kind} state, the optimizer is ${optimizer.kind}`);
  // the rate the next step takes: the file's, or (a file from before rates were saved) its options.lr
  const lr = meta.optimizer ? meta.optimizer.lr ?? meta.optimizer.options.lr : undefined;
  if (optimizer && meta.optimizer && !(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) bad(`the optimizer's lr must be a finite number >= 0, got ${describe(lr)}`);
  // a new schedule over the new optimizer (building it sets only that optimizer's rate), then
  // the saved state checked: before anything the caller holds changes
  let schedule = givenSchedule;
  if (meta.schedule && !givenSchedule && build && optimizer) {
    try {
      schedule = new scheduleKinds[meta.schedule.kind](optimizer, meta.schedule.options as never);
    } catch (e) {
      if (e instanceof RnnError) bad(`the schedule's options are invalid (${e.message})`);
      throw e;
    }
  }
  if (schedule && meta.schedule) {
    try {
      schedule.checkState(meta.schedule.state);
    } catch (e) {
      if (e instanceof RnnError && e.code !== 'DISPOSED') bad(`the schedule's state is invalid (${e.message})`);
      throw e;
    }
  }
  // check everything before changing anything: the weights through a throwaway copy of the
  // current state, the optimizer state by its own all-or-nothing load
  const before = model.stateDict();
  try {
    model.loadStateDict(weights);
    if (optimizer && meta.optimizer) optimizer.loadStateDict({ kind: meta.optimizer.kind, step: meta.optimizer.step, buffers: state });
  } catch (e) {
    model.loadStateDict(before);
    // a disposed optimizer is the caller's mistake, not the file's
    if (e instanceof RnnError && e.code !== 'DISPOSED') bad(`the file does not fit this model: ${e.message}`);
    throw e;
  }
  // both were checked in read() and checkState: neither throws
  if (optimizer && meta.optimizer) optimizer.lr = lr as number;
  if (schedule && meta.schedule) schedule.applyState(meta.schedule.state);
  if (!optimizer) return { model };
  return schedule ? { model, optimizer, schedule } : { model, optimizer };
}
