/**
 * The `simd-rnn/onnx` entry: reading ONNX models, importing their recurrent nodes, and
 * exporting our layers and Sequentials as ONNX models. A separate entry so that the core entry
 * (`simd-rnn`) stays free of the protobuf decoder and encoder and of any runtime dependency: a
 * bundle, a Deno or browser page loading the core files as they are, or a workerd worker
 * embedding them never reaches this code. Plain JavaScript: needs no `init` to read a file.
 */
export { readOnnx } from './io/onnx/read.js';
export { importOnnx, layerFromOnnx, type OnnxImport } from './io/onnx/import.js';
export type { OnnxModel, OnnxNode, OnnxGraph, OnnxTensor, OnnxAttribute, OnnxDataType } from './io/onnx/model.js';
export { exportOnnx, type OnnxExportOptions } from './io/onnx/export.js';
