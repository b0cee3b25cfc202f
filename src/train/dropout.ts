/**
 * torch.nn.Dropout for a Sequential: in a training forward each value of x is zeroed with
 * probability p and the others scaled by 1 / (1 - p) (inverted dropout, so inference is the
 * identity); backward multiplies by the same mask. The mask comes from the module's own seeded
 * generator (random.ts: the same bits on every runtime), drawn as the recurrent layers draw
 * theirs (rnn/dropout.ts). No parameters and no wasm memory: plain JavaScript, so a product
 * of two float32 values rounded once, as a multiply in wasm would be.
 */
import { checkFinite, checkFlag, checkNumber, checkOptions, checkSeed, checkShape, checkTensor } from '../checks.js';
import { RnnError, describe } from '../errors.js';
import type { ParamBuffer } from '../params.js';
import { Random } from '../random.js';
import { drawMask } from '../rnn/dropout.js';
import { checkStateDict } from '../state-dict.js';
import type { Tensor } from '../tensor.js';

/** Options of `new Dropout`. */
export interface DropoutOptions {
  /** The probability of zeroing each value, in [0, 1) (PyTorch's default 0.5). */
  p?: number;
  /** Seed of the mask generator; without one, masks come from a randomly seeded generator. */
  seed?: number;
}

/**
 * torch.nn.Dropout: identity at inference; in `forward(x, { train: true })` each value is
 * zeroed with probability p and the rest scaled by 1 / (1 - p). Any shape; no parameters
 * (its stateDict is empty), so it keeps PyTorch's layer indices in a Sequential's keys.
 */
export class Dropout {
  /** The probability of zeroing a value. */
  readonly p: number;
  private random: Random;
  private tape: { mask: Float32Array; shape: number[] } | null = null;
  private disposed = false;
  /** @internal Test hook: training forwards take their mask from here (0 or 1 / (1 - p) per value) instead of the generator. */
  maskSource: ((n: number) => Float32Array) | null = null;

  constructor(options: DropoutOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `new Dropout: options must be an object { p?, seed? }, got ${describe(options)}`);
    checkOptions(options, ['p', 'seed'], 'new Dropout');
    this.p = options.p === undefined ? 0.5 : checkNumber(options.p, 'new Dropout: p', (x) => x >= 0 && x < 1, 'a probability in [0, 1)');
    this.random = new Random(options.seed === undefined ? Random.randomSeed() : checkSeed(options.seed, 'new Dropout: seed'));
  }

  /** Restarts the mask generator as `new Dropout({ seed })` starts it (for reproducible training after `loadCheckpoint`). */
  seedMasks(seed: number): void {
    this.alive('seedMasks');
    this.random = new Random(checkSeed(seed, 'Dropout.seedMasks: seed'));
  }

  /** x itself (a copy) at inference; x times a fresh mask with `opts.train`. */
  forward(x: Tensor, opts?: { train?: boolean }): Tensor {
    this.alive('forward');
    const t = checkTensor(x, 'Dropout.forward: x');
    checkOptions(opts, ['train'], 'Dropout.forward: opts');
    const train = checkFlag(opts?.train, 'Dropout.forward: opts.train', false);
    checkFinite(t.data, 'Dropout.forward: x');
    const n = t.data.length;
    if (!train) { this.tape = null; return { data: t.data.slice(), shape: [...t.shape] }; }
    const mask = this.maskSource ? this.maskSource(n) : drawMask(this.random, { name: 'mask', shape: [n], kind: 'drop', p: this.p });
    if (!(mask instanceof Float32Array) || mask.length !== n) throw new RnnError('BAD_ARGUMENT', `Dropout.forward: the mask source gave ${describe(mask)}, expected a Float32Array of ${n}`);
    this.tape = { mask, shape: [...t.shape] };
    return { data: mul(t.data, mask), shape: [...t.shape] };
  }

  /** dx = dOut times the mask of the last training forward. */
  backward(dOut: Tensor): {
    /** The gradient of x, shaped as x. */
    dx: Tensor;
  } {
    this.alive('backward');
    if (!this.tape) throw new RnnError('NO_TAPE', 'Dropout.backward: call forward(x, { train: true }) first (each backward consumes its tape)');
    const d = checkTensor(dOut, 'Dropout.backward: dOut');
    checkShape(d.shape, this.tape.shape, 'Dropout.backward: dOut');
    checkFinite(d.data, 'Dropout.backward: dOut');
    const { mask, shape } = this.tape;
    this.tape = null;
    return { dx: { data: mul(d.data, mask), shape: [...shape] } };
  }

  /** No parameters: an empty dict. */
  stateDict(): Record<string, Tensor> { this.alive('stateDict'); return {}; }
  /** No parameters: an empty dict. */
  grads(): Record<string, Tensor> { this.alive('grads'); return {}; }
  /** Nothing to clear. */
  zeroGrad(): void { this.alive('zeroGrad'); }
  /** Accepts only an empty dict (strict, as every module). */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    this.alive('loadStateDict');
    checkStateDict(dict, {}, 'Dropout.loadStateDict');
  }
  /** @internal */
  paramBuffers(): ParamBuffer[] { this.alive('parameters'); return []; }
  /** The options that rebuild this module (without its seed). */
  config(): Record<string, unknown> { return { type: 'Dropout', p: this.p }; }
  /** No wasm memory: 0. */
  memoryBytes(): number { this.alive('memoryBytes'); return 0; }
  /** Later calls throw DISPOSED. */
  dispose(): void { this.disposed = true; this.tape = null; }

  private alive(what: string): void {
    if (this.disposed) throw new RnnError('DISPOSED', `Dropout.${what}: the module was disposed`);
  }
}

function mul(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}
