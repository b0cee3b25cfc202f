/**
 * The messages between the page and its workers. The training worker owns the model; the lab
 * worker runs the gradient-flow lab and the benchmark, so neither blocks the other or the page.
 */

/** What the Train form sets; names follow `simd-rnn train`'s options. */
export interface TrainConfig {
  corpus: { kind: 'names' } | { kind: 'text'; text: string; name: string };
  cell: string;
  hidden: number;
  layers: number;
  embed: number;
  seq: number;
  batch: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  lr: number;
  /** Clip the gradient norm to this; 0: no clipping. */
  clip: number;
  seed: number;
  evalEvery: number;
  sampleEvery: number;
}

/** What a finished or loaded model holds, for the page to describe it. */
export interface ModelInfo {
  task: 'names' | 'text';
  describe: string;
  parameters: number;
  vocabSize: number;
  /** The unigram baseline (nats per character), when the corpus is known. */
  baseline?: number;
  /** Where the model came from: 'trained here' or the loaded file's name. */
  source: string;
  /** A loaded checkpoint's training record (`simd-rnn train` writes one): loss and validation loss by step. */
  log?: { step: number; loss: number | null; valLoss: number }[];
}

/** A trained model's insides (gradient flow over a validation window, gates, spectrum). */
export interface Inside {
  T: number;
  norms: number[][];
  gates: { layer: number; gate: string; mean: number; saturatedLow: number; saturatedHigh: number }[];
  spectrum: { name: string; gate: string; sigmaMax: number; gamma: number; regime: string }[];
}

/**
 * `run` numbers a training run (the page's count of Train presses): progress posted before a
 * reset or a new run arrives after it, and the page drops what is not of the run it shows.
 */
export type ToTrainer =
  | { type: 'start'; run: number; config: TrainConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'sample'; id: number; prompt: string; temperature: number; length: number; seed: number }
  | { type: 'save' }
  | { type: 'load'; bytes: ArrayBuffer; name: string }
  | { type: 'inspect' };

export type FromTrainer =
  | { type: 'ready'; simd: string }
  | { type: 'started'; info: ModelInfo }
  | { type: 'progress'; run: number; step: number; stepsPerSecond: number; train: [number, number][]; val: [number, number][] }
  | { type: 'samples'; run: number; step: number; valLoss: number; texts: string[] }
  | { type: 'state'; state: 'idle' | 'running' | 'paused' | 'loaded' }
  | { type: 'sample-chunk'; id: number; text: string }
  | { type: 'sample-done'; id: number; error?: string }
  | { type: 'checkpoint'; bytes: ArrayBuffer; fileName: string }
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'inside'; inside: Inside }
  | { type: 'error'; where: 'train' | 'load' | 'save' | 'inspect' | 'init'; message: string };

/** The gradient-flow lab's settings. */
export interface LabConfig {
  cell: string;
  T: number;
  init: 'pytorch' | 'xavier' | 'orthogonal' | 'identity';
  /** Forget-gate (LSTM) or update-gate (GRU) bias; null: the cell's default. */
  gateBias: number | null;
  /** W_hh times this (1: as initialised); above 1 / sigma_max the gradient may explode. */
  scale: number;
  /** The clipGradNorm threshold of the adding-problem run (0: no clipping). */
  clip: number;
}

export interface LabResult {
  norms: number[];
  ratio: number;
  spectrum: { name: string; gate: string; sigmaMax: number; gamma: number; regime: string }[];
  gates: { gate: string; mean: number; saturatedLow: number; saturatedHigh: number }[];
}

export interface AddingResult { plain: number[]; clipped: number[]; clip: number; plainDiverged: number; clippedDiverged: number }

export interface BenchRow { name: string; median: number; min: number; max: number; unit: string; throughput: string }

export type ToLab =
  | { type: 'flow'; config: LabConfig }
  | { type: 'adding'; config: LabConfig }
  | { type: 'bench' };

export type FromLab =
  | { type: 'ready'; simd: string }
  | { type: 'flow'; result: LabResult }
  | { type: 'adding'; result: AddingResult }
  | { type: 'bench-row'; row: BenchRow }
  | { type: 'bench-done' }
  | { type: 'error'; where: string; message: string };
