/**
 * The one list of the wasm module's kernels (assembly/index.ts). Each entry names an export
 * and gives its arguments, the assembly file that defines it (assembly/<file>.ts, tested by
 * test/<file>.test.ts), whether a `__scalar` twin with the same signature is exported, what it
 * returns when not void, and whether bench/recurrent-product.bench.js times it. The `Kernels`
 * type, the export check at load (backend.ts), the kernel tests and the benchmark all read it.
 *
 * Pointers are byte offsets into `memory`; sizes are element counts; leading dimensions (ld*)
 * are in elements. Every argument is a number.
 */
import type { WasmMemory } from './arena.js';

/** The activation arguments of lstma_*: each activation's id (ACTIVATION_IDS, rnn/activations.ts), alpha and beta. */
const ACTS = ['gate_act', 'gate_alpha', 'gate_beta', 'cell_act', 'cell_alpha', 'cell_beta', 'hidden_act', 'hidden_alpha', 'hidden_beta'] as const;

export const KERNELS = {
  // assembly/gemm.ts
  f32_gemm_nn: { file: 'gemm', scalar: true, bench: true, args: ['c', 'ldc', 'a', 'lda', 'b', 'ldb', 'bias', 'M', 'N', 'K', 'accumulate'] },
  f32_gemm_nt_acc: { file: 'gemm', scalar: true, args: ['c', 'ldc', 'a', 'lda', 'b', 'ldb', 'M', 'N', 'K'] },
  f32_gemm_tn_acc: { file: 'gemm', scalar: true, args: ['c', 'ldc', 'a', 'lda', 'b', 'ldb', 'M', 'N', 'K'] },
  f32_colsum_acc: { file: 'gemm', scalar: true, args: ['y', 'a', 'lda', 'M', 'N'] },

  // assembly/panels.ts (B in column panels, for the batch-1 recurrent step)
  f32_pack_panels: { file: 'panels', scalar: false, args: ['p', 'b', 'ldb', 'K', 'N'] },
  f32_gemm_nn_panels: { file: 'panels', scalar: true, bench: true, args: ['c', 'ldc', 'a', 'lda', 'p', 'bias', 'M', 'N', 'K', 'accumulate'] },

  // assembly/activation.ts
  f32_sigmoid_fwd: { file: 'activation', scalar: true, bench: true, args: ['y', 'x', 'n'] },
  f32_tanh_fwd: { file: 'activation', scalar: true, bench: true, args: ['y', 'x', 'n'] },
  f32_relu_fwd: { file: 'activation', scalar: true, args: ['y', 'x', 'n'] },
  f32_sigmoid_bwd: { file: 'activation', scalar: true, args: ['dx', 'y', 'dy', 'n'] },
  f32_tanh_bwd: { file: 'activation', scalar: true, args: ['dx', 'y', 'dy', 'n'] },
  f32_relu_bwd: { file: 'activation', scalar: true, args: ['dx', 'y', 'dy', 'n'] },
  f32_hardsigmoid_fwd: { file: 'activation', scalar: true, args: ['y', 'x', 'n', 'alpha', 'beta'] },
  f32_hardsigmoid_bwd: { file: 'activation', scalar: true, args: ['dx', 'y', 'dy', 'n', 'alpha'] },

  // assembly/vector.ts
  f32_fill: { file: 'vector', scalar: true, args: ['y', 'v', 'n'] },
  f32_add: { file: 'vector', scalar: true, args: ['y', 'a', 'b', 'n'] },
  f32_mul: { file: 'vector', scalar: true, args: ['y', 'a', 'b', 'n'] },
  f32_mul_acc: { file: 'vector', scalar: true, args: ['y', 'a', 'b', 'n'] },
  f32_axpy: { file: 'vector', scalar: true, args: ['y', 'alpha', 'x', 'n'] },
  f32_scale: { file: 'vector', scalar: true, args: ['y', 'x', 'alpha', 'n'] },
  f32_clamp: { file: 'vector', scalar: true, args: ['y', 'x', 'lo', 'hi', 'n'] },
  f32_sumsq: { file: 'vector', scalar: true, returns: 'number', args: ['x', 'n'] },
  f32_count_nonfinite: { file: 'vector', scalar: true, returns: 'number', args: ['x', 'n'] },
  f32_copy_rows: { file: 'vector', scalar: false, args: ['y', 'ldy', 'x', 'ldx', 'rows', 'cols'] },
  f32_add_rows: { file: 'vector', scalar: false, args: ['y', 'ldy', 'x', 'ldx', 'rows', 'cols'] },

  // assembly/lstm.ts (lstmx_* and lstma_* mode: 0 = i f g o, 1 = no forget gate, 2 = coupled)
  lstm_cell_fwd: { file: 'lstm', scalar: true, args: ['gates', 'c_prev', 'c', 'tanh_c', 'h', 'B', 'H'] },
  lstm_cell_bwd: { file: 'lstm', scalar: true, args: ['dgates', 'dc', 'dh', 'gates', 'c_prev', 'tanh_c', 'B', 'H'] },
  lstmx_cell_fwd: { file: 'lstm', scalar: true, args: ['gates', 'c_prev', 'c', 'tanh_c', 'h', 'peep', 'B', 'H', 'mode', 'clip'] },
  lstmx_cell_bwd: { file: 'lstm', scalar: true, args: ['dgates', 'dc', 'dh', 'gates', 'c_prev', 'c', 'tanh_c', 'peep', 'dpeep', 'B', 'H', 'mode', 'clip'] },

  lstma_cell_fwd: { file: 'lstm', scalar: true, args: ['gates', 'c_prev', 'c', 'act_c', 'h', 'peep', 'B', 'H', 'mode', 'clip', ...ACTS] },
  lstma_cell_bwd: { file: 'lstm', scalar: true, args: ['dgates', 'dc', 'dh', 'gates', 'c_prev', 'c', 'act_c', 'peep', 'dpeep', 'B', 'H', 'mode', 'clip', ...ACTS] },

  // assembly/gru.ts (gru_rb_* and gruact_* G: gate blocks, 3 = r z n, 2 = minimal unit f n)
  gru_cell_fwd: { file: 'gru', scalar: true, args: ['gates', 'gh', 'ghn', 'h_prev', 'h', 'B', 'H'] },
  gru_cell_bwd: { file: 'gru', scalar: true, args: ['dgx', 'dgh', 'dh', 'gates', 'ghn', 'h_prev', 'B', 'H'] },
  gru_rb_gate_fwd: { file: 'gru', scalar: true, args: ['gates', 'gh', 'rh', 'h_prev', 'B', 'H', 'G'] },
  gru_rb_out_fwd: { file: 'gru', scalar: true, args: ['gates', 'gh', 'h_prev', 'h', 'B', 'H', 'G'] },
  gru_rb_out_bwd: { file: 'gru', scalar: true, args: ['dgx', 'dgh', 'dh', 'gates', 'h_prev', 'B', 'H', 'G'] },
  gru_rb_gate_bwd: { file: 'gru', scalar: true, args: ['dgx', 'dgh', 'dh', 'drh', 'gates', 'h_prev', 'B', 'H', 'G'] },

  gruact_gate_fwd: { file: 'gru', scalar: true, args: ['gates', 'gh', 'rh', 'h_prev', 'B', 'H', 'G', 'act', 'alpha', 'beta'] },
  gruact_out_fwd: { file: 'gru', scalar: true, args: ['gates', 'gh', 'ghn', 'h_prev', 'h', 'B', 'H', 'G', 'after', 'act', 'alpha', 'beta'] },
  gruact_out_bwd: { file: 'gru', scalar: true, args: ['dgx', 'dgh', 'dh', 'gates', 'ghn', 'h_prev', 'B', 'H', 'G', 'after', 'gate_act', 'gate_alpha', 'cell_act', 'cell_alpha'] },
  gruact_gate_bwd: { file: 'gru', scalar: true, args: ['dgx', 'dgh', 'dh', 'drh', 'gates', 'h_prev', 'B', 'H', 'G', 'act', 'alpha'] },

  // assembly/rnn.ts
  leaky_fwd: { file: 'rnn', scalar: true, args: ['h', 'h_prev', 'a', 'alpha', 'B', 'H'] },
  leaky_bwd: { file: 'rnn', scalar: true, args: ['da', 'dprev', 'dh', 'dalpha', 'a', 'h_prev', 'alpha', 'B', 'H'] },

  // assembly/optim.ts
  sgd_step: { file: 'optim', scalar: true, args: ['p', 'g', 'b', 'n', 'lr', 'mu', 'wd', 'nesterov', 'first'] },
  adam_step: { file: 'optim', scalar: true, args: ['p', 'g', 'm', 'v', 'n', 'lr', 'beta1', 'beta2', 'eps', 'wd', 'step_size', 'bc2_sqrt', 'decoupled'] },
  rmsprop_step: { file: 'optim', scalar: true, args: ['p', 'g', 's', 'b', 'n', 'lr', 'alpha', 'eps', 'wd', 'mu'] },
} as const satisfies Record<string, KernelSpec>;

/** What the table says of one kernel. */
export interface KernelSpec {
  /** The stem of its assembly file and of its test file. */
  readonly file: 'gemm' | 'panels' | 'activation' | 'vector' | 'lstm' | 'gru' | 'rnn' | 'optim';
  /** Whether `<name>__scalar`, the same computation without SIMD, is exported too. */
  readonly scalar: boolean;
  /** 'number' when the kernel returns a value. */
  readonly returns?: 'number';
  /** Timed by bench/recurrent-product.bench.js. */
  readonly bench?: boolean;
  /** Argument names, in order, as in the assembly source. */
  readonly args: readonly string[];
}

type Table = typeof KERNELS;
/** A kernel's name (twins excluded). */
export type KernelName = keyof Table;
export type KernelFile = KernelSpec['file'];

type Numbers<A extends readonly unknown[]> = { -readonly [I in keyof A]: number };
type KernelFn<S extends KernelSpec> =
  (...args: Numbers<S['args']>) => S extends { returns: 'number' } ? number : void;
type Twins = {
  [K in KernelName as Table[K] extends { scalar: true } ? `${K}__scalar` : never]: KernelFn<Table[K]>;
};

/** The typed description of every export of the wasm module, derived from `KERNELS`. */
export type Kernels = {
  memory: WasmMemory;
  heap_base(): number;
  simd_relaxed(): number;
} & { [K in KernelName]: KernelFn<Table[K]> } & Twins;

/** Every kernel of the table, in table order. */
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/** The kernels of one assembly file, in table order. */
export function kernelsIn(file: KernelFile): KernelName[] {
  return KERNEL_NAMES.filter((name) => KERNELS[name].file === file);
}

/** A kernel's name and, when it has one, its scalar twin's. */
export function withTwin(name: KernelName): (keyof Kernels)[] {
  return KERNELS[name].scalar ? [name, `${name}__scalar` as keyof Kernels] : [name];
}

/** The functions a module must export to be ours; checked at load so a wrong file is BAD_FILE. */
export const EXPORTED_FUNCTIONS: readonly (keyof Kernels)[] = [
  'heap_base', 'simd_relaxed', ...KERNEL_NAMES.flatMap(withTwin),
];
