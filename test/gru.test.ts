// The GRU kernels (assembly/gru.ts) against float64 formulas written here, forward and
// backward, at every tile edge of H (TILE_SIZES) and B = 1, 3, both builds, SIMD and scalar
// twin: PyTorch's cell (reset after the hidden product), the cell with the reset before it
// (G = 3) and the minimal gated unit (G = 2), and all three with other activations (gruact_*);
// blocks a kernel must not write are checked
// unchanged; the twins bit-identical to the SIMD kernels in the baseline build.
import { TILE_SIZES, randomArray } from './helpers.js';
import { kernelSuite, sigmoid, type Case } from './kernel-cases.js';

const SHAPES = [1, 3].flatMap((B) => TILE_SIZES.map((H) => ({ B, H })));
const f32 = Math.fround;
const open01 = (seed: number, n: number) => Float64Array.from(randomArray(seed, n), (v) => f32(0.5 + 0.49 * v));
const open11 = (seed: number, n: number) => Float64Array.from(randomArray(seed, n), (v) => f32(0.99 * v));

function gruFwd(): Case[] {
  return SHAPES.flatMap(({ B, H }, s) => [true, false].map((keep) => {
    const gates = randomArray(s, 3 * B * H, 3), gh = randomArray(s + 1, 3 * B * H, 3), h_prev = randomArray(s + 2, B * H);
    const post = new Float64Array(gates.length), ghn = new Float64Array(B * H), h = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = 3 * H * b + j, k = b * H + j;
      const r = sigmoid(gates[g0] + gh[g0]), z = sigmoid(gates[g0 + H] + gh[g0 + H]);
      const n = Math.tanh(gates[g0 + 2 * H] + r * gh[g0 + 2 * H]);
      post[g0] = r; post[g0 + H] = z; post[g0 + 2 * H] = n;
      ghn[k] = gh[g0 + 2 * H]; h[k] = n + z * (h_prev[k] - n);
    }
    return { label: `B=${B} H=${H} ghn=${keep ? 'kept' : '0'}`,
      inputs: { gates, gh, ghn: keep ? new Float64Array(B * H) : 0, h_prev, h: new Float64Array(B * H), B, H },
      want: { gates: post, h, ...(keep ? { ghn } : {}) } };
  }));
}

function gruBwd(): Case[] {
  return SHAPES.map(({ B, H }, s) => {
    const gates = open01(s, 3 * B * H), ghn = randomArray(s + 1, B * H, 2), h_prev = randomArray(s + 2, B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[3 * H * b + 2 * H + j] = f32(2 * gates[3 * H * b + 2 * H + j] - 1);
    const dgx = randomArray(s + 3, 3 * B * H), dgh = randomArray(s + 4, 3 * B * H), dh = randomArray(s + 5, B * H);
    const wx = new Float64Array(dgx.length), wh = new Float64Array(dgh.length), wdh = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = 3 * H * b + j, k = b * H + j;
      const r = gates[g0], z = gates[g0 + H], n = gates[g0 + 2 * H], d = dh[k];
      const dn = d * (1 - z) * (1 - n * n), dz = d * (h_prev[k] - n) * z * (1 - z), dr = dn * ghn[k] * r * (1 - r);
      wx[g0] = dr; wx[g0 + H] = dz; wx[g0 + 2 * H] = dn;
      wh[g0] = dr; wh[g0 + H] = dz; wh[g0 + 2 * H] = dn * r;
      wdh[k] = d * z;
    }
    return { label: `B=${B} H=${H}`, inputs: { dgx, dgh, dh, gates, ghn, h_prev, B, H }, want: { dgx: wx, dgh: wh, dh: wdh } };
  });
}

// Reset before the hidden product: G = 3 (r, z, n) and the minimal unit G = 2 (f, n; r = f,
// z = 1 - f). Block q of row b starts at G*H*b + q*H.
const RB = [3, 2].flatMap((G) => SHAPES.map((shape) => ({ G, ...shape })));

function rbGateFwd(): Case[] {
  return RB.map(({ G, B, H }, s) => {
    const gates = randomArray(s, G * B * H, 3), gh = randomArray(s + 1, G * B * H, 3), h_prev = randomArray(s + 2, B * H);
    const post = Float64Array.from(gates), rh = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j;
      post[g0] = sigmoid(gates[g0] + gh[g0]);
      if (G === 3) post[g0 + H] = sigmoid(gates[g0 + H] + gh[g0 + H]);
      rh[b * H + j] = post[g0] * h_prev[b * H + j];
    }
    return { label: `G=${G} B=${B} H=${H}`, inputs: { gates, gh, rh: new Float64Array(B * H), h_prev, B, H, G }, want: { gates: post, rh } };
  });
}

/** Saved gates for the reset-before kernels: r (and z) in (0, 1), n in (-1, 1). */
function rbSaved(seed: number, G: number, B: number, H: number): Float64Array {
  const gates = open01(seed, G * B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[G * H * b + (G - 1) * H + j] = f32(2 * gates[G * H * b + (G - 1) * H + j] - 1);
  return gates;
}

function rbOutFwd(): Case[] {
  return RB.map(({ G, B, H }, s) => {
    const gates = open01(s, G * B * H), gh = randomArray(s + 1, G * B * H, 3), h_prev = randomArray(s + 2, B * H);
    const nO = (G - 1) * H, gx_n = randomArray(s + 3, B * H, 3);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[G * H * b + nO + j] = gx_n[b * H + j];
    const post = Float64Array.from(gates), h = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j;
      const n = Math.tanh(gates[g0 + nO] + gh[g0 + nO]);
      const z = G === 3 ? gates[g0 + H] : 1 - gates[g0];
      post[g0 + nO] = n; h[k] = n + z * (h_prev[k] - n);
    }
    return { label: `G=${G} B=${B} H=${H}`, inputs: { gates, gh, h_prev, h: new Float64Array(B * H), B, H, G }, want: { gates: post, h } };
  });
}

function rbOutBwd(): Case[] {
  return RB.map(({ G, B, H }, s) => {
    const gates = rbSaved(s, G, B, H), h_prev = randomArray(s + 1, B * H), dh = randomArray(s + 2, B * H);
    const dgx = randomArray(s + 3, G * B * H), dgh = randomArray(s + 4, G * B * H);
    const wx = Float64Array.from(dgx), wh = Float64Array.from(dgh), wdh = new Float64Array(B * H);
    const nO = (G - 1) * H;
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, d = dh[k], n = gates[g0 + nO];
      const z = G === 3 ? gates[g0 + H] : 1 - gates[g0];
      const dn = d * (1 - z) * (1 - n * n), dzpost = d * (h_prev[k] - n);
      wx[g0 + nO] = dn; wh[g0 + nO] = dn;
      if (G === 3) { wx[g0 + H] = dzpost * z * (1 - z); wh[g0 + H] = wx[g0 + H]; } else wx[g0] = -dzpost;
      wdh[k] = d * z;
    }
    return { label: `G=${G} B=${B} H=${H}`, inputs: { dgx, dgh, dh, gates, h_prev, B, H, G }, want: { dgx: wx, dgh: wh, dh: wdh } };
  });
}

function rbGateBwd(): Case[] {
  return RB.map(({ G, B, H }, s) => {
    const gates = rbSaved(s, G, B, H), h_prev = randomArray(s + 1, B * H), dh = randomArray(s + 2, B * H);
    const drh = randomArray(s + 3, B * H), dgx = randomArray(s + 4, G * B * H), dgh = randomArray(s + 5, G * B * H);
    const wx = Float64Array.from(dgx), wh = Float64Array.from(dgh), wdh = Float64Array.from(dh);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, r = gates[g0];
      // the minimal unit's f block of dgx holds the output's part of dL/df (from gru_rb_out_bwd)
      const dpost = drh[k] * h_prev[k] + (G === 2 ? dgx[g0] : 0);
      wx[g0] = dpost * r * (1 - r); wh[g0] = wx[g0];
      wdh[k] += drh[k] * r;
    }
    return { label: `G=${G} B=${B} H=${H}`, inputs: { dgx, dgh, dh, drh, gates, h_prev, B, H, G }, want: { dgx: wx, dgh: wh, dh: wdh } };
  });
}

// Other activations (gruact_*): G = 3 with the reset after (after = 1) and before the product,
// and the minimal unit (G = 2), each with these gate and cell activations [id, alpha, beta]
// (ids as src/rnn/activations.ts: 0 sigmoid, 1 tanh, 2 relu, 3 hard sigmoid).
type Act = readonly [number, number, number];
const actFn = ([id, a, b]: Act) => [sigmoid, Math.tanh, (x: number) => Math.max(x, 0), (x: number) => Math.max(0, Math.min(1, f32(a) * x + f32(b)))][id];
const actD = ([id, a]: Act, y: number) => [y * (1 - y), 1 - y * y, y > 0 ? 1 : 0, y > 0 && y < 1 ? f32(a) : 0][id];
const ACT_PAIRS: readonly (readonly [Act, Act])[] = [
  [[3, 0.2, 0.5], [1, 0, 0]], [[0, 0, 0], [2, 0, 0]], [[1, 0, 0], [3, 0.3, 0.4]], [[2, 0, 0], [0, 0, 0]],
];
const GA = [{ G: 3, after: 1 }, { G: 3, after: 0 }, { G: 2, after: 0 }].flatMap((m) => ACT_PAIRS.flatMap(([ga, ca]) =>
  SHAPES.map((shape) => ({ ...m, ga, ca, ...shape }))));
const gaLabel = (c: typeof GA[number]) => `G=${c.G} after=${c.after} acts=${JSON.stringify([c.ga, c.ca])} B=${c.B} H=${c.H}`;

/** Saved gates: each block's activation, in f32, of values in [-3, 3]. */
function gaSaved(seed: number, c: typeof GA[number]): Float64Array {
  const { G, B, H } = c, x = randomArray(seed, G * B * H, 3);
  return Float64Array.from(x, (v, i) => f32(actFn(Math.floor(i / H) % G === G - 1 ? c.ca : c.ga)(v)));
}

function gaGateFwd(): Case[] {
  return GA.map((c, s) => {
    const { G, B, H, after } = c, [act, alpha, beta] = c.ga;
    const gates = randomArray(s, G * B * H, 3), gh = randomArray(s + 1, G * B * H, 3), h_prev = randomArray(s + 2, B * H);
    const post = Float64Array.from(gates), rh = new Float64Array(B * H), a = actFn(c.ga);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j;
      post[g0] = a(gates[g0] + gh[g0]);
      if (G === 3) post[g0 + H] = a(gates[g0 + H] + gh[g0 + H]);
      rh[b * H + j] = post[g0] * h_prev[b * H + j];
    }
    return { label: gaLabel(c), inputs: { gates, gh, rh: after ? 0 : new Float64Array(B * H), h_prev, B, H, G, act, alpha, beta },
      want: { gates: post, ...(after ? {} : { rh }) } };
  });
}

function gaOutFwd(): Case[] {
  return GA.map((c, s) => {
    const { G, B, H, after } = c, [act, alpha, beta] = c.ca, keep = after === 1 && s % 2 === 0;
    const gates = gaSaved(s, c), gh = randomArray(s + 1, G * B * H, 3), h_prev = randomArray(s + 2, B * H);
    const nO = (G - 1) * H, gx_n = randomArray(s + 3, B * H, 3), a = actFn(c.ca);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) gates[G * H * b + nO + j] = gx_n[b * H + j];
    const post = Float64Array.from(gates), h = new Float64Array(B * H), ghn = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j;
      const n = a(gates[g0 + nO] + (after ? gates[g0] : 1) * gh[g0 + nO]);
      const z = G === 3 ? gates[g0 + H] : 1 - gates[g0];
      post[g0 + nO] = n; h[k] = n + z * (h_prev[k] - n); ghn[k] = gh[g0 + nO];
    }
    return { label: `${gaLabel(c)} ghn=${keep ? 'kept' : '0'}`,
      inputs: { gates, gh, ghn: keep ? new Float64Array(B * H) : 0, h_prev, h: new Float64Array(B * H), B, H, G, after, act, alpha, beta },
      want: { gates: post, h, ...(keep ? { ghn } : {}) } };
  });
}

function gaOutBwd(): Case[] {
  return GA.map((c, s) => {
    const { G, B, H, after } = c;
    const gates = gaSaved(s, c), h_prev = randomArray(s + 1, B * H), dh = randomArray(s + 2, B * H), ghn = randomArray(s + 5, B * H, 2);
    const dgx = randomArray(s + 3, G * B * H), dgh = randomArray(s + 4, G * B * H);
    const wx = Float64Array.from(dgx), wh = Float64Array.from(dgh), wdh = new Float64Array(B * H);
    const nO = (G - 1) * H;
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, d = dh[k], n = gates[g0 + nO];
      const z = G === 3 ? gates[g0 + H] : 1 - gates[g0];
      const dn = d * (1 - z) * actD(c.ca, n), dzpost = d * (h_prev[k] - n);
      wx[g0 + nO] = dn; wh[g0 + nO] = after ? dn * gates[g0] : dn;
      if (G === 3) { wx[g0 + H] = dzpost * actD(c.ga, z); wh[g0 + H] = wx[g0 + H]; } else wx[g0] = -dzpost;
      if (after) { wx[g0] = dn * ghn[k] * actD(c.ga, gates[g0]); wh[g0] = wx[g0]; }
      wdh[k] = d * z;
    }
    return { label: gaLabel(c),
      inputs: { dgx, dgh, dh, gates, ghn: after ? ghn : 0, h_prev, B, H, G, after, gate_act: c.ga[0], gate_alpha: c.ga[1], cell_act: c.ca[0], cell_alpha: c.ca[1] },
      want: { dgx: wx, dgh: wh, dh: wdh } };
  });
}

function gaGateBwd(): Case[] {
  return GA.filter((c) => !c.after).map((c, s) => {
    const { G, B, H } = c;
    const gates = gaSaved(s, c), h_prev = randomArray(s + 1, B * H), dh = randomArray(s + 2, B * H);
    const drh = randomArray(s + 3, B * H), dgx = randomArray(s + 4, G * B * H), dgh = randomArray(s + 5, G * B * H);
    const wx = Float64Array.from(dgx), wh = Float64Array.from(dgh), wdh = Float64Array.from(dh);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      const g0 = G * H * b + j, k = b * H + j, r = gates[g0];
      const dpost = drh[k] * h_prev[k] + (G === 2 ? dgx[g0] : 0);
      wx[g0] = dpost * actD(c.ga, r); wh[g0] = wx[g0];
      wdh[k] += drh[k] * r;
    }
    return { label: gaLabel(c), inputs: { dgx, dgh, dh, drh, gates, h_prev, B, H, G, act: c.ga[0], alpha: c.ga[1] }, want: { dgx: wx, dgh: wh, dh: wdh } };
  });
}

kernelSuite('gru', {
  gruact_gate_fwd: gaGateFwd,
  gruact_out_fwd: gaOutFwd,
  gruact_out_bwd: gaOutBwd,
  gruact_gate_bwd: gaGateBwd,
  gru_cell_fwd: gruFwd,
  gru_cell_bwd: gruBwd,
  gru_rb_gate_fwd: rbGateFwd,
  gru_rb_out_fwd: rbOutFwd,
  gru_rb_out_bwd: rbOutBwd,
  gru_rb_gate_bwd: rbGateBwd,
});
