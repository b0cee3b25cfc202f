// loadKerasModel against tfjs, baseline SIMD build (see keras.suite.ts).
import { kerasSuite } from './keras.suite.js';

kerasSuite('baseline');
