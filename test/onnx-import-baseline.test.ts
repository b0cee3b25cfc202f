// importOnnx / layerFromOnnx against onnxruntime, baseline SIMD build (see onnx-import.suite.ts).
import { onnxImportSuite } from './onnx-import.suite.js';

onnxImportSuite('baseline');
