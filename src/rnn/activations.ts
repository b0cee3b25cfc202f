/**
 * The activations a cell applies as separate kernels (an RNN's unit, a CEC's input), with
 * what diagnostics need of them: the bound gamma of the derivative (Pascanu et al. 2013) and
 * the saturation thresholds of gateStats. One entry per activation; the fused LSTM and GRU
 * kernels apply sigmoid and tanh inside and name them here only for the diagnostics.
 */
import type { Kernels } from '../kernels.js';

export type ActivationName = 'sigmoid' | 'tanh' | 'relu';

export interface Activation {
  /** y = act(x) over n floats (y may be x). */
  forward(k: Kernels, y: number, x: number, n: number): void;
  /** dx = dy * act'(x), from the saved output y (dx may be dy). */
  backward(k: Kernels, dx: number, y: number, dy: number, n: number): void;
  /** Bound of |act'|: 1/4 for the sigmoid, 1 for tanh and relu. */
  readonly gamma: number;
  /** A value counts as saturated low / high (relu: a dead unit is exactly 0). */
  isLow(v: number): boolean;
  isHigh(v: number): boolean;
}

export const ACTIVATIONS: Readonly<Record<ActivationName, Activation>> = {
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
