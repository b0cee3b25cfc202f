// The classic cell variants against the float64 reference, relaxed-SIMD build (see variants.suite.ts).
import { variantSuite } from './variants.suite.js';

variantSuite('relaxed');
