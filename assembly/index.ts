// The wasm module's exports. Every kernel takes raw pointers (byte offsets into the exported
// memory) and sizes; none allocates. The host owns the memory layout (src/layout.ts).
export { simd_relaxed } from './simd';
export * from './gemm';
export { f32_pack_panels, f32_gemm_nn_panels, f32_gemm_nn_panels__scalar } from './panels';
export * from './activation';
export * from './vector';
export * from './lstm';
export * from './gru';
export * from './rnn';
export * from './optim';

// First byte after the static data: the host's arena starts here (64-byte aligned by the host).
export function heap_base(): usize {
  return __heap_base;
}
