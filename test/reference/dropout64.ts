// Float64 reference of a recurrent layer's regularised forward (src/rnn/dropout.ts), built on
// rnn64.ts's cell step: masks given as the layer reports them (caller's row order), applied
// one batch row and one step at a time, as the equations say:
//   layer input      x_l(t) * imask_l                 (one mask per row, every step)
//   recurrence       h(t-1) * rmask enters the product W_hh; the state carried on and a GRU's
//                    z h(t-1) are unmasked (Keras's GRU with reset_after)
//   zoneout          h(t) = m h(t-1) + (1 - m) h_new  (m per step; c with its own mask)
//                    inference (masks absent, zoneout p): p h(t-1) + (1 - p) h_new
//   between layers   out_l(t) * dmask_l(t)            (not after the last layer)
// Lengths as forward64: row b runs t < len[b], output 0 and state kept beyond.
// Mode 'CEC' (not in rnn64): u = tanh(x W_ih + b_ih + h W_hh + b_hh) (rnn64's tanh RNN step),
// c = c_prev + u, h = tanh(c).
import { cellStep, directionParams, matVec, sigmoid, type Config64, type DirectionParams, type Mode, type Result64 } from './rnn64.js';

export type RegMode = Mode | 'CEC';

export function forwardReg64(cfg: Omit<Config64, 'mode'> & { mode: RegMode }, params: Record<string, Float64Array>, x: Float64Array, T: number, B: number,
  masks: Record<string, Float32Array>, opts: { h0?: Float64Array; c0?: Float64Array; lengths?: ArrayLike<number>; zoneoutP?: number } = {}): Result64 {
  const { inputSize, hiddenSize: H, numLayers: L } = cfg, Hout = cfg.projSize || H, dirs = cfg.bidirectional ? 2 : 1;
  const isLSTM = cfg.mode === 'LSTM' || cfg.mode === 'CEC', len = Array.from({ length: B }, (_, b) => (opts.lengths ? opts.lengths[b] : T));
  const h_n = new Float64Array(L * dirs * B * Hout), c_n = new Float64Array(L * dirs * B * H);
  let layerIn: Float64Array = x, inSize = inputSize;
  for (let layer = 0; layer < L; layer++) {
    const imask = masks[`imask_l${layer}`];
    if (imask) layerIn = layerIn.map((v, i) => v * imask[i % (B * inSize)]);
    const outWidth = dirs * Hout, layerOut = new Float64Array(T * B * outWidth);
    for (let dir = 0; dir < dirs; dir++) {
      const step = cfg.mode === 'CEC' ? { ...cfg, mode: 'RNN_TANH' as const } : { ...cfg, mode: cfg.mode };
      const p = directionParams(step, params, layer, dir, inSize), s = layer * dirs + dir, sx = `_l${layer}${dir ? '_reverse' : ''}`;
      const rmask = masks[`rmask${sx}`], zh = masks[`zmask_h${sx}`], zc = masks[`zmask_c${sx}`];
      for (let b = 0; b < B; b++) {
        let h: Float64Array = opts.h0 ? opts.h0.slice((s * B + b) * Hout, (s * B + b + 1) * Hout) : new Float64Array(Hout);
        let c: Float64Array = opts.c0 ? opts.c0.slice((s * B + b) * H, (s * B + b + 1) * H) : new Float64Array(H);
        for (let k = 0; k < len[b]; k++) {
          const t = dir === 0 ? k : len[b] - 1 - k;
          const xt = layerIn.slice((t * B + b) * inSize, (t * B + b + 1) * inSize);
          const hIn = rmask ? h.map((v, j) => v * rmask[b * Hout + j]) : h;
          let next = cfg.mode === 'GRU' ? gruStep(p, H, inSize, xt, hIn, h) : cellStep(step, p, inSize, xt, hIn, c);
          if (cfg.mode === 'CEC') { const cn = next.h.map((u, j) => c[j] + u); next = { h: cn.map(Math.tanh), c: cn }; }
          const zone = (prev: Float64Array, now: Float64Array, m: Float32Array | undefined, w: number) => {
            if (m) return now.map((v, j) => m[(t * B + b) * w + j] * prev[j] + (1 - m[(t * B + b) * w + j]) * v);
            const q = opts.zoneoutP ?? 0;
            return q > 0 ? now.map((v, j) => q * prev[j] + (1 - q) * v) : now;
          };
          const hNew = zone(h, next.h, zh, Hout);
          c = isLSTM ? zone(c, next.c, zc, H) : next.c;
          h = hNew;
          layerOut.set(h, (t * B + b) * outWidth + dir * Hout);
        }
        h_n.set(h, (s * B + b) * Hout);
        c_n.set(c, (s * B + b) * H);
      }
    }
    const dmask = masks[`dmask_l${layer}`];
    layerIn = dmask ? layerOut.map((v, i) => v * dmask[i]) : layerOut;
    inSize = outWidth;
  }
  return isLSTM ? { output: layerIn, h_n, c_n } : { output: layerIn, h_n };
}

/** PyTorch's GRU step with the product reading hIn and the carry z h reading h (rnn64's, split). */
function gruStep(p: DirectionParams, H: number, inSize: number, x: Float64Array, hIn: Float64Array, h: Float64Array): { h: Float64Array; c: Float64Array } {
  const gx = matVec(p.W_ih, 3 * H, inSize, x, p.b_ih), gh = matVec(p.W_hh, 3 * H, H, hIn, p.b_hh), out = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    const r = sigmoid(gx[j] + gh[j]), z = sigmoid(gx[H + j] + gh[H + j]);
    const n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]);
    out[j] = (1 - z) * n + z * h[j];
  }
  return { h: out, c: new Float64Array(0) };
}
