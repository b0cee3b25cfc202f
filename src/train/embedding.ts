/**
 * torch.nn.Embedding: integer ids [...] -> rows of the table [..., embeddingDim].
 * Backward adds each dOut row into the gradient row of its id (ids repeat: they add up);
 * ids carry no gradient, so dx is null. Initialisation as PyTorch: N(0, 1), drawn from the
 * seeded generator so every runtime gets the same table.
 */
import { getBackend, type Backend } from '../backend.js';
import type { Region } from '../arena.js';
import { holdParameters, type Holding } from '../holding.js';
import { RnnError, describe } from '../errors.js';
import { addresses, entry, f32Index, planLayout, type Layout } from '../layout.js';
import { Random } from '../random.js';
import { shapeSize, type Tensor } from '../tensor.js';
import { checkFinite, checkFlag, checkOptions, checkShape, checkTensor } from '../checks.js';
import type { ParamBuffer } from '../params.js';
import { checkStateDict } from '../state-dict.js';

/** Options of `new Embedding`. */
export interface EmbeddingOptions {
  /** V, the number of ids (rows of the table): ids are 0 to V - 1. */
  numEmbeddings: number;
  /** D, the width of each row. */
  embeddingDim: number;
  /** Seed of the initialiser; without one, the table comes from a randomly seeded generator. */
  seed?: number;
}
/** Integer ids and their shape, the input of an Embedding: a Tensor of Int32Array data. */
export interface IdTensor {
  /** The ids, row-major. */
  data: Int32Array;
  /** The size of each axis, outermost first. */
  shape: number[];
}

/**
 * The one check of ids for a table of `numEmbeddings` rows: every value an integer from 0 to
 * numEmbeddings - 1 (fractions, NaN and values that would wrap in an Int32Array included),
 * or BAD_ARGUMENT naming the first bad one.
 */
export function checkIds(ids: ArrayLike<number>, numEmbeddings: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= numEmbeddings) throw new RnnError('BAD_ARGUMENT', `${what}[${i}] must be an integer from 0 to ${numEmbeddings - 1}, got ${describe(id)}`);
  }
}

/**
 * torch.nn.Embedding: integer ids [...] to rows of a table [V, D] (key `weight`), giving
 * [..., D]. The table starts N(0, 1) as in PyTorch, drawn from the seeded generator so every
 * runtime gets the same one. Ids carry no gradient: an Embedding is the first layer of a
 * Sequential.
 */
export class Embedding {
  /** V, the number of ids. */
  readonly numEmbeddings: number;
  /** D, the width of each row. */
  readonly embeddingDim: number;
  private readonly backend: Backend;
  private readonly layout: Layout;
  private paramRegion: Region | null;
  private gradRegion: Region | null;
  /** The two regions (holding.ts): freed by dispose, or when the layer is collected undisposed. */
  private readonly memory: Holding;
  private tape: Int32Array | null = null;
  private tapeShape: number[] = [];

  constructor(options: EmbeddingOptions) {
    this.backend = getBackend('new Embedding');
    if (typeof options !== 'object' || options === null) throw new RnnError('BAD_ARGUMENT', `new Embedding: options must be an object with numEmbeddings and embeddingDim, got ${describe(options)}`);
    checkOptions(options, ['numEmbeddings', 'embeddingDim', 'seed'], 'new Embedding');
    for (const key of ['numEmbeddings', 'embeddingDim'] as const) {
      const v = options[key];
      if (!Number.isSafeInteger(v) || v < 1) throw new RnnError('BAD_ARGUMENT', `new Embedding: ${key} must be an integer >= 1, got ${describe(v)}`);
    }
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw new RnnError('BAD_ARGUMENT', `new Embedding: seed must be an integer, got ${describe(options.seed)}`);
    this.numEmbeddings = options.numEmbeddings;
    this.embeddingDim = options.embeddingDim;
    const n = this.numEmbeddings * this.embeddingDim;
    // the table, and the same layout again for its gradient
    this.layout = planLayout([
      { name: 'weight', shape: [this.numEmbeddings, this.embeddingDim], comment: 'row id is the embedding of id' },
    ]);
    const held = holdParameters(this, this.backend.arena, this.layout.bytes, 'Embedding');
    this.memory = held.memory; this.paramRegion = held.params; this.gradRegion = held.grads;
    const random = new Random(options.seed ?? Random.randomSeed());
    const table = this.backend.arena.f32At(this.weight(this.paramRegion.ptr), n);
    for (let i = 0; i < n; i++) table[i] = random.nextNormal();
  }

  /** Rows of the table for ids { data: Int32Array, shape }; `train` keeps the ids for backward. */
  forward(ids: IdTensor, opts?: { train?: boolean }): Tensor {
    this.alive('forward');
    checkOptions(opts, ['train'], 'Embedding.forward: opts');
    const train = checkFlag(opts?.train, 'Embedding.forward: opts.train', false);
    if (typeof ids !== 'object' || ids === null || !(ids.data instanceof Int32Array) || !Array.isArray(ids.shape)) {
      throw new RnnError('BAD_ARGUMENT', `Embedding.forward: ids must be { data: Int32Array, shape }, got ${describe(ids)}`);
    }
    const n = shapeSize(ids.shape, 'Embedding.forward: ids');
    if (n !== ids.data.length) throw new RnnError('SHAPE_MISMATCH', `Embedding.forward: ids has ${ids.data.length} elements but shape [${ids.shape.join(', ')}] needs ${n}`);
    checkIds(ids.data, this.numEmbeddings, 'Embedding.forward: ids');
    const D = this.embeddingDim, table = this.backend.arena.f32, row = this.rows(this.paramRegion!.ptr);
    const out = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const at = f32Index(row(ids.data[i]));
      out.set(table.subarray(at, at + D), i * D);
    }
    if (train) { this.tape = ids.data.slice(); this.tapeShape = [...ids.shape]; } else this.tape = null;
    return { data: out, shape: [...ids.shape, D] };
  }

  /** Adds dOut's rows into the gradient rows of their ids; returns { dx: null }. */
  backward(dOut: Tensor): {
    /** Always null: ids have no gradient. */
    dx: null;
  } {
    this.alive('backward');
    if (!this.tape) throw new RnnError('NO_TAPE', 'Embedding.backward: call forward(ids, { train: true }) first (each backward consumes its tape)');
    const d = checkTensor(dOut, 'Embedding.backward: dOut');
    checkShape(d.shape, [...this.tapeShape, this.embeddingDim], 'Embedding.backward: dOut');
    checkFinite(d.data, 'Embedding.backward: dOut');
    const D = this.embeddingDim, grad = this.backend.arena.f32, row = this.rows(this.gradRegion!.ptr);
    this.tape.forEach((id, i) => {
      const at = f32Index(row(id));
      for (let j = 0; j < D; j++) grad[at + j] += d.data[i * D + j];
    });
    this.tape = null;
    return { dx: null };
  }

  /** A copy of the table: weight [V, D]. */
  stateDict(): Record<string, Tensor> { return { weight: this.read(this.alive('stateDict').param) }; }
  /** A copy of the accumulated gradient, named like stateDict. */
  grads(): Record<string, Tensor> { return { weight: this.read(this.alive('grads').grad) }; }
  /** Sets the gradient to zero (backward adds into it). */
  zeroGrad(): void { this.backend.kernels.f32_fill(this.weight(this.alive('zeroGrad').grad), 0, this.numEmbeddings * this.embeddingDim); }

  /** Loads `{ weight }` ([V, D], a Tensor or a bare Float32Array); strict and all-or-nothing like every loadStateDict. */
  loadStateDict(dict: Record<string, Tensor | Float32Array>): void {
    const { param } = this.alive('loadStateDict');
    const { weight } = checkStateDict(dict, { weight: [this.numEmbeddings, this.embeddingDim] }, 'Embedding.loadStateDict');
    this.backend.arena.f32.set(weight, f32Index(this.weight(param)));
  }

  /** @internal */
  paramBuffers(): ParamBuffer[] {
    const { param, grad } = this.alive('parameters'), region = this.paramRegion;
    return [{ param: this.weight(param), grad: this.weight(grad), length: this.numEmbeddings * this.embeddingDim, backend: this.backend, alive: () => this.paramRegion === region, owner: 'Embedding' }];
  }

  /** The constructor options that rebuild this layer (without its weights or seed). */
  config(): Record<string, unknown> {
    return { type: 'Embedding', numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim };
  }

  /** Bytes of wasm memory this layer holds (the table and its gradient). */
  memoryBytes(): number { this.alive('memoryBytes'); return this.memory.bytes; }

  /** Returns all memory; any later call throws DISPOSED. */
  dispose(): void {
    if (!this.paramRegion) return;
    this.memory.release();
    this.paramRegion = this.gradRegion = this.tape = null;
  }

  private alive(what: string): { param: number; grad: number } {
    if (!this.paramRegion) throw new RnnError('DISPOSED', `Embedding.${what}: the layer was disposed`);
    return { param: this.paramRegion.ptr, grad: this.gradRegion!.ptr };
  }

  private read(base: number): Tensor {
    const n = this.numEmbeddings * this.embeddingDim;
    return { data: this.backend.arena.f32At(this.weight(base), n).slice(), shape: [this.numEmbeddings, this.embeddingDim] };
  }

  // Byte address of the table (or of its gradient) in the region at `base`, and of its row id.
  private weight(base: number): number {
    return addresses(this.layout, base)('weight');
  }
  private rows(base: number): (id: number) => number {
    const at = this.weight(base), stride = this.layout.slots.get('weight')!.stride;
    return (id) => entry(at, stride, id);
  }
}
