/**
 * The `simd-rnn/keras` entry: Keras / TensorFlow.js layers models (`model.json` and its weight
 * files) as our layers. A separate entry so that the core entry (`simd-rnn`) does not carry
 * the loader. Loading builds layers, so `init()` (from 'simd-rnn') comes first.
 */
export { loadKerasModel, KerasModel, type KerasLayer, type KerasModule } from './io/keras/model.js';
