/**
 * The activations of the cells: what a layer option may name, how an option value is parsed,
 * the ids the fused kernels select them by, the separate kernels (an RNN's unit, a CEC's
 * input), and what diagnostics need of them: the bound gamma of the derivative (Pascanu et al.
 * 2013) and the saturation thresholds of gateStats. One entry per activation. The default
 * LSTM and GRU kernels apply sigmoid and tanh inside; lstma_* / gruact_* (assembly) take any
 * of these by id.
 *
 *   sigmoid      1 / (1 + exp(-x))
 *   tanh         tanh(x)
 *   relu         max(x, 0)
 *   hardSigmoid  max(0, min(1, alpha x + beta)), alpha > 0; default alpha 0.2, beta 0.5 (ONNX's
 *                HardSigmoid and tfjs; Keras 3's hard_sigmoid is alpha 1/6, beta 0.5)
 */
import { RnnError, describe } from '../errors.js';
import type { Kernels } from '../kernels.js';

/** The name of an activation function. */
export type ActivationName = 'sigmoid' | 'tanh' | 'relu' | 'hardSigmoid';

/**
 * An activation as a layer option: its name, or the hard sigmoid with its own slope and
 * offset, max(0, min(1, alpha x + beta)) (alpha > 0, default 0.2; beta default 0.5).
 */
export type ActivationOption = ActivationName | {
  /** The hard sigmoid. */
  type: 'hardSigmoid';
  /** The slope, a finite number > 0 (default 0.2; Keras 3: 1/6). */
  alpha?: number;
  /** The offset, a finite number (default 0.5). */
  beta?: number;
};

/** A parsed activation: its name, and alpha and beta (the hard sigmoid's; 0 for the others). */
export interface ActivationSpec {
  readonly name: ActivationName;
  readonly alpha: number;
  readonly beta: number;
}

/** The id of each activation in the kernels that select one (assembly/math.ts act_s). */
export const ACTIVATION_IDS: Readonly<Record<ActivationName, number>> = { sigmoid: 0, tanh: 1, relu: 2, hardSigmoid: 3 };

export const SIGMOID: ActivationSpec = { name: 'sigmoid', alpha: 0, beta: 0 };
export const TANH: ActivationSpec = { name: 'tanh', alpha: 0, beta: 0 };
export const RELU: ActivationSpec = { name: 'relu', alpha: 0, beta: 0 };

const ACCEPTED = "'sigmoid', 'tanh', 'relu', 'hardSigmoid' or { type: 'hardSigmoid', alpha, beta }";

/**
 * Parses the option `what` (e.g. 'new LSTM: gateActivation'); undefined gives `fallback`.
 * Anything but an accepted value is BAD_ARGUMENT naming the option and the accepted values.
 */
export function parseActivation(v: unknown, what: string, fallback: ActivationSpec): ActivationSpec {
  if (v === undefined) return fallback;
  if (v === 'sigmoid' || v === 'tanh' || v === 'relu') return { name: v, alpha: 0, beta: 0 };
  if (v === 'hardSigmoid') return { name: 'hardSigmoid', alpha: 0.2, beta: 0.5 };
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { type?: unknown }).type === 'hardSigmoid') {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'type' && k !== 'alpha' && k !== 'beta');
    const alpha = o.alpha === undefined ? 0.2 : o.alpha, beta = o.beta === undefined ? 0.5 : o.beta;
    if (extra.length === 0 && typeof alpha === 'number' && Number.isFinite(alpha) && alpha > 0 &&
        typeof beta === 'number' && Number.isFinite(beta)) {
      return { name: 'hardSigmoid', alpha, beta };
    }
  }
  throw new RnnError('BAD_ARGUMENT', `${what} must be ${ACCEPTED} (alpha a finite number > 0, beta a finite number), got ${describe(v)}`);
}

/** The option value that gives `spec` back (for config(): the name, or the hard sigmoid with its numbers). */
export function activationOption(spec: ActivationSpec): ActivationOption {
  return spec.name === 'hardSigmoid' ? { type: 'hardSigmoid', alpha: spec.alpha, beta: spec.beta } : spec.name;
}

/** The kernel arguments of an activation: id, alpha, beta. */
export function activationArgs(spec: ActivationSpec): [number, number, number] {
  return [ACTIVATION_IDS[spec.name], spec.alpha, spec.beta];
}

export interface Activation {
  /** y = act(x) over n floats (y may be x). */
  forward(k: Kernels, y: number, x: number, n: number): void;
  /** dx = dy * act'(x), from the saved output y (dx may be dy). */
  backward(k: Kernels, dx: number, y: number, dy: number, n: number): void;
  /** Bound of |act'|: 1/4 for the sigmoid, 1 for tanh and relu, alpha for the hard sigmoid. */
  readonly gamma: number;
  /** A value counts as saturated low / high (relu: a dead unit is exactly 0; hard sigmoid: exactly 0 or 1). */
  isLow(v: number): boolean;
  isHigh(v: number): boolean;
}

const ACTIVATIONS: Readonly<Record<Exclude<ActivationName, 'hardSigmoid'>, Activation>> = {
  sigmoid: {
    forward: (k, y, x, n) => k.f32_sigmoid_fwd(y, x, n),
    backward: (k, dx, y, dy, n) => k.f32_sigmoid_bwd(dx, y, dy, n),
    gamma: 0.25,
    isLow: (v) => v < 0.05,
    isHigh: (v) => v > 0.95,
  },
  tanh: {
    forward: (k, y, x, n) => k.f32_tanh_fwd(y, x, n),
    backward: (k, dx, y, dy, n) => k.f32_tanh_bwd(dx, y, dy, n),
    gamma: 1,
    isLow: (v) => v < -0.95,
    isHigh: (v) => v > 0.95,
  },
  relu: {
    forward: (k, y, x, n) => k.f32_relu_fwd(y, x, n),
    backward: (k, dx, y, dy, n) => k.f32_relu_bwd(dx, y, dy, n),
    gamma: 1,
    isLow: (v) => v === 0,
    isHigh: () => false,
  },
};

/** The separate kernels and the diagnostics' numbers of an activation. */
export function activationOf(spec: ActivationSpec): Activation {
  if (spec.name !== 'hardSigmoid') return ACTIVATIONS[spec.name];
  const { alpha, beta } = spec;
  return {
    forward: (k, y, x, n) => k.f32_hardsigmoid_fwd(y, x, n, alpha, beta),
    backward: (k, dx, y, dy, n) => k.f32_hardsigmoid_bwd(dx, y, dy, n, alpha),
    gamma: alpha,
    isLow: (v) => v <= 0,
    isHigh: (v) => v >= 1,
  };
}
