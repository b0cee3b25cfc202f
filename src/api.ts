// Everything public except `init`, which each runtime entry defines with its own default
// way of reaching the wasm files.
export { RnnError, RNN_ERROR_CODES, type RnnErrorCode } from './errors.js';
export { Backend, runtimeSupport, type InitOptions, type SimdMode, type WasmSource } from './backend.js';
export { tensor, type Tensor } from './tensor.js';
export { RNN, LSTM, GRU, CEC, RecurrentLayer, type RecurrentState, type ForwardOptions, type ForwardResult, type BackwardResult, type BackwardOptions } from './rnn/layer.js';
export type { RecurrentOptions, InitScheme } from './rnn/spec.js';
export type { RNNOptions } from './rnn/cells/rnn.js';
export type { LSTMOptions } from './rnn/cells/lstm.js';
export type { GRUOptions } from './rnn/cells/gru.js';
export type { CECOptions } from './rnn/cells/cec.js';
export type { Stream } from './rnn/stream.js';
export type { GradientTrace, GateStat, GateStats, SpectrumEntry } from './rnn/diagnostics.js';
export type { ActivationName, ActivationOption } from './rnn/activations.js';
export { SGD, Adam, AdamW, RMSprop, type SGDOptions, type AdamOptions, type RMSpropOptions, type OptimizerState } from './train/optim.js';
export {
  Schedule, StepLR, ExponentialLR, CosineAnnealingLR, LinearLR, OneCycleLR, ReduceLROnPlateau, type ScheduleState, type StepLROptions,
  type ExponentialLROptions, type CosineAnnealingLROptions, type LinearLROptions, type OneCycleLROptions, type ReduceLROnPlateauOptions,
} from './train/schedule.js';
export { clipGradNorm, clipGradValue } from './train/clip.js';
export { crossEntropy, mse, type LossResult } from './train/loss.js';
export { Linear, type LinearOptions } from './train/linear.js';
export { Dropout, type DropoutOptions } from './train/dropout.js';
export { Embedding, type EmbeddingOptions, type IdTensor } from './train/embedding.js';
export { Sequential, type Layer } from './train/sequential.js';
export { ScalarMix, type ScalarMixOptions } from './train/scalar-mix.js';
export { saveSafetensors, loadSafetensors } from './io/safetensors.js';
export { saveCheckpoint, loadCheckpoint, loadCheckpointInto, checkpointInfo, type Model, type CheckpointInfo, type SaveCheckpointOptions } from './io/checkpoint.js';
export type { Module, Optimizer } from './registry.js';
export { fit, type FitData, type FitOptions, type FitProgress, type FitResult } from './train/fit.js';
export { l1Penalty, l2Penalty } from './train/penalty.js';
export { generate, type GenerateOptions } from './train/generate.js';
export { EchoStateNetwork, nrmse, type EsnStream, type EchoStateOptions, type EsnRunOptions, type EsnFitResult, type EsnReadout } from './esn.js';
export { narma10, mackeyGlass, type SeriesTask, type MackeyGlassOptions } from './datasets.js';
export { Random } from './random.js';
export { uniformInit, xavierUniform, xavierNormal, orthogonal, orthogonalBlocks, identityInit } from './rnn/initializers.js';
export { lineChart, type LineChartOptions, type ChartSeries } from './plot/svg.js';
