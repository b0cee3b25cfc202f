// The classic cell variants against the float64 reference, baseline SIMD build (see variants.suite.ts).
import { variantSuite } from './variants.suite.js';

variantSuite('baseline');
