/**
 * The typed description of every export of the wasm module (assembly/index.ts). Pointers
 * are byte offsets into `memory`; sizes are element counts; leading dimensions (ld*) are in
 * elements. Every SIMD kernel has a `__scalar` twin with the same signature.
 */
export interface Kernels {
  memory: WebAssembly.Memory;
  heap_base(): number;
  simd_relaxed(): number;

  // gemm.ts
  f32_gemm_nn(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    bias: number, M: number, N: number, K: number, accumulate: number): void;
  f32_gemm_nn__scalar(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    bias: number, M: number, N: number, K: number, accumulate: number): void;
  f32_gemm_nt_acc(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    M: number, N: number, K: number): void;
  f32_gemm_nt_acc__scalar(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    M: number, N: number, K: number): void;
  f32_gemm_tn_acc(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    M: number, N: number, K: number): void;
  f32_gemm_tn_acc__scalar(c: number, ldc: number, a: number, lda: number, b: number, ldb: number,
    M: number, N: number, K: number): void;
  f32_colsum_acc(y: number, a: number, lda: number, M: number, N: number): void;
  f32_colsum_acc__scalar(y: number, a: number, lda: number, M: number, N: number): void;

  // activation.ts
  f32_sigmoid_fwd(y: number, x: number, n: number): void;
  f32_sigmoid_fwd__scalar(y: number, x: number, n: number): void;
  f32_tanh_fwd(y: number, x: number, n: number): void;
  f32_tanh_fwd__scalar(y: number, x: number, n: number): void;
  f32_relu_fwd(y: number, x: number, n: number): void;
  f32_relu_fwd__scalar(y: number, x: number, n: number): void;
  f32_sigmoid_bwd(dx: number, y: number, dy: number, n: number): void;
  f32_sigmoid_bwd__scalar(dx: number, y: number, dy: number, n: number): void;
  f32_tanh_bwd(dx: number, y: number, dy: number, n: number): void;
  f32_tanh_bwd__scalar(dx: number, y: number, dy: number, n: number): void;
  f32_relu_bwd(dx: number, y: number, dy: number, n: number): void;
  f32_relu_bwd__scalar(dx: number, y: number, dy: number, n: number): void;

  // vector.ts
  f32_fill(y: number, v: number, n: number): void;
  f32_fill__scalar(y: number, v: number, n: number): void;
  f32_add(y: number, a: number, b: number, n: number): void;
  f32_add__scalar(y: number, a: number, b: number, n: number): void;
  f32_mul(y: number, a: number, b: number, n: number): void;
  f32_mul__scalar(y: number, a: number, b: number, n: number): void;
  f32_mul_acc(y: number, a: number, b: number, n: number): void;
  f32_mul_acc__scalar(y: number, a: number, b: number, n: number): void;
  f32_axpy(y: number, alpha: number, x: number, n: number): void;
  f32_axpy__scalar(y: number, alpha: number, x: number, n: number): void;
  f32_scale(y: number, x: number, alpha: number, n: number): void;
  f32_scale__scalar(y: number, x: number, alpha: number, n: number): void;
  f32_clamp(y: number, x: number, lo: number, hi: number, n: number): void;
  f32_clamp__scalar(y: number, x: number, lo: number, hi: number, n: number): void;
  f32_sumsq(x: number, n: number): number;
  f32_sumsq__scalar(x: number, n: number): number;
  f32_count_nonfinite(x: number, n: number): number;
  f32_count_nonfinite__scalar(x: number, n: number): number;
  f32_copy_rows(y: number, ldy: number, x: number, ldx: number, rows: number, cols: number): void;
  f32_add_rows(y: number, ldy: number, x: number, ldx: number, rows: number, cols: number): void;

  // cell.ts
  lstm_cell_fwd(gates: number, c_prev: number, c: number, tanh_c: number, h: number, B: number, H: number): void;
  lstm_cell_fwd__scalar(gates: number, c_prev: number, c: number, tanh_c: number, h: number, B: number, H: number): void;
  lstm_cell_bwd(dgates: number, dc: number, dh: number, gates: number, c_prev: number, tanh_c: number, B: number, H: number): void;
  lstm_cell_bwd__scalar(dgates: number, dc: number, dh: number, gates: number, c_prev: number, tanh_c: number, B: number, H: number): void;
  gru_cell_fwd(gates: number, gh: number, ghn: number, h_prev: number, h: number, B: number, H: number): void;
  gru_cell_fwd__scalar(gates: number, gh: number, ghn: number, h_prev: number, h: number, B: number, H: number): void;
  gru_cell_bwd(dgx: number, dgh: number, dh: number, gates: number, ghn: number, h_prev: number, B: number, H: number): void;
  gru_cell_bwd__scalar(dgx: number, dgh: number, dh: number, gates: number, ghn: number, h_prev: number, B: number, H: number): void;

  // variants.ts (mode: LSTM 0 = i f g o, 1 = no forget gate, 2 = coupled; G: GRU gate blocks 3 or 2)
  lstmx_cell_fwd(gates: number, c_prev: number, c: number, tanh_c: number, h: number, peep: number, B: number, H: number, mode: number, clip: number): void;
  lstmx_cell_fwd__scalar(gates: number, c_prev: number, c: number, tanh_c: number, h: number, peep: number, B: number, H: number, mode: number, clip: number): void;
  lstmx_cell_bwd(dgates: number, dc: number, dh: number, gates: number, c_prev: number, c: number, tanh_c: number, peep: number, dpeep: number, B: number, H: number, mode: number, clip: number): void;
  lstmx_cell_bwd__scalar(dgates: number, dc: number, dh: number, gates: number, c_prev: number, c: number, tanh_c: number, peep: number, dpeep: number, B: number, H: number, mode: number, clip: number): void;
  gru_rb_gate_fwd(gates: number, gh: number, rh: number, h_prev: number, B: number, H: number, G: number): void;
  gru_rb_gate_fwd__scalar(gates: number, gh: number, rh: number, h_prev: number, B: number, H: number, G: number): void;
  gru_rb_out_fwd(gates: number, gh: number, h_prev: number, h: number, B: number, H: number, G: number): void;
  gru_rb_out_fwd__scalar(gates: number, gh: number, h_prev: number, h: number, B: number, H: number, G: number): void;
  gru_rb_out_bwd(dgx: number, dgh: number, dh: number, gates: number, h_prev: number, B: number, H: number, G: number): void;
  gru_rb_out_bwd__scalar(dgx: number, dgh: number, dh: number, gates: number, h_prev: number, B: number, H: number, G: number): void;
  gru_rb_gate_bwd(dgx: number, dgh: number, dh: number, drh: number, gates: number, h_prev: number, B: number, H: number, G: number): void;
  gru_rb_gate_bwd__scalar(dgx: number, dgh: number, dh: number, drh: number, gates: number, h_prev: number, B: number, H: number, G: number): void;
  leaky_fwd(h: number, h_prev: number, a: number, alpha: number, B: number, H: number): void;
  leaky_fwd__scalar(h: number, h_prev: number, a: number, alpha: number, B: number, H: number): void;
  leaky_bwd(da: number, dprev: number, dh: number, dalpha: number, a: number, h_prev: number, alpha: number, B: number, H: number): void;
  leaky_bwd__scalar(da: number, dprev: number, dh: number, dalpha: number, a: number, h_prev: number, alpha: number, B: number, H: number): void;

  // optim.ts
  sgd_step(p: number, g: number, b: number, n: number, lr: number, mu: number, wd: number, nesterov: number, first: number): void;
  sgd_step__scalar(p: number, g: number, b: number, n: number, lr: number, mu: number, wd: number, nesterov: number, first: number): void;
  adam_step(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, stepSize: number, bc2Sqrt: number, decoupled: number): void;
  adam_step__scalar(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, stepSize: number, bc2Sqrt: number, decoupled: number): void;
  rmsprop_step(p: number, g: number, s: number, b: number, n: number, lr: number, alpha: number, eps: number, wd: number, mu: number): void;
  rmsprop_step__scalar(p: number, g: number, s: number, b: number, n: number, lr: number, alpha: number, eps: number, wd: number, mu: number): void;
}

/** The names a module must export to be ours; checked at load so a wrong file is BAD_FILE. */
export const KERNEL_NAMES: readonly (keyof Kernels)[] = [
  'heap_base', 'simd_relaxed',
  'f32_gemm_nn', 'f32_gemm_nn__scalar', 'f32_gemm_nt_acc', 'f32_gemm_nt_acc__scalar',
  'f32_gemm_tn_acc', 'f32_gemm_tn_acc__scalar', 'f32_colsum_acc', 'f32_colsum_acc__scalar',
  'f32_sigmoid_fwd', 'f32_sigmoid_fwd__scalar', 'f32_tanh_fwd', 'f32_tanh_fwd__scalar',
  'f32_relu_fwd', 'f32_relu_fwd__scalar', 'f32_sigmoid_bwd', 'f32_sigmoid_bwd__scalar',
  'f32_tanh_bwd', 'f32_tanh_bwd__scalar', 'f32_relu_bwd', 'f32_relu_bwd__scalar',
  'f32_fill', 'f32_fill__scalar', 'f32_add', 'f32_add__scalar', 'f32_mul', 'f32_mul__scalar',
  'f32_mul_acc', 'f32_mul_acc__scalar', 'f32_axpy', 'f32_axpy__scalar',
  'f32_scale', 'f32_scale__scalar', 'f32_clamp', 'f32_clamp__scalar',
  'f32_sumsq', 'f32_sumsq__scalar', 'f32_count_nonfinite', 'f32_count_nonfinite__scalar',
  'f32_copy_rows', 'f32_add_rows',
  'lstm_cell_fwd', 'lstm_cell_fwd__scalar', 'lstm_cell_bwd', 'lstm_cell_bwd__scalar',
  'gru_cell_fwd', 'gru_cell_fwd__scalar', 'gru_cell_bwd', 'gru_cell_bwd__scalar',
  'lstmx_cell_fwd', 'lstmx_cell_fwd__scalar', 'lstmx_cell_bwd', 'lstmx_cell_bwd__scalar',
  'gru_rb_gate_fwd', 'gru_rb_gate_fwd__scalar', 'gru_rb_out_fwd', 'gru_rb_out_fwd__scalar',
  'gru_rb_out_bwd', 'gru_rb_out_bwd__scalar', 'gru_rb_gate_bwd', 'gru_rb_gate_bwd__scalar',
  'leaky_fwd', 'leaky_fwd__scalar', 'leaky_bwd', 'leaky_bwd__scalar',
  'sgd_step', 'sgd_step__scalar', 'adam_step', 'adam_step__scalar', 'rmsprop_step', 'rmsprop_step__scalar',
];
