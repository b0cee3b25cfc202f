// The GRU kernels (assembly/gru.ts) against float64 formulas written here, forward and
// backward, at every tile edge of H (TILE_SIZES) and B = 1, 3, both builds, SIMD and scalar
// twin: PyTorch's cell (reset after the hidden product), the cell with the reset before it
// (G = 3) and the minimal gated unit (G = 2); blocks a kernel must not write are checked
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

kernelSuite('gru', {
  gru_cell_fwd: gruFwd,
  gru_cell_bwd: gruBwd,
  gru_rb_gate_fwd: rbGateFwd,
  gru_rb_out_fwd: rbOutFwd,
  gru_rb_out_bwd: rbOutBwd,
  gru_rb_gate_bwd: rbGateBwd,
});
