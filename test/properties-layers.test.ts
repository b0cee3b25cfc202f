// Property: for random configurations of every cell and option the constructors accept
// (test/arbitraries.ts: RNN activations, tau, trained tau, delays, identity recurrence; LSTM
// projections, peepholes, no forget gate, coupled gates, cellClip, forgetBias, gate recurrence,
// activations; GRU reset-before and minimal; CEC; sizes, 1 to 3 layers, bidirectional,
// reverse, init schemes, bias: false, batchFirst, unbatched input, packed lengths, initial
// states), one forward and one backward agree with the float64 reference of
// test/reference/variants64.ts:
//   forward: output, h_n and c_n within |ours - ref| <= 1e-5 (1 + |ref|);
//   backward: the gradients of L = sum(output dOut) + sum(h_n dH) [+ sum(c_n dC)] (each
//   upstream gradient present or absent at random) with respect to x, h0, c0 and every
//   parameter, at three sampled entries of each, against central differences of the
//   reference: |ours - fd| <= 2e-5 (1 + |fd|) + noise, where noise = 1e-9 S + 2^-20 G bounds
//   the rounding of the float64 difference at step 1e-6 (S: the sum of the magnitudes of the
//   loss's terms) and of our float32 sums (G: the largest of our gradients in that tensor; an
//   entry that is a small difference of large terms keeps only float32's digits of them).
//   For the usual O(1) gradients the noise is below 1e-6; the entries that needed it are
//   counted.
// Unbounded activations (relu gates or candidates) occasionally blow the states up (about 1
// case in 1000 beyond 100): float32 then keeps only 2^-24 of the largest value in every sum
// (h = n + z (h_prev - n), PyTorch's form, loses a small h_prev next to a huge n), so such a
// case's forward is checked within 1e-5 (1 + |ref|) + 2^-18 max|ref| and its gradients are not
// compared; beyond 1e6 (products of such states overflow float32, as they would in PyTorch)
// the case is not compared at all. Both counts are printed.
// These are the tolerances of variants.suite.ts (1e-5 forward, 2e-5 gradients, the latter
// also covering rnn-gradcheck.test.ts's 1e-5); the forward bound is made relative above 1
// because random configurations (identity init, relu, three layers) reach values above 1.
// Where a kink of relu / hard sigmoid / cellClip / max(tau, 1) falls within the central step,
// a one-sided difference on the kink-free side decides; an entry where the loss has no
// derivative at all (a relu input of exactly 0: the one-sided differences disagree) is skipped
// and counted (checkGradients). Case counts and the
// measured worst errors are printed; SIMD_RNN_RUNS / SIMD_RNN_SEED (property-config.ts)
// scale and reseed the run.
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { init } from '../src/node.js';
import {
  buildLayer, caseData, checkGradients, describeCase, hasKinks, layerCase, referenceForward, referenceLoss,
  sequenceIn, sequenceOut, sizesOf, stateIn, type LayerCase,
} from './arbitraries.js';
import { SEED, RUNS_FACTOR, fcParams } from './property-config.js';

const FORWARD_TOL = 1e-5, GRADIENT_TOL = 2e-5, LARGE = 100, HUGE = 1e6;
const RUNS = 150;

console.log(`properties-layers: seed ${SEED}, runs x${RUNS_FACTOR}`);

beforeAll(async () => { await init(); });

/** Worst relative forward error of one case; throws with the case on a mismatch. */
function runCase(c: LayerCase, stats: { forward: number; gradient: number; large: number; huge: number; kinks: number; noisy: number; nondifferentiable: number; entries: number; cases: number }): void {
  const { D, H, P, dirs, hasCell } = sizesOf(c);
  const d = caseData(c);
  const layer = buildLayer(c.kind, c.options);
  try {
    const state = { h: c.h0 ? stateIn(c, d.h0, P) : undefined, c: c.c0 && hasCell ? stateIn(c, d.c0, H) : undefined };
    const fwd = layer.forward(sequenceIn(c, d.x, D), state, { train: true, lengths: c.lengths });
    const back = layer.backward(c.dOut ? sequenceIn(c, d.dOut, dirs * P) : null, {
      h: c.dH ? stateIn(c, d.dH, P) : undefined,
      c: c.dC && hasCell ? stateIn(c, d.dC, H) : undefined,
    });
    const grads = layer.grads();
    const params: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(layer.stateDict())) params[k] = Float64Array.from(v.data);
    if (!c.dC || !hasCell) d.dC.fill(0);

    const ref = referenceForward(c, params, d);
    // the largest value reached; above LARGE, float32 keeps only 2^-24 of it in every sum
    let M = 0;
    for (const a of [ref.output, ref.h_n, ref.c_n ?? []]) for (const v of a) M = Math.max(M, Math.abs(v));
    if (M > HUGE) { stats.huge++; return; }
    const large = M > LARGE, slack = large ? 2 ** -18 * M : 0;
    let fwdErr = 0;
    const bad: string[] = [];
    const cmp = (name: string, ours: ArrayLike<number>, want: Float64Array) => {
      expect(ours.length, name).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        const e = Math.abs(ours[i] - want[i]);
        if (!(e <= FORWARD_TOL * (1 + Math.abs(want[i])) + slack)) bad.push(`${name}[${i}]: ours ${ours[i]}, reference ${want[i]}`);
        else if (!large) fwdErr = Math.max(fwdErr, e / (1 + Math.abs(want[i])));
      }
    };
    cmp('output', sequenceOut(c, fwd.output, dirs * P), ref.output);
    cmp('h', fwd.h.data, ref.h_n);
    if (ref.c_n) cmp('c', fwd.c!.data, ref.c_n);
    expect(bad.slice(0, 6), describeCase(c)).toEqual([]);
    stats.cases++;
    if (large) { stats.large++; return; }

    const targets: [string, Float64Array, Float32Array][] = [
      ['x', d.x, sequenceOut(c, back.dx!, D)],
      ['h0', d.h0, back.dh0.data],
    ];
    if (hasCell) targets.push(['c0', d.c0, back.dc0!.data]);
    for (const [k, v] of Object.entries(params)) targets.push([k, v, grads[k].data]);
    const g = checkGradients(() => referenceLoss(c, params, d), targets, GRADIENT_TOL, hasKinks(c), c.dataSeed);
    expect(g.failures.slice(0, 6), describeCase(c)).toEqual([]);
    stats.forward = Math.max(stats.forward, fwdErr);
    stats.gradient = Math.max(stats.gradient, g.worst);
    stats.kinks += g.kinks;
    stats.noisy += g.noisy;
    stats.nondifferentiable += g.nondifferentiable;
    stats.entries += g.checked;
  } finally {
    layer.dispose();
  }
}

describe('random configurations against the float64 reference', () => {
  test(`forward within ${FORWARD_TOL} and every gradient within ${GRADIENT_TOL} of finite differences`, () => {
    const stats = { forward: 0, gradient: 0, large: 0, huge: 0, kinks: 0, noisy: 0, nondifferentiable: 0, entries: 0, cases: 0 };
    fc.assert(fc.property(layerCase(), (c) => { runCase(c, stats); }), fcParams(RUNS));
    console.log(`properties-layers: ${stats.cases} cases, worst forward |ours - ref| / (1 + |ref|) = ${stats.forward.toExponential(2)}, ` +
      `worst gradient |ours - fd| / (1 + |fd|) = ${stats.gradient.toExponential(2)} over ${stats.entries} entries ` +
      `(${stats.noisy} within the rounding noise only, ${stats.kinks} decided by a one-sided difference at a kink; ` +
      `${stats.nondifferentiable} more skipped at points without a derivative); ${stats.large} cases with states beyond ${LARGE}: forward only, ${stats.huge} beyond ${HUGE}: not compared`);
  });
});
