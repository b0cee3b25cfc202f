// loadKerasModel against tfjs, relaxed SIMD build (see keras.suite.ts).
import { kerasSuite } from './keras.suite.js';

kerasSuite('relaxed');
