/**
 * The registries of module types and optimizers. Checkpoints (rebuilding a model from its
 * config()), Sequential (how to drive a layer), fit and the command-line tool look types up
 * here instead of keeping lists of their own, so a new module type is one registration line,
 * not an edit in four places.
 *
 * Every type is registered once, in modules.ts, which the registry runs the first time it is
 * asked (not when a file loads: no file of the package has a side effect, so a bundle of one
 * layer carries no registry, while any code that asks the registry brings every type along).
 */
import { RnnError, describe } from './errors.js';
import { registerAll } from './modules.js';
import type { Tensor } from './tensor.js';

/**
 * The life cycle every module (layer or model) has, and all a checkpoint needs of one: its
 * weights, the configuration that rebuilds it, its memory and its end.
 */
export interface Module {
  /** Copies of the parameters (and fixed weights) by name. */
  stateDict(): Record<string, Tensor>;
  /**
   * Loads a stateDict() of the same configuration (Tensor or bare Float32Array values).
   * Strict: every key present and no other (BAD_ARGUMENT), every size right (SHAPE_MISMATCH),
   * all finite (NOT_FINITE); nothing changes unless the whole dict is valid.
   */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void;
  /** The options that rebuild the module without its weights, with its registered `type`. */
  config(): Record<string, unknown>;
  /** Bytes of wasm memory the module holds now. */
  memoryBytes(): number;
  /** Returns all memory; later calls throw DISPOSED. */
  dispose(): void;
}

/** Saved optimizer state: the step count and every state buffer, in order. */
export interface OptimizerState {
  /** The optimizer it belongs to: 'SGD', 'Adam', 'AdamW' or 'RMSprop'. */
  kind: string;
  /** Updates applied so far. */
  step: number;
  /** Copies of the state buffers (momentum, moments), in the optimizer's order; empty before the first step. */
  buffers: Float32Array[];
}

/** What every optimizer (SGD, Adam, AdamW, RMSprop) has: `fit` and checkpoints take any of them. */
export interface Optimizer {
  /** The registered name: 'SGD', 'Adam', 'AdamW' or 'RMSprop'. */
  readonly kind: string;
  /** The constructor options as given, saved in checkpoints. */
  readonly options: Record<string, unknown>;
  /** The learning rate the next step uses (options.lr until set; schedules set it). */
  lr: number;
  /** Applies one update from the current gradients; false when skipped for non-finite ones. */
  step(): boolean;
  /** The step count and copies of the state buffers. */
  stateDict(): OptimizerState;
  /** Restores a stateDict() of the same optimizer over the same model; all or nothing. */
  loadStateDict(state: OptimizerState): void;
  /** Returns the state memory; later calls throw DISPOSED. */
  dispose(): void;
}

/**
 * How a Sequential drives a layer of a type: 'recurrent' (forward(x, state, opts) returning
 * { output, ... }), 'ids' (takes integer ids, so only first), 'tensor' (forward(x, opts)
 * returning a tensor), or 'none' (not a Sequential layer: a model of its own).
 */
export type LayerRole = 'recurrent' | 'ids' | 'tensor' | 'none';

/** A registered module type. */
export interface ModuleType {
  /** The name config() writes as `type`. */
  readonly type: string;
  /** How a Sequential drives it. */
  readonly role: LayerRole;
  /** Whether `value` is a module of this type. */
  is(value: unknown): boolean;
  /** A new module from config() without `type` (fresh weights). */
  build(options: Record<string, unknown>): Module;
}

/** A registered optimizer. */
export interface OptimizerType {
  /** The name the optimizer reports as `kind`. */
  readonly kind: string;
  /** Whether `value` is an optimizer of this kind. */
  is(value: unknown): boolean;
  /** A new optimizer over `model` from its saved options. */
  build(model: unknown, options: Record<string, unknown>): Optimizer;
}

// A class, for instanceof: any constructor will do.
type Class = abstract new (...args: never[]) => unknown;

const modules = new Map<string, ModuleType>();
const optimizers = new Map<string, OptimizerType>();
let filled = false;

/** Runs modules.ts's registrations once, at the first question (not at load: see the top). */
function filledModules(): Map<string, ModuleType> {
  if (!filled) { filled = true; registerAll(); }
  return modules;
}

function filledOptimizers(): Map<string, OptimizerType> {
  filledModules();
  return optimizers;
}

/**
 * Registers a module type (once, in modules.ts): `of` is the class (instances are told by
 * instanceof), `build` makes one from config() without `type`.
 */
export function registerModule(type: string, entry: { of: Class; role: LayerRole; build: (options: Record<string, unknown>) => Module }): void {
  if (modules.has(type)) throw new RnnError('BAD_ARGUMENT', `registerModule: the type ${describe(type)} is registered already`);
  const { of, role, build } = entry;
  modules.set(type, { type, role, is: (value) => value instanceof of, build });
}

/** The registered type of that name, or undefined. */
export function moduleType(type: string): ModuleType | undefined {
  return filledModules().get(type);
}

/** The registered type `value` is an instance of, or undefined. */
export function moduleTypeOf(value: unknown): ModuleType | undefined {
  for (const entry of filledModules().values()) if (entry.is(value)) return entry;
  return undefined;
}

/** Every registered module type, in registration order; `filter` selects some. */
export function moduleTypes(filter?: (entry: ModuleType) => boolean): ModuleType[] {
  return [...filledModules().values()].filter(filter ?? (() => true));
}

/**
 * A new module from a configuration as config() writes it ({ type, ...options }): BAD_ARGUMENT
 * for anything but an object naming a registered type; the type's own checks otherwise. Every
 * message starts with `what`, the configuration's name ('model'; a Sequential's layers add
 * 'layers[1]: ' after it).
 */
export function buildModule(config: unknown, what: string): Module {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new RnnError('BAD_ARGUMENT', `${what}: a module configuration must be an object with a "type", got ${describe(config)}`);
  }
  const { type, ...options } = config as Record<string, unknown>;
  const known = filledModules(), entry = typeof type === 'string' ? known.get(type) : undefined;
  if (!entry) throw new RnnError('BAD_ARGUMENT', `${what}: unknown module type ${describe(type)} (known: ${[...known.keys()].join(', ')})`);
  try {
    return entry.build(options);
  } catch (e) {
    if (e instanceof RnnError) throw new RnnError(e.code, `${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Registers an optimizer class (once, in modules.ts); its constructor is (model, options). */
export function registerOptimizer(kind: string, of: new (model: unknown, options: never) => Optimizer): void {
  if (optimizers.has(kind)) throw new RnnError('BAD_ARGUMENT', `registerOptimizer: ${describe(kind)} is registered already`);
  optimizers.set(kind, { kind, is: (value) => value instanceof of, build: (model, options) => new of(model, options as never) });
}

/** The registered optimizer of that kind, or undefined. */
export function optimizerType(kind: string): OptimizerType | undefined {
  return filledOptimizers().get(kind);
}

/** The registered optimizer `value` is an instance of, or undefined. */
export function optimizerTypeOf(value: unknown): OptimizerType | undefined {
  for (const entry of filledOptimizers().values()) if (entry.is(value)) return entry;
  return undefined;
}

/** Every registered optimizer, in registration order. */
export function optimizerTypes(): OptimizerType[] {
  return [...filledOptimizers().values()];
}
