// What typedoc documents: the public entries as one reference, so that adding the
// `simd-rnn/onnx` and `simd-rnn/keras` entries add their pages to docs/api without moving every other page. The doc
// comments of the ONNX and Keras exports say which entry they are imported from.
export * from '../src/index.js';
export * from '../src/onnx.js';
export * from '../src/keras.js';
