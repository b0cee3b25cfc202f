// exportOnnx against onnxruntime's recorded runs, relaxed SIMD build (see onnx-export.suite.ts).
import { onnxExportSuite } from './onnx-export.suite.js';

onnxExportSuite('relaxed');
