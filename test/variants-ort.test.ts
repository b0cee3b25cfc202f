// Our variants against onnxruntime, relaxed-SIMD build (see variants-ort.suite.ts).
import { ortSuite } from './variants-ort.suite.js';

ortSuite('relaxed');
