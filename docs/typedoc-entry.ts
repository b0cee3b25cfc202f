// What typedoc documents: both public entries as one reference, so that adding the
// `simd-rnn/onnx` entry adds its pages to docs/api without moving every other page. The doc
// comments of the ONNX exports say that they are imported from 'simd-rnn/onnx'.
export * from '../src/index.js';
export * from '../src/onnx.js';
