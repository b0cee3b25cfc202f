import { checkSeed } from './checks.js';
import { RnnError, describe } from './errors.js';

/**
 * Seeded random numbers that are the same on every runtime: 32-bit integer arithmetic only
 * (mulberry32), and floats built exactly from 24 random bits, so no runtime's Math functions
 * or rounding can make two runs differ. Plain JavaScript: needs no `init()`.
 * see: T. Ettinger, mulberry32 (2017), a public-domain 32-bit generator.
 */
export class Random {
  private current: number;

  /** @param seed An integer; its low 32 bits seed the generator. */
  constructor(seed: number) {
    this.current = checkSeed(seed, 'new Random: seed') >>> 0;
  }

  /**
   * The generator's whole state, an unsigned 32-bit integer: `Random.fromState(r.state())`
   * draws the same numbers from here on as `r` does (a resumed training run saves it).
   */
  state(): number {
    return this.current;
  }

  /** A generator that continues from a `state()` (an integer from 0 to 2^32 - 1). */
  static fromState(state: number): Random {
    if (!Number.isSafeInteger(state) || state < 0 || state > 0xffffffff) {
      throw new RnnError('BAD_ARGUMENT', `Random.fromState: state must be an integer from 0 to 4294967295 (a Random's state()), got ${describe(state)}`);
    }
    const r = new Random(0);
    r.current = state;
    return r;
  }

  /** A fresh seed from the platform's crypto source (for layers built without `seed`). */
  static randomSeed(): number {
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
    if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0];
    return Math.floor(Math.random() * 2 ** 32);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    let t = (this.current = (this.current + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 24 bits, exactly representable as float32. */
  nextUnit(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /**
   * Fills `out` with `hit` where a draw `nextUnit() < p` and `miss` elsewhere, one draw per
   * element in order: the same numbers as that loop of `nextUnit()` calls, and the generator
   * ends in the same state, but several times faster (dropout masks draw millions).
   */
  fillBernoulli(out: Float32Array, p: number, hit: number, miss: number): void {
    // u < p  <=>  (t >>> 8) < p * 2^24: both sides scaled by a power of two, exactly
    const below = p * 16777216;
    let s = this.current;
    for (let i = 0; i < out.length; i++) {
      let t = (s = (s + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 8) < below ? hit : miss;
    }
    this.current = s;
  }

  /**
   * Standard normal, by Marsaglia's polar method. Built from +, -, *, / and sqrt only (all
   * correctly rounded in IEEE 754) and a logarithm of our own, so every runtime draws the
   * same numbers; Math.log may differ in the last bit between engines.
   */
  nextNormal(): number {
    for (;;) {
      const u = 2 * this.nextUnit() - 1, v = 2 * this.nextUnit() - 1, s = u * u + v * v;
      if (s > 0 && s < 1) return u * Math.sqrt((-2 * log(s)) / s);
    }
  }

  /**
   * Fills `out` with std * standard normals, both values of each polar draw used (half the
   * work of nextNormal per value; a different sequence from repeated nextNormal calls).
   */
  fillNormal(out: Float32Array, std = 1): void {
    for (let i = 0; i < out.length;) {
      const u = 2 * this.nextUnit() - 1, v = 2 * this.nextUnit() - 1, s = u * u + v * v;
      if (!(s > 0 && s < 1)) continue;
      const f = Math.sqrt((-2 * log(s)) / s);
      out[i++] = std * u * f;
      if (i < out.length) out[i++] = std * v * f;
    }
  }

  /** Fills `out` with float32 values uniform in [-bound, bound). */
  fillUniform(out: Float32Array, bound: number): void {
    for (let i = 0; i < out.length; i++) out[i] = (2 * this.nextUnit() - 1) * bound;
  }
}

const LN2 = 0.6931471805599453;

/**
 * Natural logarithm of x > 0 with basic operations only: x = m 2^e with m in [1/sqrt2,
 * sqrt2), then log m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172, summed until the terms
 * vanish. Accurate to a few ulp; the same bits on every runtime.
 */
function log(x: number): number {
  let e = 0;
  while (x >= Math.SQRT2) { x /= 2; e++; }
  while (x < Math.SQRT1_2) { x *= 2; e--; }
  const t = (x - 1) / (x + 1), t2 = t * t;
  let term = t, sum = 0;
  for (let k = 1; Math.abs(term) > 1e-18; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + e * LN2;
}
