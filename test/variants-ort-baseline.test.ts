// Our variants against onnxruntime, baseline SIMD build (see variants-ort.suite.ts).
import { ortSuite } from './variants-ort.suite.js';

ortSuite('baseline');
