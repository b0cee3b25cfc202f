/**
 * Optimizers with PyTorch's update formulas (torch.optim SGD, Adam, AdamW, RMSprop; see
 * assembly/optim.ts). Updates run in wasm, one kernel call per parameter buffer. State
 * (momentum, moments) lives in arena regions of the optimizer's own, one per parameter buffer
 * laid out by the optimizer's `stateSlots` (PyTorch's state names), allocated at the first
 * step; `dispose()` returns them, and so does the finalization of an optimizer nobody
 * disposed (holding.ts). The optimizer's parameter buffers hold their modules, so the modules
 * an optimizer updates stay alive as long as it does.
 *
 * Non-finite gradients never reach the parameters: `step()` checks them first and, by the
 * option `nonFinite`, throws NOT_FINITE ('throw', the default) or skips the step ('skip');
 * it returns whether the step was applied.
 */
import type { Region } from '../arena.js';
import { checkOptions } from '../checks.js';
import { Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, planLayout, type Layout } from '../layout.js';
import { buffersOf, checkAlive, countNonFiniteGrads, type ParamBuffer } from '../params.js';
import type { Optimizer as OptimizerInterface, OptimizerState } from '../registry.js';

export type { OptimizerState };

/** @inline */
type NonFinite = 'throw' | 'skip';

/** Options of `new SGD` (torch.optim.SGD's, camel-cased). */
export interface SGDOptions {
  /** Learning rate, > 0. */
  lr: number;
  /** Momentum factor in [0, 1) (default 0). */
  momentum?: number;
  /** Nesterov momentum (default false; needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, >= 0 (default 0). */
  weightDecay?: number;
  /** When a gradient is NaN or Infinity, `step()` throws NOT_FINITE ('throw', the default) or skips the update and returns false ('skip'). */
  nonFinite?: NonFinite;
}
/** Options of `new Adam` and `new AdamW` (torch.optim's, camel-cased). */
export interface AdamOptions {
  /** Learning rate, > 0. */
  lr: number;
  /** Decay rates of the first and second moment estimates, each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator, > 0 (default 1e-8). */
  eps?: number;
  /** Weight decay, >= 0: Adam adds it to the gradient (default 0), AdamW decays the weights directly (default 0.01). */
  weightDecay?: number;
  /** When a gradient is NaN or Infinity, `step()` throws NOT_FINITE ('throw', the default) or skips the update and returns false ('skip'). */
  nonFinite?: NonFinite;
}
/** Options of `new RMSprop` (torch.optim.RMSprop's, camel-cased). */
export interface RMSpropOptions {
  /** Learning rate, > 0. */
  lr: number;
  /** Smoothing constant of the squared-gradient average, in [0, 1) (default 0.99). */
  alpha?: number;
  /** Added to the denominator, > 0 (default 1e-8). */
  eps?: number;
  /** Momentum factor in [0, 1) (default 0). */
  momentum?: number;
  /** L2 penalty added to the gradient, >= 0 (default 0). */
  weightDecay?: number;
  /** When a gradient is NaN or Infinity, `step()` throws NOT_FINITE ('throw', the default) or skips the update and returns false ('skip'). */
  nonFinite?: NonFinite;
}


function number(o: Record<string, unknown>, key: string, what: string, fallback: number | undefined, ok: (v: number) => boolean, rule: string): number {
  const v = o[key] === undefined ? fallback : o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be ${rule}, got ${describe(v)}`);
  }
  return v;
}

/** A state array as long as its parameter buffer: its name (PyTorch's) and what it holds. */
interface StateSlot { readonly name: string; readonly comment: string }

abstract class Optimizer implements OptimizerInterface {
  protected readonly buffers: ParamBuffer[];
  /** One region per parameter buffer, laid out by stateLayouts. */
  protected state: Region[] | null = null;
  /** The state regions (holding.ts), made at the first allocation. */
  private memory: Holding | null = null;
  private stateLayouts: Layout[] | null = null;
  /** The state of one parameter buffer, in the order of stateDict's buffers. */
  protected abstract readonly stateSlots: readonly StateSlot[];
  protected stepCount = 0;
  protected readonly nonFinite: NonFinite;
  private disposed = false;

  /** The options as given, for checkpoints. */
  readonly options: Record<string, unknown>;
  /** The learning rate the next step uses (set by the subclass from options.lr, then by `lr`). */
  protected learningRate = 0;

  /** @param kind The optimizer's name: 'SGD', 'Adam', 'AdamW' or 'RMSprop'. */
  constructor(model: unknown, options: unknown, readonly kind: string, private readonly slots: number, known: readonly string[]) {
    this.buffers = buffersOf(model, `new ${kind}`);
    checkOptions(options, ['lr', ...known, 'weightDecay', 'nonFinite'], `new ${kind}`);
    this.options = typeof options === 'object' && options !== null ? { ...(options as Record<string, unknown>) } : {};
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `new ${kind}: options must be an object with lr, got ${describe(options)}`);
    const given = (options as { nonFinite?: unknown }).nonFinite, nf = given === undefined ? 'throw' : given;
    if (nf !== 'throw' && nf !== 'skip') throw new RnnError('BAD_ARGUMENT', `new ${kind}: nonFinite must be 'throw' or 'skip', got ${describe(nf)}`);
    this.nonFinite = nf;
  }

  /**
   * The learning rate the next `step()` uses: options.lr until set (a schedule sets it after
   * every step). Setting it checks it is a finite number >= 0 (BAD_ARGUMENT; 0 because a
   * cosine schedule reaches etaMin = 0) and changes nothing else: the state does not depend on it.
   */
  get lr(): number { return this.learningRate; }
  /** Sets the learning rate of the next steps; BAD_ARGUMENT unless a finite number >= 0. */
  set lr(value: number) {
    this.alive('lr');
    this.learningRate = number({ lr: value }, 'lr', `${this.kind}.lr`, undefined, (v) => v >= 0, 'a finite number >= 0');
  }

  /** Applies one update from the current gradients; false when skipped for non-finite ones. */
  step(): boolean {
    this.alive('step');
    const bad = countNonFiniteGrads(this.buffers);
    if (bad > 0) {
      if (this.nonFinite === 'skip') return false;
      throw new RnnError('NOT_FINITE', `${this.kind}.step: ${bad} gradient values are NaN or Infinity; nothing was updated (clip, lower the learning rate, or pass nonFinite: 'skip')`);
    }
    const first = this.state === null;
    if (first) this.state = this.allocState();
    this.stepCount++;
    this.buffers.forEach((b, i) => this.update(b, this.stateSlots.map((_, s) => this.stateAddress(i, s)), first));
    return true;
  }

  protected abstract update(b: ParamBuffer, state: number[], first: boolean): void;

  /** The step count and copies of the state buffers. */
  stateDict(): OptimizerState {
    this.alive('stateDict');
    const buffers = (this.state ?? []).flatMap((_, i) => this.stateSlots.map((__, s) => this.buffers[i].backend.arena.f32At(this.stateAddress(i, s), this.buffers[i].length).slice()));
    return { kind: this.kind, step: this.stepCount, buffers };
  }

  /** Restores a stateDict() of the same optimizer over the same model; all or nothing. */
  loadStateDict(state: OptimizerState): void {
    this.alive('loadStateDict');
    const what = `${this.kind}.loadStateDict`;
    if (typeof state !== 'object' || state === null || state.kind !== this.kind) {
      throw new RnnError('BAD_ARGUMENT', `${what}: expected the state of a ${this.kind}, got ${describe(state?.kind ?? state)}`);
    }
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new RnnError('BAD_ARGUMENT', `${what}: step must be a non-negative integer, got ${describe(state.step)}`);
    const want = state.step === 0 ? 0 : this.buffers.length * this.slots;
    if (!Array.isArray(state.buffers) || state.buffers.length !== want) {
      throw new RnnError('SHAPE_MISMATCH', `${what}: expected ${want} state buffers, got ${describe(state.buffers)}`);
    }
    state.buffers.forEach((data, k) => {
      const len = this.buffers[Math.floor(k / this.slots)].length;
      if (!(data instanceof Float32Array) || data.length !== len) throw new RnnError('SHAPE_MISMATCH', `${what}: buffer ${k} must be a Float32Array of ${len}, got ${describe(data)}`);
      for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) throw new RnnError('NOT_FINITE', `${what}: buffer ${k} holds ${data[i]} at ${i}`);
    });
    if (want === 0 && this.state !== null) {
      // back to before the first step: no state, as a fresh optimizer
      this.freeState();
    }
    if (want > 0 && this.state === null) this.state = this.allocState();
    state.buffers.forEach((data, k) => {
      const b = this.buffers[Math.floor(k / this.slots)];
      b.backend.arena.f32At(this.stateAddress(Math.floor(k / this.slots), k % this.slots), b.length).set(data);
    });
    this.stepCount = state.step;
  }

  /** Returns the state memory; later calls throw DISPOSED. */
  dispose(): void {
    this.memory?.release();
    this.state = null;
    this.disposed = true;
  }

  // The state of each parameter buffer: one slot of its length per stateSlots entry.
  private allocState(): Region[] {
    this.stateLayouts ??= this.buffers.map((b) => planLayout(this.stateSlots.map(({ name, comment }) => ({ name, shape: [b.length], comment }))));
    if (this.buffers.length === 0) return [];
    // every module lives in the one backend init() made, so one arena holds all the state
    const memory = (this.memory ??= new Holding(this, this.buffers[0].backend.arena)), made: Region[] = [];
    try {
      for (const layout of this.stateLayouts) made.push(memory.alloc(layout.bytes, `${this.kind} state`));
    } catch (e) {
      for (const r of made) memory.free(r);
      throw e;
    }
    return made;
  }

  private freeState(): void {
    if (this.state) for (const r of this.state) this.memory!.free(r);
    this.state = null;
  }

  // Byte address of state slot s of parameter buffer i.
  private stateAddress(i: number, s: number): number {
    return addresses(this.stateLayouts![i], this.state![i].ptr)(this.stateSlots[s].name);
  }

  /**
   * @internal DISPOSED, touching nothing, when the optimizer or a module whose parameters it
   * updates was disposed: `fit` asks before it runs any forward.
   */
  checkAlive(what: string): void {
    if (this.disposed) throw new RnnError('DISPOSED', `${what}: the ${this.kind} was disposed`);
    checkAlive(this.buffers, what);
  }

  // The optimizer itself, and every module whose parameters it updates.
  private alive(what: string): void {
    if (this.disposed) throw new RnnError('DISPOSED', `${this.kind}.${what}: the optimizer was disposed`);
    checkAlive(this.buffers, `${this.kind}.${what}`);
  }
}

/** torch.optim.SGD (dampening 0). */
export class SGD extends Optimizer {
  private momentumFactor: number; private readonly nesterov: boolean; private readonly weightDecay: number;
  constructor(model: unknown, options: SGDOptions) {
    super(model, options, 'SGD', 1, ['momentum', 'nesterov']);
    const o = options as unknown as Record<string, unknown>;
    this.learningRate = number(o, 'lr', 'new SGD', undefined, (v) => v > 0, 'a positive number');
    this.momentumFactor = number(o, 'momentum', 'new SGD', 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.weightDecay = number(o, 'weightDecay', 'new SGD', 0, (v) => v >= 0, '>= 0');
    this.nesterov = o.nesterov === true;
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') throw new RnnError('BAD_ARGUMENT', `new SGD: nesterov must be true or false, got ${describe(o.nesterov)}`);
    if (this.nesterov && this.momentumFactor === 0) throw new RnnError('BAD_ARGUMENT', 'new SGD: nesterov needs a momentum > 0 (as in PyTorch)');
  }
  /**
   * The momentum factor the next step uses, in [0, 1) (> 0 with nesterov); OneCycleLR cycles
   * it. Turned on after steps without momentum, the buffer starts from the gradient as at a
   * first step: it was never written, so it is still zero.
   */
  get momentum(): number { return this.momentumFactor; }
  /** Sets the momentum factor; BAD_ARGUMENT outside [0, 1), or 0 with nesterov. */
  set momentum(value: number) {
    this.checkAlive('SGD.momentum');
    const v = number({ momentum: value }, 'momentum', 'SGD.momentum', undefined, (x) => x >= 0 && x < 1, 'in [0, 1)');
    if (this.nesterov && v === 0) throw new RnnError('BAD_ARGUMENT', 'SGD.momentum: nesterov needs a momentum > 0, got 0');
    this.momentumFactor = v;
  }
  protected readonly stateSlots = [
    { name: 'momentum_buffer', comment: 'the momentum buffer (unused when momentum is 0)' },
  ];
  protected update(b: ParamBuffer, [buf]: number[], first: boolean): void {
    b.backend.kernels.sgd_step(b.param, b.grad, buf, b.length, this.learningRate, this.momentumFactor, this.weightDecay, this.nesterov ? 1 : 0, first ? 1 : 0);
  }
}

class AdamBase extends Optimizer {
  protected beta1: number; protected beta2: number;
  protected readonly eps: number; protected readonly weightDecay: number;
  constructor(model: unknown, options: AdamOptions, kind: string, private readonly decoupled: boolean, defaultDecay: number) {
    super(model, options, kind, 2, ['betas', 'eps']);
    const o = options as unknown as Record<string, unknown>;
    this.learningRate = number(o, 'lr', `new ${kind}`, undefined, (v) => v > 0, 'a positive number');
    const betas = o.betas === undefined ? [0.9, 0.999] : o.betas;
    if (!Array.isArray(betas) || betas.length !== 2 || betas.some((x) => typeof x !== 'number' || !(x >= 0 && x < 1))) {
      throw new RnnError('BAD_ARGUMENT', `new ${kind}: betas must be two numbers in [0, 1), got ${describe(betas)}`);
    }
    [this.beta1, this.beta2] = betas as [number, number];
    this.eps = number(o, 'eps', `new ${kind}`, 1e-8, (v) => v > 0, 'a positive number');
    this.weightDecay = number(o, 'weightDecay', `new ${kind}`, defaultDecay, (v) => v >= 0, '>= 0');
  }
  /**
   * The decay rates the next step uses, a copy; set both, each in [0, 1) (OneCycleLR cycles
   * the first). The bias corrections use the current beta1, as PyTorch's.
   */
  get betas(): [number, number] { return [this.beta1, this.beta2]; }
  /** Sets both decay rates; BAD_ARGUMENT unless two numbers in [0, 1). */
  set betas(value: [number, number]) {
    this.checkAlive(`${this.kind}.betas`);
    if (!Array.isArray(value) || value.length !== 2 || value.some((x) => typeof x !== 'number' || !(x >= 0 && x < 1))) {
      throw new RnnError('BAD_ARGUMENT', `${this.kind}.betas must be two numbers in [0, 1), got ${describe(value)}`);
    }
    [this.beta1, this.beta2] = value;
  }
  protected readonly stateSlots = [
    { name: 'exp_avg', comment: 'm, the first moment estimate' },
    { name: 'exp_avg_sq', comment: 'v, the second moment estimate' },
  ];
  protected update(b: ParamBuffer, [m, v]: number[]): void {
    const t = this.stepCount;
    const stepSize = this.learningRate / (1 - this.beta1 ** t), bc2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    b.backend.kernels.adam_step(b.param, b.grad, m, v, b.length, this.learningRate, this.beta1, this.beta2, this.eps,
      this.weightDecay, stepSize, bc2Sqrt, this.decoupled ? 1 : 0);
  }
}

/** torch.optim.Adam (L2 weight decay added to the gradient; no amsgrad). */
export class Adam extends AdamBase {
  constructor(model: unknown, options: AdamOptions) { super(model, options, 'Adam', false, 0); }
}

/** torch.optim.AdamW (decoupled weight decay, default 0.01 as in PyTorch). */
export class AdamW extends AdamBase {
  constructor(model: unknown, options: AdamOptions) { super(model, options, 'AdamW', true, 0.01); }
}

/** torch.optim.RMSprop (not centered). */
export class RMSprop extends Optimizer {
  private readonly alpha: number; private readonly eps: number;
  private momentumFactor: number; private readonly weightDecay: number;
  constructor(model: unknown, options: RMSpropOptions) {
    super(model, options, 'RMSprop', 2, ['alpha', 'eps', 'momentum']);
    const o = options as unknown as Record<string, unknown>;
    this.learningRate = number(o, 'lr', 'new RMSprop', undefined, (v) => v > 0, 'a positive number');
    this.alpha = number(o, 'alpha', 'new RMSprop', 0.99, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.eps = number(o, 'eps', 'new RMSprop', 1e-8, (v) => v > 0, 'a positive number');
    this.momentumFactor = number(o, 'momentum', 'new RMSprop', 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.weightDecay = number(o, 'weightDecay', 'new RMSprop', 0, (v) => v >= 0, '>= 0');
  }
  /**
   * The momentum factor the next step uses, in [0, 1); OneCycleLR cycles it. Turned on after
   * steps without momentum, the buffer starts at zero (PyTorch makes the buffer only at the
   * first step and fails there instead).
   */
  get momentum(): number { return this.momentumFactor; }
  /** Sets the momentum factor; BAD_ARGUMENT outside [0, 1). */
  set momentum(value: number) {
    this.checkAlive('RMSprop.momentum');
    this.momentumFactor = number({ momentum: value }, 'momentum', 'RMSprop.momentum', undefined, (x) => x >= 0 && x < 1, 'in [0, 1)');
  }
  protected readonly stateSlots = [
    { name: 'square_avg', comment: 'the running average of squared gradients' },
    { name: 'momentum_buffer', comment: 'the momentum buffer (unused when momentum is 0)' },
  ];
  protected update(b: ParamBuffer, [s, buf]: number[]): void {
    b.backend.kernels.rmsprop_step(b.param, b.grad, s, buf, b.length, this.learningRate, this.alpha, this.eps, this.weightDecay, this.momentumFactor);
  }
}
