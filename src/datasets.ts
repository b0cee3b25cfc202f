/**
 * Benchmark series for reservoir computing and sequence models, generated in code from the
 * seeded generator (random.ts), so the same call gives the same numbers on every runtime.
 *
 *   narma10(length, seed)       NARMA-10: inputs u(t) ~ U[0, 0.5], targets y(t + 1) with
 *                               y(t+1) = 0.3 y(t) + 0.05 y(t) sum_{i=0..9} y(t-i)
 *                                        + 1.5 u(t-9) u(t) + 0.1
 *   mackeyGlass(length, opts)   the Mackey-Glass delay equation, targets `horizon` samples ahead
 *                               dx/dt = 0.2 x(t-tau) / (1 + x(t-tau)^10) - 0.1 x(t)
 *
 * Both return { inputs, targets }, tensors [length, 1] with targets[t] the value to predict
 * after seeing inputs[0..t]. Both are plain JavaScript (float64) and need no init().
 * see: A. F. Atiya, A. G. Parlos, New results on recurrent network training, IEEE Trans.
 * Neural Networks 11(3), 2000 (NARMA); M. C. Mackey, L. Glass, Oscillation and chaos in
 * physiological control systems, Science 197, 1977.
 */
import { checkOptions, checkSeed } from './checks.js';
import { RnnError, describe } from './errors.js';
import { Random } from './random.js';
import type { Tensor } from './tensor.js';

/** A series to predict, as `narma10` and `mackeyGlass` return it. */
export interface SeriesTask {
  /** The input at each step, [length, 1]. */
  inputs: Tensor;
  /** The value to predict at each step, [length, 1]: targets[t] follows from inputs[0..t]. */
  targets: Tensor;
}

function checkLength(length: unknown, what: string): number {
  if (!Number.isSafeInteger(length) || (length as number) < 1) {
    throw new RnnError('BAD_ARGUMENT', `${what}: length must be an integer >= 1, got ${describe(length)}`);
  }
  return length as number;
}

/** Steps run and dropped before the returned window, so y has left its all-zero start. */
const NARMA_WARMUP = 200;
/** The longest series narma10 builds (2 GiB of float64 working arrays). */
const NARMA_MAX = 2 ** 27;

/**
 * NARMA-10 of `length` steps: inputs[t] = u(t), targets[t] = y(t + 1) (the model sees u(t),
 * which y(t + 1) depends on, before it answers). y and u are 0 before the first step and
 * the first 200 steps are dropped. With u in [0, 0.5] the recursion stays bounded (y stays
 * near 0.1 to 1) for almost every draw; if a draw makes it blow up (|y| > 10), the series
 * is drawn again from where the generator stands, so a seed always gives the same series.
 * Plain JavaScript: needs no `init()`, and gives the same numbers before and after it.
 */
export function narma10(length: number, seed = 0): SeriesTask {
  const what = 'narma10';
  const T = checkLength(length, what), random = new Random(checkSeed(seed, `${what}: seed`));
  // the series is built in float64 arrays in one go: a bound like mackeyGlass's, not a hang
  if (T > NARMA_MAX) throw new RnnError('BAD_ARGUMENT', `${what}: length ${T} is over the limit of 2^27 steps`);
  const total = T + NARMA_WARMUP;
  const u = new Float64Array(total), y = new Float64Array(total + 1);
  for (let attempt = 0; ; attempt++) {
    let ok = true;
    for (let t = 0; t < total; t++) u[t] = 0.5 * random.nextUnit();
    for (let t = 0; t < total && ok; t++) {
      let sum = 0;
      for (let i = 0; i < 10 && t - i >= 0; i++) sum += y[t - i];
      y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * sum + 1.5 * (t >= 9 ? u[t - 9] : 0) * u[t] + 0.1;
      ok = Math.abs(y[t + 1]) <= 10;
    }
    if (ok) break;
    if (attempt >= 100) throw new RnnError('BAD_ARGUMENT', `${what}: the series diverged in 100 draws (seed ${seed})`);
  }
  const inputs = new Float32Array(T), targets = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    inputs[t] = u[NARMA_WARMUP + t];
    targets[t] = y[NARMA_WARMUP + t + 1];
  }
  return { inputs: { data: inputs, shape: [T, 1] }, targets: { data: targets, shape: [T, 1] } };
}

/** Options of `mackeyGlass`. */
export interface MackeyGlassOptions {
  /** The delay (default 17: mildly chaotic; 30: more so). */
  tau?: number;
  /** The integration step (default 0.1); tau and sample must be whole multiples of it. */
  dt?: number;
  /** Time between two returned samples (default 1). */
  sample?: number;
  /** How many samples ahead the targets are (default 1). */
  horizon?: number;
  /** Seeds the constant initial history x(t <= 0), drawn in [0.5, 1.5) (default 0). */
  seed?: number;
}

/** Time units integrated and dropped before the returned window (the transient). */
const MG_TRANSIENT = 500;

/**
 * The Mackey-Glass series sampled every `sample` time units: inputs[t] = x(t), targets[t] =
 * x(t + horizon). Classical fourth-order Runge-Kutta with step dt; the delayed term at a half
 * step is the mean of the two neighbouring grid values (tau is a whole number of steps, so
 * x(t - tau) itself is on the grid). The first 500 time units are dropped. Plain JavaScript:
 * needs no `init()`, and gives the same numbers before and after it.
 */
export function mackeyGlass(length: number, options: MackeyGlassOptions = {}): SeriesTask {
  const what = 'mackeyGlass';
  const T = checkLength(length, what);
  if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `${what}: options must be an object, got ${describe(options)}`);
  checkOptions(options, ['tau', 'dt', 'sample', 'horizon', 'seed'], `${what}: options`);
  const { tau = 17, dt = 0.1, sample = 1, horizon = 1, seed = 0 } = options;
  for (const [key, v] of [['tau', tau], ['dt', dt], ['sample', sample]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RnnError('BAD_ARGUMENT', `${what}: options.${key} must be a finite number > 0, got ${describe(v)}`);
  }
  if (!Number.isSafeInteger(horizon) || horizon < 1) throw new RnnError('BAD_ARGUMENT', `${what}: options.horizon must be an integer >= 1, got ${describe(horizon)}`);
  const steps = (v: number, key: string) => {
    const k = Math.round(v / dt);
    if (k < 1 || Math.abs(k * dt - v) > 1e-9 * v) throw new RnnError('BAD_ARGUMENT', `${what}: options.${key} (${v}) must be a whole multiple of options.dt (${dt})`);
    return k;
  };
  const lag = steps(tau, 'tau'), every = steps(sample, 'sample');
  const skip = Math.ceil(MG_TRANSIENT / dt), n = skip + (T + horizon) * every;
  if (n > 2 ** 27) throw new RnnError('BAD_ARGUMENT', `${what}: length ${T} with sample / dt = ${every} needs ${n} integration steps, over the limit of 2^27`);
  const x0 = 0.5 + new Random(checkSeed(seed, `${what}: seed`)).nextUnit();
  // x[k] = x(k dt); history x(t <= 0) = x0 is read through past().
  const x = new Float64Array(n + 1);
  x[0] = x0;
  const past = (k: number) => (k >= 0 ? x[k] : x0);
  const f = (xt: number, xd: number) => (0.2 * xd) / (1 + xd ** 10) - 0.1 * xt;
  for (let k = 0; k < n; k++) {
    const d0 = past(k - lag), d1 = past(k + 1 - lag), dh = 0.5 * (d0 + d1), xk = x[k];
    const k1 = f(xk, d0);
    const k2 = f(xk + 0.5 * dt * k1, dh);
    const k3 = f(xk + 0.5 * dt * k2, dh);
    const k4 = f(xk + dt * k3, d1);
    x[k + 1] = xk + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  const inputs = new Float32Array(T), targets = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    inputs[t] = x[skip + t * every];
    targets[t] = x[skip + (t + horizon) * every];
  }
  return { inputs: { data: inputs, shape: [T, 1] }, targets: { data: targets, shape: [T, 1] } };
}
