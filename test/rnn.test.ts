// The leaky-integration kernels (assembly/rnn.ts) against float64 formulas written here,
// forward (also in place, h = h_prev) and backward (with and without dalpha), at every tile
// edge of H (TILE_SIZES) and B = 1, 3, both builds, SIMD and scalar twin; the twins
// bit-identical to the SIMD kernels in the baseline build.
import { TILE_SIZES, randomArray } from './helpers.js';
import { kernelSuite, type Case } from './kernel-cases.js';

const SHAPES = [1, 3].flatMap((B) => TILE_SIZES.map((H) => ({ B, H })));
/** alpha = 1/tau in (0, 1]. */
const alphas = (seed: number, H: number) => Float64Array.from(randomArray(seed, H), (v) => Math.fround(0.5 + 0.5 * Math.abs(v) + 1e-3));

function leakyFwd(): Case[] {
  return SHAPES.map(({ B, H }, s) => {
    const h_prev = randomArray(s, B * H), a = randomArray(s + 1, B * H), alpha = alphas(s + 2, H);
    const h = Float64Array.from(h_prev, (p, k) => p + alpha[k % H] * (a[k] - p));
    return { label: `B=${B} H=${H}`, inputs: { h: new Float64Array(B * H), h_prev, a, alpha, B, H }, want: { h } };
  });
}

function leakyBwd(): Case[] {
  return SHAPES.flatMap(({ B, H }, s) => [true, false].map((withAlpha) => {
    const a = randomArray(s, B * H), h_prev = randomArray(s + 1, B * H), alpha = alphas(s + 2, H);
    const dh = randomArray(s + 3, B * H), dprev = randomArray(s + 4, B * H), da = randomArray(s + 5, B * H);
    const dalpha = randomArray(s + 6, H);
    const wda = Float64Array.from(dh, (d, k) => d * alpha[k % H]);
    const wdprev = Float64Array.from(dprev, (p, k) => p + dh[k] * (1 - alpha[k % H]));
    const wdalpha = Float64Array.from(dalpha);
    for (let k = 0; k < B * H; k++) wdalpha[k % H] += dh[k] * (a[k] - h_prev[k]);
    return { label: `B=${B} H=${H} dalpha=${withAlpha ? 'yes' : '0'}`,
      inputs: { da, dprev, dh, dalpha: withAlpha ? dalpha : 0, a, h_prev, alpha, B, H },
      want: { da: wda, dprev: wdprev, ...(withAlpha ? { dalpha: wdalpha } : {}) } };
  }));
}

kernelSuite('rnn', { leaky_fwd: leakyFwd, leaky_bwd: leakyBwd });
