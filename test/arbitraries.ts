// What the property suites (properties-*.test.ts) generate and how they check it: random
// recurrent-layer configurations that the constructors accept, the inputs of one forward and
// backward over them, the float64 reference of test/reference/variants64.ts driven with the
// same data (batchFirst, unbatched input and `reverse` mapped onto its time-major,
// forward-in-time form), finite differences that tolerate the kinks of relu / hard sigmoid /
// cellClip, and byte snapshots for "bit-identical" and "left exactly as it was".
//
// Sizes are kept small (inputSize <= 4, hiddenSize <= 5, numLayers <= 3, T <= 5, B <= 3) so
// a case costs milliseconds and the float64 finite differences stay cheap.
import fc from 'fast-check';
import { CEC, GRU, LSTM, RNN, type Tensor } from '../src/node.js';
import type { RecurrentLayer } from '../src/rnn/layer.js';
import { gradCheck } from './reference/rnn64.js';
import { variantForward64, type Act64, type VariantConfig, type VariantResult } from './reference/variants64.js';
import { randomArray } from './helpers.js';
// @ts-expect-error: plain JavaScript shared with the other runtimes
import { rng } from './smoke/smoke.js';

export type Kind = 'RNN' | 'LSTM' | 'GRU' | 'CEC';

/** A layer's constructor options and the one forward / backward run over it. */
export interface LayerCase {
  kind: Kind;
  /** Exactly what goes to the constructor (keys left out are absent, not undefined). */
  options: Record<string, unknown>;
  T: number;
  /** 1 when unbatched. */
  B: number;
  /** x is [T, inputSize] and the states drop the batch axis. */
  unbatched: boolean;
  lengths?: number[];
  /** Pass an initial h / c (else zeros). */
  h0: boolean;
  c0: boolean;
  /** Pass dOutput (else null) / a gradient of the final h / of the final c. */
  dOut: boolean;
  dH: boolean;
  dC: boolean;
  /** Seed of every array of the case; inputs scaled by `scale`. */
  dataSeed: number;
  scale: number;
}

// ---- configurations ---------------------------------------------------------------------

const activation: fc.Arbitrary<Act64> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Act64>('sigmoid', 'tanh', 'relu', 'hardSigmoid') },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('hardSigmoid' as const),
      alpha: fc.constantFrom(0.1, 1 / 6, 0.25, 0.5),
      beta: fc.constantFrom(0.3, 0.5, 0.6),
    }),
  },
);

/** An optional value: absent (undefined, dropped from the options) about half the time. */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Options without the keys whose value is undefined. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function rnnOptions(H: number): fc.Arbitrary<Record<string, unknown>> {
  const perUnit = fc.array(fc.constantFrom(1, 1.5, 2, 4, 10), { minLength: H, maxLength: H });
  return fc.record({
    nonlinearity: maybe(activation),
    tau: maybe(fc.oneof(fc.constantFrom(1, 1.25, 3), perUnit)),
    trainTau: maybe(fc.boolean()),
    delays: maybe(fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })),
    identityRecurrence: maybe(fc.boolean()),
  }).map((o) => defined({ ...o, trainTau: o.tau === undefined ? undefined : o.trainTau }));
}

function lstmOptions(H: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    projSize: H >= 2 ? maybe(fc.integer({ min: 0, max: H - 1 })) : fc.constant(undefined),
    peepholes: maybe(fc.boolean()),
    forgetGate: maybe(fc.boolean()),
    coupled: maybe(fc.boolean()),
    cellClip: maybe(fc.constantFrom(0, 0.5, 1, 3)),
    forgetBias: maybe(fc.constantFrom(0, 1, 2)),
    gateRecurrence: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.boolean() }),
    gateActivation: maybe(activation),
    cellActivation: maybe(activation),
    hiddenActivation: maybe(activation),
  }).map((o) => {
    // the constructor's rules: coupled needs a forget gate, forgetBias a forget gate of its
    // own, gateRecurrence the plain cell with the default activations
    if (o.forgetGate === false) o.coupled = undefined;
    if (o.forgetGate === false || o.coupled) o.forgetBias = undefined;
    if (o.gateRecurrence) {
      o.peepholes = o.coupled = o.forgetGate = o.cellClip = undefined;
      o.gateActivation = o.cellActivation = o.hiddenActivation = undefined;
    }
    return defined(o);
  });
}

const gruOptions: fc.Arbitrary<Record<string, unknown>> = fc.record({
  minimal: maybe(fc.boolean()),
  resetAfter: maybe(fc.boolean()),
  gateActivation: maybe(activation),
  cellActivation: maybe(activation),
}).map((o) => defined({ ...o, resetAfter: o.minimal && o.resetAfter ? undefined : o.resetAfter }));

/** Cell-specific options for a kind and hidden size. */
function cellOptions(kind: Kind, H: number): fc.Arbitrary<Record<string, unknown>> {
  if (kind === 'RNN') return rnnOptions(H);
  if (kind === 'LSTM') return lstmOptions(H);
  if (kind === 'GRU') return gruOptions;
  return fc.constant({});
}

export interface ConfigLimits {
  /** Only layers whose stream() works: forward in time, one direction, delays [1]. */
  streamable?: boolean;
  kinds?: readonly Kind[];
}

/** Constructor options of a layer the constructors accept: every option of every cell. */
export function layerConfig(limits: ConfigLimits = {}): fc.Arbitrary<{ kind: Kind; options: Record<string, unknown> }> {
  return fc.record({
    kind: fc.constantFrom(...(limits.kinds ?? ['RNN', 'LSTM', 'GRU', 'CEC'] as const)),
    inputSize: fc.integer({ min: 1, max: 4 }),
    hiddenSize: fc.integer({ min: 1, max: 5 }),
    numLayers: maybe(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.constant(3) })),
    bias: maybe(fc.boolean()),
    batchFirst: maybe(fc.boolean()),
    bidirectional: limits.streamable ? fc.constant(undefined) : maybe(fc.boolean()),
    reverse: limits.streamable ? fc.constant(undefined) : maybe(fc.boolean()),
    init: maybe(fc.constantFrom('pytorch', 'xavier', 'orthogonal', 'identity')),
    initScale: maybe(fc.constantFrom(0.5, 0.8, 1)),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }).chain((common) => cellOptions(common.kind, common.hiddenSize).map((cell) => {
    const { kind, ...rest } = common;
    if (rest.bidirectional) rest.reverse = undefined;
    if (limits.streamable && Array.isArray(cell.delays)) cell.delays = undefined;
    return { kind, options: defined({ ...rest, ...cell }) };
  }));
}

/** A configuration and the data of one forward and backward over it. */
export function layerCase(limits: ConfigLimits = {}): fc.Arbitrary<LayerCase> {
  return layerConfig(limits).chain(({ kind, options }) => fc.record({
    T: fc.integer({ min: 1, max: 5 }),
    B: fc.integer({ min: 1, max: 3 }),
    unbatched: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    withLengths: fc.boolean(),
    h0: fc.boolean(),
    c0: fc.boolean(),
    dOut: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    dH: fc.boolean(),
    dC: fc.boolean(),
    dataSeed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    scale: fc.constantFrom(0.5, 1, 2),
  }).chain((r) => {
    const B = r.unbatched ? 1 : r.B;
    const lengths = r.withLengths
      ? fc.array(fc.integer({ min: 1, max: r.T }), { minLength: B, maxLength: B })
      : fc.constant(undefined);
    return lengths.map((l): LayerCase => {
      const c: LayerCase = { kind, options, T: r.T, B, unbatched: r.unbatched, h0: r.h0, c0: r.c0, dOut: r.dOut, dH: r.dH, dC: r.dC, dataSeed: r.dataSeed, scale: r.scale };
      if (l) c.lengths = l;
      return c;
    });
  }));
}

export function buildLayer(kind: Kind, options: Record<string, unknown>): RecurrentLayer {
  if (kind === 'LSTM') return new LSTM(options as never);
  if (kind === 'GRU') return new GRU(options as never);
  if (kind === 'CEC') return new CEC(options as never);
  return new RNN(options as never);
}

/** The short description printed with a counterexample. */
export function describeCase(c: LayerCase): string {
  const extra = [`T=${c.T}`, `B=${c.B}`, c.unbatched && 'unbatched', c.lengths && `lengths [${c.lengths}]`, c.h0 && 'h0', c.c0 && 'c0',
    !c.dOut && 'dOutput null', c.dH && 'dH', c.dC && 'dC', `data ${c.dataSeed}x${c.scale}`].filter(Boolean);
  return `new ${c.kind}(${JSON.stringify(c.options)}) ${extra.join(' ')}`;
}

// ---- the data of a case, time-major float64 and as the layer takes it -------------------

/** Sizes that follow from a case's options. */
export function sizesOf(c: LayerCase) {
  const o = c.options, D = o.inputSize as number, H = o.hiddenSize as number, L = (o.numLayers as number | undefined) ?? 1;
  const dirs = o.bidirectional ? 2 : 1, P = (c.kind === 'LSTM' && (o.projSize as number | undefined)) || H;
  return { D, H, L, dirs, P, hasCell: c.kind === 'LSTM' || c.kind === 'CEC', batchFirst: o.batchFirst === true };
}

/** Every array of a case, float64 (values rounded to float32), time-major as the reference takes them. */
export interface CaseData {
  x: Float64Array; // [T, B, D]
  h0: Float64Array; // [L dirs, B, P] (zeros unless c.h0)
  c0: Float64Array; // [L dirs, B, H] (zeros unless c.c0)
  dOut: Float64Array; // [T, B, dirs P] (zeros unless c.dOut)
  dH: Float64Array; // [L dirs, B, P]
  dC: Float64Array; // [L dirs, B, H]
}

export function caseData(c: LayerCase): CaseData {
  const { D, H, L, dirs, P } = sizesOf(c), T = c.T, B = c.B, n = L * dirs * B, s = c.dataSeed;
  const maybeArray = (on: boolean, seed: number, size: number) => (on ? randomArray(seed, size) : new Float64Array(size));
  return {
    x: randomArray(s, T * B * D, c.scale),
    h0: maybeArray(c.h0, s + 1, n * P),
    c0: maybeArray(c.c0, s + 2, n * H),
    dOut: maybeArray(c.dOut, s + 3, T * B * dirs * P),
    dH: maybeArray(c.dH, s + 4, n * P),
    dC: maybeArray(c.dC, s + 5, n * H),
  };
}

/** [T, B, W] time-major to [B, T, W] or back (swapping the two leading axes). */
export function swapTB(a: ArrayLike<number>, T: number, B: number, W: number): Float32Array {
  const out = new Float32Array(T * B * W);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let w = 0; w < W; w++) out[(b * T + t) * W + w] = a[(t * B + b) * W + w];
  return out;
}

/** A time-major [T, B, W] array as the layer takes a sequence: [B, T, W] with batchFirst, [T, W] unbatched. */
export function sequenceIn(c: LayerCase, a: Float64Array, W: number): Tensor {
  const { batchFirst } = sizesOf(c);
  if (c.unbatched) return { data: Float32Array.from(a), shape: [c.T, W] };
  if (batchFirst) return { data: swapTB(a, c.T, c.B, W), shape: [c.B, c.T, W] };
  return { data: Float32Array.from(a), shape: [c.T, c.B, W] };
}

/** A sequence the layer returned, back to time-major [T, B, W]. */
export function sequenceOut(c: LayerCase, t: Tensor, W: number): Float32Array {
  return !c.unbatched && sizesOf(c).batchFirst ? swapTB(t.data, c.B, c.T, W) : t.data;
}

/** A state [L dirs, B, W] as the layer takes it ([L dirs, W] unbatched). */
export function stateIn(c: LayerCase, a: Float64Array, W: number): Tensor {
  const { L, dirs } = sizesOf(c);
  return { data: Float32Array.from(a), shape: c.unbatched ? [L * dirs, W] : [L * dirs, c.B, W] };
}

// ---- the float64 reference ----------------------------------------------------------------

/** The reference's configuration for a case's options. */
export function referenceConfig(c: LayerCase): VariantConfig {
  const o = c.options, { H } = sizesOf(c);
  const cfg: Record<string, unknown> = {
    kind: c.kind, inputSize: o.inputSize, hiddenSize: H, numLayers: o.numLayers ?? 1,
    bias: o.bias ?? true, bidirectional: o.bidirectional ?? false,
  };
  for (const key of ['nonlinearity', 'trainTau', 'delays', 'identityRecurrence', 'projSize', 'peepholes', 'forgetGate', 'coupled',
    'cellClip', 'gateRecurrence', 'gateActivation', 'cellActivation', 'hiddenActivation', 'resetAfter', 'minimal']) {
    if (o[key] !== undefined) cfg[key] = o[key];
  }
  if (o.tau !== undefined) cfg.tau = typeof o.tau === 'number' ? new Array(H).fill(o.tau) : o.tau;
  return cfg as unknown as VariantConfig;
}

/**
 * Each row's first len[b] steps of a time-major [T, B, W] array in reverse order (padded
 * steps stay where they are). A `reverse` layer is this map, the forward-in-time stack, and
 * this map again: each layer reverses its input's valid steps, runs forward and reverses
 * back, and the inner pairs of reversals cancel.
 */
function flipRows(a: Float64Array, T: number, B: number, W: number, len: number[]): Float64Array {
  const out = a.slice();
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < len[b]; t++) {
      const from = (t * B + b) * W, to = ((len[b] - 1 - t) * B + b) * W;
      out.set(a.subarray(from, from + W), to);
    }
  }
  return out;
}

/** The reference forward of a case with the given parameters and data. */
export function referenceForward(c: LayerCase, params: Record<string, Float64Array>, d: CaseData): VariantResult {
  const cfg = referenceConfig(c), { D, dirs, P } = sizesOf(c), T = c.T, B = c.B;
  if (!c.options.reverse) return variantForward64(cfg, params, d.x, T, B, d.h0, sizesOf(c).hasCell ? d.c0 : undefined, c.lengths);
  const len = c.lengths ?? new Array(B).fill(T);
  const r = variantForward64(cfg, params, flipRows(d.x, T, B, D, len), T, B, d.h0, sizesOf(c).hasCell ? d.c0 : undefined, c.lengths);
  return { ...r, output: flipRows(r.output, T, B, dirs * P, len) };
}

/**
 * sum(output dOut) + sum(h_n dH) [+ sum(c_n dC)], the loss whose gradient backward computes,
 * and the sum of the magnitudes of its terms (the scale of its rounding error).
 */
export function referenceLoss(c: LayerCase, params: Record<string, Float64Array>, d: CaseData): { value: number; scale: number } {
  const r = referenceForward(c, params, d);
  let value = 0, scale = 0;
  const add = (a: Float64Array, b: Float64Array) => { for (let i = 0; i < a.length; i++) { value += a[i] * b[i]; scale += Math.abs(a[i] * b[i]); } };
  add(r.output, d.dOut);
  add(r.h_n, d.dH);
  if (r.c_n) add(r.c_n, d.dC);
  return { value, scale };
}

/** Whether a case has a kink (relu, hard sigmoid, cellClip) that a finite difference can straddle. */
export function hasKinks(c: LayerCase): boolean {
  const o = c.options, acts = [o.nonlinearity, o.gateActivation, o.cellActivation, o.hiddenActivation];
  return acts.some((a) => a === 'relu' || a === 'hardSigmoid' || (typeof a === 'object' && a !== null)) || (o.cellClip as number) > 0 ||
    (c.kind === 'RNN' && o.trainTau === true); // max(tau, 1)
}

export interface GradCheck {
  /** Worst |ours - fd| / (1 + |fd|) over the entries the central difference accepted within tol. */
  worst: number;
  /** Entries accepted only within the rounding noise (of the difference, or of our float32 sums). */
  noisy: number;
  /** Entries accepted by a one-sided difference (a kink within the central step). */
  kinks: number;
  /**
   * Entries at a point where the loss is not differentiable along that coordinate (the two
   * one-sided differences disagree, as at a relu input of exactly 0, which stacked relu gates
   * with zero biases produce): no derivative to compare with, so not counted as checked.
   */
  nondifferentiable: number;
  checked: number;
  failures: string[];
}

/**
 * Our gradients against central differences (step 1e-6) of `loss` at `per` sampled entries of
 * every target (always the first and the last): |ours - fd| <= tol * (1 + |fd|) + noise, where
 * noise is the rounding of either side: 1e-15 * scale / step for the float64 difference
 * (scale: the sum of the magnitudes of the loss's terms at the unperturbed point), and
 * 2^-20 (16 float32 ulps) of the largest of our gradients in the same tensor, since an entry
 * that is a small difference of large terms (a bidirectional CEC's, say) keeps only float32's
 * digits of those terms. For the usual O(1) gradients the noise is below 1e-6. Where that
 * fails and `kinked`, a kink of relu / hard sigmoid / clip may lie within the step, or exactly
 * at the point: the one-sided differences (step 1e-7) on both sides decide. The entry passes
 * if either is within the tolerance (the derivative on the kink-free side is what backward
 * computes), and is skipped if they disagree with each other (the loss has no derivative
 * there; backward takes PyTorch's relu'(0) = 0); otherwise it fails.
 */
export function checkGradients(lossWithScale: () => { value: number; scale: number }, targets: [string, Float64Array, Float32Array][],
  tol: number, kinked: boolean, seed: number, per = 3): GradCheck {
  const next: () => number = rng(seed);
  const out: GradCheck = { worst: 0, noisy: 0, kinks: 0, nondifferentiable: 0, checked: 0, failures: [] };
  const loss = () => lossWithScale().value, scale = lossWithScale().scale;
  let f32Noise = 0;
  const noise = (step: number) => (1e-15 * scale) / step + f32Noise;
  const close = (a: number, b: number, step: number) => Math.abs(a - b) <= tol * (1 + Math.abs(b)) + noise(step);
  for (const [name, values, ours] of targets) {
    const n = values.length;
    if (n === 0) continue;
    f32Noise = 2 ** -20 * ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const at = [...new Set([0, n - 1, ...Array.from({ length: Math.max(0, per - 2) }, () => Math.floor(((next() + 1) / 2) * n))])];
    const fd = gradCheck(loss, values, at);
    at.forEach((i, k) => {
      if (close(ours[i], fd[k], 1e-6)) {
        const err = Math.abs(ours[i] - fd[k]) / (1 + Math.abs(fd[k]));
        if (err <= tol) out.worst = Math.max(out.worst, err);
        else out.noisy++;
        out.checked++;
        return;
      }
      if (kinked) {
        const saved = values[i], h = 1e-7, f0 = loss();
        const side = [1, -1].map((s) => {
          values[i] = saved + s * h;
          const d = (loss() - f0) / (s * h);
          values[i] = saved;
          return d;
        });
        if (side.some((d) => close(ours[i], d, h))) { out.kinks++; out.checked++; return; }
        if (!close(side[0], side[1], h / 2)) { out.nondifferentiable++; return; }
      }
      out.checked++;
      out.failures.push(`${name}[${i}]: ours ${ours[i]}, central difference ${fd[k]}`);
    });
  }
  return out;
}

// ---- bytes --------------------------------------------------------------------------------

/** The bytes of float arrays, for bit-for-bit comparisons (NaN payloads and -0 included). */
export function bytesOf(...arrays: (Float32Array | Int32Array | null | undefined)[]): number[][] {
  return arrays.map((a) => (a ? Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))) : []));
}

/** Bytes of every tensor of a dict, keyed by name. */
export function dictBytes(d: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(d).map(([k, t]) => [k, [...t.shape, -1, ...bytesOf(t.data)[0]]]));
}
