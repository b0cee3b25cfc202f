// Regularisation of the recurrent layers, baseline SIMD build (see dropout.suite.ts).
import { dropoutSuite } from './dropout.suite.js';

dropoutSuite('baseline');
