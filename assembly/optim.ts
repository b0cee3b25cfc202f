// Optimizer updates, elementwise over a parameter buffer p, its gradient g and the
// optimizer's state buffers, with PyTorch's formulas (torch.optim, single-tensor
// implementations, 1.13). Scalars that depend on the step count (Adam's bias corrections)
// are computed by the caller in float64 and passed in as f32, as PyTorch passes Python floats
// to its float32 kernels. Pointers are byte offsets, 4-byte aligned; n counts f32.
//
//   SGD       d = g + wd p;  momentum: b = first ? d : mu b + d;  d = nesterov ? d + mu b : b
//             p = p - lr d
//   Adam(W)   AdamW: p = p (1 - lr wd)      Adam: g = g + wd p
//             m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g g
//             p = p - step_size m / (sqrt(v) / bc2_sqrt + eps)
//             (step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t))
//   RMSprop   g = g + wd p;  s = alpha s + (1 - alpha) g g;  a = sqrt(s) + eps
//             momentum: b = mu b + g / a; p = p - lr b     else: p = p - lr g / a
//
// Each kernel runs four elements at a time, then the n % 4 tail with its scalar twin. No
// multiply-add is fused, so the twins are bit-identical to the kernels in both builds
// (test/optim.test.ts checks it).

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

export function sgd_step(p: usize, g: usize, b: usize, n: i32, lr: f32, mu: f32, wd: f32,
                         nesterov: i32, first: i32): void {
  const n4 = n & ~3, vlr = f32x4.splat(lr), vmu = f32x4.splat(mu), vwd = f32x4.splat(wd);
  for (let i = 0; i < n4; i += 4) {
    const pv = v128.load(at(p, i));
    let d = f32x4.add(v128.load(at(g, i)), f32x4.mul(vwd, pv));
    if (mu != 0) {
      const bv = first ? d : f32x4.add(f32x4.mul(vmu, v128.load(at(b, i))), d);
      v128.store(at(b, i), bv);
      d = nesterov ? f32x4.add(d, f32x4.mul(vmu, bv)) : bv;
    }
    v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(vlr, d)));
  }
  sgd_step__scalar(at(p, n4), at(g, n4), at(b, n4), n - n4, lr, mu, wd, nesterov, first);
}

export function sgd_step__scalar(p: usize, g: usize, b: usize, n: i32, lr: f32, mu: f32, wd: f32,
                                 nesterov: i32, first: i32): void {
  for (let i = 0; i < n; i++) {
    const pv = load<f32>(at(p, i));
    let d = load<f32>(at(g, i)) + wd * pv;
    if (mu != 0) {
      const bv = first ? d : mu * load<f32>(at(b, i)) + d;
      store<f32>(at(b, i), bv);
      d = nesterov ? d + mu * bv : bv;
    }
    store<f32>(at(p, i), pv - lr * d);
  }
}

export function adam_step(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32,
                          beta2: f32, eps: f32, wd: f32, step_size: f32, bc2_sqrt: f32,
                          decoupled: i32): void {
  const n4 = n & ~3;
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const vwd = f32x4.splat(wd), decay = f32x4.splat(1 - lr * wd), ve = f32x4.splat(eps);
  const vs = f32x4.splat(step_size), vb = f32x4.splat(bc2_sqrt);
  for (let i = 0; i < n4; i += 4) {
    let pv = v128.load(at(p, i)), gv = v128.load(at(g, i));
    if (decoupled) pv = f32x4.mul(pv, decay);
    else gv = f32x4.add(gv, f32x4.mul(vwd, pv));
    const mv = f32x4.add(f32x4.mul(b1, v128.load(at(m, i))), f32x4.mul(c1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(at(v, i))), f32x4.mul(c2, f32x4.mul(gv, gv)));
    v128.store(at(m, i), mv);
    v128.store(at(v, i), vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), vb), ve);
    v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(vs, f32x4.div(mv, denom))));
  }
  adam_step__scalar(at(p, n4), at(g, n4), at(m, n4), at(v, n4), n - n4, lr, beta1, beta2, eps,
                    wd, step_size, bc2_sqrt, decoupled);
}

export function adam_step__scalar(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32,
                                  beta1: f32, beta2: f32, eps: f32, wd: f32, step_size: f32,
                                  bc2_sqrt: f32, decoupled: i32): void {
  const c1: f32 = 1 - beta1, c2: f32 = 1 - beta2, decay: f32 = 1 - lr * wd;
  for (let i = 0; i < n; i++) {
    let pv = load<f32>(at(p, i)), gv = load<f32>(at(g, i));
    if (decoupled) pv = pv * decay;
    else gv = gv + wd * pv;
    const mv = beta1 * load<f32>(at(m, i)) + c1 * gv;
    const vv = beta2 * load<f32>(at(v, i)) + c2 * (gv * gv);
    store<f32>(at(m, i), mv);
    store<f32>(at(v, i), vv);
    const denom = sqrt<f32>(vv) / bc2_sqrt + eps;
    store<f32>(at(p, i), pv - step_size * (mv / denom));
  }
}

export function rmsprop_step(p: usize, g: usize, s: usize, b: usize, n: i32, lr: f32, alpha: f32,
                             eps: f32, wd: f32, mu: f32): void {
  const n4 = n & ~3;
  const va = f32x4.splat(alpha), vc = f32x4.splat(1 - alpha), ve = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vlr = f32x4.splat(lr), vmu = f32x4.splat(mu);
  for (let i = 0; i < n4; i += 4) {
    const pv = v128.load(at(p, i));
    const gv = f32x4.add(v128.load(at(g, i)), f32x4.mul(vwd, pv));
    const sv = f32x4.add(f32x4.mul(va, v128.load(at(s, i))), f32x4.mul(vc, f32x4.mul(gv, gv)));
    v128.store(at(s, i), sv);
    const q = f32x4.div(gv, f32x4.add(f32x4.sqrt(sv), ve));
    if (mu != 0) {
      const bv = f32x4.add(f32x4.mul(vmu, v128.load(at(b, i))), q);
      v128.store(at(b, i), bv);
      v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(vlr, bv)));
    } else {
      v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(vlr, q)));
    }
  }
  rmsprop_step__scalar(at(p, n4), at(g, n4), at(s, n4), at(b, n4), n - n4, lr, alpha, eps, wd, mu);
}

export function rmsprop_step__scalar(p: usize, g: usize, s: usize, b: usize, n: i32, lr: f32,
                                     alpha: f32, eps: f32, wd: f32, mu: f32): void {
  const c: f32 = 1 - alpha;
  for (let i = 0; i < n; i++) {
    const pv = load<f32>(at(p, i));
    const gv = load<f32>(at(g, i)) + wd * pv;
    const sv = alpha * load<f32>(at(s, i)) + c * (gv * gv);
    store<f32>(at(s, i), sv);
    const q = gv / (sqrt<f32>(sv) + eps);
    if (mu != 0) {
      const bv = mu * load<f32>(at(b, i)) + q;
      store<f32>(at(b, i), bv);
      store<f32>(at(p, i), pv - lr * bv);
    } else {
      store<f32>(at(p, i), pv - lr * q);
    }
  }
}
