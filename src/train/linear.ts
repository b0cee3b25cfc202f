/**
 * torch.nn.Linear: y = x W^T + b over the last axis of any shape, forward next to backward.
 * The weight is stored transposed ([in, out], rows padded like the recurrent weights) so the
 * forward is one f32_gemm_nn over all leading rows; backward is dx = dy W (nt), dW += x^T dy
 * (tn), db += column sums of dy. `forward(x, { train: true })` keeps x for backward.
 * Initialisation as PyTorch: weight and bias uniform in [-1/sqrt(in), 1/sqrt(in)].
 */
import { getBackend, type Backend } from '../backend.js';
import type { Region } from '../arena.js';
import { holdParameters, type Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, f32Bytes, f32Index, paddedWidth, planLayout, type Layout } from '../layout.js';
import { Random } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkFlag, checkOptions, checkShape, checkTensor } from '../checks.js';
import type { ParamBuffer } from '../params.js';
import { checkStateDict } from '../state-dict.js';

/** Options of `new Linear`. */
export interface LinearOptions {
  /** The width of the input's last axis. */
  inFeatures: number;
  /** The width of the output's last axis. */
  outFeatures: number;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Seed of the initialiser; without one, weights come from a randomly seeded generator. */
  seed?: number;
}

/**
 * torch.nn.Linear: y = x W^T + b over the last axis of any shape, with W [out, in] and b [out]
 * (keys `weight` and `bias`), initialised as PyTorch does: uniform in
 * [-1/sqrt(in), 1/sqrt(in)]. The product runs in wasm; `forward(x, { train: true })` keeps x
 * for the next `backward`.
 */
export class Linear {
  /** The width of the input's last axis. */
  readonly inFeatures: number;
  /** The width of the output's last axis. */
  readonly outFeatures: number;
  /** Whether the layer has a bias. */
  readonly bias: boolean;
  private readonly backend: Backend;
  private readonly layout: Layout;
  private readonly ld: number;
  private paramRegion: Region | null;
  private gradRegion: Region | null;
  private work: Region | null = null;
  /** The regions above (holding.ts): freed by dispose, or when the layer is collected undisposed. */
  private readonly memory: Holding;
  private tape: { rows: number; shape: number[]; work: Layout } | null = null;

  constructor(options: LinearOptions) {
    this.backend = getBackend('new Linear');
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `new Linear: options must be an object with inFeatures and outFeatures, got ${describe(options)}`);
    checkOptions(options, ['inFeatures', 'outFeatures', 'bias', 'seed'], 'new Linear');
    for (const key of ['inFeatures', 'outFeatures'] as const) {
      const v = options[key];
      if (!Number.isSafeInteger(v) || v < 1) throw new RnnError('BAD_ARGUMENT', `new Linear: ${key} must be an integer >= 1, got ${describe(v)}`);
    }
    if (options.bias !== undefined && typeof options.bias !== 'boolean') throw new RnnError('BAD_ARGUMENT', `new Linear: bias must be true or false, got ${describe(options.bias)}`);
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw new RnnError('BAD_ARGUMENT', `new Linear: seed must be an integer, got ${describe(options.seed)}`);
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    this.bias = options.bias ?? true;
    this.ld = paddedWidth(this.outFeatures);
    // the parameters, and the same layout again for their gradients
    this.layout = planLayout([
      { name: 'weight', shape: [this.inFeatures, this.ld], comment: "PyTorch's weight [out, in], transposed; rows padded (padding stays 0)" },
      ...(this.bias ? [{ name: 'bias', shape: [this.outFeatures], comment: "PyTorch's bias" }] : []),
    ]);
    const held = holdParameters(this, this.backend.arena, this.layout.bytes, 'Linear');
    this.memory = held.memory; this.paramRegion = held.params; this.gradRegion = held.grads;
    const random = new Random(options.seed ?? Random.randomSeed()), bound = 1 / Math.sqrt(this.inFeatures);
    const w = new Float32Array(this.outFeatures * this.inFeatures), b = new Float32Array(this.outFeatures);
    random.fillUniform(w, bound);
    random.fillUniform(b, bound);
    this.write(w, this.bias ? b : null);
  }

  /** y [..., out] for x [..., in]. */
  forward(x: Tensor, opts?: { train?: boolean }): Tensor {
    const { data, shape, rows } = this.checkInput(x, 'x', this.inFeatures);
    checkOptions(opts, ['train'], 'Linear.forward: opts');
    const train = checkFlag(opts?.train, 'Linear.forward: opts.train', false);
    const work = this.workLayout(rows);
    if (!this.work || this.work.bytes < work.bytes) {
      const region = this.memory.alloc(work.bytes, `Linear working memory (${rows} rows)`);
      if (this.work) this.memory.free(this.work);
      this.work = region;
    }
    const heap = this.backend.arena.f32, at = addresses(work, this.work.ptr), xp = at('x'), yp = at('y');
    heap.set(data, f32Index(xp));
    this.backend.kernels.f32_gemm_nn(yp, this.outFeatures, xp, this.inFeatures, this.w(), this.ld, this.b(), rows, this.outFeatures, this.inFeatures, 0);
    this.tape = train ? { rows, shape: [...shape], work } : null;
    const out = heap.slice(f32Index(yp), f32Index(yp) + rows * this.outFeatures);
    return { data: out, shape: [...shape.slice(0, -1), this.outFeatures] };
  }

  /** Gradients through the last training forward: returns dx; ADDS into grads(). */
  backward(dOut: Tensor): {
    /** The gradient of x, shaped as x. */
    dx: Tensor;
  } {
    this.alive('backward');
    if (!this.tape) throw new RnnError('NO_TAPE', 'Linear.backward: call forward(x, { train: true }) first (each backward consumes its tape)');
    const { rows, shape, work } = this.tape;
    const d = checkTensor(dOut, 'Linear.backward: dOut');
    checkShape(d.shape, [...shape.slice(0, -1), this.outFeatures], 'Linear.backward: dOut');
    checkFinite(d.data, 'Linear.backward: dOut');
    const k = this.backend.kernels, I = this.inFeatures, O = this.outFeatures;
    const at = addresses(work, this.work!.ptr), xp = at('x'), dyp = at('y');
    // dy overwrites y, which backward does not need; dx goes into a fresh region
    this.backend.arena.f32.set(d.data, f32Index(dyp));
    const dxRegion = this.backend.arena.alloc(f32Bytes(rows * I), 'Linear dx');
    try {
      k.f32_gemm_nt_acc(dxRegion.ptr, I, dyp, O, this.w(), this.ld, rows, I, O);
      k.f32_gemm_tn_acc(this.gradRegion!.ptr, this.ld, xp, I, dyp, O, I, O, rows);
      if (this.bias) k.f32_colsum_acc(addresses(this.layout, this.gradRegion!.ptr)('bias'), dyp, O, rows, O);
      this.tape = null;
      return { dx: { data: this.backend.arena.f32At(dxRegion.ptr, rows * I).slice(), shape: [...shape] } };
    } finally {
      this.backend.arena.free(dxRegion);
    }
  }

  /** Copies of the parameters: weight [out, in] and bias [out], as PyTorch's. */
  stateDict(): Record<string, Tensor> { return this.read(this.alive('stateDict').params); }
  /** Copies of the accumulated gradients, named like stateDict. */
  grads(): Record<string, Tensor> { return this.read(this.alive('grads').grads); }
  /** Sets every gradient to zero (backward adds into them). */
  zeroGrad(): void { this.alive('zeroGrad'); this.backend.kernels.f32_fill(this.gradRegion!.ptr, 0, f32Index(this.layout.bytes)); }

  /**
   * Loads PyTorch-named parameters (Tensor or bare Float32Array values). Strict: every key,
   * no unknown key, every size right, all finite; nothing changes unless the whole dict is valid.
   */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    this.alive('loadStateDict');
    const shapes: Record<string, number[]> = { weight: [this.outFeatures, this.inFeatures] };
    if (this.bias) shapes.bias = [this.outFeatures];
    const values = checkStateDict(dict, shapes, 'Linear.loadStateDict');
    this.write(values.weight, values.bias ?? null);
  }

  /** @internal */
  paramBuffers(): ParamBuffer[] {
    this.alive('parameters');
    const region = this.paramRegion;
    return [{ param: region!.ptr, grad: this.gradRegion!.ptr, length: f32Index(this.layout.bytes), backend: this.backend, alive: () => this.paramRegion === region, owner: 'Linear' }];
  }

  /** The constructor options that rebuild this layer (without its weights or seed). */
  config(): Record<string, unknown> {
    return { type: 'Linear', inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias };
  }

  /** Bytes of wasm memory this layer holds now (parameters, gradients, working memory). */
  memoryBytes(): number {
    this.alive('memoryBytes');
    return this.memory.bytes;
  }

  /** Returns all memory; any later call throws DISPOSED. */
  dispose(): void {
    if (!this.paramRegion) return;
    this.memory.release();
    this.paramRegion = this.gradRegion = this.work = this.tape = null;
  }

  private alive(what: string): { params: number; grads: number } {
    if (!this.paramRegion) throw new RnnError('DISPOSED', `Linear.${what}: the layer was disposed`);
    return { params: this.paramRegion.ptr, grads: this.gradRegion!.ptr };
  }

  private w(): number { return addresses(this.layout, this.paramRegion!.ptr)('weight'); }
  private b(): number { return addresses(this.layout, this.paramRegion!.ptr)('bias'); }

  // Working memory of a forward over `rows` rows, kept for the backward that follows it.
  private workLayout(rows: number): Layout {
    return planLayout([
      { name: 'x', shape: [rows, this.inFeatures], comment: 'the input, kept for dW = x^T dy' },
      { name: 'y', shape: [rows, this.outFeatures], comment: 'the output; backward overwrites it with dy', packed: true },
    ]);
  }

  private checkInput(x: Tensor, name: string, width: number) {
    this.alive('forward');
    const t = checkTensor(x, `Linear.forward: ${name}`);
    if (t.shape.length < 1 || t.shape[t.shape.length - 1] !== width) {
      throw new RnnError('SHAPE_MISMATCH', `Linear.forward: ${name} must be [..., ${width}], got [${t.shape.join(', ')}]`);
    }
    checkFinite(t.data, `Linear.forward: ${name}`);
    return { data: t.data, shape: t.shape, rows: t.data.length / width };
  }

  private write(weight: Float32Array, bias: Float32Array | null): void {
    const heap = this.backend.arena.f32, at = f32Index(this.w()), I = this.inFeatures, O = this.outFeatures;
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) heap[at + i * this.ld + o] = weight[o * I + i];
    if (bias) heap.set(bias, f32Index(this.b()));
  }

  private read(base: number): Record<string, Tensor> {
    const heap = this.backend.arena.f32, slot = addresses(this.layout, base), at = f32Index(slot('weight'));
    const I = this.inFeatures, O = this.outFeatures;
    const w = new Float32Array(O * I);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) w[o * I + i] = heap[at + i * this.ld + o];
    const out: Record<string, Tensor> = { weight: { data: w, shape: [O, I] } };
    if (this.bias) {
      const b = f32Index(slot('bias'));
      out.bias = { data: heap.slice(b, b + O), shape: [O] };
    }
    return out;
  }
}
