// The LSTM kernels (assembly/lstm.ts) against float64 formulas written here, forward and
// backward, at every tile edge of H (TILE_SIZES) and B = 1, 3, both builds, SIMD and scalar
// twin; the variants in every mode, with and without peepholes and clip; the twins
// bit-identical to the SIMD kernels in the baseline build; lstma_* with other activations in
// every mode.
import { TILE_SIZES, randomArray } from './helpers.js';
import { call, kernelSuite, sigmoid, type Case, type Context } from './kernel-cases.js';
import type { Kernels } from '../src/kernels.js';

const SHAPES = [1, 3].flatMap((B) => TILE_SIZES.map((H) => ({ B, H })));
const f32 = Math.fround;
const clipTo = (v: number, clip: number) => Math.min(Math.max(v, -clip), clip);

/** Values in (0, 1) (saved sigmoid outputs) or (-1, 1) (saved tanh outputs), f32. */
const open01 = (seed: number, n: number) => Float64Array.from(randomArray(seed, n), (v) => f32(0.5 + 0.49 * v));
const open11 = (seed: number, n: number) => Float64Array.from(randomArray(seed, n), (v) => f32(0.99 * v));

function lstmFwd(): Case[] {
  return SHAPES.map(({ B, H }, s) => {
    const gates = randomArray(s, 4 * B * H, 4), c_prev = randomArray(s + 1, B * H, 2);
    const post = new Float64Array(gates.length), c = new Float64Array(B * H), t = new Float64Array(B * H), h = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = 4 * H * b + j, k = b * H + j;
      const i = sigmoid(gates[g0]), f = sigmoid(gates[g0 + H]), g = Math.tanh(gates[g0 + 2 * H]), o = sigmoid(gates[g0 + 3 * H]);
      post[g0] = i; post[g0 + H] = f; post[g0 + 2 * H] = g; post[g0 + 3 * H] = o;
      c[k] = f * c_prev[k] + i * g; t[k] = Math.tanh(c[k]); h[k] = o * t[k];
    }
    return { label: `B=${B} H=${H}`, inputs: { gates, c_prev, c: new Float64Array(B * H), tanh_c: new Float64Array(B * H), h: new Float64Array(B * H), B, H },
      want: { gates: post, c, tanh_c: t, h } };
  });
}

function lstmBwd(): Case[] {
  return SHAPES.map(({ B, H }, s) => {
    const gates = open01(s, 4 * B * H), c_prev = randomArray(s + 1, B * H, 2), tanh_c = open11(s + 2, B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[4 * H * b + 2 * H + j] = f32(2 * gates[4 * H * b + 2 * H + j] - 1);
    const dc = randomArray(s + 3, B * H), dh = randomArray(s + 4, B * H), dgates = randomArray(s + 5, 4 * B * H);
    const wdg = new Float64Array(dgates.length), wdc = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = 4 * H * b + j, k = b * H + j;
      const i = gates[g0], f = gates[g0 + H], g = gates[g0 + 2 * H], o = gates[g0 + 3 * H], t = tanh_c[k];
      const dct = dc[k] + dh[k] * o * (1 - t * t);
      wdg[g0] = dct * g * i * (1 - i); wdg[g0 + H] = dct * c_prev[k] * f * (1 - f);
      wdg[g0 + 2 * H] = dct * i * (1 - g * g); wdg[g0 + 3 * H] = dh[k] * t * o * (1 - o);
      wdc[k] = dct * f;
    }
    return { label: `B=${B} H=${H}`, inputs: { dgates, dc, dh, gates, c_prev, tanh_c, B, H }, want: { dgates: wdg, dc: wdc } };
  });
}

// Variants: mode 0 (i f g o), 1 (no forget gate: i g o), 2 (coupled: i g o, f = 1 - i).
const VARIANTS = [0, 1, 2].flatMap((mode) => [false, true].flatMap((peep) => [Infinity, 1.5].map((clip) => ({ mode, peep, clip }))));
const VARIANT_SHAPES = [{ B: 1, H: 1 }, { B: 3, H: 3 }, { B: 1, H: 4 }, { B: 3, H: 5 }, { B: 2, H: 8 }, { B: 2, H: 33 }];

interface Variant { mode: number; peep: boolean; clip: number }

/** Float64 forward of a variant; pre-activations (pre) as the kernel clips them. */
function lstmxRef(v: Variant, B: number, H: number, gates: ArrayLike<number>, c_prev: ArrayLike<number>, peep: ArrayLike<number> | null) {
  const G = v.mode === 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = v.mode === 0 ? 2 * H : H;
  const post = Float64Array.from(gates), pre = new Float64Array(gates.length);
  const c = new Float64Array(B * H), t = new Float64Array(B * H), h = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const g0 = G * H * b + j, k = b * H + j, cp = c_prev[k];
    pre[g0] = gates[g0] + (peep ? peep[j] * cp : 0);
    const i = sigmoid(clipTo(pre[g0], v.clip));
    let f = 1;
    if (v.mode === 0) { pre[g0 + H] = gates[g0 + H] + (peep ? peep[H + j] * cp : 0); f = sigmoid(clipTo(pre[g0 + H], v.clip)); }
    if (v.mode === 2) f = 1 - i;
    pre[g0 + ig] = gates[g0 + ig];
    const g = Math.tanh(clipTo(pre[g0 + ig], v.clip));
    c[k] = f * cp + i * g;
    pre[g0 + io] = gates[g0 + io] + (peep ? peep[ipo + j] * c[k] : 0);
    const o = sigmoid(clipTo(pre[g0 + io], v.clip));
    t[k] = Math.tanh(c[k]); h[k] = o * t[k];
    post[g0] = i; if (v.mode === 0) post[g0 + H] = f; post[g0 + ig] = g; post[g0 + io] = o;
  }
  return { post, pre, c, t, h };
}

/** Pre-activations in [-4, 4], none within 0.01 of +-clip, so clipped or not is clear-cut. */
function preActivations(seed: number, n: number, clip: number): Float64Array {
  return Float64Array.from(randomArray(seed, n, 4), (x) => (Math.abs(Math.abs(x) - clip) < 0.01 ? f32(x * 0.9) : x));
}

function lstmxFwd(): Case[] {
  return VARIANTS.flatMap((v) => VARIANT_SHAPES.map(({ B, H }, s) => {
    const G = v.mode === 0 ? 4 : 3;
    const gates = preActivations(s, G * B * H, v.clip), c_prev = randomArray(s + 1, B * H, 2);
    const peep = v.peep ? randomArray(s + 2, (G - 1) * H, 0.5) : null;
    const r = lstmxRef(v, B, H, gates, c_prev, peep);
    const z = () => new Float64Array(B * H);
    return { label: `mode=${v.mode} peep=${v.peep} clip=${v.clip} B=${B} H=${H}`,
      inputs: { gates, c_prev, c: z(), tanh_c: z(), h: z(), peep: peep ?? 0, B, H, mode: v.mode, clip: v.clip },
      want: { gates: r.post, c: r.c, tanh_c: r.t, h: r.h } };
  }));
}

// The saved state comes from the forward of the same build and form (kernel or twin), so the
// clipped gates hold exactly the values the backward recognises; the float64 backward takes
// the masks from the float64 pre-activations.
function lstmxBwd(ctx: Context): Case[] {
  const fwd = String(ctx.fn).replace('bwd', 'fwd') as keyof Kernels;
  return lstmxFwd().map((fc, s) => {
    const { B, H, mode, clip } = fc.inputs as { B: number; H: number; mode: number; clip: number };
    const v = { mode, clip, peep: fc.inputs.peep !== 0 };
    const G = mode === 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode === 0 ? 2 * H : H;
    const saved = call({ ...ctx, fn: fwd }, fc);
    const peep = v.peep ? (fc.inputs.peep as Float64Array) : null;
    const pre = lstmxRef(v, B, H, fc.inputs.gates as Float64Array, fc.inputs.c_prev as Float64Array, peep).pre;
    const gates = Float64Array.from(saved.gates), c_prev = fc.inputs.c_prev as Float64Array;
    const c = Float64Array.from(saved.c), tanh_c = Float64Array.from(saved.tanh_c);
    const dc = randomArray(s + 10, B * H), dh = randomArray(s + 11, B * H), dgates = randomArray(s + 12, G * B * H);
    const dpeep = peep ? randomArray(s + 13, (G - 1) * H) : null;
    const wdg = Float64Array.from(dgates), wdc = new Float64Array(B * H), wdp = dpeep ? Float64Array.from(dpeep) : null;
    const m = (x: number) => (Math.abs(x) > clip ? 0 : 1);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, cp = c_prev[k];
      const i = gates[g0], g = gates[g0 + ig], o = gates[g0 + io], t = tanh_c[k];
      const f = mode === 0 ? gates[g0 + H] : mode === 1 ? 1 : 1 - i;
      const d_o = m(pre[g0 + io]) * dh[k] * t * o * (1 - o);
      const dct = dc[k] + dh[k] * o * (1 - t * t) + (peep ? d_o * peep[ipo + j] : 0);
      const d_i = m(pre[g0]) * (mode === 2 ? dct * (g - cp) : dct * g) * i * (1 - i);
      const d_g = m(pre[g0 + ig]) * dct * i * (1 - g * g);
      const d_f = mode === 0 ? m(pre[g0 + H]) * dct * cp * f * (1 - f) : 0;
      wdg[g0] = d_i; wdg[g0 + ig] = d_g; wdg[g0 + io] = d_o; if (mode === 0) wdg[g0 + H] = d_f;
      wdc[k] = dct * f + (peep ? d_i * peep[j] + (mode === 0 ? d_f * peep[H + j] : 0) : 0);
      if (wdp) {
        wdp[j] += d_i * cp; wdp[ipo + j] += d_o * c[k];
        if (mode === 0) wdp[H + j] += d_f * cp;
      }
    }
    return { label: fc.label,
      inputs: { dgates, dc, dh, gates, c_prev, c, tanh_c, peep: peep ?? 0, dpeep: dpeep ?? 0, B, H, mode, clip },
      want: { dgates: wdg, dc: wdc, ...(wdp ? { dpeep: wdp } : {}) } };
  });
}

// Other activations (lstma_*): each combination of gate, cell and hidden activation below in
// every variant mode, with and without peepholes and clip. An activation is [id, alpha, beta]
// (ids as src/rnn/activations.ts: 0 sigmoid, 1 tanh, 2 relu, 3 hard sigmoid).
type Act = readonly [number, number, number];
const ACT_COMBOS: readonly (readonly [Act, Act, Act])[] = [
  [[3, 0.2, 0.5], [1, 0, 0], [1, 0, 0]],
  [[0, 0, 0], [2, 0, 0], [0, 0, 0]],
  [[1, 0, 0], [3, 0.3, 0.4], [2, 0, 0]],
  [[2, 0, 0], [0, 0, 0], [3, 1 / 6, 0.5]],
];
const actFn = ([id, a, b]: Act) => [sigmoid, Math.tanh, (x: number) => Math.max(x, 0), (x: number) => Math.max(0, Math.min(1, f32(a) * x + f32(b)))][id];
const actD = ([id, a]: Act, y: number) => [y * (1 - y), 1 - y * y, y > 0 ? 1 : 0, y > 0 && y < 1 ? f32(a) : 0][id];
const ACT_VARIANTS = ACT_COMBOS.flatMap((acts) => VARIANTS.map((v) => ({ ...v, acts })));
const ACT_SHAPES = [{ B: 1, H: 1 }, { B: 3, H: 5 }, { B: 2, H: 8 }];

function lstmaRef(v: Variant & { acts: readonly [Act, Act, Act] }, B: number, H: number, gates: ArrayLike<number>, c_prev: ArrayLike<number>, peep: ArrayLike<number> | null) {
  const [sg, tc, th] = v.acts.map(actFn);
  const G = v.mode === 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = v.mode === 0 ? 2 * H : H;
  const post = Float64Array.from(gates), pre = new Float64Array(gates.length);
  const c = new Float64Array(B * H), t = new Float64Array(B * H), h = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const g0 = G * H * b + j, k = b * H + j, cp = c_prev[k];
    pre[g0] = gates[g0] + (peep ? peep[j] * cp : 0);
    const i = sg(clipTo(pre[g0], v.clip));
    let f = 1;
    if (v.mode === 0) { pre[g0 + H] = gates[g0 + H] + (peep ? peep[H + j] * cp : 0); f = sg(clipTo(pre[g0 + H], v.clip)); }
    if (v.mode === 2) f = 1 - i;
    pre[g0 + ig] = gates[g0 + ig];
    const g = tc(clipTo(pre[g0 + ig], v.clip));
    c[k] = f * cp + i * g;
    pre[g0 + io] = gates[g0 + io] + (peep ? peep[ipo + j] * c[k] : 0);
    const o = sg(clipTo(pre[g0 + io], v.clip));
    t[k] = th(c[k]); h[k] = o * t[k];
    post[g0] = i; if (v.mode === 0) post[g0 + H] = f; post[g0 + ig] = g; post[g0 + io] = o;
  }
  return { post, pre, c, t, h };
}

const actArgs = (acts: readonly [Act, Act, Act]) => {
  const [[ga, gA, gB], [ca, cA, cB], [ha, hA, hB]] = acts;
  return { gate_act: ga, gate_alpha: gA, gate_beta: gB, cell_act: ca, cell_alpha: cA, cell_beta: cB, hidden_act: ha, hidden_alpha: hA, hidden_beta: hB };
};

function lstmaFwd(): Case[] {
  return ACT_VARIANTS.flatMap((v) => ACT_SHAPES.map(({ B, H }, s) => {
    const G = v.mode === 0 ? 4 : 3;
    const gates = preActivations(s, G * B * H, v.clip), c_prev = randomArray(s + 1, B * H, 2);
    const peep = v.peep ? randomArray(s + 2, (G - 1) * H, 0.5) : null;
    const r = lstmaRef(v, B, H, gates, c_prev, peep);
    const z = () => new Float64Array(B * H);
    return { label: `acts=${JSON.stringify(v.acts)} mode=${v.mode} peep=${v.peep} clip=${v.clip} B=${B} H=${H}`,
      inputs: { gates, c_prev, c: z(), act_c: z(), h: z(), peep: peep ?? 0, B, H, mode: v.mode, clip: v.clip, ...actArgs(v.acts) },
      want: { gates: r.post, c: r.c, act_c: r.t, h: r.h } };
  }));
}

// As lstmxBwd: the saved state from the forward of the same build and form; the masks of
// clipped gates from the float64 pre-activations; the derivatives from the saved outputs.
function lstmaBwd(ctx: Context): Case[] {
  const fwd = String(ctx.fn).replace('bwd', 'fwd') as keyof Kernels;
  const fwdCases = lstmaFwd();
  return ACT_VARIANTS.flatMap((v) => ACT_SHAPES.map(() => v)).map((v, s) => {
    const fc = fwdCases[s];
    const { B, H, mode, clip } = fc.inputs as { B: number; H: number; mode: number; clip: number };
    const G = mode === 0 ? 4 : 3, ig = (G - 2) * H, io = (G - 1) * H, ipo = mode === 0 ? 2 * H : H;
    const saved = call({ ...ctx, fn: fwd }, fc);
    const peep = v.peep ? (fc.inputs.peep as Float64Array) : null;
    const pre = lstmaRef(v, B, H, fc.inputs.gates as Float64Array, fc.inputs.c_prev as Float64Array, peep).pre;
    const gates = Float64Array.from(saved.gates), c_prev = fc.inputs.c_prev as Float64Array;
    const c = Float64Array.from(saved.c), act_c = Float64Array.from(saved.act_c);
    const dc = randomArray(s + 10, B * H), dh = randomArray(s + 11, B * H), dgates = randomArray(s + 12, G * B * H);
    const dpeep = peep ? randomArray(s + 13, (G - 1) * H) : null;
    const wdg = Float64Array.from(dgates), wdc = new Float64Array(B * H), wdp = dpeep ? Float64Array.from(dpeep) : null;
    const m = (x: number) => (Math.abs(x) > clip ? 0 : 1);
    const [ga, ca, ha] = v.acts;
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, cp = c_prev[k];
      const i = gates[g0], g = gates[g0 + ig], o = gates[g0 + io], t = act_c[k];
      const f = mode === 0 ? gates[g0 + H] : mode === 1 ? 1 : 1 - i;
      const d_o = m(pre[g0 + io]) * dh[k] * t * actD(ga, o);
      const dct = dc[k] + dh[k] * o * actD(ha, t) + (peep ? d_o * peep[ipo + j] : 0);
      const d_i = m(pre[g0]) * (mode === 2 ? dct * (g - cp) : dct * g) * actD(ga, i);
      const d_g = m(pre[g0 + ig]) * dct * i * actD(ca, g);
      const d_f = mode === 0 ? m(pre[g0 + H]) * dct * cp * actD(ga, f) : 0;
      wdg[g0] = d_i; wdg[g0 + ig] = d_g; wdg[g0 + io] = d_o; if (mode === 0) wdg[g0 + H] = d_f;
      wdc[k] = dct * f + (peep ? d_i * peep[j] + (mode === 0 ? d_f * peep[H + j] : 0) : 0);
      if (wdp) {
        wdp[j] += d_i * cp; wdp[ipo + j] += d_o * c[k];
        if (mode === 0) wdp[H + j] += d_f * cp;
      }
    }
    return { label: fc.label,
      inputs: { dgates, dc, dh, gates, c_prev, c, act_c, peep: peep ?? 0, dpeep: dpeep ?? 0, B, H, mode, clip, ...actArgs(v.acts) },
      want: { dgates: wdg, dc: wdc, ...(wdp ? { dpeep: wdp } : {}) } };
  });
}

kernelSuite('lstm', {
  lstma_cell_fwd: lstmaFwd,
  lstma_cell_bwd: lstmaBwd,
  lstm_cell_fwd: lstmFwd,
  lstm_cell_bwd: lstmBwd,
  lstmx_cell_fwd: lstmxFwd,
  lstmx_cell_bwd: lstmxBwd,
});
