/**
 * Memory a user forgets. Every object that owns arena regions across calls (a layer, its work
 * memory and streams, an optimizer's state, an echo state network) keeps them in one Holding,
 * registered under the object with the one FinalizationRegistry below. `dispose()` frees them
 * at once and unregisters; an object that becomes unreachable without `dispose()` has them
 * freed by the registry some time after the garbage collector took it (when is up to the
 * runtime: maybe late, maybe never before the program ends, so dispose() stays the way to
 * return memory promptly).
 *
 * Why this is safe: the registry keeps every held value alive, so a Holding must never reach
 * the object it belongs to. It holds the arena, the regions and the Holdings of the object's
 * streams, nothing else; no closure either. An object is only collected when nothing reachable
 * refers to it, and everything that uses its regions refers to it: a stream holds its layer,
 * a parameter buffer's `alive` closure holds its module (so an optimizer keeps the modules it
 * updates alive), and the object's own methods hold `this`. So memory is never freed under
 * something that can still touch it.
 *
 * Regions freed and replaced (work memory grows) go through `alloc` and `free` here, so the
 * list is always what the object holds now. Transient regions freed in the same call (a
 * scratch in a `finally`) do not need a Holding.
 *
 * Runtimes without FinalizationRegistry (workerd without its `enable_weak_ref` flag) keep
 * working: nothing is registered, and memory returns on `dispose()` only.
 */
import type { Arena, Region } from './arena.js';

const registry: FinalizationRegistry<Holding> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((held: Holding) => held.release()) : null;

/** The arena regions one object holds, freed together by `release()` or when the object is collected. */
export class Holding {
  private readonly regions = new Set<Region>();
  /** The Holdings of objects that depend on the owner and die with it (its streams). */
  private readonly children = new Set<Holding>();
  private released = false;

  /**
   * Registers `owner` (which the Holding does not keep) so that its regions are freed when it
   * is collected. `parent`: the Holding of the object this one depends on (a stream's layer);
   * releasing the parent releases this one too.
   */
  constructor(owner: object, readonly arena: Arena, private readonly parent: Holding | null = null) {
    registry?.register(owner, this, this);
    parent?.children.add(this);
  }

  /** False once released (disposed, or its owner collected, or its parent released). */
  get live(): boolean {
    return !this.released;
  }

  /** Bytes held now, the children's included. */
  get bytes(): number {
    let n = 0;
    for (const r of this.regions) n += r.bytes;
    for (const c of this.children) n += c.bytes;
    return n;
  }

  /** A region of the arena, zero-filled, held until `free` or `release`. Throws as `Arena.alloc`. */
  alloc(bytes: number, name: string): Region {
    const region = this.arena.alloc(bytes, name);
    this.regions.add(region);
    return region;
  }

  /** Returns one region this Holding holds (replaced work memory). */
  free(region: Region): void {
    this.regions.delete(region);
    this.arena.free(region);
  }

  /** Frees every region, the children's first, and unregisters; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const c of [...this.children]) c.release();
    for (const r of this.regions) this.arena.free(r);
    this.regions.clear();
    this.parent?.children.delete(this);
    registry?.unregister(this);
  }
}

/**
 * A module's parameters and gradients: two regions of `bytes` each in a new Holding of
 * `owner`, checked to fit together before either is taken (OUT_OF_MEMORY names `what`);
 * nothing stays held when an allocation fails.
 */
export function holdParameters(owner: object, arena: Arena, bytes: number, what: string): { memory: Holding; params: Region; grads: Region } {
  arena.checkFits(2 * bytes, `${what} parameters and gradients`);
  const memory = new Holding(owner, arena);
  try {
    return { memory, params: memory.alloc(bytes, `${what} parameters`), grads: memory.alloc(bytes, `${what} gradients`) };
  } catch (e) {
    memory.release();
    throw e;
  }
}
