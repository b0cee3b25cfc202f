/**
 * Learning-rate schedules with torch.optim.lr_scheduler's names, defaults and formulas:
 * StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR and ReduceLROnPlateau.
 *
 * A schedule sets its optimizer's `lr` (OneCycleLR also its momentum or beta1): once when it is
 * built (PyTorch's initial step, at epoch 0), then at every `step()`, called after the
 * optimizer's. StepLR, ExponentialLR, CosineAnnealingLR and LinearLR compute the next rate
 * from the current one, as PyTorch's `get_lr()` does (the chainable form): the closed forms
 * round differently in the last bits, and the recursive ones are what PyTorch runs. All
 * arithmetic is float64, as in Python.
 *
 * The state (`stateDict()`) is a plain JSON-able object; `loadStateDict` puts back the
 * schedule and its optimizer's rate (and momentum), so a resumed run continues bit-identically.
 */
import { checkOptions } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import { optimizerTypeOf, type Optimizer } from '../registry.js';

/** What `stateDict()` returns: JSON-able; the fields beyond the first four belong to one kind. */
export interface ScheduleState {
  /** The schedule it belongs to: 'StepLR', 'ExponentialLR', ... */
  kind: string;
  /** Steps taken since it was built (PyTorch's last_epoch). */
  lastEpoch: number;
  /** The optimizer's rate when the schedule was built (PyTorch's initial_lr). */
  baseLr: number;
  /** The rate the last step set (what `getLastLr()` returns). */
  lastLr: number;
  /** OneCycleLR with cycleMomentum: the momentum (or beta1) the last step set. */
  lastMomentum?: number;
  /** ReduceLROnPlateau: the best metric so far, null before the first. */
  best?: number | null;
  /** ReduceLROnPlateau: steps since the metric last improved. */
  numBadEpochs?: number;
  /** ReduceLROnPlateau: steps of cool-down left. */
  cooldownCounter?: number;
}

/** Options of `new StepLR` (torch's StepLR, camel-cased). */
export interface StepLROptions {
  /** Steps between decays, an integer >= 1. */
  stepSize: number;
  /** Factor of each decay, > 0 (default 0.1). */
  gamma?: number;
}
/** Options of `new ExponentialLR`. */
export interface ExponentialLROptions {
  /** Factor applied at every step, > 0. */
  gamma: number;
}
/** Options of `new CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Steps of one half cosine, an integer >= 1 (after it the rate climbs back, as PyTorch's). */
  TMax: number;
  /** The lowest rate, >= 0 (default 0). */
  etaMin?: number;
}
/** Options of `new LinearLR` (a warm-up). */
export interface LinearLROptions {
  /** Factor of the optimizer's rate at the start, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached after totalIters steps and kept, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps from startFactor to endFactor, an integer >= 1 (default 5). */
  totalIters?: number;
}
/** Options of `new OneCycleLR` (Smith & Topin 2017, PyTorch's formulas). */
export interface OneCycleLROptions {
  /** The peak rate, > 0. */
  maxLr: number;
  /** Steps of the whole cycle, an integer >= 1; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  /** With stepsPerEpoch, instead of totalSteps: totalSteps = epochs * stepsPerEpoch. */
  epochs?: number;
  /** With epochs, instead of totalSteps. */
  stepsPerEpoch?: number;
  /** Share of the cycle spent rising, in [0, 1] (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD, RMSprop) or beta1 (Adam, AdamW) against the rate (default true). */
  cycleMomentum?: boolean;
  /** The lowest momentum, in [0, 1) (default 0.85). */
  baseMomentum?: number;
  /** The highest momentum, in [0, 1) (default 0.95). */
  maxMomentum?: number;
  /** The starting rate is maxLr / divFactor, > 0 (default 25). */
  divFactor?: number;
  /** The final rate is the starting rate / finalDivFactor, > 0 (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the start, down to the final rate) instead of two (default false). */
  threePhase?: boolean;
}
/** Options of `new ReduceLROnPlateau`. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): a lower metric is better; 'max': a higher one. */
  mode?: 'min' | 'max';
  /** Factor of each reduction, in [0, 1) (default 0.1). */
  factor?: number;
  /** Steps without improvement tolerated before a reduction, an integer >= 0 (default 10). */
  patience?: number;
  /** The improvement that counts, >= 0 (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': an absolute margin. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps after a reduction during which bad steps are not counted, an integer >= 0 (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this, >= 0 (default 0). */
  minLr?: number;
  /** A reduction smaller than this is not made, >= 0 (default 1e-8). */
  eps?: number;
}

function option(o: Record<string, unknown>, key: string, what: string, fallback: number | undefined, ok: (v: number) => boolean, rule: string): number {
  const v = o[key] === undefined ? fallback : o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be ${rule}, got ${describe(o[key])}`);
  return v;
}
const isInt = (min: number) => (v: number) => Number.isSafeInteger(v) && v >= min;

function choice<T extends string>(o: Record<string, unknown>, key: string, what: string, allowed: readonly T[]): T {
  const v = o[key] === undefined ? allowed[0] : o[key];
  if (!allowed.includes(v as T)) throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(o[key])}`);
  return v as T;
}

function flag(o: Record<string, unknown>, key: string, what: string, fallback: boolean): boolean {
  const v = o[key] === undefined ? fallback : o[key];
  if (typeof v !== 'boolean') throw new RnnError('BAD_ARGUMENT', `${what}: ${key} must be true or false, got ${describe(o[key])}`);
  return v;
}

/** What every schedule has; `fit` and checkpoints take any of them. */
export abstract class Schedule {
  /** The optimizer whose rate the schedule sets. */
  readonly optimizer: Optimizer;
  /** The schedule's class name: 'StepLR', 'OneCycleLR', ... */
  readonly kind: string;
  /** The options as given, for checkpoints. */
  readonly options: Record<string, unknown>;
  protected lastEpoch = 0;
  protected baseLr: number;
  protected lastLr: number;

  /** @param kind The schedule's class name. */
  constructor(optimizer: Optimizer, options: unknown, kind: string, known: readonly string[], required: boolean) {
    const what = `new ${kind}`;
    if (!optimizerTypeOf(optimizer)) throw new RnnError('BAD_ARGUMENT', `${what}: optimizer must be an SGD, Adam, AdamW or RMSprop, got ${describe(optimizer)}`);
    (optimizer as { checkAlive?: (what: string) => void }).checkAlive?.(what);
    if (options === undefined && !required) options = {};
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new RnnError('BAD_ARGUMENT', `${what}: options must be an object { ${known.join(', ')} }, got ${describe(options)}`);
    checkOptions(options, known, what);
    this.options = { ...(options as Record<string, unknown>) };
    this.optimizer = optimizer;
    this.kind = kind;
    this.baseLr = this.lastLr = optimizer.lr;
  }

  /** The rate the last step set (at first, the one set when the schedule was built). */
  getLastLr(): number {
    return this.lastLr;
  }

  /** A plain JSON-able copy of the schedule's state. */
  stateDict(): ScheduleState {
    return { kind: this.kind, lastEpoch: this.lastEpoch, baseLr: this.baseLr, lastLr: this.lastLr, ...this.extraState() };
  }

  /**
   * Restores a stateDict() of a schedule of the same kind, and sets the optimizer's rate (and
   * momentum) to what they were then; all or nothing (BAD_ARGUMENT for a malformed state).
   */
  loadStateDict(state: ScheduleState): void {
    this.checkState(state);
    this.applyState(state);
  }

  /** @internal Steps this schedule can still take (fit refuses to plan more). */
  stepsLeft(): number { return Infinity; }

  /** @internal Every check of loadStateDict, changing nothing (checkpoints check before they load). */
  checkState(state: ScheduleState): void {
    const what = `${this.kind}.loadStateDict`;
    (this.optimizer as { checkAlive?: (what: string) => void }).checkAlive?.(what);
    if (typeof state !== 'object' || state === null || state.kind !== this.kind) {
      throw new RnnError('BAD_ARGUMENT', `${what}: expected the state of a ${this.kind}, got ${describe((state as { kind?: unknown } | null)?.kind ?? state)}`);
    }
    const extra = this.extraStateKeys();
    checkOptions(state, ['kind', 'lastEpoch', 'baseLr', 'lastLr', ...extra], what);
    const o = state as unknown as Record<string, unknown>;
    option(o, 'lastEpoch', what, undefined, isInt(0), 'an integer >= 0');
    option(o, 'baseLr', what, undefined, (v) => v >= 0, 'a finite number >= 0');
    option(o, 'lastLr', what, undefined, (v) => v >= 0, 'a finite number >= 0');
    for (const key of extra) if (!(key in o)) throw new RnnError('BAD_ARGUMENT', `${what}: the state of a ${this.kind} needs ${key}`);
    this.checkExtraState(o, what);
  }

  /** @internal */
  applyState(state: ScheduleState): void {
    this.optimizer.lr = state.lastLr;
    this.lastEpoch = state.lastEpoch;
    this.baseLr = state.baseLr;
    this.lastLr = state.lastLr;
    this.applyExtraState(state);
  }

  protected extraState(): Partial<ScheduleState> { return {}; }
  protected extraStateKeys(): string[] { return []; }
  protected checkExtraState(_state: Record<string, unknown>, _what: string): void {}
  protected applyExtraState(_state: ScheduleState): void {}

  /** The optimizer alive, then `lr` set: a rate it refuses (an overflow) leaves all as it was. */
  protected setLr(lr: number, epoch: number, what: string): void {
    (this.optimizer as { checkAlive?: (what: string) => void }).checkAlive?.(what);
    this.optimizer.lr = lr;
    this.lastEpoch = epoch;
    this.lastLr = lr;
  }
}

/** The schedules whose step() takes no argument and computes the next rate from the current. */
abstract class ChainedSchedule extends Schedule {
  /** Sets the rate of the next step; call after the optimizer's step(). */
  step(): void {
    const epoch = this.lastEpoch + 1;
    this.setLr(this.rateAt(epoch, this.optimizer.lr), epoch, `${this.kind}.step`);
  }
  /** PyTorch's get_lr() at last_epoch = epoch, from the current rate lr. */
  protected abstract rateAt(epoch: number, lr: number): number;
  // PyTorch's initial step: the rate at epoch 0, set when the schedule is built
  protected begin(): void {
    this.setLr(this.rateAt(0, this.optimizer.lr), 0, `new ${this.kind}`);
  }
}

/** torch.optim.lr_scheduler.StepLR: the rate times gamma every stepSize steps. */
export class StepLR extends ChainedSchedule {
  private readonly stepSize: number; private readonly gamma: number;
  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer, options, 'StepLR', ['stepSize', 'gamma'], true);
    this.stepSize = option(this.options, 'stepSize', 'new StepLR', undefined, isInt(1), 'an integer >= 1');
    this.gamma = option(this.options, 'gamma', 'new StepLR', 0.1, (v) => v > 0, 'a positive number');
    this.begin();
  }
  protected rateAt(epoch: number, lr: number): number {
    return epoch === 0 || epoch % this.stepSize !== 0 ? lr : lr * this.gamma;
  }
}

/** torch.optim.lr_scheduler.ExponentialLR: the rate times gamma at every step. */
export class ExponentialLR extends ChainedSchedule {
  private readonly gamma: number;
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super(optimizer, options, 'ExponentialLR', ['gamma'], true);
    this.gamma = option(this.options, 'gamma', 'new ExponentialLR', undefined, (v) => v > 0, 'a positive number');
    this.begin();
  }
  protected rateAt(epoch: number, lr: number): number {
    return epoch === 0 ? lr : lr * this.gamma;
  }
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR: from the optimizer's rate down a half cosine to
 * etaMin in TMax steps, then back up (PyTorch's recursive form, continued past TMax as there).
 */
export class CosineAnnealingLR extends ChainedSchedule {
  private readonly TMax: number; private readonly etaMin: number;
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer, options, 'CosineAnnealingLR', ['TMax', 'etaMin'], true);
    this.TMax = option(this.options, 'TMax', 'new CosineAnnealingLR', undefined, isInt(1), 'an integer >= 1');
    this.etaMin = option(this.options, 'etaMin', 'new CosineAnnealingLR', 0, (v) => v >= 0, 'a finite number >= 0');
    this.begin();
  }
  protected rateAt(epoch: number, lr: number): number {
    const { TMax, etaMin } = this;
    if (epoch === 0) return lr;
    // the restart step, where the ratio below would divide by 1 + cos(pi) = 0
    if ((epoch - 1 - TMax) % (2 * TMax) === 0) return lr + (this.baseLr - etaMin) * (1 - Math.cos(Math.PI / TMax)) / 2;
    return (1 + Math.cos(Math.PI * epoch / TMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / TMax)) * (lr - etaMin) + etaMin;
  }
}

/** torch.optim.lr_scheduler.LinearLR: a warm-up from startFactor to endFactor times the rate. */
export class LinearLR extends ChainedSchedule {
  private readonly startFactor: number; private readonly endFactor: number; private readonly totalIters: number;
  constructor(optimizer: Optimizer, options?: LinearLROptions) {
    super(optimizer, options, 'LinearLR', ['startFactor', 'endFactor', 'totalIters'], false);
    // startFactor 0 would divide by zero at the first step (PyTorch 2 refuses it too)
    this.startFactor = option(this.options, 'startFactor', 'new LinearLR', 1 / 3, (v) => v > 0 && v <= 1, 'in (0, 1]');
    this.endFactor = option(this.options, 'endFactor', 'new LinearLR', 1, (v) => v >= 0 && v <= 1, 'in [0, 1]');
    this.totalIters = option(this.options, 'totalIters', 'new LinearLR', 5, isInt(1), 'an integer >= 1');
    this.begin();
  }
  protected rateAt(epoch: number, lr: number): number {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (epoch === 0) return lr * s;
    if (epoch > n) return lr;
    return lr * (1 + (e - s) / (n * s + (epoch - 1) * (e - s)));
  }
}

/**
 * torch.optim.lr_scheduler.OneCycleLR: the rate from maxLr / divFactor up to maxLr over
 * pctStart of totalSteps, then down to the start / finalDivFactor (threePhase: back to the
 * start, then down); the momentum (or Adam's beta1) the other way, between maxMomentum and
 * baseMomentum. Stepping more than totalSteps times throws BAD_ARGUMENT, as PyTorch raises.
 * The rate after step totalSteps, which no update of the cycle uses, PyTorch extrapolates
 * past the final rate (below 0 with 'linear'); here it is held at 0 or above, since an
 * optimizer takes no negative rate.
 */
export class OneCycleLR extends Schedule {
  private readonly totalSteps: number; private readonly maxLr: number; private readonly minLr: number;
  private readonly cos: boolean; private readonly cycleMomentum: boolean;
  private readonly baseMomentum: number; private readonly maxMomentum: number;
  private readonly phases: { end: number; lr: [number, number]; momentum: [number, number] }[];
  private lastMomentum = NaN;

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super(optimizer, options, 'OneCycleLR', ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum',
      'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'], true);
    const o = this.options, what = 'new OneCycleLR';
    this.maxLr = option(o, 'maxLr', what, undefined, (v) => v > 0, 'a positive number');
    if (o.totalSteps !== undefined || o.epochs === undefined || o.stepsPerEpoch === undefined) {
      if (o.totalSteps === undefined) throw new RnnError('BAD_ARGUMENT', `${what}: give totalSteps, or epochs and stepsPerEpoch, got ${describe(o.epochs)} and ${describe(o.stepsPerEpoch)}`);
      this.totalSteps = option(o, 'totalSteps', what, undefined, isInt(1), 'an integer >= 1');
    } else {
      this.totalSteps = option(o, 'epochs', what, undefined, isInt(1), 'an integer >= 1') * option(o, 'stepsPerEpoch', what, undefined, isInt(1), 'an integer >= 1');
    }
    const pctStart = option(o, 'pctStart', what, 0.3, (v) => v >= 0 && v <= 1, 'in [0, 1]');
    this.cos = choice(o, 'annealStrategy', what, ['cos', 'linear']) === 'cos';
    this.cycleMomentum = flag(o, 'cycleMomentum', what, true);
    this.baseMomentum = option(o, 'baseMomentum', what, 0.85, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.maxMomentum = option(o, 'maxMomentum', what, 0.95, (v) => v >= 0 && v < 1, 'in [0, 1)');
    const divFactor = option(o, 'divFactor', what, 25, (v) => v > 0, 'a positive number');
    const finalDivFactor = option(o, 'finalDivFactor', what, 1e4, (v) => v > 0, 'a positive number');
    const threePhase = flag(o, 'threePhase', what, false);
    if (this.cycleMomentum && !('betas' in optimizer) && !('momentum' in optimizer)) {
      throw new RnnError('BAD_ARGUMENT', `${what}: cycleMomentum needs an optimizer with a momentum or betas, got ${optimizer.kind} (pass cycleMomentum: false)`);
    }
    const start = this.maxLr / divFactor, T = this.totalSteps, hi = this.maxMomentum, lo = this.baseMomentum;
    this.minLr = start / finalDivFactor;
    // PyTorch's phase table: each phase ends at step `end` (a float), rate and momentum from..to
    this.phases = threePhase
      ? [{ end: pctStart * T - 1, lr: [start, this.maxLr], momentum: [hi, lo] },
          { end: 2 * pctStart * T - 2, lr: [this.maxLr, start], momentum: [lo, hi] },
          { end: T - 1, lr: [start, this.minLr], momentum: [hi, hi] }]
      : [{ end: pctStart * T - 1, lr: [start, this.maxLr], momentum: [hi, lo] },
          { end: T - 1, lr: [this.maxLr, this.minLr], momentum: [lo, hi] }];
    // a phase of no length would divide by zero (a ZeroDivisionError in PyTorch)
    let from = 0;
    for (const [i, p] of this.phases.entries()) {
      if (p.end === from) {
        throw new RnnError('BAD_ARGUMENT', `${what}: pctStart ${pctStart} with totalSteps ${T} leaves phase ${i + 1} of no length; change either`);
      }
      from = p.end;
    }
    this.baseLr = start;
    this.setAt(0, 'new OneCycleLR');
  }

  /** Sets the rate (and momentum) of the next step; call after the optimizer's step(). */
  step(): void {
    this.setAt(this.lastEpoch + 1, 'OneCycleLR.step');
  }

  /** @internal */
  stepsLeft(): number { return this.totalSteps - this.lastEpoch; }

  private anneal(from: number, to: number, pct: number): number {
    return this.cos ? to + (from - to) / 2 * (Math.cos(Math.PI * pct) + 1) : (to - from) * pct + from;
  }

  private setAt(epoch: number, what: string): void {
    if (epoch > this.totalSteps) throw new RnnError('BAD_ARGUMENT', `${what}: stepped ${epoch + 1} times, totalSteps is ${this.totalSteps}`);
    let start = 0, lr = NaN, momentum = NaN;
    for (const [i, p] of this.phases.entries()) {
      if (epoch <= p.end || i === this.phases.length - 1) {
        const pct = (epoch - start) / (p.end - start);
        lr = this.anneal(p.lr[0], p.lr[1], pct);
        momentum = this.anneal(p.momentum[0], p.momentum[1], pct);
        break;
      }
      start = p.end;
    }
    (this.optimizer as { checkAlive?: (what: string) => void }).checkAlive?.(what);
    if (this.cycleMomentum) this.setMomentum(momentum);
    this.setLr(Math.max(lr, 0), epoch, what);
    if (this.cycleMomentum) this.lastMomentum = momentum;
  }

  // Adam's beta1, else the momentum, as PyTorch picks 'betas' over 'momentum'
  private setMomentum(m: number): void {
    const o = this.optimizer as unknown as { betas?: [number, number]; momentum?: number };
    if ('betas' in o) o.betas = [m, o.betas![1]];
    else o.momentum = m;
  }

  protected extraState(): Partial<ScheduleState> { return this.cycleMomentum ? { lastMomentum: this.lastMomentum } : {}; }
  protected extraStateKeys(): string[] { return this.cycleMomentum ? ['lastMomentum'] : []; }
  protected checkExtraState(o: Record<string, unknown>, what: string): void {
    if ((o.lastEpoch as number) > this.totalSteps) throw new RnnError('BAD_ARGUMENT', `${what}: lastEpoch must be at most totalSteps ${this.totalSteps}, got ${describe(o.lastEpoch)}`);
    if (this.cycleMomentum) option(o, 'lastMomentum', what, undefined, (v) => v >= 0 && v < 1, 'in [0, 1)');
  }
  protected applyExtraState(state: ScheduleState): void {
    if (!this.cycleMomentum) return;
    this.setMomentum(state.lastMomentum!);
    this.lastMomentum = state.lastMomentum!;
  }
}

/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau: `step(metric)` after every evaluation; when the
 * metric has not improved (by threshold) for more than `patience` steps, the rate is
 * multiplied by factor (not below minLr), then `cooldown` steps pass before bad steps count
 * again. The metric must be finite (NOT_FINITE, nothing changed).
 */
export class ReduceLROnPlateau extends Schedule {
  private readonly max: boolean; private readonly rel: boolean; private readonly factor: number; private readonly patience: number;
  private readonly threshold: number; private readonly cooldown: number; private readonly minLr: number; private readonly eps: number;
  private best: number; private numBadEpochs = 0; private cooldownCounter = 0;

  constructor(optimizer: Optimizer, options?: ReduceLROnPlateauOptions) {
    super(optimizer, options, 'ReduceLROnPlateau', ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'], false);
    const o = this.options, what = 'new ReduceLROnPlateau';
    this.max = choice(o, 'mode', what, ['min', 'max']) === 'max';
    this.factor = option(o, 'factor', what, 0.1, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.patience = option(o, 'patience', what, 10, isInt(0), 'an integer >= 0');
    this.threshold = option(o, 'threshold', what, 1e-4, (v) => v >= 0, 'a finite number >= 0');
    this.rel = choice(o, 'thresholdMode', what, ['rel', 'abs']) === 'rel';
    this.cooldown = option(o, 'cooldown', what, 0, isInt(0), 'an integer >= 0');
    this.minLr = option(o, 'minLr', what, 0, (v) => v >= 0, 'a finite number >= 0');
    this.eps = option(o, 'eps', what, 1e-8, (v) => v >= 0, 'a finite number >= 0');
    this.best = this.worst();
  }

  /** Takes the metric of the evaluation just made (a loss with mode 'min'); call after the optimizer's step(). */
  step(metric: number): void {
    const what = 'ReduceLROnPlateau.step';
    if (typeof metric !== 'number') throw new RnnError('BAD_ARGUMENT', `${what}: metric must be a number, got ${describe(metric)}`);
    if (!Number.isFinite(metric)) throw new RnnError('NOT_FINITE', `${what}: metric must be finite, got ${metric}`);
    (this.optimizer as { checkAlive?: (what: string) => void }).checkAlive?.(what);
    let best = this.best, bad = this.numBadEpochs, cooldown = this.cooldownCounter, lr = this.optimizer.lr;
    if (this.isBetter(metric, best)) { best = metric; bad = 0; } else bad++;
    if (cooldown > 0) { cooldown--; bad = 0; }
    if (bad > this.patience) {
      const reduced = Math.max(lr * this.factor, this.minLr);
      if (lr - reduced > this.eps) lr = reduced;
      cooldown = this.cooldown;
      bad = 0;
    }
    this.setLr(lr, this.lastEpoch + 1, what);
    this.best = best; this.numBadEpochs = bad; this.cooldownCounter = cooldown;
  }

  // PyTorch's is_better; the first metric beats the infinite starting best (unless threshold >= 1 in 'rel' mode, as there)
  private isBetter(a: number, best: number): boolean {
    if (!this.max) return this.rel ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.rel ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }
  private worst(): number { return this.max ? -Infinity : Infinity; }

  protected extraState(): Partial<ScheduleState> {
    // Infinity is no JSON: null stands for "no metric yet"
    return { best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }
  protected extraStateKeys(): string[] { return ['best', 'numBadEpochs', 'cooldownCounter']; }
  protected checkExtraState(o: Record<string, unknown>, what: string): void {
    if (o.best !== null) option(o, 'best', what, undefined, () => true, 'a finite number or null');
    option(o, 'numBadEpochs', what, undefined, isInt(0), 'an integer >= 0');
    option(o, 'cooldownCounter', what, undefined, isInt(0), 'an integer >= 0');
  }
  protected applyExtraState(state: ScheduleState): void {
    this.best = state.best === null ? this.worst() : state.best!;
    this.numBadEpochs = state.numBadEpochs!;
    this.cooldownCounter = state.cooldownCounter!;
  }
}

/** @internal The schedules by kind, for checkpoints and the command line. */
export const scheduleKinds: Record<string, new (optimizer: Optimizer, options: never) => Schedule> = {
  StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau,
};
