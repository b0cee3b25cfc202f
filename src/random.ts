/**
 * Seeded random numbers that are the same on every runtime: 32-bit integer arithmetic only
 * (mulberry32), and floats built exactly from 24 random bits, so no runtime's Math functions
 * or rounding can make two runs differ.
 * see: T. Ettinger, mulberry32 (2017), a public-domain 32-bit generator.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A fresh seed from the platform's crypto source (for layers built without `seed`). */
  static randomSeed(): number {
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
    if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0];
    return Math.floor(Math.random() * 2 ** 32);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 24 bits, exactly representable as float32. */
  nextUnit(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /** Fills `out` with float32 values uniform in [-bound, bound). */
  fillUniform(out: Float32Array, bound: number): void {
    for (let i = 0; i < out.length; i++) out[i] = (2 * this.nextUnit() - 1) * bound;
  }
}
