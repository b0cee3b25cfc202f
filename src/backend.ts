/**
 * The runtime-neutral core of start-up: probes what the runtime supports, compiles and
 * instantiates the module from whatever source the entry (or the caller) gives, checks it is
 * ours, and builds the arena. Nothing here touches a file system or `fetch` of its own
 * accord; the per-runtime entries (index.ts, node.ts, deno.ts, workerd.ts) supply the default
 * source and, where the runtime has workers, a ThreadHost. With more than one thread it runs
 * the threads build over a shared memory and hands the kernels to a worker pool (threads/).
 */
import { Arena, MAX_MEMORY_BYTES, PAGE_BYTES } from './arena.js';
import { checkOptions } from './checks.js';
import { RnnError, describe } from './errors.js';
import { EXPORTED_FUNCTIONS, type Kernels } from './kernels.js';
import type { Pool, ThreadHost } from './threads/pool.js';

/**
 * Which wasm build runs: 'relaxed' (relaxed SIMD, `f32x4.relaxed_madd`: a fused multiply-add
 * where the hardware has one) or 'baseline' (SIMD128 only: bit-identical results on every
 * runtime).
 */
export type SimdMode = 'relaxed' | 'baseline';

/**
 * Where the wasm comes from: a compiled `WebAssembly.Module`, its bytes, a URL to fetch, or a
 * response. The module's type is named through `globalThis` and the bytes are
 * `ArrayBuffer | ArrayBufferView` (what `BufferSource` means), so that these declarations
 * type-check even where no lib declares WebAssembly or `BufferSource` (a Node project with
 * @types/node and without the DOM lib).
 */
export type WasmSource =
  | (typeof globalThis extends Record<'WebAssembly', Record<'Module', abstract new (...args: never) => infer M>> ? M : never)
  | ArrayBuffer | ArrayBufferView | URL | Response | PromiseLike<Response>;

/** Options of `init`. */
export interface InitOptions {
  /** 'auto' (default) runs the relaxed-SIMD build where the runtime validates it. */
  simd?: 'auto' | SimdMode;
  /** The module to run instead of the packaged one (custom hosting, bundlers). */
  wasm?: WasmSource;
  /** A cap on the linear memory, in bytes (default and maximum: 4 GiB, the wasm32 limit). */
  maxMemoryBytes?: number;
  /**
   * Threads to run on (default 1): a count from 1 to 256, or 'auto' for the cores the
   * runtime reports. More than one needs shared WebAssembly memory and workers: Node, Bun,
   * Deno and cross-origin isolated pages have both; elsewhere (workerd, a page without
   * the COOP / COEP headers) the backend runs on one thread, without an error, and
   * `backend.threads` says so. Results are bit-identical for every count.
   */
  threads?: number | 'auto';
}

/** The most threads `init` starts. */
export const MAX_THREADS = 256;

/**
 * The loaded wasm module and its memory, as `init` resolves it: one per realm, shared by every
 * layer, optimizer and stream.
 */
export class Backend {
  /** Which build runs. */
  readonly simd: SimdMode;
  /** @internal The raw kernels; pointers index `kernels.memory`. */
  readonly kernels: Kernels;
  /** @internal */
  readonly arena: Arena;
  /** @internal The worker pool (null: one thread, or the threads build run alone). */
  readonly pool: Pool | null;
  /** @internal What `init` was asked for ('auto' resolved), to refuse a different count later. */
  readonly threadsAsked: number;

  /** @internal Built by `init`. */
  constructor(simd: SimdMode, kernels: Kernels, arena: Arena, pool: Pool | null = null, threadsAsked = 1) {
    this.simd = simd;
    this.kernels = kernels;
    this.arena = arena;
    this.pool = pool;
    this.threadsAsked = threadsAsked;
  }

  /** Threads that run the kernels, the calling thread included: 1 unless `init({ threads })` started workers. */
  get threads(): number {
    return this.pool ? this.pool.threads : 1;
  }

  /**
   * Stops the worker threads, if any. Everything keeps working on the calling thread
   * (`threads` becomes 1), so this is safe at any point between calls; in Node the workers
   * never keep the process alive, so calling it before exit is optional. Idempotent.
   */
  dispose(): void {
    this.pool?.dispose();
  }

  /** Size of the linear memory now, in bytes. */
  get memoryBytes(): number {
    return this.arena.capacityBytes;
  }
}

// (module (func (param v128 v128 v128) (result v128) BODY)): validates only where the runtime
// knows every opcode in BODY.
function probeModule(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x00 /* no locals */, ...body, 0x0b /* end */];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, code.length + 2, 0x01, code.length, ...code,
  ]);
}
const GET_ABC = [0x20, 0x00, 0x20, 0x01, 0x20, 0x02];
// (a + b) + c with f32x4.add (0xfd 0xe4 0x01)
const SIMD_PROBE = probeModule([0x20, 0x00, 0x20, 0x01, 0xfd, 0xe4, 0x01, 0x20, 0x02, 0xfd, 0xe4, 0x01]);
// f32x4.relaxed_madd(a, b, c) (0xfd 0x85 0x02)
const RELAXED_PROBE = probeModule([...GET_ABC, 0xfd, 0x85, 0x02]);

let support: { simd: boolean; relaxed: boolean } | undefined;

/**
 * What this runtime's WebAssembly accepts, probed once by validating two tiny modules; loads
 * nothing and needs no `init`.
 */
export function runtimeSupport(): {
  /** Fixed-width SIMD (SIMD128), which every build needs. */
  simd: boolean;
  /** Relaxed SIMD (`f32x4.relaxed_madd`), which the 'relaxed' build needs. */
  relaxed: boolean;
} {
  if (!support) {
    const simd = WebAssembly.validate(SIMD_PROBE);
    support = { simd, relaxed: simd && WebAssembly.validate(RELAXED_PROBE) };
  }
  return support;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  let bytes: BufferSource;
  if (typeof URL !== 'undefined' && source instanceof URL) {
    source = await fetchChecked(source);
  }
  if (isPromiseLike(source)) source = (await source) as Response;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new RnnError('BAD_FILE', `init: wasm: the response for ${source.url || 'the module'} has status ${source.status}, expected 200`);
    bytes = await source.arrayBuffer();
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    bytes = source as BufferSource;
  } else {
    throw new RnnError('BAD_ARGUMENT', `init: wasm must be a WebAssembly.Module, bytes, a URL or a Response, got ${describe(source)}`);
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (cause) {
    throw new RnnError('BAD_FILE', `init: wasm is not a valid WebAssembly module for this runtime (${(cause as Error).message})`, { cause });
  }
}

async function fetchChecked(url: URL): Promise<Response> {
  try {
    return await fetch(url);
  } catch (cause) {
    throw new RnnError('BAD_FILE', `init: wasm: could not fetch ${url.href} (${(cause as Error).message})`, { cause });
  }
}

/** Whether a module is a threads build: it imports its memory (env.memory) and nothing else. */
function importsMemory(module: WebAssembly.Module): boolean {
  const imports = WebAssembly.Module.imports(module);
  if (imports.length === 0) return false;
  if (imports.length === 1 && imports[0].module === 'env' && imports[0].name === 'memory' && imports[0].kind === 'memory') return true;
  throw new RnnError('BAD_FILE', `init: wasm is not simd-rnn's module: it imports ${imports.map((i) => `${i.module}.${i.name}`).join(', ')}, ours imports nothing (or only env.memory, the threads build)`);
}

async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory | null): Promise<Kernels> {
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, memory ? { env: { memory } } : {});
  } catch (cause) {
    throw new RnnError('BAD_FILE', `init: wasm could not be instantiated (${(cause as Error).message})`, { cause });
  }
  const exports = instance.exports as Record<string, unknown>;
  const missing: string[] = EXPORTED_FUNCTIONS.filter((name) => typeof exports[name] !== 'function');
  if (!(exports.memory instanceof WebAssembly.Memory)) missing.unshift('memory');
  if (missing.length > 0) {
    throw new RnnError('BAD_FILE', `init: wasm is not simd-rnn's module (or another version of it): it lacks the exports ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  return exports as unknown as Kernels;
}

/** Reads default sources for the build the runtime should run (`threads`: its threads build). */
export type DefaultSource = (mode: SimdMode, threads: boolean) => WasmSource | Promise<WasmSource>;

function checkInitOptions(options: unknown): InitOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new RnnError('BAD_ARGUMENT', `init: options must be an object, got ${describe(options)}`);
  }
  checkOptions(options, ['simd', 'wasm', 'maxMemoryBytes', 'threads'], 'init: options');
  const o = options as InitOptions;
  if (o.simd !== undefined && o.simd !== 'auto' && o.simd !== 'relaxed' && o.simd !== 'baseline') {
    throw new RnnError('BAD_ARGUMENT', `init: options.simd must be 'auto', 'relaxed' or 'baseline', got ${describe(o.simd)}`);
  }
  // checked here too, not only when compiled: a second init() never compiles it
  const w = o.wasm as unknown;
  if (w !== undefined && !(w instanceof WebAssembly.Module || w instanceof ArrayBuffer || ArrayBuffer.isView(w) ||
      (typeof URL !== 'undefined' && w instanceof URL) || (typeof Response !== 'undefined' && w instanceof Response) || isPromiseLike(w))) {
    throw new RnnError('BAD_ARGUMENT', `init: options.wasm must be a WebAssembly.Module, bytes, a URL or a Response, got ${describe(w)}`);
  }
  if (o.maxMemoryBytes !== undefined &&
      (!Number.isSafeInteger(o.maxMemoryBytes) || o.maxMemoryBytes <= 0)) {
    throw new RnnError('BAD_ARGUMENT', `init: options.maxMemoryBytes must be a positive integer, got ${describe(o.maxMemoryBytes)}`);
  }
  if (o.threads !== undefined && o.threads !== 'auto' &&
      (!Number.isInteger(o.threads) || (o.threads as number) < 1 || (o.threads as number) > MAX_THREADS)) {
    throw new RnnError('BAD_ARGUMENT', `init: options.threads must be 'auto' or an integer from 1 to ${MAX_THREADS}, got ${describe(o.threads)}`);
  }
  return o;
}

/** The thread count asked for, 'auto' resolved to the cores the runtime reports. */
function threadsAsked(o: InitOptions, host: ThreadHost | undefined): number {
  if (o.threads === 'auto') return host ? Math.max(1, Math.min(MAX_THREADS, Math.floor(host.cores()) || 1)) : 1;
  return o.threads ?? 1;
}

/**
 * Whether this realm can share wasm memory with workers: SharedArrayBuffer exists (a page
 * needs cross-origin isolation for it) and a shared WebAssembly.Memory can be made.
 */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** A shared memory for the threads build, its maximum the memory cap. */
function sharedMemory(maxBytes: number): WebAssembly.Memory {
  const maximum = Math.max(1, Math.floor(Math.min(maxBytes, MAX_MEMORY_BYTES) / PAGE_BYTES));
  try {
    return new WebAssembly.Memory({ initial: 1, maximum, shared: true });
  } catch (cause) {
    throw new RnnError('OUT_OF_MEMORY', `init: the runtime refused a shared memory of up to ${maximum * PAGE_BYTES} bytes (${(cause as Error).message}); lower options.maxMemoryBytes`, { cause });
  }
}

/**
 * A new, independent backend with its own memory. `init` keeps one of these as the default.
 * `host`: how this runtime starts workers (none: one thread).
 */
export async function createBackend(options: InitOptions | undefined, defaultSource: DefaultSource, host?: ThreadHost): Promise<Backend> {
  const o = checkInitOptions(options);
  const can = runtimeSupport();
  if (!can.simd) {
    throw new RnnError('UNSUPPORTED', 'init: this runtime does not support WebAssembly SIMD (fixed-width SIMD128), which simd-rnn needs');
  }
  const wanted = o.simd ?? 'auto';
  if (wanted === 'relaxed' && !can.relaxed) {
    throw new RnnError('UNSUPPORTED', "init: options.simd is 'relaxed', but this runtime does not support relaxed SIMD (Node 20 needs the flag --experimental-wasm-relaxed-simd); use 'auto' or 'baseline'");
  }
  const mode: SimdMode = wanted === 'auto' ? (can.relaxed ? 'relaxed' : 'baseline') : wanted;
  const asked = threadsAsked(o, host);
  const threaded = asked > 1 && host !== undefined && sharedMemorySupported();
  const module = await compile(o.wasm ?? (await defaultSource(mode, threaded)));
  const maxBytes = o.maxMemoryBytes ?? MAX_MEMORY_BYTES;
  const shared = importsMemory(module);
  if (threaded && !shared && o.threads !== 'auto') {
    throw new RnnError('BAD_ARGUMENT', `init: options.threads is ${o.threads}, but options.wasm is a one-thread build; pass the threads build (simd-rnn.${mode}-threads.wasm)`);
  }
  if (shared && !sharedMemorySupported()) {
    throw new RnnError('UNSUPPORTED', 'init: options.wasm is the threads build, which needs shared WebAssembly memory, and this runtime has none (a page needs cross-origin isolation); pass the one-thread build');
  }
  const memory = shared ? sharedMemory(maxBytes) : null;
  let kernels = await instantiate(module, memory);
  const built: SimdMode = kernels.simd_relaxed() ? 'relaxed' : 'baseline';
  if (wanted !== 'auto' && built !== wanted) {
    throw new RnnError('BAD_ARGUMENT', `init: options.simd is '${wanted}', but options.wasm is the ${built} build`);
  }
  let pool: Pool | null = null;
  if (threaded && memory) {
    const [{ Pool }, { threadedKernels, TASK_NAMES }] = await Promise.all([import('./threads/pool.js'), import('./threads/split.js')]);
    try {
      pool = await Pool.start(host, module, memory, asked - 1, TASK_NAMES);
      kernels = threadedKernels(kernels, pool);
    } catch (e) {
      if (o.threads !== 'auto') throw e;
    }
  }
  const exported = memory ?? kernels.memory;
  return new Backend(built, kernels, new Arena(exported, kernels.heap_base(), maxBytes), pool, asked);
}

let current: Backend | null = null;
let pending: Promise<Backend> | null = null;

function compatible(b: Backend, options: InitOptions | undefined, host: ThreadHost | undefined): Backend {
  const o = checkInitOptions(options), wanted = o.simd ?? 'auto';
  if (wanted !== 'auto' && wanted !== b.simd) {
    throw new RnnError('BAD_ARGUMENT', `init: already initialised with the ${b.simd} build; options.simd '${wanted}' cannot change it`);
  }
  if (o.threads !== undefined && threadsAsked(o, host) !== b.threadsAsked) {
    throw new RnnError('BAD_ARGUMENT', `init: already initialised for ${b.threadsAsked} thread${b.threadsAsked === 1 ? '' : 's'}; options.threads ${describe(o.threads)} cannot change it (the first init chooses)`);
  }
  return b;
}

/**
 * The shared start-up behind every entry's `init`: idempotent, one backend per realm.
 * `host`: how the entry's runtime starts workers (none: threads are not offered).
 */
export function initWith(options: InitOptions | undefined, defaultSource: DefaultSource, host?: ThreadHost): Promise<Backend> {
  if (current) {
    try { return Promise.resolve(compatible(current, options, host)); } catch (e) { return Promise.reject(e); }
  }
  if (!pending) {
    pending = createBackend(options, defaultSource, host).then(
      (b) => (current = b),
      (e) => { pending = null; throw e; },
    );
    return pending;
  }
  return pending.then((b) => compatible(b, options, host));
}

/** The backend `init` made; throws NOT_INITIALIZED before it resolves. */
export function getBackend(what: string): Backend {
  if (!current) throw new RnnError('NOT_INITIALIZED', `${what}: call and await init() first`);
  return current;
}
