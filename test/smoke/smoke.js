// The cross-runtime smoke suite: one fixed, seeded run of every kernel family, checked
// against a float64 reference, and a digest (FNV-1a over every output byte) that must be
// the same on every runtime for the baseline build. Plain JavaScript so Node, Deno, Bun,
// workerd and Chromium all run this very file.

/** Seeded uniform floats in [-1, 1): mulberry32. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function fnv1a(hash, bytes) {
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 16777619) >>> 0;
  return hash;
}

function maxAbsDiff(got, want) {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

/**
 * Runs the suite on a backend from `init`; `api` is the entry's exports (for the layers).
 * Returns { simd, digest, errors, ok } where errors holds the max abs error of each kernel
 * family against float64 and ok says all are in tolerance. The digest also covers a forward
 * and backward of a bidirectional two-layer LSTM and GRU with variable lengths.
 */
export function runSmoke(backend, api) {
  const k = backend.kernels, arena = backend.arena;
  const random = rng(20261122);
  const regions = [];
  const put = (values) => {
    const r = arena.alloc(values.length * 4, 'smoke');
    regions.push(r);
    arena.f32At(r.ptr, values.length).set(values);
    return r.ptr;
  };
  const fill = (n, scale = 1) => Float64Array.from({ length: n }, () => Math.fround(random() * scale));
  const read = (ptr, n) => arena.f32At(ptr, n).slice();

  const M = 5, N = 37, K = 33, n = 103;
  const A = fill(M * K), B = fill(K * N), bias = fill(N), C0 = fill(M * N);
  const dY = fill(M * N), X = fill(K * M); // X is [K, M]: the transposed operand of tn
  const pA = put(A), pB = put(B), pBias = put(bias);
  const pC = put(C0), pNT = put(fill(M * K).fill(0)), pTN = put(C0), pCol = put(bias);
  const pDY = put(dY), pX = put(X);
  const xs = fill(n, 6), dys = fill(n);
  const pXs = put(xs), pDys = put(dys);
  const pSig = put(new Float64Array(n)), pTanh = put(new Float64Array(n)), pRelu = put(new Float64Array(n));
  const pDSig = put(new Float64Array(n)), pDTanh = put(new Float64Array(n)), pDRelu = put(new Float64Array(n));
  const pAxpy = put(dys), pMulAcc = put(dys), pScale = put(new Float64Array(n)), pClamp = put(new Float64Array(n));

  k.f32_gemm_nn(pC, N, pA, K, pB, N, pBias, M, N, K, 1);    // C = C0 + bias + A B
  k.f32_gemm_nt_acc(pNT, K, pDY, N, pB, N, M, K, N);        // dA += dY B^T
  k.f32_gemm_tn_acc(pTN, N, pX, M, pB, N, M, N, K);         // C0 += X^T B, X: [K, M]
  k.f32_colsum_acc(pCol, pDY, N, M, N);                     // bias += column sums of dY
  k.f32_sigmoid_fwd(pSig, pXs, n);
  k.f32_tanh_fwd(pTanh, pXs, n);
  k.f32_relu_fwd(pRelu, pXs, n);
  k.f32_sigmoid_bwd(pDSig, pSig, pDys, n);
  k.f32_tanh_bwd(pDTanh, pTanh, pDys, n);
  k.f32_relu_bwd(pDRelu, pRelu, pDys, n);
  k.f32_axpy(pAxpy, 0.375, pXs, n);
  k.f32_mul_acc(pMulAcc, pXs, pDys, n);
  k.f32_scale(pScale, pXs, -1.5, n);
  k.f32_clamp(pClamp, pXs, -2, 2.5, n);
  const sumsq = k.f32_sumsq(pXs, n);

  const outputs = [
    read(pC, M * N), read(pNT, M * K), read(pTN, M * N), read(pCol, N),
    read(pSig, n), read(pTanh, n), read(pRelu, n), read(pDSig, n), read(pDTanh, n), read(pDRelu, n),
    read(pAxpy, n), read(pMulAcc, n), read(pScale, n), read(pClamp, n), new Float64Array([sumsq]),
  ];
  // the last two draw dropout and zoneout masks from their seeded generators: the same on every runtime
  const regularised = [{}, {}, { dropout: 0.3, inputDropout: 0.2, recurrentDropout: 0.25 }, { dropout: 0.4, zoneout: 0.3 }];
  [api.LSTM, api.GRU, api.LSTM, api.GRU].forEach((Layer, i) => {
    const T = 7, B = 3, D = 5;
    const layer = new Layer({ inputSize: D, hiddenSize: 9, numLayers: 2, bidirectional: true, seed: 11, ...regularised[i] });
    const x = Float32Array.from({ length: T * B * D }, () => random());
    const r = layer.forward({ data: x, shape: [T, B, D] }, undefined, { train: true, lengths: [7, 3, 5] });
    const g = layer.backward({ data: Float32Array.from(r.output.data, () => random()), shape: r.output.shape });
    outputs.push(r.output.data, r.h.data, g.dx.data, g.dh0.data, ...Object.values(layer.grads()).map((t) => t.data));
    layer.dispose();
  });
  let digest = 2166136261;
  for (const o of outputs) digest = fnv1a(digest, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));

  // float64 references
  const refC = new Float64Array(M * N), refNT = new Float64Array(M * K), refTN = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = C0[i * N + j] + bias[j];
    for (let q = 0; q < K; q++) s += A[i * K + q] * B[q * N + j];
    refC[i * N + j] = s;
    let t = C0[i * N + j];
    for (let q = 0; q < K; q++) t += X[q * M + i] * B[q * N + j];
    refTN[i * N + j] = t;
  }
  for (let i = 0; i < M; i++) for (let j = 0; j < K; j++) {
    let s = 0;
    for (let q = 0; q < N; q++) s += dY[i * N + q] * B[j * N + q];
    refNT[i * K + j] = s;
  }
  const refCol = Float64Array.from(bias, (b, j) => { let s = b; for (let i = 0; i < M; i++) s += dY[i * N + j]; return s; });
  const sig = Float64Array.from(xs, (x) => 1 / (1 + Math.exp(-x)));
  const th = Float64Array.from(xs, Math.tanh);
  const errors = {
    gemm_nn: maxAbsDiff(outputs[0], refC),
    gemm_nt_acc: maxAbsDiff(outputs[1], refNT),
    gemm_tn_acc: maxAbsDiff(outputs[2], refTN),
    colsum_acc: maxAbsDiff(outputs[3], refCol),
    sigmoid_fwd: maxAbsDiff(outputs[4], sig),
    tanh_fwd: maxAbsDiff(outputs[5], th),
    relu_fwd: maxAbsDiff(outputs[6], Float64Array.from(xs, (x) => Math.max(x, 0))),
    sigmoid_bwd: maxAbsDiff(outputs[7], Float64Array.from(dys, (d, i) => d * outputs[4][i] * (1 - outputs[4][i]))),
    tanh_bwd: maxAbsDiff(outputs[8], Float64Array.from(dys, (d, i) => d * (1 - outputs[5][i] * outputs[5][i]))),
    relu_bwd: maxAbsDiff(outputs[9], Float64Array.from(dys, (d, i) => (xs[i] > 0 ? d : 0))),
    axpy: maxAbsDiff(outputs[10], Float64Array.from(dys, (d, i) => d + 0.375 * xs[i])),
    mul_acc: maxAbsDiff(outputs[11], Float64Array.from(dys, (d, i) => d + xs[i] * d)),
    scale: maxAbsDiff(outputs[12], Float64Array.from(xs, (x) => -1.5 * x)),
    clamp: maxAbsDiff(outputs[13], Float64Array.from(xs, (x) => Math.min(Math.max(x, -2), 2.5))),
    sumsq: Math.abs(sumsq - xs.reduce((s, x) => s + x * x, 0)) / sumsq,
  };
  for (const r of regions) arena.free(r);
  const ok = Object.values(errors).every((e) => e <= 2e-5) && errors.sigmoid_fwd <= 1e-6 && errors.tanh_fwd <= 1e-6;
  return { simd: backend.simd, digest: digest.toString(16).padStart(8, '0'), errors, ok };
}
