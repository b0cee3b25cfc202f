// importOnnx / layerFromOnnx against onnxruntime, relaxed SIMD build (see onnx-import.suite.ts).
import { onnxImportFuzz, onnxImportSuite } from './onnx-import.suite.js';

onnxImportSuite('relaxed');
onnxImportFuzz();
