// Everything public except `init`, which each runtime entry defines with its own default
// way of reaching the wasm files.
export { RnnError, RNN_ERROR_CODES, type RnnErrorCode } from './errors.js';
export { Backend, runtimeSupport, type InitOptions, type SimdMode, type WasmSource } from './backend.js';
export { tensor, type Tensor } from './tensor.js';
export { RNN, LSTM, GRU, RecurrentLayer, type RecurrentState, type ForwardOptions, type ForwardResult, type BackwardResult } from './rnn/layer.js';
export type { RNNOptions, LSTMOptions, GRUOptions, RecurrentOptions } from './rnn/spec.js';
export type { Stream } from './rnn/stream.js';
