// The optimizer steps (assembly/optim.ts) against float64 forms of their update formulas
// (PyTorch's), at every tile edge of n (TILE_SIZES, 1000), both builds, SIMD and scalar twin:
// SGD plain, with momentum (first step and later), Nesterov and weight decay; Adam with L2
// weight decay and AdamW's decoupled decay; RMSprop with and without momentum and decay. The
// kernels use no multiply-add, so SIMD and twin are bit-identical in both builds.
import { TILE_SIZES, randomArray } from './helpers.js';
import { kernelSuite, type Case } from './kernel-cases.js';

const SIZES = [...TILE_SIZES, 1000];
const f = Math.fround;
const positive = (seed: number, n: number) => Float64Array.from(randomArray(seed, n), (v) => f(Math.abs(v)));

function sgd(): Case[] {
  const settings = [
    { mu: 0, wd: 0, nesterov: 0, first: 0 }, { mu: 0, wd: 0.01, nesterov: 0, first: 0 },
    { mu: 0.9, wd: 0, nesterov: 0, first: 1 }, { mu: 0.9, wd: 0.01, nesterov: 0, first: 0 },
    { mu: 0.9, wd: 0.01, nesterov: 1, first: 0 }, { mu: 0.5, wd: 0, nesterov: 1, first: 1 },
  ];
  return settings.flatMap((o, k) => SIZES.map((n, s) => {
    const seed = 100 * k + s, lr = f(0.05), mu = f(o.mu), wd = f(o.wd);
    const p = randomArray(seed, n), g = randomArray(seed + 1, n), b = randomArray(seed + 2, n);
    const wp = new Float64Array(n), wb = Float64Array.from(b);
    for (let i = 0; i < n; i++) {
      let d = g[i] + wd * p[i];
      if (mu !== 0) {
        wb[i] = o.first ? d : mu * b[i] + d;
        d = o.nesterov ? d + mu * wb[i] : wb[i];
      }
      wp[i] = p[i] - lr * d;
    }
    return { label: `${JSON.stringify(o)} n=${n}`, inputs: { p, g, b, n, lr, mu, wd, nesterov: o.nesterov, first: o.first },
      want: { p: wp, ...(mu !== 0 ? { b: wb } : {}) } };
  }));
}

function adam(): Case[] {
  const settings = [{ wd: 0, decoupled: 0, t: 1 }, { wd: 0.01, decoupled: 0, t: 7 }, { wd: 0.01, decoupled: 1, t: 1 }, { wd: 0.1, decoupled: 1, t: 30 }];
  return settings.flatMap((o, k) => SIZES.map((n, s) => {
    const seed = 100 * k + s, lr = f(1e-3), beta1 = f(0.9), beta2 = f(0.999), eps = f(1e-8), wd = f(o.wd);
    // as the caller computes them, in float64, passed as f32
    const step_size = f(lr / (1 - beta1 ** o.t)), bc2_sqrt = f(Math.sqrt(1 - beta2 ** o.t));
    const p = randomArray(seed, n), g = randomArray(seed + 1, n), m = randomArray(seed + 2, n, 0.1), v = positive(seed + 3, n);
    const wp = new Float64Array(n), wm = new Float64Array(n), wv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let pv = p[i], gv = g[i];
      if (o.decoupled) pv *= 1 - lr * wd;
      else gv += wd * pv;
      wm[i] = beta1 * m[i] + (1 - beta1) * gv;
      wv[i] = beta2 * v[i] + (1 - beta2) * gv * gv;
      wp[i] = pv - step_size * wm[i] / (Math.sqrt(wv[i]) / bc2_sqrt + eps);
    }
    return { label: `${JSON.stringify(o)} n=${n}`,
      inputs: { p, g, m, v, n, lr, beta1, beta2, eps, wd, step_size, bc2_sqrt, decoupled: o.decoupled },
      want: { p: wp, m: wm, v: wv } };
  }));
}

function rmsprop(): Case[] {
  const settings = [{ wd: 0, mu: 0 }, { wd: 0.01, mu: 0 }, { wd: 0, mu: 0.9 }, { wd: 0.01, mu: 0.5 }];
  return settings.flatMap((o, k) => SIZES.map((n, s) => {
    const seed = 100 * k + s, lr = f(0.01), alpha = f(0.99), eps = f(1e-8), wd = f(o.wd), mu = f(o.mu);
    const p = randomArray(seed, n), g = randomArray(seed + 1, n), sq = positive(seed + 2, n), b = randomArray(seed + 3, n);
    const wp = new Float64Array(n), ws = new Float64Array(n), wb = Float64Array.from(b);
    for (let i = 0; i < n; i++) {
      const gv = g[i] + wd * p[i];
      ws[i] = alpha * sq[i] + (1 - alpha) * gv * gv;
      const q = gv / (Math.sqrt(ws[i]) + eps);
      if (mu !== 0) { wb[i] = mu * b[i] + q; wp[i] = p[i] - lr * wb[i]; } else wp[i] = p[i] - lr * q;
    }
    return { label: `${JSON.stringify(o)} n=${n}`, inputs: { p, g, s: sq, b, n, lr, alpha, eps, wd, mu },
      want: { p: wp, s: ws, ...(mu !== 0 ? { b: wb } : {}) } };
  }));
}

kernelSuite('optim', { sgd_step: sgd, adam_step: adam, rmsprop_step: rmsprop }, ['baseline', 'relaxed']);
