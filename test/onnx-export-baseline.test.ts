// exportOnnx against onnxruntime's recorded runs, baseline SIMD build (see onnx-export.suite.ts).
import { onnxExportSuite } from './onnx-export.suite.js';

onnxExportSuite('baseline');
