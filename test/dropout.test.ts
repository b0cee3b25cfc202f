// Regularisation of the recurrent layers, relaxed-SIMD build (see dropout.suite.ts).
import { dropoutSuite } from './dropout.suite.js';

dropoutSuite('relaxed');
